// Neighbourhood rating predictors as Surprise defines them: KNNBasic, KNNWithMeans and
// KNNBaseline, user- or item-based (Koren, "Factor in the Neighbors: Scalable and Accurate
// Collaborative Filtering", ACM TKDD 4(1), 2010, sec. 2.2 for the baseline-adjusted form and the
// shrunk pearson_baseline similarity; Herlocker et al., SIGIR 1999, for the mean-centred form).
#pragma once

#include <metarec/algorithms/recommender.h>
#include <metarec/core/sparse_matrix.h>

#include <memory>
#include <mutex>
#include <vector>

namespace metarec {

/// With x the entity compared (the user when user_based, else the item) and y the other one,
/// the prediction for (x, y) uses N = the k most similar x' among those who rated y, keeping
/// only positive similarities (ties: smaller index first):
///   basic:    sum_N s r / sum_N s                                 (fallback: global mean)
///   means:    m_x + sum_N s (r - m_x') / sum_N s                  (fallback: m_x, or the
///                                                                  global mean for unknown x)
///   baseline: b_xy + sum_N s (r - b_x'y) / sum_N s, b = mu + b_u + b_i (fallback: b_xy)
/// The neighbour term is dropped when fewer than min_k neighbours remain. Similarities are
/// computed over co-rated entries (msd, cosine, pearson, pearson_baseline with shrinkage) and
/// kept sparse: the `max_neighbors` largest per x. Baselines are fitted by a BiasBaseline (ALS).
/// Predictions are clipped to the rating scale. Fit is parallel over x; predict() and score()
/// are thread-safe.
///
///   auto m = make_recommender("knn_baseline", {"user_based=false"});
///   m->fit(train);
///   float r = dynamic_cast<RatingPredictor&>(*m).predict(user, item);
class KnnRating final : public Recommender, public RatingPredictor, public ItemSimilarity {
 public:
  enum class Kind { kBasic, kMeans, kBaseline };
  static ParamSchema schema(Kind kind);
  KnnRating(Kind kind, const Params& p);

  /// Predicted ratings of every item.
  void score(int32_t user, std::span<float> out) const override;
  float predict(int32_t user, int32_t item) const override;
  /// Item-based models only (user_based=false); throws InvalidArgument otherwise.
  std::vector<ScoredItem> similar_items(int32_t item, int k) const override;

  /// x x x similarities (users when user_based, else items).
  const SparseMatrix& similarities() const { return sim_; }
  std::span<const float> user_bias() const { return bu_; }
  std::span<const float> item_bias() const { return bi_; }

 private:
  struct Neighbor {
    int32_t x;
    float sim;
    float r;
  };
  void do_fit(const Interactions& train, const FitContext& ctx) override;
  void do_save(ModelWriter& w) const override;
  void do_load(const ModelReader& r) override;
  /// Rebuilds the item-major copy of the ratings and the counts from the user-major arrays.
  void index_ratings();
  bool known(int32_t user, int32_t item) const;
  /// The fallback for (user, item) when no neighbour term applies.
  double fallback(int32_t user, int32_t item) const;
  /// The prediction from candidates (positive similarities, ascending x).
  float estimate(int32_t user, int32_t item, std::vector<Neighbor>& cand) const;

  Kind kind_;
  bool user_based_;
  int32_t k_, min_k_;
  double mu_ = 0;
  float lo_ = 0, hi_ = 0;
  SparseMatrix sim_;
  /// Item-based: the transpose of sim_, built by the first score() (rating predictions, the
  /// usual use, never need it).
  const SparseMatrix& sim_t() const;
  mutable std::unique_ptr<std::once_flag> sim_t_once_ = std::make_unique<std::once_flag>();
  mutable SparseMatrix sim_t_;
  std::vector<float> mean_;     // kMeans: the mean rating of each x
  std::vector<float> bu_, bi_;  // kBaseline or pearson_baseline: the fitted biases
  // The ratings, by user (offsets over the seen items) and by item.
  std::vector<int64_t> user_ptr_{0};
  std::vector<float> user_vals_;
  std::vector<int64_t> item_ptr_{0};
  std::vector<int32_t> item_users_;
  std::vector<float> item_vals_;
};

}  // namespace metarec
