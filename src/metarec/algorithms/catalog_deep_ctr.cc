// Catalog entries of the deep CTR models over the factorization machine's sparse features
// (Wide&Deep, DeepFM, NFM, xDeepFM).
#include <metarec/algorithms/catalog_entries.h>
#include <metarec/algorithms/deep_ctr/deep_ctr.h>

namespace metarec::detail {

void add_deep_ctr_models(std::vector<AlgorithmInfo>& c) {
  const std::string dir = "src/metarec/algorithms/deep_ctr/";
  const std::vector<std::string> src = {dir + "deep_ctr.h",
                                        dir + "deep_ctr.cc",
                                        dir + "deep_ctr_network.cc",
                                        dir + "deep_ctr_train.cc",
                                        "src/metarec/algorithms/fm/fm_features.h",
                                        "src/metarec/nn/embedding.h",
                                        "src/metarec/nn/mlp.h",
                                        "src/metarec/nn/optim.h"};
  const std::vector<std::string> side = {"genres", "user_attributes", "timestamps"};
  const std::string common =
      " Inputs are the factorization machine's sparse features (user and item ids, genres, user "
      "attributes, time bins), one field per feature group. Ratings: squared loss, predictions "
      "clipped to the scale; implicit feedback: binary cross-entropy on positives and sampled "
      "negatives. Adam (lazy on the embedding rows of a mini-batch), Hogwild threads over "
      "mini-batches.";
  auto add = [&](DeepCtrVariant v, const std::string& description, const std::string& paper) {
    c.push_back({deep_ctr_name(v),
                 {"neural", true, true, true, side, "expensive", description + common, paper, src},
                 DeepCtr::schema(v),
                 [v](const Params& p) { return std::make_unique<DeepCtr>(v, p); }});
  };
  add(DeepCtrVariant::kWideDeep,
      "Wide & Deep: a linear model over the sparse features (the wide part) plus a ReLU network "
      "over the concatenated field embeddings (the deep part), trained jointly.",
      "H.-T. Cheng et al., Wide & Deep Learning for Recommender Systems, DLRS 2016");
  add(DeepCtrVariant::kDeepFm,
      "DeepFM: a factorization machine (linear and pairwise terms) plus a ReLU network over the "
      "same field embeddings, summed into one output.",
      "H. Guo, R. Tang, Y. Ye, Z. Li, X. He, DeepFM: A Factorization-Machine based Neural "
      "Network for CTR Prediction, IJCAI 2017");
  add(DeepCtrVariant::kNfm,
      "NFM: a linear part plus a ReLU network over bi-interaction pooling (the element-wise sum "
      "of all pairwise products of the feature embeddings), which generalizes the FM's "
      "second-order term.",
      "X. He, T.-S. Chua, Neural Factorization Machines for Sparse Predictive Analytics, SIGIR "
      "2017");
  add(DeepCtrVariant::kXDeepFm,
      "xDeepFM: a linear part, a compressed interaction network (explicit vector-wise feature "
      "interactions of increasing order, sum-pooled per feature map) and a ReLU network over the "
      "field embeddings.",
      "J. Lian, X. Zhou, F. Zhang, Z. Chen, X. Xie, G. Sun, xDeepFM: Combining Explicit and "
      "Implicit Feature Interactions for Recommender Systems, KDD 2018");
}

}  // namespace metarec::detail
