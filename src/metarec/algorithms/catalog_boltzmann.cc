// Catalog entries of the Boltzmann family: RBMs for collaborative filtering and CF-NADE.
#include <metarec/algorithms/catalog_entries.h>
#include <metarec/algorithms/cf_nade/cf_nade.h>
#include <metarec/algorithms/rbm/rbm.h>

namespace metarec::detail {

void add_boltzmann_models(std::vector<AlgorithmInfo>& c) {
  const std::string dir = "src/metarec/algorithms/rbm/";
  const std::vector<std::string> rbm_src = {dir + "rbm.h", dir + "rbm.cc", dir + "rating_levels.h",
                                            dir + "rating_levels.cc"};
  c.push_back(
      {"rbm",
       {"neural",
        true,
        false,
        true,
        {},
        "moderate",
        "Restricted Boltzmann machine for ratings: one RBM per user with shared weights, a softmax "
        "visible unit over the rating levels for each rated item and binary hidden units; trained "
        "by contrastive divergence (CD-1 growing to CD-T) with momentum and weight decay over "
        "mini-batches of users; predicts the expected rating under the visible softmax given the "
        "user's mean-field hidden state.",
        "R. Salakhutdinov, A. Mnih, G. Hinton, Restricted Boltzmann Machines for Collaborative "
        "Filtering, ICML 2007",
        rbm_src},
       Rbm::schema(false),
       [](const Params& p) { return std::make_unique<Rbm>(false, p); }});
  c.push_back(
      {"explainable_rbm",
       {"neural",
        true,
        false,
        true,
        {},
        "moderate",
        "Explainable RBM: the rating RBM with an extra real-valued input per item, the fraction "
        "of the user's nearest neighbours (cosine on ratings) who rated it, connected to the "
        "hidden units by learned weights, so that the hidden state and the predictions favour "
        "items the neighbourhood can explain; the scores are kept as explanations.",
        "B. Abdollahi, O. Nasraoui, Explainable Restricted Boltzmann Machines for Collaborative "
        "Filtering, ICML Workshop on Human Interpretability in Machine Learning, 2016",
        rbm_src},
       Rbm::schema(true),
       [](const Params& p) { return std::make_unique<Rbm>(true, p); }});
  c.push_back(
      {"cf_nade",
       {"neural",
        true,
        false,
        true,
        {},
        "expensive",
        "CF-NADE: a neural autoregressive model of each user's ratings, item by item in a random "
        "order; one tanh hidden layer shared by all users with weights shared across rating "
        "levels (a rating k uses the sums of the level-1..k weights), trained on random ordering "
        "splits with the hybrid softmax/ordinal cost and Adam; predicts the expected rating given "
        "all of the user's training ratings.",
        "Y. Zheng, B. Tang, W. Ding, H. Zhou, A Neural Autoregressive Approach to Collaborative "
        "Filtering, ICML 2016",
        {"src/metarec/algorithms/cf_nade/cf_nade.h", "src/metarec/algorithms/cf_nade/cf_nade.cc",
         dir + "rating_levels.h", dir + "rating_levels.cc"}},
       CfNade::schema(),
       detail::factory<CfNade>()});
}

}  // namespace metarec::detail
