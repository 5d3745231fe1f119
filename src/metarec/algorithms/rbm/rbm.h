// Restricted Boltzmann machines for collaborative filtering: R. Salakhutdinov, A. Mnih,
// G. Hinton, "Restricted Boltzmann Machines for Collaborative Filtering", ICML 2007; and the
// explainable variant of B. Abdollahi, O. Nasraoui, "Explainable Restricted Boltzmann Machines for
// Collaborative Filtering", ICML Workshop on Human Interpretability in Machine Learning, 2016.
#pragma once

#include <metarec/algorithms/rbm/rating_levels.h>
#include <metarec/algorithms/recommender.h>
#include <metarec/core/rng.h>

#include <cstdint>
#include <span>
#include <vector>

namespace metarec {

namespace detail {

/// The weights of one RBM shared by all users: L rating levels, F binary hidden units.
/// Row-major: w is n_items x L x F, bv n_items x L, bh F, and d (explainable variant only)
/// n_items x F: the weights from the real-valued explainability inputs to the hidden units.
/// A user's visible layer is one L-way softmax per item they rated (`items`, `levels`, parallel);
/// `cond` (may be empty) holds (item, value) explainability inputs that only condition the
/// hidden units. Energy: E(v, h) = -sum_{i,k} v_ik (bv_ik + sum_j W_ikj h_j) - sum_j h_j (bh_j +
/// sum_c e_c D_cj). All methods are const and thread-safe.
struct RbmNet {
  int32_t n_items = 0;
  int levels = 0, hidden = 0;
  std::vector<float> w, bv, bh, d;

  const float* w_row(int32_t item, int level) const {
    return w.data() + (static_cast<size_t>(item) * levels + level) * hidden;
  }
  /// The hidden inputs bh + sum_t W[i_t, k_t] + sum_c e_c D[c] (size F) into `act`.
  void hidden_input(std::span<const int32_t> items, std::span<const uint8_t> lv,
                    std::span<const int32_t> cond_items, std::span<const float> cond_values,
                    std::span<float> act) const;
  /// p(h_j = 1 | v) for every j into `out` (size F).
  void hidden_probs(std::span<const int32_t> items, std::span<const uint8_t> lv,
                    std::span<const int32_t> cond_items, std::span<const float> cond_values,
                    std::span<float> out) const;
  /// p(v_item = k | h) for every level k into `out` (size L); `h` may be probabilities (mean
  /// field).
  void visible_probs(int32_t item, std::span<const float> h, std::span<float> out) const;
  /// Free energy F(v) = -log sum_h exp(-E(v, h)).
  double free_energy(std::span<const int32_t> items, std::span<const uint8_t> lv,
                     std::span<const int32_t> cond_items, std::span<const float> cond_values) const;
};

/// One user's contrastive-divergence statistics: `vh` (n x L x F, row t for items[t]) holds
/// sum over phase of v_tk p(h_j), `v` (n x L) the visible values, `h` (F) the hidden
/// probabilities. The positive phase has the data's one-hot v; the negative phase the
/// reconstruction after `steps` Gibbs steps (hidden units sampled, intermediate visible units
/// sampled, the last reconstruction kept as probabilities).
struct RbmPhase {
  std::vector<float> vh, v, h;
};

/// Computes the positive and negative phases of CD-`steps` for one user, drawing from `rng`.
/// `scratch` is resized as needed (reuse it across calls to avoid allocation).
void rbm_cd_phases(const RbmNet& net, std::span<const int32_t> items, std::span<const uint8_t> lv,
                   std::span<const int32_t> cond_items, std::span<const float> cond_values,
                   int steps, Rng& rng, RbmPhase& pos, RbmPhase& neg, std::vector<float>& scratch);

}  // namespace detail

/// One RBM per user, all sharing weights: the visible units are L-way softmaxes (one level per
/// distinct training rating value, see rating_levels.h) for the items the user rated; F binary
/// hidden units. Trained by CD-T over mini-batches of users: T grows linearly from 1 to
/// `cd_steps_max` over the epochs; updates v <- m v + lr (grad / batch - decay W), W += v with
/// momentum m = 0.5 for the first 5 epochs then `momentum`. Each user draws from its own stream
/// (seed, epoch, user); within a batch, users run in parallel (OpenMP) into per-user gradient
/// buffers that are summed item by item in user order, so the result does not depend on the
/// thread count and a fixed seed is bit-for-bit repeatable.
///
/// With item_based (the default for "rbm"; I-RBM, markedly better on MovieLens) the roles are
/// swapped: each item is a case whose visible units are its users' ratings. Below, "user" and
/// "item" are for the user-based form.
///
/// The prediction for (u, i) is the expected level value under p(v_i | p_hat), p_hat_j =
/// p(h_j = 1 | u's training ratings) (the paper's mean-field prediction), clipped to the scale.
///
/// The explainable variant ("explainable_rbm") adds, for every item, a real-valued input E_ui =
/// the fraction of u's `neighbors` most cosine-similar users (on the rating vectors) who rated i;
/// these inputs are connected to the hidden units by a learned weight matrix D (trained by the
/// same CD gradient, E_ui (p_data(h_j) - p_model(h_j))), so a user's hidden state, and hence the
/// predictions, lean toward items that the neighbourhood can explain.
///
///   auto m = make_recommender("rbm", {"hidden=100", "epochs=20"});
class Rbm final : public Recommender, public RatingPredictor {
 public:
  static ParamSchema schema(bool explainable);
  Rbm(bool explainable, const Params& p)
      : Recommender(explainable ? "explainable_rbm" : "rbm", p), explainable_(explainable) {}
  /// Predicted ratings of every item.
  void score(int32_t user, std::span<float> out) const override;
  float predict(int32_t user, int32_t item) const override;
  const detail::RbmNet& net() const { return net_; }
  std::span<const float> level_values() const { return levels_.values; }
  /// The explainability scores of `user` (items ascending, values in (0, 1]); empty for "rbm".
  std::vector<std::pair<int32_t, float>> explainability(int32_t user) const;

 private:
  void do_fit(const Interactions& train, const FitContext& ctx) override;
  void do_save(ModelWriter& w) const override;
  void do_load(const ModelReader& r) override;

  bool explainable_;
  bool item_based_ = false;
  detail::RbmNet net_;
  detail::LevelScale levels_;
  std::vector<float> user_hidden_;    // num_users x F: p(h = 1 | training ratings)
  std::vector<float> cold_hidden_;    // F: sigmoid(bh), for users out of range
  std::vector<int64_t> expl_ptr_{0};  // explainability CSR (explainable only)
  std::vector<int32_t> expl_items_;
  std::vector<float> expl_values_;
};

}  // namespace metarec
