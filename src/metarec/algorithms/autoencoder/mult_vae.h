// Mult-VAE and Mult-DAE: autoencoders of a user's whole item row, trained with
// a multinomial log-likelihood over the items (softmax over all of them), for
// implicit feedback.
//
// D. Liang, R. G. Krishnan, M. D. Hoffman, T. Jebara. Variational Autoencoders
// for Collaborative Filtering. WWW 2018.
//
// The network (defaults as in the paper): the user's binary row x (every
// observed entry counts 1, whatever its rating), L2-normalized, dropout 0.5 on
// its entries in training, then
//   h1 = tanh(x W1 + b1)                      items -> hidden (600)
//   VAE: [mu, logvar] = h1 Wq + bq,  z = mu + eps * exp(logvar / 2) in
//   training, z = mu to score DAE: z = tanh(h1 Wq + bq)                 hidden
//   -> latent (200) h2 = tanh(z Wd1 + bd1),  logits = h2 Wd2 + bd2 latent ->
//   hidden -> items
// Loss per user: -sum_i x_i log softmax(logits)_i, plus for the VAE beta *
// KL(q(z|x) || N(0, I)), both averaged over the batch. Adam, lr 1e-3, batches
// of 500 users.
//
// KL annealing: the paper raises beta by 1/200,000 per update up to 0.2. On
// ML-20M (116k training users, 233 updates per epoch, 200 epochs) that reaches
// the cap after about 86% of training. ML-1M has 5.4k training users, 11
// updates per epoch: the same fixed count would leave beta below 0.01 after 150
// epochs, i.e. no KL regularization at all. So the schedule here is relative to
// the run: beta rises linearly with the update count from 0 to `beta_max`,
// reaching it after `anneal_fraction` (default 0.8) of all updates, then stays
// there. That reproduces the paper's shape on ML-20M and scales to any dataset
// size or epoch count.
//
// Speed: the input is sparse, so the first layer is a sparse-times-dense
// product (x W1 costs nnz(x) * hidden, not items * hidden) and its weight
// gradient touches only the rows of the batch's items; the decoder's products
// (batch x hidden x items) go to BLAS through Eigen.
#pragma once

#include <metarec/algorithms/autoencoder/sparse_input.h>
#include <metarec/algorithms/recommender.h>
#include <metarec/nn/layers.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace metarec {

/// Sizes of a Mult-VAE / Mult-DAE network: items -> hidden -> latent -> hidden
/// -> items.
struct MultVaeShape {
  int32_t items = 0;
  int hidden = 600;
  int latent = 200;
  bool variational = true;  ///< false: Mult-DAE
};

/// The network's parameters with a forward pass and the loss's full backward
/// pass over a batch. Not thread-safe during training (one forward/backward at
/// a time, each parallel inside over the batch's rows with `threads` OpenMP
/// threads; products through BLAS). score_row() is const and thread-safe.
/// Exposed for tests.
class MultVaeNetwork {
 public:
  /// One batch's activations (rows = users of the batch).
  struct Pass {
    nn::Matrix h1, q, z, h2, logits;  // logits becomes dL/dlogits in backward()
    nn::Matrix eps;                   // the VAE's noise (batch x latent); empty: z = mu
  };

  /// Weights Glorot-uniform, biases N(0, 0.001^2) (the reference
  /// implementation's init).
  MultVaeNetwork(const MultVaeShape& shape, Rng& rng);

  /// Forward pass of `input` (normalized, dropped-out rows). For the VAE,
  /// `p.eps` (rows x latent) is the reparameterization noise, or empty to use z
  /// = mu. Fills p.h1 ... p.logits.
  void forward(const SparseRows& input, Pass& p, int threads) const;
  /// Loss of the last forward pass against the binary `target` rows: mean over
  /// rows of the multinomial negative log-likelihood, plus beta * the mean KL
  /// term (VAE). With `backward`, adds the gradients with respect to every
  /// parameter to their .grad (overwriting p.logits).
  double loss(const SparseRows& input, const SparseRows& target, float beta, Pass& p, bool backward,
              int threads);
  /// Logits of one user from their items (no dropout, z = mu): `out` has size
  /// items. Thread-safe.
  void score_row(std::span<const int32_t> items, std::span<float> out) const;

  /// W1, b1, Wq, bq, Wd1, bd1, Wd2, bd2 (weights are in x out, row-major).
  std::vector<nn::Parameter*> parameters();
  /// The weights only (W1, Wq, Wd1, Wd2): what the L2 penalty applies to.
  std::vector<nn::Parameter*> weights();

  MultVaeShape shape;
  nn::Parameter w1, b1, wq, bq, wd1, bd1, wd2, bd2;

 private:
  SparseRowGradient dw1_;  // scratch of dW1
};

/// How a network is trained (the catalog parameters).
struct MultVaeTraining {
  int epochs = 100;
  int batch = 500;
  float learning_rate = 1e-3f;
  float dropout = 0.5f;
  float beta_max = 0.2f;         ///< VAE only
  float anneal_fraction = 0.8f;  ///< VAE only: share of all updates over which beta reaches max
  float l2 = 0;                  ///< l2 * sum of squared weights added to the loss
  /// Called after each epoch (0-based) with the progress message ("epoch N loss L"); training
  /// stops when it returns false. When set, it reports the epoch's progress instead of
  /// train_mult_vae. May be empty.
  std::function<bool(int, const std::string&)> after_epoch;
};

/// Trains `net` on the rows of the users of `train` that have entries: each
/// epoch shuffles them, cuts batches and takes one Adam step per batch.
/// Randomness (order, dropout, noise) comes from one Rng in order, so a fixed
/// seed gives the same model with one thread (bit for bit) and within rounding
/// with more (BLAS and row-parallel loops split sums differently only in BLAS's
/// own blocking). Returns the mean loss of the last epoch.
double train_mult_vae(MultVaeNetwork& net, const Interactions& train, const MultVaeTraining& cfg,
                      const FitContext& ctx, uint64_t seed);

/// Mult-VAE ("mult_vae") or Mult-DAE ("mult_dae") as a catalog member. score()
/// returns the logits (the softmax is monotone); users without training entries
/// get the logits of an empty row (a learned popularity-like fallback).
/// score_new_user() folds in an unseen user from their items (values ignored:
/// the model is binary).
///
///   auto m = make_recommender("mult_vae", {"epochs=100"});
///   m->fit(train, ctx);  auto top = recommend(*m, user, 10);
class MultVae final : public Recommender, public FoldIn {
 public:
  static ParamSchema schema(bool variational);
  MultVae(bool variational, const Params& p);
  ~MultVae() override;

  void score(int32_t user, std::span<float> out) const override;
  void score_new_user(std::span<const int32_t> items, std::span<const float> values,
                      std::span<float> out) const override;
  const MultVaeNetwork& network() const;
  /// The epoch early stopping chose in the last fit (1-based); 0 without early stopping.
  int best_epoch() const { return best_epoch_; }

 private:
  void do_fit(const Interactions& train, const FitContext& ctx) override;
  void do_save(ModelWriter& w) const override;
  void do_load(const ModelReader& r) override;
  MultVaeShape shape_for(int32_t items) const;

  bool variational_;
  std::unique_ptr<MultVaeNetwork> net_;
  int best_epoch_ = 0;
};

}  // namespace metarec
