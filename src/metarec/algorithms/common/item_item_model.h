// The shared base of item-to-item models (ItemKNN for ranking, SLIM, RP3beta/P3alpha, ...): a
// sparse item x item weight matrix W, scored as score(u, i) = sum_{j in I(u)} v(u, j) W[j, i].
#pragma once

#include <metarec/algorithms/recommender.h>
#include <metarec/core/sparse_matrix.h>

#include <vector>

namespace metarec {

/// v(u, j) is 1, or the user's value for j when `use_values` (set by the subclass). Users without
/// history fall back to item popularity (counts from training), scaled to stay below any positive
/// score. Thread-safe to score.
class ItemItemModel : public Recommender, public ItemSimilarity, public FoldIn {
 public:
  using Recommender::Recommender;
  void score(int32_t user, std::span<float> out) const override;
  /// The k largest weights of row `item` of W.
  std::vector<ScoredItem> similar_items(int32_t item, int k) const override;
  void score_new_user(std::span<const int32_t> items, std::span<const float> values,
                      std::span<float> out) const override;
  const SparseMatrix& weights() const { return w_; }

 protected:
  /// Subclasses call this at the end of do_fit with their weights (num_items x num_items).
  void set_weights(const Interactions& train, SparseMatrix w, bool use_values);
  void do_save(ModelWriter& w) const override;
  void do_load(const ModelReader& r) override;

 private:
  SparseMatrix w_;
  bool use_values_ = false;
  std::vector<float> user_values_;  // parallel to the seen items, when use_values_
  std::vector<int64_t> user_ptr_{0};
  std::vector<float> popularity_;  // fallback for users with no history
};

}  // namespace metarec
