// Two-tower retrieval with an optional jointly trained rating head for re-ranking, as a catalog
// member ("two_tower"). The network is in two_tower_network.h.
//
// X. Yi et al., Sampling-Bias-Corrected Neural Modeling for Large Corpus Item Recommendations,
// RecSys 2019; the multitask (retrieval + rating) setup follows TensorFlow Recommenders'
// multitask tutorial (M. Kula et al., TensorFlow Recommenders, 2020).
#pragma once

#include <metarec/algorithms/recommender.h>
#include <metarec/algorithms/two_tower/two_tower_network.h>

#include <memory>
#include <span>
#include <vector>

namespace metarec {

/// The two-tower model. Training: every training entry is a (user, item) positive; each epoch
/// shuffles them into mini-batches whose other items are the negatives (in-batch softmax,
/// repeated items masked, logQ-corrected by item frequency when `logq_correction`), with Adam on
/// the towers and lazy Adam on the embedding rows in the batch, on one thread (BLAS included).
/// With `rating_weight` > 0 on explicit data a rating head on
/// both towers' outputs is trained jointly (loss = retrieval + rating_weight * MSE).
/// Scoring: the cosine of the user and item vectors; with the rating head, the `candidates`
/// best unseen items by that cosine are re-ranked by predicted rating and placed above the rest
/// (scores 3 + normalized rating in [3, 4], the others keep their cosine in [-1, 1]).
/// Users without training data have a zero id embedding: their attributes (if any) decide.
/// score() is thread-safe.
///
///   auto m = make_recommender("two_tower", {"epochs=5", "temperature=0.1"});
///   m->fit(train, ctx);  auto top = recommend(*m, user, 10);
class TwoTower final : public Recommender, public ItemSimilarity, public FoldIn {
 public:
  static ParamSchema schema();
  explicit TwoTower(const Params& p);
  ~TwoTower() override;

  void score(int32_t user, std::span<float> out) const override;
  /// Items by the cosine of their item-tower vectors.
  std::vector<ScoredItem> similar_items(int32_t item, int k) const override;
  /// A new user: zero id embedding, no attributes, history = `items` (values unused).
  void score_new_user(std::span<const int32_t> items, std::span<const float> values,
                      std::span<float> out) const override;

 private:
  void do_fit(const Interactions& train, const FitContext& ctx) override;
  void do_save(ModelWriter& w) const override;
  void do_load(const ModelReader& r) override;
  TwoTowerShape shape_for(int32_t users, int32_t items) const;
  /// Unit-length rows and the rating head's inputs from the raw tower outputs.
  void prepare_scoring();
  /// Retrieval scores for the raw user vector, then the rating re-ranking of the candidates
  /// (items in `exclude`, sorted, are never candidates).
  void score_vector(const nn::RowVector& user_raw, std::span<const int32_t> exclude,
                    std::span<float> out) const;
  bool reranks() const;

  std::unique_ptr<TwoTowerNetwork> net_;
  nn::Matrix user_raw_, item_raw_;  // users x output, items x output
  nn::Matrix item_unit_;            // item_raw_ rows at unit length
  float mean_ = 0, scale_min_ = 0, scale_max_ = 0;
};

}  // namespace metarec
