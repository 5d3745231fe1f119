// Explicit alternating least squares with weighted-lambda regularization: Y. Zhou, D. Wilkinson,
// R. Schreiber, R. Pan, "Large-scale Parallel Collaborative Filtering for the Netflix Prize",
// AAIM 2008.
#pragma once

#include <metarec/algorithms/common/factor_model.h>

namespace metarec {

/// Rating model r(u,i) = mu + b_u + b_i + <p_u, q_i> (mu and the biases only with biases=true)
/// fitted by minimizing
///   sum_(u,i) (r_ui - r(u,i))^2 + lambda * (sum_u n_u (|p_u|^2 + b_u^2) + sum_i n_i (|q_i|^2 +
///   b_i^2))
/// (with weighted=false the counts n_u, n_i are replaced by 1). Each sweep solves every user's
/// (k+1) x (k+1) normal equations exactly with the items fixed, then every item's with the users
/// fixed, so the objective never increases. OpenMP over users and over items; every solve is
/// independent, so results do not depend on the thread count.
///
///   auto m = make_recommender("als", {"factors=32", "reg=0.05"});
///   m->fit(train);
class Als final : public FactorModel {
 public:
  static ParamSchema schema();
  explicit Als(const Params& p) : FactorModel("als", p) {}

 private:
  void do_fit(const Interactions& train, const FitContext& ctx) override;
};

}  // namespace metarec
