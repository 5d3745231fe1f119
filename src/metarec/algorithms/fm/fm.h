// Factorization machines over user and item ids, item genres, user attributes and time bins,
// learned by SGD, alternating least squares or MCMC.
//
// S. Rendle. Factorization Machines. ICDM 2010.
// S. Rendle, Z. Gantner, C. Freudenthaler, L. Schmidt-Thieme. Fast Context-aware Recommendations
//   with Factorization Machines. SIGIR 2011 (ALS).
// C. Freudenthaler, L. Schmidt-Thieme, S. Rendle. Bayesian Factorization Machines. NIPS 2011
//   workshop on sparse representation and low-rank approximation (MCMC).
// S. Rendle. Factorization Machines with libFM. ACM TIST 3(3), 2012.
#pragma once

#include <metarec/algorithms/fm/fm_features.h>
#include <metarec/algorithms/recommender.h>

#include <span>
#include <vector>

namespace metarec {

/// The parameters of a factorization machine over n features:
///   y(x) = w0 + sum_j w_j x_j + sum_{j<l} <v_j, v_l> x_j x_l,
/// v row-major (n x k). Plain data; not thread-safe to modify.
struct FmWeights {
  int k = 0;
  double w0 = 0;
  std::vector<float> w;
  std::vector<float> v;

  int32_t n() const { return static_cast<int32_t>(w.size()); }
  float* vrow(int32_t j) { return v.data() + static_cast<size_t>(j) * k; }
  const float* vrow(int32_t j) const { return v.data() + static_cast<size_t>(j) * k; }
};

/// A sparse input row: feature indices strictly ascending and their values.
struct FmRow {
  std::span<const int32_t> idx;
  std::span<const float> x;
};

/// y(x) in O(k nnz(x)), with the pairwise term written as
///   1/2 sum_f [(sum_j v_jf x_j)^2 - sum_j v_jf^2 x_j^2].
/// `sums` (k floats, may be null) receives sum_j v_jf x_j, which the gradient needs. `w0`, when
/// given, replaces m.w0 (a parallel learner's private copy).
double fm_predict(const FmWeights& m, const FmRow& row, float* sums, const double* w0 = nullptr);

/// dy/dtheta for the row's features, from `sums` of fm_predict: dy/dw0 = 1 (not stored),
/// dy/dw_j = x_j, dy/dv_jf = x_j (sums_f - v_jf x_j). grad_w gets one entry per row feature,
/// grad_v (row features x k).
void fm_gradient(const FmWeights& m, const FmRow& row, const float* sums,
                 std::vector<double>& grad_w, std::vector<double>& grad_v);

/// L2 regularization of the bias, the linear weights and the factors.
struct FmRegularization {
  float w0 = 0, w = 0, v = 0;
};

/// One SGD step on a loss whose derivatives with respect to y(a) and y(b) are ga and gb (b may be
/// empty, then gb is ignored): each parameter of a feature in a or b, and w0, moves by
/// -lr (ga dy(a)/dtheta + gb dy(b)/dtheta + reg theta), all gradients at the parameters before
/// the step (a feature present in both rows is updated once). `sums_a`/`sums_b` come from
/// fm_predict. Pointwise losses pass one row; BPR passes (positive, negative, g, -g).
/// `w0`, when given, is updated instead of m.w0 (parallel learners keep a private copy of the
/// one parameter every step writes, and merge it once per block).
void fm_sgd_step(FmWeights& m, const FmRow& a, const float* sums_a, double ga, const FmRow& b,
                 const float* sums_b, double gb, float lr, const FmRegularization& reg,
                 double* w0 = nullptr);

enum class FmSolver { kSgd, kAls, kMcmc };

/// A factorization machine recommender. Explicit data: regression on the ratings (squared
/// loss), predictions clipped to the scale. Implicit data: positives against sampled negatives,
/// with a BPR or logistic loss (SGD) or squared loss on 1/0 targets (ALS, MCMC).
/// Scoring splits the features into a user side (user id, attributes, time bin) and an item side
/// (item id, genres), so a user's scores for all items cost O(items * k) after a per-item cache.
/// The time bin used when predicting for a user is the bin of the user's latest training
/// interaction (the interface passes no time). MCMC predicts with the average over posterior
/// samples, stored exactly as one FM whose factors are the samples' factors side by side.
class FactorizationMachine final : public Recommender, public RatingPredictor {
 public:
  static ParamSchema schema(FmSolver solver);
  FactorizationMachine(FmSolver solver, const Params& p);

  void score(int32_t user, std::span<float> out) const override;
  float predict(int32_t user, int32_t item) const override;

  const FmWeights& weights() const { return w_; }
  const FmFeatureMap& features() const { return map_; }

 private:
  void do_fit(const Interactions& train, const FitContext& ctx) override;
  void do_save(ModelWriter& w) const override;
  void do_load(const ModelReader& r) override;
  /// Fills the item-side cache from the weights (after fit and after load).
  void prepare();
  /// The user side of the score: sums (k) and the user's constant part.
  double user_part(int32_t user, float* sums) const;

  FmSolver solver_;
  FmFeatureMap map_;
  FmWeights w_;
  float lo_ = 0, hi_ = 0;           // clipping range for explicit data (lo_ == hi_: none)
  std::vector<float> item_sums_;    // num_items x k: sum of v_f x_f over the item side
  std::vector<double> item_const_;  // linear + within-item-side pairwise terms
};

}  // namespace metarec
