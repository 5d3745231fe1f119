// The factorization machine's learners: SGD (pointwise or BPR), coordinate-wise ALS and Gibbs
// sampling (MCMC), all on the rows an FmFeatureMap builds from the training interactions.
#pragma once

#include <metarec/algorithms/fm/fm.h>

#include <string>
#include <vector>

namespace metarec {

/// Settings shared by the learners (each uses the fields that apply to it).
struct FmTrainConfig {
  int k = 8;
  int epochs = 50;             ///< SGD epochs, ALS sweeps or MCMC iterations
  int burn_in = 0;             ///< MCMC: iterations discarded before averaging
  int kept_samples = 1 << 30;  ///< MCMC: most factor samples kept (evenly thinned)
  float learning_rate = 0.01f;
  FmRegularization reg;
  float init_std = 0.1f;
  bool implicit = false;  ///< positives against sampled negatives
  bool bpr = true;        ///< implicit SGD: BPR loss (else logistic)
  int negatives = 1;      ///< implicit: negatives per positive
  float lo = 0, hi = 0;   ///< explicit: clip predictions to [lo, hi] while learning (lo < hi)
};

/// The training design matrix for ALS and MCMC: one row per entry (explicit) or per positive and
/// sampled negative (implicit), by row (CSR) and by feature (CSC), with targets.
struct FmDesign {
  std::vector<int64_t> row_ptr{0};
  std::vector<int32_t> row_idx;
  std::vector<float> row_val;
  std::vector<float> target;
  std::vector<int64_t> col_ptr;
  std::vector<int32_t> col_row;
  std::vector<float> col_val;

  int64_t rows() const { return static_cast<int64_t>(target.size()); }
  FmRow row(int64_t r) const {
    return {{row_idx.data() + row_ptr[r], static_cast<size_t>(row_ptr[r + 1] - row_ptr[r])},
            {row_val.data() + row_ptr[r], static_cast<size_t>(row_ptr[r + 1] - row_ptr[r])}};
  }
};

/// Builds the design matrix; implicit negatives are drawn with `seed`.
FmDesign build_fm_design(const Interactions& train, const FmFeatureMap& map, const FmTrainConfig& c,
                         uint64_t seed);

/// sum_r (y(x_r) - target_r)^2 + reg.w0 w0^2 + reg.w |w|^2 + reg.v |V|^2: what ALS minimizes.
double fm_als_objective(const FmWeights& m, const FmDesign& d, const FmRegularization& reg);

/// Each learner initializes `m` (sized for map.num_features()) and trains it.
void train_fm_sgd(FmWeights& m, const Interactions& train, const FmFeatureMap& map,
                  const FmTrainConfig& c, const FitContext& ctx);
void train_fm_als(FmWeights& m, const Interactions& train, const FmFeatureMap& map,
                  const FmTrainConfig& c, const FitContext& ctx);
/// On return `m` holds the posterior-mean predictor: w0 and w averaged over the post-burn-in
/// samples and the kept (thinned) samples' factors side by side, scaled by 1/sqrt(kept)
/// (m.k = k * kept).
void train_fm_mcmc(FmWeights& m, const Interactions& train, const FmFeatureMap& map,
                   const FmTrainConfig& c, const FitContext& ctx);

/// The FM that predicts the average of the pairwise terms of `factor_samples` (each n x k) and
/// the linear part w0, w_sum / linear_samples: the samples' factors side by side, scaled by
/// 1/sqrt(samples), so the result has k * samples factors.
FmWeights fm_posterior_mean(double w0, const std::vector<double>& w_sum, int linear_samples,
                            const std::vector<std::vector<float>>& factor_samples, int k);

/// Zero-initialized w, N(0, std^2) factors from `seed`.
void init_fm_weights(FmWeights& m, int32_t n, int k, float std, uint64_t seed);

/// Sets the weights and factors of features no training row can contain to zero, so users or
/// items without data score by their remaining features alone.
void clear_unused_features(FmWeights& m, const Interactions& train, const FmFeatureMap& map,
                           bool implicit);

}  // namespace metarec
