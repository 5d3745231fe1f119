// CDAE: the Collaborative Denoising Auto-Encoder, a one-hidden-layer denoising
// autoencoder of a user's binary item row with a per-user input node, trained
// on the user's positives and sampled negatives, for implicit feedback.
//
// Y. Wu, C. DuBois, A. X. Zheng, M. Ester. Collaborative Denoising Auto-Encoders
// for Top-N Recommender Systems. WSDM 2016.
//
// For user u with binary row y_u (every observed entry counts 1, whatever its
// rating):
//   x = y_u corrupted: each entry dropped with probability q, the survivors
//       scaled by 1 / (1 - q) (training only)
//   h = sigmoid(x W + V_u + b)         items -> hidden (50), V_u the user's node
//   o_i = W'_i . h + b'_i,  y_hat_i = sigmoid(o_i)        hidden -> items
// Loss of a batch of users: the mean over its users of the logistic loss
// (binary cross-entropy) summed over the user's positives (label 1) and
// `negatives` items per positive drawn uniformly from the user's unobserved
// items (label 0, drawn afresh every epoch: the paper's negative sampling),
// plus l2 * |V_u|^2 for each user of the batch (also averaged) and
// l2 * (|W|^2 + |W'|^2). Adam on mini-batches of users.
//
// Only the sampled outputs are computed in training, and the input is sparse,
// so an epoch costs O(nnz * (1 + negatives) * hidden).
//
// Scoring a training user uses their V_u and their uncorrupted row. A user not
// seen in training (fold-in, score_new_user) has no V_u: it is taken as 0, so
// the hidden layer depends on their items only.
#pragma once

#include <metarec/algorithms/autoencoder/sparse_input.h>
#include <metarec/algorithms/recommender.h>
#include <metarec/nn/layers.h>

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace metarec {

/// Sizes of a CDAE network.
struct CdaeShape {
  int32_t items = 0;
  int32_t users = 0;
  int hidden = 50;
};

/// The network's parameters with the loss and its full backward pass over a
/// batch. loss() is not thread-safe (one at a time, parallel inside over the
/// batch's rows with `threads` OpenMP threads; the gradient does not depend on
/// the thread count). score_row() is const and thread-safe. Exposed for tests.
class CdaeNetwork {
 public:
  /// W, W' (items x hidden) Glorot-uniform; V (users x hidden) zero; b, b'
  /// N(0, 0.001^2).
  CdaeNetwork(const CdaeShape& shape, Rng& rng);

  /// Loss of a batch: row r has the (corrupted) input `in` row r, the user
  /// users[r] (-1: none, V_u = 0) and the sampled outputs of `target` row r,
  /// whose values are the labels (1 positive, 0 negative). Returns the mean
  /// over rows of the summed logistic loss, plus the L2 terms above with
  /// weight `l2`. With `backward`, adds the gradient of that whole loss with
  /// respect to every parameter to their .grad.
  double loss(const SparseRows& in, std::span<const int32_t> users, const SparseRows& target,
              float l2, bool backward, int threads);
  /// The logits o of every item for a user with `items` (uncorrupted) and
  /// user index `user` (-1: V_u = 0); `out` has size items. Thread-safe.
  void score_row(std::span<const int32_t> items, int32_t user, std::span<float> out) const;

  /// W, V, b, W', b' (W and W' are items x hidden, row-major by item).
  std::vector<nn::Parameter*> parameters() { return {&w, &v, &b, &w_out, &b_out}; }

  CdaeShape shape;
  nn::Parameter w, v, b, w_out, b_out;

 private:
  nn::Matrix h_, dpre_;
  SparseRows dout_;  // the sampled outputs with dL/do as values
  SparseRowGradient dw_, dw_out_;
};

/// How a CDAE network is trained (the catalog parameters).
struct CdaeTraining {
  int epochs = 30;
  int batch = 64;
  float learning_rate = 5e-3f;
  float corruption = 0.2f;
  int negatives = 5;
  float l2 = 1e-5f;
};

/// Trains `net` on the users of `train` that have entries: each epoch shuffles
/// them, cuts batches, corrupts each row and draws its negatives, and takes one
/// Adam step per batch. All randomness comes from one Rng in order, so a fixed
/// seed gives the same model bit for bit with any thread count. Returns the
/// mean batch loss of the last epoch.
double train_cdae(CdaeNetwork& net, const Interactions& train, const CdaeTraining& cfg,
                  const FitContext& ctx, uint64_t seed);

/// CDAE as a catalog member ("cdae"). score() returns the logits o (the
/// sigmoid is monotone); users without training entries are scored from an
/// empty row with their V_u. score_new_user() folds in an unseen user from
/// their items with V_u = 0 (values ignored: the model is binary).
///
///   auto m = make_recommender("cdae", {"hidden=50", "negatives=5"});
///   m->fit(train, ctx);  auto top = recommend(*m, user, 10);
class Cdae final : public Recommender, public FoldIn {
 public:
  static ParamSchema schema();
  explicit Cdae(const Params& p);
  ~Cdae() override;

  void score(int32_t user, std::span<float> out) const override;
  void score_new_user(std::span<const int32_t> items, std::span<const float> values,
                      std::span<float> out) const override;
  const CdaeNetwork& network() const;

 private:
  void do_fit(const Interactions& train, const FitContext& ctx) override;
  void do_save(ModelWriter& w) const override;
  void do_load(const ModelReader& r) override;

  std::unique_ptr<CdaeNetwork> net_;
};

}  // namespace metarec
