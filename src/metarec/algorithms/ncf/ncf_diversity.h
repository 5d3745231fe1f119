// The genre-diversity regularizer of NCF training: a differentiable penalty on how concentrated
// the genres of a user's top-10 are.
//
// Definition. Let T be the user's current top-k unseen items (k = 10), s_i their logits,
// w = softmax(s) over T, and g_i the item's genre indicator vector scaled to unit length (so
// <g_i, g_j> is the cosine similarity of two items' genre sets). The penalty is
//
//   D(u) = | sum_{i in T} w_i g_i |^2 = sum_{i, j in T} w_i w_j <g_i, g_j>,
//
// the expected genre similarity of two items drawn from the (softly weighted) list: a soft
// intra-list similarity (Ziegler et al., WWW 2005) and, for single-genre items, Simpson's
// concentration index of the list's genres. It is 1 when every item has the same genres and
// shrinks as the list spreads over uncorrelated genres. Membership of T is piecewise constant
// in the parameters, so within a training step the gradient is exactly that of D with T fixed:
//
//   dD/ds_j = 2 w_j (<G, g_j> - |G|^2),  G = sum_i w_i g_i,
//
// which lowers the logits of the items whose genres dominate the list and raises the others.
// The objective is mean BCE + alpha * E_u D(u). Scoring every item for a user costs about as much
// as 15 training pairs per item, so D is estimated on one user (the first of the batch: random,
// since batches are shuffled) every `every` batches with weight alpha * every, an unbiased
// estimate of alpha * E_u D(u) per batch. Active only when alpha > 0 and the items have genres.
#pragma once

#include <metarec/algorithms/ncf/ncf.h>

#include <cstdint>
#include <span>
#include <vector>

namespace metarec {

/// D and dD/ds for the logits `s` of a list whose items have unit genre vectors `genres`
/// (row i = g_i, list size x genres). Fills `ds` (same size as s). Pure; exposed for tests.
double genre_concentration(std::span<const float> s, const nn::Matrix& genres, std::span<float> ds);

/// Applies the penalty during train_ncf. Not thread-safe (one per training run).
class NcfDiversity {
 public:
  NcfDiversity(const Interactions& train, float alpha, int every = 64, int k = 10);
  bool active() const { return active_; }
  /// Whether batch b (0-based within the epoch) carries the penalty.
  bool due(int64_t b) const { return b % every_ == 0; }
  /// Scores every item for `user`, takes its top-k unseen, and adds alpha * every * dD/dparams to
  /// a batch's gradients: the dense sums of `batch` (a pass of `net`) and the sparse rows `grads`
  /// (in the order of net.embeddings(); re-coalesced). Returns D(user). Single-threaded; give
  /// each training thread its own NcfDiversity.
  double add_gradients(const NcfNetwork& net, int32_t user, NcfNetwork::Pass& batch,
                       std::vector<nn::SparseGrad>& grads);

 private:
  const Interactions& train_;
  float weight_;
  int every_, k_;
  bool active_ = false;
  nn::Matrix genres_;               // items x genres, unit rows (zero for items without genres)
  NcfNetwork::Pass all_, scratch_;  // scoring every item; the top-k pairs
  bool passes_ready_ = false;
  std::vector<float> scores_;
  std::vector<int32_t> all_items_;
};

}  // namespace metarec
