// Catalog entries of the neural models (the NCF family).
#include <metarec/algorithms/catalog_entries.h>
#include <metarec/algorithms/ncf/ncf.h>

namespace metarec::detail {

void add_neural_models(std::vector<AlgorithmInfo>& c) {
  const std::string dir = "src/metarec/algorithms/ncf/";
  const std::vector<std::string> ncf_src = {
      dir + "ncf.h",           dir + "ncf.cc",           dir + "ncf_train.cc",
      dir + "ncf_diversity.h", dir + "ncf_diversity.cc", "src/metarec/nn/embedding.h",
      "src/metarec/nn/mlp.h",  "src/metarec/nn/optim.h"};
  const std::string paper =
      "X. He, L. Liao, H. Zhang, L. Nie, X. Hu, T.-S. Chua, Neural Collaborative Filtering, "
      "WWW 2017";
  const std::string training =
      " Trained on implicit feedback: every positive with `negatives` uniformly sampled "
      "unobserved items (fresh each epoch), binary cross-entropy, mini-batches, Adam that updates "
      "only the embedding rows in the batch and gives each row the moves dense Adam would have "
      "made on the steps it missed (`embedding_adam`), Hogwild threads over mini-batches. Optional "
      "genre-diversity penalty on each user's top-10 when items have genres.";
  auto add = [&](NcfVariant v, const std::string& description) {
    c.push_back({ncf_name(v),
                 {"neural",
                  false,
                  true,
                  false,
                  {"genres"},
                  "expensive",
                  description + training,
                  paper,
                  ncf_src},
                 Ncf::schema(v),
                 [v](const Params& p) { return std::make_unique<Ncf>(v, p); }});
  };
  add(NcfVariant::kGmf,
      "GMF (NCF's generalized matrix factorization): user and item embeddings multiplied "
      "element-wise, a learned linear output and a sigmoid: matrix factorization with a learned "
      "weight per latent dimension.");
  add(NcfVariant::kMlp,
      "NCF's MLP: user and item embeddings concatenated and passed through a tower of ReLU "
      "layers, widest first (factors * 2^(layers-1) down to factors), then a linear output: "
      "learns non-linear user-item interactions.");
  add(NcfVariant::kNeuMf,
      "NeuMF: GMF and MLP with separate embeddings, their last layers concatenated before one "
      "output layer; by default initialized from separately pretrained GMF and MLP (outputs "
      "mixed half and half) and fine-tuned.");
}

}  // namespace metarec::detail
