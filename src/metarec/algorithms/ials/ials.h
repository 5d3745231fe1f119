// Implicit-feedback ALS: Y. Hu, Y. Koren, C. Volinsky, "Collaborative Filtering for Implicit
// Feedback Datasets", ICDM 2008; with the conjugate-gradient solver of G. Takacs, I. Pilaszy,
// D. Tikk, "Applications of the Conjugate Gradient Method for Implicit Feedback Collaborative
// Filtering", RecSys 2011.
#pragma once

#include <metarec/algorithms/common/factor_model.h>

namespace metarec {

/// Every (user, item) cell has a preference p (1 where the user has a positive value, else 0)
/// and a confidence c = 1 + alpha * value (or 1 + alpha * log(1 + value / epsilon)); the model
/// minimizes sum over ALL cells of c (p - <x_u, y_i>)^2 + reg * (|X|^2 + |Y|^2).
/// Each half-sweep precomputes G = Y^T Y + reg I once (a BLAS product) so that a user's system
///   (G + Y_u^T (C_u - I) Y_u) x_u = Y_u^T C_u p_u
/// only touches the user's own items. solver=cholesky forms and factors that k x k matrix
/// exactly (O(n_u k^2 + k^3) per user); solver=cg runs cg_steps conjugate-gradient steps from
/// the previous x_u, computing the matrix-vector product on the fly (O(cg_steps (k^2 + n_u k))).
/// OpenMP over users, then over items; each row's solve is independent of the thread count.
/// Users without items score 0 everywhere.
///
///   auto m = make_recommender("ials", {"factors=64", "alpha=2"});
class Ials final : public FactorModel, public FoldIn {
 public:
  static ParamSchema schema();
  explicit Ials(const Params& p);
  /// Solves the new user's row exactly against the item factors (as one Cholesky half-sweep).
  void score_new_user(std::span<const int32_t> items, std::span<const float> values,
                      std::span<float> out) const override;

 private:
  void do_fit(const Interactions& train, const FitContext& ctx) override;
  /// c - 1 and c * p of one entry with value v.
  void confidence(float v, float& c_minus_1, float& c_times_p) const;

  // From the parameters (so also set after load()).
  double alpha_, epsilon_, reg_;
  bool log_scaling_;
};

}  // namespace metarec
