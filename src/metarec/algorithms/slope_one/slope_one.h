// Slope One rating prediction (Lemire and Maclachlan, "Slope One Predictors for Online
// Rating-Based Collaborative Filtering", SDM 2005): item-to-item average rating differences.
#pragma once

#include <metarec/algorithms/recommender.h>

#include <vector>

namespace metarec {

/// dev(i, j) = mean over users who rated both of (r_ui - r_uj), c(i, j) = how many they are
/// (pairs with fewer than min_support such users are dropped). With R = the items u rated that
/// share a user with i:
///   weighted=true:  p(u, i) = sum_{j in R} (dev(i, j) + r_uj) c(i, j) / sum_{j in R} c(i, j)
///                   (the paper's Weighted Slope One)
///   weighted=false: p(u, i) = mean_u + (1/|R|) sum_{j in R} dev(i, j)   (Surprise's SlopeOne)
/// Empty R or an unknown item predicts the user's mean; an unknown user the global mean.
/// Predictions are clipped to the rating scale. dev and c are stored sparse, row i holding the
/// items co-rated with i in ascending order; fit is parallel over items. score() scatters from
/// the rows of the user's items (dev(i, j) = -dev(j, i)), so it costs |R| rows, not all of them;
/// predict() and score() are thread-safe.
class SlopeOne final : public Recommender, public RatingPredictor {
 public:
  static ParamSchema schema();
  explicit SlopeOne(const Params& p);
  /// Predicted ratings of every item.
  void score(int32_t user, std::span<float> out) const override;
  float predict(int32_t user, int32_t item) const override;
  /// dev(i, j) and c(i, j); both 0 when i and j share fewer than min_support users.
  float deviation(int32_t i, int32_t j) const;
  int32_t support(int32_t i, int32_t j) const;

 private:
  void do_fit(const Interactions& train, const FitContext& ctx) override;
  void do_save(ModelWriter& w) const override;
  void do_load(const ModelReader& r) override;
  double fallback(int32_t user) const;
  float finish(int32_t user, double num, double den, int64_t n) const;

  bool weighted_;
  double mu_ = 0;
  float lo_ = 0, hi_ = 0;
  // Row i of the pairs: items ptr_[i] .. ptr_[i + 1] of idx_ (ascending), with dev_ and freq_.
  std::vector<int64_t> ptr_{0};
  std::vector<int32_t> idx_;
  std::vector<float> dev_;
  std::vector<int32_t> freq_;
  std::vector<float> user_mean_;  // mu for users without ratings
  std::vector<int64_t> user_ptr_{0};
  std::vector<float> user_vals_;  // parallel to the seen items
};

}  // namespace metarec
