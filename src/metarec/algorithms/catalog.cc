// The catalog: every algorithm metarec knows, in one explicit list.
#include <metarec/algorithms/als/als.h>
#include <metarec/algorithms/baselines/baselines.h>
#include <metarec/algorithms/bayesian_mf/bayesian_mf.h>
#include <metarec/algorithms/bpr/bpr.h>
#include <metarec/algorithms/catalog.h>
#include <metarec/algorithms/co_clustering/co_clustering.h>
#include <metarec/algorithms/ease/ease.h>
#include <metarec/algorithms/fm/fm.h>
#include <metarec/algorithms/ials/ials.h>
#include <metarec/algorithms/knn/item_knn.h>
#include <metarec/algorithms/knn/knn_rating.h>
#include <metarec/algorithms/knn/user_knn.h>
#include <metarec/algorithms/logistic_mf/logistic_mf.h>
#include <metarec/algorithms/mf/nmf.h>
#include <metarec/algorithms/mf/seed_cf.h>
#include <metarec/algorithms/mf/side_mf.h>
#include <metarec/algorithms/mf/svd.h>
#include <metarec/algorithms/mf/svdpp.h>
#include <metarec/algorithms/mf/timesvd.h>
#include <metarec/algorithms/mixture_mf/mixture_mf.h>
#include <metarec/algorithms/rp3beta/rp3beta.h>
#include <metarec/algorithms/slim/slim.h>
#include <metarec/algorithms/slope_one/slope_one.h>
#include <metarec/algorithms/warp/warp.h>
#include <metarec/core/error.h>

