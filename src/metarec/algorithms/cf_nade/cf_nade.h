// CF-NADE: Y. Zheng, B. Tang, W. Ding, H. Zhou, "A Neural Autoregressive Approach to
// Collaborative Filtering", ICML 2016.
#pragma once

#include <metarec/algorithms/rbm/rating_levels.h>
#include <metarec/algorithms/recommender.h>

#include <cstdint>
#include <span>
#include <vector>

namespace metarec {

namespace detail {

/// CF-NADE's shared parameters: L rating levels, H hidden units. Row-major: w (input weights)
/// and v (output weights) are n_items x L x H, b n_items x L, c H. With the paper's sharing
/// across levels, a rating at level r feeds sum_{m <= r} W[i, m] into the hidden layer and the
/// score of level k for item i is s_k = sum_{m <= k} (b[i, m] + V[i, m] . h).
struct CfNadeNet {
  int32_t n_items = 0;
  int levels = 0, hidden = 0;
  std::vector<float> w, v, b, c;

  /// h = tanh(c + sum_t sum_{m <= lv_t} W[items_t, m]) into `h` (size H).
  void hidden_state(std::span<const int32_t> items, std::span<const uint8_t> lv,
                    std::span<float> h) const;
  /// p(r_item = level k | h) for every k into `out` (size L).
  void level_probs(int32_t item, std::span<const float> h, std::span<float> out) const;
};

/// The gradient of one user's cost w.r.t. what it touches: `dv` (outputs x L x H, row t for
/// output t), `db` (outputs x L) and `da` (H), the gradient w.r.t. the hidden pre-activation,
/// which is the gradient of every input row W[i_t, m <= lv_t] and of c.
struct CfNadeUserGrad {
  std::vector<float> dv, db, da;
};

/// One user's cost given the ordering split: the ratings (`in_items`, `in_lv`) are the context,
/// and the cost is `scale` x sum over the outputs of (1 - lambda) C_reg + lambda C_ord, with
/// C_reg = -log p(r = level) under the softmax of the scores and C_ord the paper's ordinal cost
/// (the level must win the softmax over the levels below it and over the levels above it, at
/// every step). Returns the cost; fills `g` when not null. `h` is scratch of size H.
double cf_nade_user_cost(const CfNadeNet& net, std::span<const int32_t> in_items,
                         std::span<const uint8_t> in_lv, std::span<const int32_t> out_items,
                         std::span<const uint8_t> out_lv, double scale, double lambda,
                         CfNadeUserGrad* g, std::vector<float>& h);

}  // namespace detail

/// CF-NADE with one tanh hidden layer. Each epoch visits the users in a random order; for each,
/// its ratings are put in a fresh random order and split at a uniform point d: the first d are
/// the context, the rest are predicted, with the cost scaled by D / (D - d) (an unbiased
/// estimate of the cost over all orderings and positions). Mini-batches of users; Adam updates
/// the rows of the items in the batch only (lazy; L2 `weight_decay` added to those rows'
/// gradients). Users of a batch run in parallel into per-user gradient buffers that are summed
/// item by item in user order, so the result does not depend on the thread count.
///
/// With item_based (the default; the paper's I-CF-NADE, its best variant) the roles are swapped:
/// each item is a case whose "ratings" are its users' ratings, and the network has one input and
/// one output row per user. Below, "user" and "item" are for the user-based form.
///
/// Prediction: h from all of the user's training ratings, then the expected level value under
/// the softmax of the scores, clipped to the scale. Levels as rating_levels.h (the distinct
/// training ratings; a finer or continuous scale is quantized to `max_levels` even steps).
///
///   auto m = make_recommender("cf_nade", {"hidden=100", "epochs=20"});
class CfNade final : public Recommender, public RatingPredictor {
 public:
  static ParamSchema schema();
  explicit CfNade(const Params& p) : Recommender("cf_nade", p) {}
  void score(int32_t user, std::span<float> out) const override;
  float predict(int32_t user, int32_t item) const override;
  const detail::CfNadeNet& net() const { return net_; }

 private:
  void do_fit(const Interactions& train, const FitContext& ctx) override;
  void do_save(ModelWriter& w) const override;
  void do_load(const ModelReader& r) override;

  detail::CfNadeNet net_;
  detail::LevelScale levels_;
  bool item_based_ = false;
  std::vector<float> user_hidden_;  // rows (users, or items if item_based) x H
  std::vector<float> cold_hidden_;  // tanh(c)
};

}  // namespace metarec
