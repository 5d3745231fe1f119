// User-based k-nearest-neighbour ranking (Herlocker, Konstan, Borchers and Riedl, "An Algorithmic
// Framework for Performing Collaborative Filtering", SIGIR 1999): each user keeps the k most
// similar users, and items are scored by the neighbours' interactions weighted by similarity.
#pragma once

#include <metarec/algorithms/recommender.h>
#include <metarec/core/sparse_matrix.h>

#include <vector>

namespace metarec {

/// score(u, i) = sum_{v in N_k(u)} sim(u, v) x(v, i), x = 1 (binary=true) or the rating, plus a
/// popularity tie-break far below any real score; users without history get popularity. Fit is
/// parallel over users (ctx.threads); score() is thread-safe.
class UserKnn final : public Recommender {
 public:
  static ParamSchema schema();
  explicit UserKnn(const Params& p) : Recommender("user_knn", p) {}
  void score(int32_t user, std::span<float> out) const override;
  /// users x users, the k largest positive similarities per row.
  const SparseMatrix& neighbours() const { return w_; }

 private:
  void do_fit(const Interactions& train, const FitContext& ctx) override;
  void do_save(ModelWriter& w) const override;
  void do_load(const ModelReader& r) override;

  SparseMatrix w_;
  bool use_values_ = false;
  std::vector<int64_t> user_ptr_{0};  // offsets of each user's seen items
  std::vector<float> values_;         // parallel to the seen items, when use_values_
  std::vector<float> popularity_;     // tie-break and cold-user fallback
};

}  // namespace metarec
