// Random-walk item similarities: P^3 (C. Cooper, S. H. Lee, T. Radzik, Y. Siantos, "Random Walks
// in Recommender Systems: Exact Computation and Simulations", WWW 2014) and RP^3_beta (B. Paudel,
// F. Christoffel, C. Newell, A. Bernstein, "Updatable, Accurate, Diverse, and Scalable
// Recommendations for Interactive Applications", ACM TiiS 7(1), 2017).
#pragma once

#include <metarec/algorithms/common/item_item_model.h>

namespace metarec {

/// On the user-item bipartite graph of the binarized training data, a walk steps from user u to
/// one of its items with probability P_ui = 1/deg(u) and from item i to one of its users with
/// P_iu = 1/deg(i). Three steps u -> i -> v -> j give the P^3 score
///   p3(u, j) = sum_i P_ui sum_v P_iv P_vj,
/// and with transition probabilities raised to the power alpha and the destination divided by
/// its popularity to the power beta (RP^3_beta; beta = 0 is P^3_alpha, alpha = 1 too is P^3):
///   W[i][j] = deg(i)^-alpha * sum_{v in U(i) and U(j)} deg(v)^-alpha / deg(j)^beta,  W[i][i] = 0,
/// with the `topk` largest entries of each row kept and, when `normalize` is set (the default; a
/// common option of RP^3_beta implementations), each row then divided by its sum.
/// score(u, j) = sum_{i in I(u)} W[i][j]; without normalization that ranks items exactly as p3
/// does (P_ui^alpha is the same for all the user's items).
///
///   auto m = make_recommender("rp3beta", {"alpha=0.8", "beta=0.7", "topk=300"});
///
/// Cost: sum over users of deg(u)^2 row updates, parallel over items (each row on one thread,
/// so results do not depend on the thread count); O(items) memory per thread plus W.
class Rp3Beta final : public ItemItemModel {
 public:
  /// `with_beta` false: the P^3_alpha entry ("p3alpha"), whose schema has no beta (beta = 0).
  static ParamSchema schema(bool with_beta);
  Rp3Beta(bool with_beta, const Params& p)
      : ItemItemModel(with_beta ? "rp3beta" : "p3alpha", p), with_beta_(with_beta) {}

 private:
  void do_fit(const Interactions& train, const FitContext& ctx) override;
  bool with_beta_;
};

}  // namespace metarec
