// WARP: matrix factorization trained with the Weighted Approximate-Rank Pairwise loss.
//
// J. Weston, S. Bengio, N. Usunier. WSABIE: Scaling Up To Large Vocabulary Image Annotation.
// IJCAI 2011.
#pragma once

#include <metarec/algorithms/common/factor_model.h>

namespace metarec {

/// The WARP step's regularization: `reg` on p_u, q_i, q_j and `reg_bias` on b_i, b_j.
struct WarpRegularization {
  float reg = 0;
  float reg_bias = 0;
};

/// The objective one WARP step descends, for a violating negative j of positive i:
///   x_ui = b_i + <p_u, q_i>,  x_uj = b_j + <p_u, q_j>
///   loss = weight * (margin - x_ui + x_uj) + reg/2 (|p_u|^2 + |q_i|^2 + |q_j|^2)
///          + reg_bias/2 (b_i^2 + b_j^2),
/// where weight = log(floor((n_items - 1) / trials)) estimates the rank of i from the number of
/// trials it took to find j. Exposed for the tests' numerical gradient.
double warp_step_loss(const float* pu, const float* qi, const float* qj, float bi, float bj, int k,
                      float weight, float margin, const WarpRegularization& r);

/// One gradient step on warp_step_loss (all gradients at the parameters before the step).
inline void warp_step(float* pu, float* qi, float* qj, float* bi, float* bj, int k, float lr,
                      float weight, const WarpRegularization& r) {
  const float g = lr * weight;
  for (int f = 0; f < k; ++f) {
    const float p = pu[f], a = qi[f], b = qj[f];
    pu[f] = p + g * (a - b) - lr * r.reg * p;
    qi[f] = a + g * p - lr * r.reg * a;
    qj[f] = b - g * p - lr * r.reg * b;
  }
  *bi += g - lr * r.reg_bias * *bi;
  *bj += -g - lr * r.reg_bias * *bj;
}

/// The rank-based weight log(floor((n_items - 1) / trials)) (0 when that floor is below 1).
float warp_weight(int32_t n_items, int32_t trials);

/// WARP MF: score(u, i) = b_i + <p_u, q_i>. For each sampled positive (u, i) negatives are drawn
/// until one violates the margin (x_uj > x_ui - margin) or `max_trials` are spent; a violation
/// found after N trials triggers warp_step with weight log(floor((n_items - 1) / N)), so
/// positives ranked low (violations found fast) move most. As in WSABIE, factor vectors are
/// projected back onto a ball of radius `max_norm` after each step: the hinge alone lets norms
/// grow until margins hold everywhere, which memorizes the training positives. As in Bpr, users
/// are visited in random order with all their positives together, in blocks with their own random
/// streams: one thread is repeatable, more threads run Hogwild-style from 32,768 items up
/// (item_hogwild_threads).
class Warp final : public FactorModel {
 public:
  static ParamSchema schema();
  explicit Warp(const Params& p) : FactorModel("warp", p) {}

 private:
  void do_fit(const Interactions& train, const FitContext& ctx) override;
};

}  // namespace metarec
