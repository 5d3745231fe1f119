// SLIM, sparse linear item-item methods: X. Ning and G. Karypis, "SLIM: Sparse Linear Methods for
// Top-N Recommender Systems", ICDM 2011.
#pragma once

#include <metarec/algorithms/common/item_item_model.h>

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

namespace metarec {

/// For every item j, the non-negative weights w (column j of W) that rebuild item j's column of
/// the binarized user x item matrix X from the other items, by the elastic net
///   min_w 1/2 ||x_j - X w||^2 + l1 ||w||_1 + l2/2 ||w||^2   subject to w >= 0, w_j = 0,
/// solved by cyclic coordinate descent on the Gram matrix G = X^T X over a working set: items that
/// violate the optimality condition c_k - (G w)_k > l1 (c = G[:, j]) join the set, most violating
/// first and at most doubling it per round; the set is swept (on a compact copy of G restricted
/// to it) until no weight moves more than `tol` x the largest weight or `max_iter` sweeps, and the
/// condition is re-checked over every item until none violates it. With w >= 0 an item that
/// never co-occurs with j cannot enter, and the set stays near the solution's support, so the
/// work per column follows the co-occurrence structure and the sparsity of the answer. The `topk`
/// largest weights of each column are kept (0 keeps all); score(u, j) = sum over the user's items i
/// of W[i][j].
///
///   auto m = make_recommender("slim", {"l1=2", "l2=100"});
///   m->fit(train);
///
/// Memory: the dense G (items^2 * 4 bytes) during fit, plus O(items + set^2) per thread; the model
/// is the sparse W. Parallel over items (columns are independent, so the result is the same for any
/// thread count).
class Slim final : public ItemItemModel {
 public:
  static ParamSchema schema();
  explicit Slim(const Params& p) : ItemItemModel("slim", p) {}

  /// The coordinate-descent solver for one column, exposed for tests: `gram` is the symmetric
  /// n x n G (row-major), the result lists (item, weight) for the positive weights, ascending by
  /// item. Thread-safe (no shared state).
  static std::vector<std::pair<int32_t, float>> solve_column(std::span<const float> gram, int32_t n,
                                                             int32_t j, double l1, double l2,
                                                             double tol, int max_iter);

 private:
  void do_fit(const Interactions& train, const FitContext& ctx) override;
};

}  // namespace metarec
