// Catalog entries of the implicit-feedback factor models, factorization machines and the
// linear and graph item-item models.
#include <metarec/algorithms/bpr/bpr.h>
#include <metarec/algorithms/catalog_entries.h>
#include <metarec/algorithms/ease/ease.h>
#include <metarec/algorithms/fm/fm.h>
#include <metarec/algorithms/hybrid/hybrid.h>
#include <metarec/algorithms/ials/ials.h>
#include <metarec/algorithms/logistic_mf/logistic_mf.h>
#include <metarec/algorithms/rp3beta/rp3beta.h>
#include <metarec/algorithms/slim/slim.h>
#include <metarec/algorithms/warp/warp.h>

namespace metarec::detail {

void add_ranking_models(std::vector<AlgorithmInfo>& c) {
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
                  "order with all their triples together, Hogwild over threads from 32,768 "
                  "items (smaller catalogues train on one thread, which is faster there). A "
                  "fast, strong top-N baseline for clicks and plays.",
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
    c.push_back({"hybrid",
                 {"hybrid",
                  true,
                  true,
                  false,
                  {},
                  "moderate",
                  "A combination of other catalog members, each with its own parameters. "
                  "Weighted: the members' scores, standardized per user, mixed with the given "
                  "weights. Switching: users with few training items go to the second member "
                  "(e.g. popularity or a content model), everyone else to the first. Predicts "
                  "ratings when every member does. Costs the sum of its members.",
                  "R. Burke, Hybrid Recommender Systems: Survey and Experiments, User Modeling "
                  "and User-Adapted Interaction 12(4), 2002",
                  {dir + "hybrid/hybrid.h", dir + "hybrid/hybrid.cc"}},
                 Hybrid::schema(),
                 make_hybrid});
  }
}

}  // namespace metarec::detail
