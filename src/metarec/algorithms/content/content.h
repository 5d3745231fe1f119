// Content-based recommendation: items are feature vectors (genres, text terms or dense vectors),
// a user is the rating-weighted mean of the vectors of the items they rated, and items are
// ranked by their similarity to that profile.
//
// M. J. Pazzani, D. Billsus, Content-Based Recommendation Systems, The Adaptive Web, LNCS 4321,
// 2007 (profiles as weighted term vectors, cosine ranking).
#pragma once

#include <metarec/algorithms/recommender.h>
#include <metarec/core/sparse_matrix.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace metarec {

/// Where item profiles come from.
enum class ContentSource {
  kGenres,   ///< binary genre vectors ("content_genres")
  kText,     ///< TF-IDF or BM25 over titles, texts and genre names ("content_text")
  kVectors,  ///< the dataset's dense item vectors (a card's "item_vectors")
};

/// The content-based model. With f_i item i's raw feature vector:
///   x_i = w_i f_i / |f_i|  (scoring=cosine)   or   x_i = w_i f_i  (scoring=dot),
/// where w_i = 1 (item_weight=none) or the item's quality (item_weight=mean_rating: on explicit
/// data 0.1 + 0.9 (m_i - min) / (max - min) with m_i the item's mean rating damped towards the
/// global mean by 5 pseudo-ratings; on implicit data ln(1 + n_i) / ln(1 + max_j n_j)).
///   p_u = sum_j c_uj x_j / sum_j |c_uj|,  c_uj = r_uj - mean_u (explicit, centered; 1 for all
///   items when every centred value is 0), r_uj (explicit, not centered) or 1 (implicit);
///   score(u, i) = p_u . x_i / |p_u| (cosine) or p_u . x_i (dot), plus a tie-breaking popularity
///   term below 1e-4. Users without training items get item popularity.
/// Everything is sparse: fitting is O(nnz(X) + nnz(R)), scoring a user O(sum_j nnz(x_j) +
/// nnz(X)). score() is thread-safe; the evaluator runs users in parallel, so nothing inside is.
///
///   auto m = make_recommender("content_text", {"weighting=bm25"});
///   m->fit(train);  auto top = recommend(*m, user, 10);
class ContentRecommender final : public Recommender, public ItemSimilarity, public FoldIn {
 public:
  static ParamSchema schema(ContentSource source);
  ContentRecommender(ContentSource source, const Params& p);

  void score(int32_t user, std::span<float> out) const override;
  /// The k items with the largest x_i . x_j (cosine similarity times the item weights).
  std::vector<ScoredItem> similar_items(int32_t item, int k) const override;
  void score_new_user(std::span<const int32_t> items, std::span<const float> values,
                      std::span<float> out) const override;
  /// The item profile matrix X (items x features), after weighting and normalization.
  const SparseMatrix& profiles() const { return x_; }

 private:
  void do_fit(const Interactions& train, const FitContext& ctx) override;
  void do_save(ModelWriter& w) const override;
  void do_load(const ModelReader& r) override;
  /// Profile from (item, weight) pairs into out (size num_items()), then the popularity term.
  void score_profile(std::span<const int32_t> items, std::span<const float> weights,
                     std::span<float> out) const;

  ContentSource source_;
  SparseMatrix x_;
  std::vector<float> user_weights_;  // c_uj parallel to the seen items (CSR order)
  std::vector<int64_t> user_ptr_{0};
  std::vector<float> popularity_;  // n_i / (users + 1) * 1e-4
  int32_t explicit_centered_ = 0;  // fold-in: 1 when c = r - mean, 2 when c = r, 0 implicit
};

/// The catalog name of a source: "content_genres", "content_text", "content_vectors".
const char* content_name(ContentSource s);

}  // namespace metarec
