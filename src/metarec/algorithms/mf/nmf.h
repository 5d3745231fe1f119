// Non-negative matrix factorization of ratings by regularized multiplicative updates over the
// observed entries only (X. Luo, M. Zhou, Y. Xia, Q. Zhu, "An Efficient Non-Negative
// Matrix-Factorization-Based Approach to Collaborative Filtering for Recommender Systems", IEEE
// Trans. Industrial Informatics 10(2), 2014), as in Surprise's NMF.
#pragma once

#include <metarec/algorithms/common/factor_model.h>

namespace metarec {

/// r(u,i) = <p_u, q_i> (+ mu + b_u + b_i when biased), p_u, q_i >= 0 elementwise.
///
/// Each epoch first updates every user, then every item (alternating, so each half-sweep is a
/// majorize-minimize step and the unbiased objective never increases):
///   p_uf <- p_uf * sum_i q_if r_ui / (sum_i q_if rhat_ui + reg_p n_u p_uf)
///   q_if <- q_if * sum_u p_uf r_ui / (sum_u p_uf rhat_ui + reg_q n_i q_if)
/// which minimizes sum_(u,i) [1/2 (r_ui - rhat_ui)^2 + reg_p/2 |p_u|^2 + reg_q/2 |q_i|^2].
/// Factors start uniform in [0, init_high] (by default scaled so <p, q> starts near the mean
/// rating). With biases, b_u takes SGD steps during the user
/// half-sweep and b_i during the item half-sweep (Surprise updates both in one pass over all
/// ratings; ours runs in parallel over users, then items, deterministic for any thread count).
/// Ratings below zero (e.g. a -10..10 scale) are shifted up by -scale_min for training and the
/// shift is subtracted from predictions.
class Nmf final : public FactorModel {
 public:
  static ParamSchema schema();
  explicit Nmf(const Params& p) : FactorModel("nmf", p) {}

 private:
  void do_fit(const Interactions& train, const FitContext& ctx) override;
};

}  // namespace metarec
