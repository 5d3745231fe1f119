// Catalog entries of the rating models: neighbourhood, matrix factorization, ALS and the
// other explicit-feedback factor models.
#include <metarec/algorithms/als/als.h>
#include <metarec/algorithms/bayesian_mf/bayesian_mf.h>
#include <metarec/algorithms/catalog_entries.h>
#include <metarec/algorithms/co_clustering/co_clustering.h>
#include <metarec/algorithms/knn/item_knn.h>
#include <metarec/algorithms/knn/knn_rating.h>
#include <metarec/algorithms/knn/user_knn.h>
#include <metarec/algorithms/mf/nmf.h>
#include <metarec/algorithms/mf/seed_cf.h>
#include <metarec/algorithms/mf/side_mf.h>
#include <metarec/algorithms/mf/svd.h>
#include <metarec/algorithms/mf/svdpp.h>
#include <metarec/algorithms/mf/timesvd.h>
#include <metarec/algorithms/mixture_mf/mixture_mf.h>
#include <metarec/algorithms/slope_one/slope_one.h>

namespace metarec::detail {

void add_rating_models(std::vector<AlgorithmInfo>& c) {
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
}

}  // namespace metarec::detail
