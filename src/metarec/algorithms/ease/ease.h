// EASE, the closed-form linear item-item autoencoder of H. Steck, "Embarrassingly Shallow
// Autoencoders for Sparse Data", WWW 2019.
#pragma once

#include <metarec/algorithms/recommender.h>

#include <vector>

namespace metarec {

/// EASE^R: the item-item matrix B minimizing ||X - X B||^2 + lambda ||B||^2 subject to
/// diag(B) = 0, for the binarized user x item matrix X (every interaction counts 1). Closed form:
///   P = (X^T X + lambda I)^-1,  B = I - P diag(1 / diag(P)),  i.e. B[i][j] = -P[i][j] / P[j][j]
/// for i != j and B[j][j] = 0. score(u, j) = sum over the user's items i of B[i][j].
///
///   auto m = make_recommender("ease", {"lambda=500"});
///   m->fit(train);
///   auto top = recommend(*m, user, 10);
///
/// Memory: B is one dense items x items float32 matrix (items^2 * 4 bytes, 55 MB for 3,706
/// items). The fit builds X^T X, factorizes and inverts it in place in that same buffer
/// (LAPACK spotrf/spotri from OpenBLAS, float32), so its peak is B plus O(items) vectors.
/// Threads: the Gram matrix is built in parallel over items; OpenBLAS's own thread pool runs the
/// Cholesky factorization and inverse with FitContext::threads threads (restored afterwards).
/// Users without training items get popularity scores. score() is thread-safe after fit/load.
class Ease final : public Recommender, public ItemSimilarity, public FoldIn {
 public:
  static ParamSchema schema();
  explicit Ease(const Params& p) : Recommender("ease", p) {}

  void score(int32_t user, std::span<float> out) const override;
  /// The k largest off-diagonal entries of row `item` of B.
  std::vector<ScoredItem> similar_items(int32_t item, int k) const override;
  /// Sum of the rows of B of `items` (values are ignored: EASE binarizes).
  void score_new_user(std::span<const int32_t> items, std::span<const float> values,
                      std::span<float> out) const override;

  /// B, items x items, row-major: row i is what having item i adds to every item's score.
  std::span<const float> weights() const { return b_; }

 private:
  void do_fit(const Interactions& train, const FitContext& ctx) override;
  void do_save(ModelWriter& w) const override;
  void do_load(const ModelReader& r) override;
  void add_rows(std::span<const int32_t> items, std::span<float> out) const;

  std::vector<float> b_;           // items x items, row-major
  std::vector<float> popularity_;  // cold-user fallback: training counts / (users + 1)
};

}  // namespace metarec
