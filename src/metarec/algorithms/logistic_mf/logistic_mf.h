// Logistic matrix factorization for implicit feedback.
//
// C. C. Johnson. Logistic Matrix Factorization for Implicit Feedback Data. NIPS 2014 Workshop on
// Distributed Machine Learning and Matrix Computations.
#pragma once

#include <metarec/algorithms/common/factor_model.h>

#include <span>
#include <vector>

namespace metarec {

/// The settings the logistic MF objective depends on.
struct LogisticMfConfig {
  double alpha = 1.0;     ///< confidence of an observation: c_ui = alpha * r_ui
  double reg = 1.0;       ///< L2 regularization of the factors
  double reg_bias = 0.0;  ///< L2 regularization of the biases
};

/// Parameters of a logistic MF model, row-major float32: x (users x k), y (items x k), biases.
struct LogisticMfParams {
  int k = 0;
  std::span<const float> x, y, user_bias, item_bias;
};

/// The log posterior Johnson's training maximizes, over every (user, item) pair:
///   sum_{u,i} [c_ui z_ui - (1 + c_ui) ln(1 + e^{z_ui})] - reg/2 (|x|^2 + |y|^2)
///   - reg_bias/2 (|b_user|^2 + |b_item|^2),   z_ui = x_u.y_i + b_u + b_i,  c_ui = alpha r_ui
/// (c = 0 for unobserved pairs). Computed directly in double, O(users * items * k): for tests.
double logistic_mf_objective(const Interactions& data, const LogisticMfParams& m,
                             const LogisticMfConfig& c);

/// The gradient of logistic_mf_objective with respect to one side's parameters: the user
/// factors and biases (`user_side`) or the item factors and biases. `factors` receives
/// (num x k) values, `bias` num values. Computed in blocks of users with BLAS products
/// (S = X Y^T, then G X or G^T Y), so memory stays O(block * items). This is the routine
/// training uses. `threads` parallelizes the elementwise work.
void logistic_mf_gradient(const Interactions& data, const LogisticMfParams& m,
                          const LogisticMfConfig& c, bool user_side, int threads,
                          std::vector<float>& factors, std::vector<float>& bias);

/// Logistic MF: p(l_ui = 1) = sigmoid(x_u.y_i + b_u + b_i), every unobserved pair a weak negative
/// and each observation weighted by its confidence alpha * r. Trained as in the paper by
/// alternating full-gradient ascent steps on users then items, each with AdaGrad step sizes.
/// The full gradient costs O(users * items * k) per step (dense products through BLAS), so this
/// suits catalogues up to tens of thousands of items. Ranks by <x_u, y_i> + b_i.
class LogisticMf final : public FactorModel {
 public:
  static ParamSchema schema();
  explicit LogisticMf(const Params& p) : FactorModel("logistic_mf", p) {}

 private:
  void do_fit(const Interactions& train, const FitContext& ctx) override;
};

}  // namespace metarec