namespace metarec {

namespace {

template <typename T>
std::function<std::unique_ptr<Recommender>(const Params&)> factory() {
  return [](const Params& p) { return std::make_unique<T>(p); };
}

std::vector<AlgorithmInfo> build_catalog() {
  const std::vector<std::string> baseline_src = {"src/metarec/algorithms/baselines/baselines.h",
                                                 "src/metarec/algorithms/baselines/baselines.cc"};
  std::vector<AlgorithmInfo> c;
  c.push_back({"random",
               {"baseline",
                true,
                true,
                true,
                {},
                "trivial",
                "Random ranking (a seeded hash of user and item) and ratings drawn from the "
                "training ratings' normal distribution: the floor every model must clear.",
                "-",
                baseline_src},
               RandomRecommender::schema(),
               factory<RandomRecommender>()});
  c.push_back({"most_popular",
               {"baseline",
                true,
                true,
                false,
                {},
                "trivial",
                "Ranks items by their number of training interactions, the same list for every "
                "user; strong on data with a steep popularity curve.",
                "-",
                baseline_src},
               MostPopular::schema(),
               factory<MostPopular>()});
  c.push_back({"global_mean",
               {"baseline",
                true,
                false,
                true,
                {},
                "trivial",
                "Predicts the global mean rating for every pair (ranks items by their mean).",
                "-",
                baseline_src},
               MeanPredictor::schema(MeanPredictor::Kind::kGlobal),
               [](const Params& p) {
                 return std::make_unique<MeanPredictor>(MeanPredictor::Kind::kGlobal, p);
               }});
  c.push_back({"user_mean",
               {"baseline",
                true,
                false,
                true,
                {},
                "trivial",
                "Predicts the user's (damped) mean rating; ranks items by their mean.",
                "-",
                baseline_src},
               MeanPredictor::schema(MeanPredictor::Kind::kUser),
               [](const Params& p) {
                 return std::make_unique<MeanPredictor>(MeanPredictor::Kind::kUser, p);
               }});
  c.push_back({"item_mean",
               {"baseline",
                true,
                false,
                true,
                {},
                "trivial",
                "Predicts the item's (damped) mean rating and ranks items by it.",
                "-",
                baseline_src},
               MeanPredictor::schema(MeanPredictor::Kind::kItem),
               [](const Params& p) {
                 return std::make_unique<MeanPredictor>(MeanPredictor::Kind::kItem, p);
               }});
  c.push_back({"bias",
               {"baseline",
                true,
                false,
                true,
                {},
                "cheap",
                "Baseline predictor: global mean plus regularized user and item biases, fitted "
                "by alternating least squares (Surprise's BaselineOnly).",
                "Y. Koren, Factor in the Neighbors: Scalable and Accurate Collaborative "
                "Filtering, ACM TKDD 4(1), 2010",
                baseline_src},
               BiasBaseline::schema(),
               factory<BiasBaseline>()});
  // -- neighbourhood (knn/, slope_one/, co_clustering/)
  {
    const std::string knn = "src/metarec/algorithms/knn/";
    const std::vector<std::string> sim_src = {knn + "similarity.h", knn + "similarity.cc"};
    auto with_sim = [&](std::vector<std::string> v) {
      v.insert(v.end(), sim_src.begin(), sim_src.end());
      return v;
    };
    c.push_back(
        {"item_knn",
         {"neighbourhood",
          true,
          true,
          false,
          {},
          "moderate",
          "Item-based k-nearest neighbours for top-N ranking: each item keeps its k most "
          "similar items (cosine, pearson, adjusted cosine, jaccard, or cosine after BM25 / "
          "TF-IDF weighting, with shrinkage), and a user's score for an item sums the "
          "similarities from the items the user interacted with. Strong and cheap on "
          "implicit data; gives similar items.",
          "B. Sarwar, G. Karypis, J. Konstan, J. Riedl, Item-Based Collaborative Filtering "
          "Recommendation Algorithms, WWW 2001; M. Deshpande, G. Karypis, Item-Based Top-N "
          "Recommendation Algorithms, ACM TOIS 22(1), 2004",
          with_sim({knn + "item_knn.h", knn + "item_knn.cc",
                    "src/metarec/algorithms/common/item_item_model.h",
                    "src/metarec/algorithms/common/item_item_model.cc"})},
         ItemKnn::schema(),
         factory<ItemKnn>()});
    c.push_back({"user_knn",
                 {"neighbourhood",
                  true,
                  true,
                  false,
                  {},
                  "moderate",
                  "User-based k-nearest neighbours for top-N ranking: each user keeps the k most "
                  "similar users, and items are scored by those neighbours' interactions weighted "
                  "by similarity (cosine, pearson, adjusted cosine, jaccard, BM25, TF-IDF).",
                  "J. Herlocker, J. Konstan, A. Borchers, J. Riedl, An Algorithmic Framework for "
                  "Performing Collaborative Filtering, SIGIR 1999",
                  with_sim({knn + "user_knn.h", knn + "user_knn.cc"})},
                 UserKnn::schema(),
                 factory<UserKnn>()});
    const std::vector<std::string> rating_src =
        with_sim({knn + "knn_rating.h", knn + "knn_rating.cc"});
    const std::string koren =
        "Y. Koren, Factor in the Neighbors: Scalable and Accurate Collaborative Filtering, ACM "
        "TKDD 4(1), 2010";
    c.push_back(
        {"knn_basic",
         {"neighbourhood",
          true,
          false,
          true,
          {},
          "cheap",
          "k-NN rating prediction (Surprise's KNNBasic): the similarity-weighted mean of "
          "the k nearest neighbours' ratings of the target, among those who rated it; "
          "user- or item-based, msd / cosine / pearson / pearson_baseline similarities "
          "over co-rated entries with shrinkage.",
          "J. Herlocker, J. Konstan, A. Borchers, J. Riedl, An Algorithmic Framework for "
          "Performing Collaborative Filtering, SIGIR 1999",
          rating_src},
         KnnRating::schema(KnnRating::Kind::kBasic),
         [](const Params& p) { return std::make_unique<KnnRating>(KnnRating::Kind::kBasic, p); }});
    c.push_back(
        {"knn_means",
         {"neighbourhood",
          true,
          false,
          true,
          {},
          "cheap",
          "Mean-centred k-NN rating prediction (Surprise's KNNWithMeans): the user's (or "
          "item's) mean plus the similarity-weighted mean of the neighbours' deviations "
          "from their own means.",
          "J. Herlocker, J. Konstan, A. Borchers, J. Riedl, An Algorithmic Framework for "
          "Performing Collaborative Filtering, SIGIR 1999",
          rating_src},
         KnnRating::schema(KnnRating::Kind::kMeans),
         [](const Params& p) { return std::make_unique<KnnRating>(KnnRating::Kind::kMeans, p); }});
    c.push_back({"knn_baseline",
                 {"neighbourhood",
                  true,
                  false,
                  true,
                  {},
                  "cheap",
                  "Baseline-adjusted k-NN rating prediction (Surprise's KNNBaseline): the "
                  "baseline mu + b_u + b_i (fitted by ALS) plus the similarity-weighted mean of "
                  "the neighbours' residuals from their baselines; shrunk pearson_baseline "
                  "similarity by default. Usually the most accurate neighbourhood predictor.",
                  koren,
                  rating_src},
                 KnnRating::schema(KnnRating::Kind::kBaseline),
                 [](const Params& p) {
                   return std::make_unique<KnnRating>(KnnRating::Kind::kBaseline, p);
                 }});
    c.push_back({"slope_one",
                 {"neighbourhood",
                  true,
                  false,
                  true,
                  {},
                  "cheap",
                  "Slope One rating prediction: average rating differences between pairs of "
                  "items, applied to the user's own ratings and weighted by how many users "
                  "support each difference (or Surprise's user mean + mean difference).",
                  "D. Lemire, A. Maclachlan, Slope One Predictors for Online Rating-Based "
                  "Collaborative Filtering, SDM 2005",
                  {"src/metarec/algorithms/slope_one/slope_one.h",
                   "src/metarec/algorithms/slope_one/slope_one.cc"}},
                 SlopeOne::schema(),
                 factory<SlopeOne>()});
    c.push_back({"co_clustering",
                 {"neighbourhood",
                  true,
                  false,
                  true,
                  {},
                  "cheap",
                  "Co-clustering rating prediction: users and items are clustered jointly, and a "
                  "rating is the co-cluster mean corrected by the user's and item's offsets from "
                  "their cluster means (Surprise's CoClustering).",
                  "T. George, S. Merugu, A Scalable Collaborative Filtering Framework Based on "
                  "Co-clustering, ICDM 2005",
                  {"src/metarec/algorithms/co_clustering/co_clustering.h",
                   "src/metarec/algorithms/co_clustering/co_clustering.cc"}},
                 CoClustering::schema(),
                 factory<CoClustering>()});
  }
  // -- matrix factorization for ratings (mf/)
  {
    const std::string mf = "src/metarec/algorithms/mf/";
    const std::vector<std::string> fm_src = {"src/metarec/algorithms/common/factor_model.h",
                                             "src/metarec/algorithms/common/factor_model.cc"};
    auto sgd = [&](std::vector<std::string> v) {
      for (const char* f : {"sgd_kernel.h", "sgd_kernel.cc"}) v.push_back(mf + f);
      v.insert(v.end(), fm_src.begin(), fm_src.end());
      return v;
    };
    c.push_back({"funk_mf",
                 {"factorization",
                  true,
                  false,
                  true,
                  {},
                  "cheap",
                  "Funk's matrix factorization: r = <p_u, q_i> with no mean or biases, trained by "
                  "SGD on the squared error with L2 (lock-free block-parallel SGD in a seeded "
                  "random order). The plain latent-factor model of the Netflix Prize.",
                  "S. Funk, Netflix Update: Try This at Home, 2006",
                  sgd({mf + "svd.h", mf + "svd.cc"})},
                 Svd::schema(false),
                 [](const Params& p) { return std::make_unique<Svd>(false, p); }});
    c.push_back({"svd",
                 {"factorization",
                  true,
                  false,
                  true,
                  {},
                  "cheap",
                  "Biased matrix factorization (Surprise's SVD): r = mu + b_u + b_i + <p_u, q_i>, "
                  "trained by SGD with L2 and a decaying learning rate on a lock-free block grid "
                  "(FPSGD). The standard strong rating predictor.",
                  "Y. Koren, R. Bell, C. Volinsky, Matrix Factorization Techniques for Recommender "
                  "Systems, IEEE Computer 42(8), 2009",
                  sgd({mf + "svd.h", mf + "svd.cc"})},
                 Svd::schema(true),
                 [](const Params& p) { return std::make_unique<Svd>(true, p); }});
    c.push_back({"svdpp",
                 {"factorization",
                  true,
                  false,
                  true,
                  {},
                  "moderate",
                  "SVD++: biased MF whose user vector adds |N(u)|^-1/2 times the sum of implicit "
                  "factors y_j of the items the user rated, so who-rated-what informs the "
                  "prediction; SGD with the implicit sums cached per epoch. Usually the most "
                  "accurate of the SGD rating models.",
                  "Y. Koren, Factorization Meets the Neighborhood: a Multifaceted Collaborative "
                  "Filtering Model, KDD 2008",
                  sgd({mf + "svdpp.h", mf + "svdpp.cc"})},
                 SvdPlusPlus::schema(),
                 factory<SvdPlusPlus>()});
    c.push_back({"nmf",
                 {"factorization",
                  true,
                  false,
                  true,
                  {},
                  "cheap",
                  "Non-negative matrix factorization of the observed ratings by regularized "
                  "multiplicative updates (alternating users, items), optionally with biases; "
                  "non-negative, parts-based factors (as Surprise's NMF).",
                  "X. Luo, M. Zhou, Y. Xia, Q. Zhu, An Efficient Non-Negative "
                  "Matrix-Factorization-Based Approach to Collaborative Filtering for Recommender "
                  "Systems, IEEE TII 10(2), 2014",
                  {mf + "nmf.h", mf + "nmf.cc", fm_src[0], fm_src[1]}},
                 Nmf::schema(),
                 factory<Nmf>()});
    c.push_back({"timesvd",
                 {"factorization",
                  true,
                  false,
                  true,
                  {"timestamps"},
                  "cheap",
                  "timeSVD: biased MF with time-binned item biases b_{i,bin(t)} and a drifting "
                  "user bias alpha_u dev_u(t); predictions are made at the user's mean rating "
                  "time (or the end of training). Plain biased MF without timestamps.",
                  "Y. Koren, Collaborative Filtering with Temporal Dynamics, KDD 2009",
                  sgd({mf + "timesvd.h", mf + "timesvd.cc", mf + "svd.h"})},
                 TimeSvd::schema(),
                 factory<TimeSvd>()});
    c.push_back({"side_mf",
                 {"factorization",
                  true,
                  false,
                  true,
                  {"genres", "user_attributes"},
                  "cheap",
                  "Feature-based MF (SVDFeature-style): the user vector adds the mean embedding of "
                  "the user's categorical attributes, the item vector the mean embedding of its "
                  "genres, each with biases; cold users and items are scored from their features.",
                  "T. Chen, W. Zhang, Q. Lu, K. Chen, Z. Zheng, Y. Yu, SVDFeature: A Toolkit for "
                  "Feature-based Collaborative Filtering, JMLR 13, 2012",
                  sgd({mf + "side_mf.h", mf + "side_mf.cc"})},
                 SideMf::schema(),
                 factory<SideMf>()});
    c.push_back({"seed_cf",
                 {"factorization",
                  true,
                  false,
                  true,
                  {},
                  "moderate",
                  "The seed notes' collaborative filtering: user weights w_j, bias b_j and item "
                  "features x_i learned jointly by full-batch Adam (or gradient descent) on the "
                  "summed squared error with L2, after mean normalization (a user with no ratings "
                  "is predicted the item mean).",
                  "Collaborative filtering as in A. Ng, Machine Learning Specialization, course 3 "
                  "(DeepLearning.AI, 2022); seed notes 002",
                  {mf + "seed_cf.h", mf + "seed_cf.cc", fm_src[0], fm_src[1]}},
                 SeedCf::schema(),
                 factory<SeedCf>()});
    c.push_back({"seed_cf_binary",
                 {"factorization",
                  true,
                  true,
                  false,
                  {},
                  "moderate",
                  "The seed notes' binary-label collaborative filtering: P(like) = sigmoid(<w_j, "
                  "x_i> + b_j + mu_i) fitted by full-batch Adam on the logistic loss with L2; "
                  "labels are ratings >= threshold (implicit entries are 1) plus sampled unrated "
                  "items as 0. Scores are probabilities.",
                  "Collaborative filtering with binary labels as in A. Ng, Machine Learning "
                  "Specialization, course 3 (DeepLearning.AI, 2022); seed notes 002",
                  {mf + "seed_cf.h", mf + "seed_cf.cc"}},
                 SeedCfBinary::schema(),
                 factory<SeedCfBinary>()});
  }
  // -- more rating models (als/, bayesian/, temporal/, side features/, mixture of tastes/)
  {
    const std::string alg = "src/metarec/algorithms/";
    const std::vector<std::string> fm_src = {alg + "common/factor_model.h",
                                             alg + "common/factor_model.cc"};
    auto src = [&](std::vector<std::string> v) {
      v.insert(v.end(), fm_src.begin(), fm_src.end());
      return v;
    };
    c.push_back({"als",
                 {"factorization",
                  true,
                  false,
                  true,
                  {},
                  "cheap",
                  "Alternating least squares for ratings: r = mu + b_u + b_i + <p_u, q_i>, each "
                  "sweep solving every user's and then every item's ridge regression exactly "
                  "(Cholesky), with weighted-lambda regularization (lambda times the row's "
                  "rating count). No learning rate; converges in a few sweeps; parallel over "
                  "users and items.",
                  "Y. Zhou, D. Wilkinson, R. Schreiber, R. Pan, Large-scale Parallel "
                  "Collaborative Filtering for the Netflix Prize, AAIM 2008",
                  src({alg + "als/als.h", alg + "als/als.cc", alg + "als/dense_kernels.h"})},
                 Als::schema(),
                 factory<Als>()});
    c.push_back({"bayesian_mf",
                 {"factorization",
                  true,
                  false,
                  true,
                  {},
                  "moderate",
                  "Bayesian probabilistic matrix factorization: Gaussian factors with "
                  "Gaussian-Wishart hyperpriors, sampled by Gibbs sampling; the prediction "
                  "averages the samples after burn-in, so there is almost nothing to tune and "
                  "little overfitting even with many factors.",
                  "R. Salakhutdinov, A. Mnih, Bayesian Probabilistic Matrix Factorization using "
                  "Markov Chain Monte Carlo, ICML 2008",
                  src({alg + "bayesian_mf/bayesian_mf.h", alg + "bayesian_mf/bayesian_mf.cc",
                       alg + "als/dense_kernels.h"})},
                 BayesianMf::schema(),
                 factory<BayesianMf>()});
    c.push_back({"mixture_mf",
                 {"factorization",
                  false,
                  true,
                  false,
                  {},
                  "moderate",
                  "Mixture-of-tastes factorization for implicit feedback: each user has several "
                  "taste vectors and attention vectors; an item's score mixes the tastes by a "
                  "softmax of the attention, so users with several distinct interests are not "
                  "averaged into one vector. BPR or logistic loss, Adagrad, sampled negatives.",
                  "M. Kula, Mixture-of-tastes Models for Representing Users with Diverse "
                  "Interests, arXiv:1711.08379, 2017",
                  src({alg + "mixture_mf/mixture_mf.h", alg + "mixture_mf/mixture_mf.cc"})},
                 MixtureMf::schema(),
                 factory<MixtureMf>()});
  }
  // -- implicit feedback (ials/, bpr/, warp/, logistic/)
  {
    const std::string dir = "src/metarec/algorithms/";
    const std::vector<std::string> factor_src = {dir + "common/factor_model.h",
                                                 dir + "common/factor_model.cc"};
    auto srcs = [&](std::vector<std::string> own) {
      own.insert(own.end(), factor_src.begin(), factor_src.end());
      return own;
    };
    c.push_back({"bpr",
                 {"factorization",
                  false,
                  true,
                  false,
                  {},
                  "cheap",
                  "BPR-MF: user and item factors plus item biases trained by SGD to rank each "
                  "user's observed items above sampled unobserved ones (pairwise logistic loss "
                  "on score differences). Negatives are uniform; optionally the highest-scored "
                  "of several candidates (dynamic negative sampling). Users visited in random "
                  "order with all their triples together, Hogwild over threads. A fast, strong "
                  "top-N baseline for clicks and plays.",
                  "S. Rendle, C. Freudenthaler, Z. Gantner, L. Schmidt-Thieme, BPR: Bayesian "
                  "Personalized Ranking from Implicit Feedback, UAI 2009; W. Zhang, T. Chen, J. "
                  "Wang, Y. Yu, Optimizing Top-N Collaborative Filtering via Dynamic Negative "
                  "Item Sampling, SIGIR 2013",
                  srcs({dir + "bpr/bpr.h", dir + "bpr/bpr.cc", dir + "bpr/user_item_mask.h"})},
                 Bpr::schema(),
                 factory<Bpr>()});
    c.push_back({"warp",
                 {"factorization",
                  false,
                  true,
                  false,
                  {},
                  "moderate",
                  "WARP MF: user and item factors plus item biases trained with the Weighted "
                  "Approximate-Rank Pairwise hinge loss: for each positive, negatives are drawn "
                  "until one scores within the margin, and the step is weighted by log of the "
                  "rank estimated from the number of draws, so the top of the list is optimized "
                  "most. Slower per epoch than BPR as the model improves (more draws).",
                  "J. Weston, S. Bengio, N. Usunier, WSABIE: Scaling Up To Large Vocabulary "
                  "Image Annotation, IJCAI 2011",
                  srcs({dir + "warp/warp.h", dir + "warp/warp.cc", dir + "bpr/user_item_mask.h"})},
                 Warp::schema(),
                 factory<Warp>()});
    c.push_back({"logistic_mf",
                 {"factorization",
                  false,
                  true,
                  false,
                  {},
                  "moderate",
                  "Logistic MF: the probability of an interaction is the sigmoid of user-item "
                  "factor products plus biases; observed entries count alpha * value times as "
                  "positives and every unobserved pair as a negative. Alternating full-gradient "
                  "AdaGrad steps over users then items, the dense score blocks through BLAS, so "
                  "each step costs users * items * factors.",
                  "C. C. Johnson, Logistic Matrix Factorization for Implicit Feedback Data, NIPS "
                  "2014 Workshop on Distributed Machine Learning and Matrix Computations",
                  srcs({dir + "logistic_mf/logistic_mf.h", dir + "logistic_mf/logistic_mf.cc"})},
                 LogisticMf::schema(),
                 factory<LogisticMf>()});
  }
  c.push_back({"ials",
               {"factorization",
                false,
                true,
                false,
                {},
                "cheap",
                "Implicit-feedback ALS (weighted matrix factorization): every unobserved cell is "
                "a weak zero, every observed one a positive with confidence 1 + alpha * value; "
                "alternating exact (Cholesky) or conjugate-gradient solves that only touch each "
                "user's own items thanks to a shared Gram matrix. The standard strong baseline "
                "for clicks, plays and purchases.",
                "Y. Hu, Y. Koren, C. Volinsky, Collaborative Filtering for Implicit Feedback "
                "Datasets, ICDM 2008; G. Takacs, I. Pilaszy, D. Tikk, Applications of the "
                "Conjugate Gradient Method for Implicit Feedback Collaborative Filtering, RecSys "
                "2011",
                {"src/metarec/algorithms/ials/ials.h", "src/metarec/algorithms/ials/ials.cc",
                 "src/metarec/algorithms/als/dense_kernels.h",
                 "src/metarec/algorithms/common/factor_model.h",
                 "src/metarec/algorithms/common/factor_model.cc"}},
               Ials::schema(),
               factory<Ials>()});
  // -- factorization machines and linear item-item models (fm/, ease/, slim/, rp3beta/)
  {
    const std::string dir = "src/metarec/algorithms/fm/";
    const std::vector<std::string> fm_src = {dir + "fm.h", dir + "fm.cc", dir + "fm_features.h",
                                             dir + "fm_features.cc", dir + "fm_train.h"};
    auto fm_with = [&](const std::string& extra) {
      std::vector<std::string> s = fm_src;
      s.push_back(dir + extra);
      return s;
    };
    const std::vector<std::string> fm_side = {"genres", "user_attributes", "timestamps"};
    const std::string fm_features =
        " Features: one-hot user and item ids, plus (parameter `features`) item genres "
        "normalized per item, categorical user attributes (numbers bucketed) and time bins. "
        "Ratings: squared loss, predictions clipped to the scale; implicit data: positives "
        "against sampled negatives.";
    c.push_back({"fm",
                 {"factorization machine", true, true, true, fm_side, "cheap",
                  "Factorization machine (degree 2) learned by SGD as in libFM: a global bias, "
                  "one weight per feature and factorized pairwise interactions computed in "
                  "O(k * features)." +
                      fm_features + " Implicit loss BPR or logistic.",
                  "S. Rendle, Factorization Machines, ICDM 2010; S. Rendle, Factorization "
                  "Machines with libFM, ACM TIST 3(3), 2012",
                  fm_with("fm_sgd.cc")},
                 FactorizationMachine::schema(FmSolver::kSgd),
                 [](const Params& p) {
                   return std::make_unique<FactorizationMachine>(FmSolver::kSgd, p);
                 }});
    c.push_back({"fm_als",
                 {"factorization machine", true, true, true, fm_side, "cheap",
                  "Factorization machine learned by alternating least squares (coordinate "
                  "descent): each parameter in turn set to the exact minimizer of the "
                  "regularized squared error with cached residuals; no learning rate." +
                      fm_features,
                  "S. Rendle, Z. Gantner, C. Freudenthaler, L. Schmidt-Thieme, Fast "
                  "Context-aware Recommendations with Factorization Machines, SIGIR 2011",
                  fm_with("fm_coordinate.cc")},
                 FactorizationMachine::schema(FmSolver::kAls),
                 [](const Params& p) {
                   return std::make_unique<FactorizationMachine>(FmSolver::kAls, p);
                 }});
    c.push_back(
        {"fm_mcmc",
         {"factorization machine", true, true, true, fm_side, "moderate",
          "Bayesian factorization machine by Gibbs sampling (libFM's MCMC): parameters "
          "drawn from their conditionals with Gaussian priors whose means and precisions "
          "are sampled per feature group, noise precision sampled too; predictions "
          "average the posterior samples after burn-in. Nearly nothing to tune and "
          "strong rating accuracy." +
              fm_features,
          "C. Freudenthaler, L. Schmidt-Thieme, S. Rendle, Bayesian Factorization "
          "Machines, NIPS 2011 Workshop on Sparse Representation and Low-rank "
          "Approximation; S. Rendle, Factorization Machines with libFM, ACM TIST 3(3), 2012",
          fm_with("fm_coordinate.cc")},
         FactorizationMachine::schema(FmSolver::kMcmc),
         [](const Params& p) {
           return std::make_unique<FactorizationMachine>(FmSolver::kMcmc, p);
         }});
  }
  {
    const std::string dir = "src/metarec/algorithms/";
    const std::vector<std::string> gram_src = {dir + "ease/item_gram.h", dir + "ease/item_gram.cc"};
    const std::vector<std::string> item_item_src = {dir + "common/item_item_model.h",
                                                    dir + "common/item_item_model.cc"};
    auto with = [](std::vector<std::string> a, const std::vector<std::string>& b) {
      a.insert(a.end(), b.begin(), b.end());
      return a;
    };
    c.push_back(
        {"ease",
         {"linear item-item",
          true,
          true,
          false,
          {},
          "moderate",
          "EASE: a dense item-item matrix B with zero diagonal that rebuilds the binarized "
          "interaction matrix (X ~ X B) under an L2 penalty, in closed form from the "
          "inverse of X^T X + lambda I. Very strong top-N accuracy on data with up to a few "
          "tens of thousands of items; memory and time grow as items^2 and items^3.",
          "H. Steck, Embarrassingly Shallow Autoencoders for Sparse Data, WWW 2019",
          with({dir + "ease/ease.h", dir + "ease/ease.cc"}, gram_src)},
         Ease::schema(),
         factory<Ease>()});
    c.push_back({"slim",
                 {"linear item-item",
                  true,
                  true,
                  false,
                  {},
                  "expensive",
                  "SLIM: a sparse non-negative item-item matrix W with zero diagonal, each column "
                  "an elastic net (L1 + L2) regression of one item on all others, solved by "
                  "coordinate descent in parallel over items; the largest weights per item are "
                  "kept. Accurate top-N on binarized data, with sparse interpretable weights.",
                  "X. Ning, G. Karypis, SLIM: Sparse Linear Methods for Top-N Recommender "
                  "Systems, ICDM 2011",
                  with(with({dir + "slim/slim.h", dir + "slim/slim.cc"}, gram_src), item_item_src)},
                 Slim::schema(),
                 factory<Slim>()});
    const std::vector<std::string> rp3_src =
        with({dir + "rp3beta/rp3beta.h", dir + "rp3beta/rp3beta.cc"}, item_item_src);
    c.push_back({"rp3beta",
                 {"graph",
                  true,
                  true,
                  false,
                  {},
                  "cheap",
                  "RP3beta: item-item similarity from 3-step random walks user -> item -> user -> "
                  "item on the interaction graph, transition probabilities raised to alpha and "
                  "each destination divided by its popularity^beta to surface less popular items; "
                  "top-k per item, no training loop. Fast and strong on implicit data.",
                  "B. Paudel, F. Christoffel, C. Newell, A. Bernstein, Updatable, Accurate, "
                  "Diverse, and Scalable Recommendations for Interactive Applications, ACM TiiS "
                  "7(1), 2017",
                  rp3_src},
                 Rp3Beta::schema(true),
                 [](const Params& p) { return std::make_unique<Rp3Beta>(true, p); }});
    c.push_back({"p3alpha",
                 {"graph",
                  true,
                  true,
                  false,
                  {},
                  "cheap",
                  "P3alpha: item-item similarity from 3-step random walks user -> item -> user -> "
                  "item on the interaction graph with transition probabilities raised to alpha "
                  "(RP3beta without the popularity penalty; alpha = 1 is the plain P^3 walk).",
                  "C. Cooper, S. H. Lee, T. Radzik, Y. Siantos, Random Walks in Recommender "
                  "Systems: Exact Computation and Simulations, WWW 2014",
                  rp3_src},
                 Rp3Beta::schema(false),
                 [](const Params& p) { return std::make_unique<Rp3Beta>(false, p); }});
  }
  return c;
}

}  // namespace

const std::vector<AlgorithmInfo>& catalog() {
  static const std::vector<AlgorithmInfo> c = build_catalog();
  return c;
}

const AlgorithmInfo* find_algorithm_or_null(const std::string& name) {
  for (const auto& a : catalog())
    if (a.name == name) return &a;
  return nullptr;
}

const AlgorithmInfo& find_algorithm(const std::string& name) {
  if (const auto* a = find_algorithm_or_null(name)) return *a;
  std::string names;
  for (const auto& a : catalog()) names += (names.empty() ? "" : ", ") + a.name;
  METAREC_THROW(InvalidArgument, "unknown algorithm \"", name, "\"; valid: ", names);
}

std::unique_ptr<Recommender> make_recommender(const std::string& name,
                                              const std::vector<std::string>& params) {
  const AlgorithmInfo& info = find_algorithm(name);
  return info.make(Params::parse(info.schema, params, name));
}

}  // namespace metarec
