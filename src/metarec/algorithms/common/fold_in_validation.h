// Early stopping's validation for models that score a user from their items alone (fold-in
// models such as Mult-VAE): the training data split for strong generalization, as Liang et al.
// (2018) choose Mult-VAE's epoch: some users are held out of training, and each one's items are
// cut into an input and targets.
#pragma once

#include <metarec/data/interactions.h>

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

namespace metarec {

struct FoldInValidation {
  Interactions train;          ///< the training data without the held-out users
  Interactions input, target;  ///< the held-out users' input and target items (same ids)
  std::vector<int32_t> users;  ///< the held-out users

  /// Scores of every item for a user given their items.
  using ScoreFn = std::function<void(std::span<const int32_t> items, std::span<float> out)>;
  /// Mean over the held-out users of NDCG@k of their targets, every item ranked by `score` from
  /// the user's input, except the input items. `score` must be thread-safe.
  double ndcg(const ScoreFn& score, int k, int threads) const;
};

/// Holds out `users` users (a count when >= 1, else a share of the users with at least two
/// entries) with 80% of each one's items as input, seeded. Throws InvalidArgument when no user
/// can be held out with one left to train on.
FoldInValidation fold_in_validation(const Interactions& train, double users, uint64_t seed);

}  // namespace metarec
