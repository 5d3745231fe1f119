// The seed notes' collaborative filtering: per-user parameters w_j, b_j and per-item features x_i
// learned jointly by full-batch gradient descent (or Adam) on the squared error over rated pairs
// with L2 on w and x and mean normalization, plus its binary-label (logistic) variant (as in
// A. Ng's Machine Learning Specialization, "Unsupervised Learning, Recommenders", 2022, the
// formulation written up in seeds/002).
#pragma once

#include <metarec/algorithms/common/factor_model.h>

#include <cstdint>
#include <vector>

namespace metarec {

/// Rating regression: r(j,i) = <w_j, x_i> + b_j + mu_i, minimizing
///   J = 1/2 sum_{(i,j) rated} (<w_j, x_i> + b_j + mu_i - r)^2 + lambda/2 (sum |w_j|^2 + sum
///   |x_i|^2)
/// with mu_i the item's mean training rating (mean normalization; the global mean for unrated
/// items, 0 everywhere with mean_normalize=false). Every iteration computes the full gradient
/// (in parallel, deterministic for any thread count) and takes one Adam or plain gradient step.
/// A user with no ratings keeps w = 0, b = 0 and so is predicted the item mean.
class SeedCf final : public FactorModel {
 public:
  static ParamSchema schema();
  explicit SeedCf(const Params& p) : FactorModel("seed_cf", p) {}

 private:
  void do_fit(const Interactions& train, const FitContext& ctx) override;
};

/// Binary labels: P(y = 1 | j, i) = sigmoid(<w_j, x_i> + b_j + mu_i), minimizing the summed
/// logistic loss plus lambda/2 (sum |w|^2 + sum |x|^2). Labels: rating >= threshold on explicit
/// data, 1 for implicit entries; `negatives` unrated items per rated one (drawn once, uniformly,
/// seeded) join as label 0 ("shown, not engaged"). mu_i = logit of the item's smoothed positive
/// rate (2 pseudo-labels at the global rate) with mean normalization. score() returns
/// probabilities; it is not a rating predictor.
class SeedCfBinary final : public Recommender {
 public:
  static ParamSchema schema();
  explicit SeedCfBinary(const Params& p) : Recommender("seed_cf_binary", p) {}
  void score(int32_t user, std::span<float> out) const override;
  /// P(y = 1) for one pair; users or items out of range use the item term (or 0.5) alone.
  float probability(int32_t user, int32_t item) const;

 private:
  void do_fit(const Interactions& train, const FitContext& ctx) override;
  void do_save(ModelWriter& w) const override;
  void do_load(const ModelReader& r) override;
  float logit(int32_t user, int32_t item) const;

  int k_ = 0;
  std::vector<float> w_, b_, x_, mu_;  // users x k, users, items x k, items
};

namespace detail {

/// Labelled pairs in CSR-by-user order, with a by-item index (users ascending) into the entries.
struct SeedCfData {
  int32_t num_users = 0, num_items = 0;
  std::vector<int64_t> user_ptr;
  std::vector<int32_t> items;
  std::vector<float> labels;
  std::vector<int64_t> item_ptr;
  std::vector<int32_t> item_users;
  std::vector<int64_t> item_entry;

  /// From per-user (item, label) lists given in user order.
  static SeedCfData build(int32_t num_users, int32_t num_items, std::vector<int64_t> user_ptr,
                          std::vector<int32_t> items, std::vector<float> labels);
};

enum class SeedCfLoss { kSquared, kLogistic };

/// The parameters: W (users x k), b (users), X (items x k), and the fixed item offsets mu.
struct SeedCfModel {
  int k = 0;
  std::vector<float> W, b, X, mu;
};

/// The gradient of J (gW, gb, gX resized and filled), and J itself when `with_objective` (else
/// 0: training skips the logarithms). Parallel over users then items with per-row sums in a
/// fixed order, so the result does not depend on `threads`.
double seed_cf_gradient(const SeedCfData& d, const SeedCfModel& m, double lambda, SeedCfLoss loss,
                        int threads, std::vector<float>& gW, std::vector<float>& gb,
                        std::vector<float>& gX, bool with_objective = true);

/// J alone, computed straight from its definition (double precision, single-threaded).
double seed_cf_objective(const SeedCfData& d, const SeedCfModel& m, double lambda, SeedCfLoss loss);

/// Full-batch optimization of `m` (initialized by the caller) for `iterations` steps.
void seed_cf_train(const SeedCfData& d, SeedCfModel& m, double lambda, SeedCfLoss loss, bool adam,
                   double lr, int iterations, const FitContext& ctx);

}  // namespace detail
}  // namespace metarec
