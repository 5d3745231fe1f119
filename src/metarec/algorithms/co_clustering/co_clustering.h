// Co-clustering rating prediction (George and Merugu, "A Scalable Collaborative Filtering
// Framework Based on Co-clustering", ICDM 2005), as Surprise's CoClustering.
#pragma once

#include <metarec/algorithms/recommender.h>

#include <vector>

namespace metarec {

/// Users are assigned to user_clusters clusters and items to item_clusters clusters. With A the
/// co-cluster means, A_u and A_i the user- and item-cluster means and m_u, m_i the user and item
/// means, the prediction is
///   p(u, i) = A[c(u), c(i)] + (m_u - A_u[c(u)]) + (m_i - A_i[c(i)]).
/// Training starts from uniformly random clusters (ctx.seed) and repeats `epochs` times: compute
/// the means, move every user to the cluster minimizing its squared error, then every item
/// (using the users' new clusters). With restarts > 1 the whole run is repeated from other
/// random clusters and the one with the least training error is kept. An unknown item predicts the
/// user's mean, an unknown user the item's mean, both unknown the global mean; clipped to the
/// rating scale. Each step is parallel over users or items (ctx.threads), and the result does not
/// depend on the thread count.
class CoClustering final : public Recommender, public RatingPredictor {
 public:
  static ParamSchema schema();
  explicit CoClustering(const Params& p) : Recommender("co_clustering", p) {}
  /// Predicted ratings of every item.
  void score(int32_t user, std::span<float> out) const override;
  float predict(int32_t user, int32_t item) const override;
  std::span<const int32_t> user_clusters() const { return cu_; }
  std::span<const int32_t> item_clusters() const { return ci_; }
  /// Sum of squared training errors of the current model (the objective the updates lower).
  double training_error(const Interactions& train) const;

 private:
  void do_fit(const Interactions& train, const FitContext& ctx) override;
  void do_save(ModelWriter& w) const override;
  void do_load(const ModelReader& r) override;
  /// `epochs` assignment sweeps from the current clusters (run `run` of `runs`, for progress).
  void sweep(const Interactions& train, const FitContext& ctx, int epochs, int run, int runs);
  double squared_error(const Interactions& train) const;
  /// Recomputes the cluster and co-cluster means from the current assignments.
  void update_means(const Interactions& train);
  double raw(int32_t user, int32_t item) const;

  int32_t ku_ = 0, ki_ = 0;
  double mu_ = 0;
  float lo_ = 0, hi_ = 0;
  std::vector<float> user_mean_, item_mean_;  // mu where there are no ratings
  std::vector<uint8_t> user_known_, item_known_;
  std::vector<int32_t> cu_, ci_;
  std::vector<float> avg_u_, avg_i_, avg_co_;  // ku, ki, ku x ki (row-major)
  std::vector<double> user_sum_, item_sum_;    // rating sums, only during fit
};

}  // namespace metarec
