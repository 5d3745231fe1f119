// Catalog entries of the autoencoder recommenders (Mult-VAE, Mult-DAE,
// I-AutoRec, U-AutoRec, CDAE, DeepRec, SVAE).
#include <metarec/algorithms/autoencoder/autorec.h>
#include <metarec/algorithms/autoencoder/cdae.h>
#include <metarec/algorithms/autoencoder/deeprec.h>
#include <metarec/algorithms/autoencoder/mult_vae.h>
#include <metarec/algorithms/autoencoder/svae.h>
#include <metarec/algorithms/catalog_entries.h>

namespace metarec::detail {

void add_autoencoder_models(std::vector<AlgorithmInfo>& c) {
  const std::string dir = "src/metarec/algorithms/autoencoder/";
  const std::vector<std::string> vae_src = {dir + "mult_vae.h",        dir + "mult_vae.cc",
                                            dir + "sparse_input.h",    dir + "sparse_input.cc",
                                            "src/metarec/nn/layers.h", "src/metarec/nn/train.h"};
  const std::string vae_paper =
      "D. Liang, R. G. Krishnan, M. D. Hoffman, T. "
      "Jebara, Variational Autoencoders for "
      "Collaborative Filtering, WWW 2018";
  const std::string common =
      " Input: the user's whole binary item row, L2-normalized, with dropout "
      "on its entries in "
      "training; one tanh hidden layer each side; output: a softmax over all "
      "items trained with "
      "the multinomial log-likelihood; Adam over batches of users. Scores new "
      "users from their "
      "items without refitting (fold-in), so it serves strong generalization.";
  c.push_back({"mult_vae",
               {"autoencoder",
                true,
                true,
                false,
                {},
                "expensive",
                "Mult-VAE: a variational autoencoder of user item rows (encoder to a "
                "Gaussian "
                "latent code, reparameterized sample, decoder to item logits), with "
                "the KL term "
                "weighted by beta annealed linearly to beta_max over a share of the "
                "training." +
                    common,
                vae_paper,
                vae_src},
               MultVae::schema(true),
               [](const Params& p) { return std::make_unique<MultVae>(true, p); }});
  c.push_back({"mult_dae",
               {"autoencoder",
                true,
                true,
                false,
                {},
                "expensive",
                "Mult-DAE: the denoising autoencoder counterpart of Mult-VAE (a "
                "deterministic "
                "tanh latent code, no KL term); the input dropout is the denoising "
                "corruption." +
                    common,
                vae_paper,
                vae_src},
               MultVae::schema(false),
               [](const Params& p) { return std::make_unique<MultVae>(false, p); }});
  c.push_back(
      {"svae",
       {"autoencoder",
        true,
        true,
        false,
        {"timestamps"},
        "expensive",
        "SVAE: a sequential variational autoencoder. The user's items in time order (a user "
        "without distinct timestamps, or every user with order=shuffled, is trained in a fresh "
        "random order each epoch and scored in a fixed pseudo-random order: a set model) pass "
        "through an item embedding and a GRU; after each item a Gaussian latent code (mean "
        "and log-variance from a tanh layer of the GRU state; a reparameterized sample in "
        "training, the mean to score) is decoded through a tanh layer to logits over all items, "
        "trained with the multinomial log-likelihood of the next next_k items plus the KL term "
        "weighted by beta annealed linearly to beta_max (as Mult-VAE). Backpropagation through "
        "the whole history (cut to the latest max_length items); Adam over batches of users, "
        "lazy Adam on the embedding rows. Scores a user from the GRU state after their last "
        "item; folds in new users from their items, in time order when they carry timestamps.",
        "N. Sachdeva, G. Manco, E. Ritacco, V. Pudi, Sequential Variational Autoencoders for "
        "Collaborative Filtering, WSDM 2019",
        {dir + "svae.h", dir + "svae.cc", "src/metarec/algorithms/history_fold_in.h",
         "src/metarec/nn/gru.h", "src/metarec/nn/gru.cc", "src/metarec/nn/mlp.h",
         "src/metarec/nn/embedding.h", "src/metarec/nn/train.h"}},
       Svae::schema(),
       [](const Params& p) { return std::make_unique<Svae>(p); }});
  c.push_back({"cdae",
               {"autoencoder",
                true,
                true,
                false,
                {},
                "moderate",
                "CDAE: a denoising autoencoder of the user's binary item row (entries dropped "
                "with probability q, survivors scaled by 1/(1-q)) with a per-user input node "
                "V_u added to the sigmoid hidden layer, and a sigmoid output per item trained "
                "with the logistic loss on the user's positives and sampled unobserved items "
                "(negatives per positive, drawn afresh each epoch), L2 on all weights; Adam over "
                "batches of users. Ratings count as implicit positives. Scores new users from "
                "their items without refitting (fold-in, with V_u = 0).",
                "Y. Wu, C. DuBois, A. X. Zheng, M. Ester, Collaborative Denoising Auto-Encoders "
                "for Top-N Recommender Systems, WSDM 2016",
                {dir + "cdae.h", dir + "cdae.cc", dir + "sparse_input.h", dir + "sparse_input.cc",
                 "src/metarec/nn/layers.h", "src/metarec/nn/train.h"}},
               Cdae::schema(),
               [](const Params& p) { return std::make_unique<Cdae>(p); }});
  const std::vector<std::string> autorec_src = {
      dir + "autorec.h", dir + "autorec.cc", "src/metarec/nn/layers.h", "src/metarec/nn/train.h"};
  const std::string autorec_paper =
      "S. Sedhain, A. K. Menon, S. Sanner, L. Xie, AutoRec: Autoencoders Meet "
      "Collaborative "
      "Filtering, WWW 2015";
  const std::string autorec_common =
      " One sigmoid hidden layer, identity output; the loss covers only the "
      "observed ratings "
      "(unobserved inputs are zero and their outputs get no gradient), plus an "
      "L2 penalty on the "
      "weights; Adam over mini-batches. Predicts ratings, clipped to the "
      "training scale.";
  for (bool item_based : {true, false}) {
    c.push_back(
        {item_based ? "i_autorec" : "u_autorec",
         {"autoencoder",
          true,
          false,
          true,
          {},
          "moderate",
          std::string(item_based ? "I-AutoRec: an autoencoder of each item's vector of user "
                                   "ratings; a rating is read off the reconstruction of the "
                                   "item's vector at the user."
                                 : "U-AutoRec: an autoencoder of each user's vector of item "
                                   "ratings; a rating is read off the reconstruction of the "
                                   "user's vector at the item.") +
              autorec_common,
          autorec_paper,
          autorec_src},
         AutoRec::schema(),
         [item_based](const Params& p) { return std::make_unique<AutoRec>(item_based, p); }});
  }
  c.push_back(
      {"deeprec_ae",
       {"autoencoder",
        true,
        false,
        true,
        {},
        "expensive",
        "DeepRec: a deep autoencoder of each user's vector of item ratings (encoder "
        "widths `layers`, the decoder their mirror image, own or tied weights), SELU "
        "activations, heavy dropout on the code layer, a linear output; the masked MSE "
        "counts only the observed ratings; dense re-feeding takes a second step per "
        "batch with the reconstruction f(x) as input and target. SGD with momentum (or "
        "Adam) over batches of users. Predicts ratings, clipped to the training "
        "scale (cold users: the item's mean; cold items: the user's), and folds in new "
        "users from their ratings.",
        "O. Kuchaiev, B. Ginsburg, Training Deep AutoEncoders for Collaborative "
        "Filtering, arXiv:1708.01715, 2017",
        {dir + "deeprec.h", dir + "deeprec.cc", dir + "deeprec_network.cc", dir + "sparse_input.h",
         dir + "sparse_input.cc", "src/metarec/nn/activations.h", "src/metarec/nn/train.h"}},
       DeepRecAe::schema(),
       [](const Params& p) { return std::make_unique<DeepRecAe>(p); }});
}

}  // namespace metarec::detail
