// Train/test splits, all deterministic by seed: random holdout (global, per user), leave-last-k-out
// by time, per-user temporal fraction, global time cutoff, k-fold cross-validation, given files,
// and strong generalization over held-out users (Liang, Krishnan, Hoffman, Jebara, "Variational
// Autoencoders for Collaborative Filtering", WWW 2018).
#pragma once

#include <metarec/data/interactions.h>

#include <cstdint>
#include <string>
#include <vector>

namespace metarec {

/// What to do with test entries whose user or item has no training interaction.
enum class UnseenPolicy {
  kDrop,  ///< remove them from the test set (counted)
  kKeep,  ///< keep them; rating models fall back to their defaults for them
};
UnseenPolicy parse_unseen_policy(const std::string& s);

struct SplitSpec {
  /// "random" (global holdout), "user_random" (per user), "leave_last" (per user, by time),
  /// "user_temporal" (per user, latest fraction), "time_cutoff" (global), "kfold", "given",
  /// "strong" (held-out users: see make_split).
  std::string method = "random";
  double test_fraction = 0.2;    ///< random, user_random, user_temporal
  int32_t leave_k = 1;           ///< leave_last
  double cutoff_quantile = 0.8;  ///< time_cutoff: the time quantile where test starts
  int32_t folds = 5;             ///< kfold
  int32_t fold = 0;              ///< kfold: which fold is the test set
  uint64_t seed = 42;
  UnseenPolicy unseen = UnseenPolicy::kKeep;  // honest default: nothing vanishes silently
  int32_t min_user_count = 2;  ///< per-user methods leave users with fewer entries all in train
  /// strong: the held-out users, a count when >= 1 (a whole number), else a fraction in (0, 1)
  /// of the users with at least min_user entries (rounded, at least 1). 0.1 is 604 on ML-1M.
  double heldout_users = 0.1;
  double fold_in_fraction = 0.8;  ///< strong: share of each held-out user's items given as input

  /// Parses "method[:key=value,...]" e.g. "kfold:folds=5,fold=2", "leave_last:k=1",
  /// "random:test=0.1,seed=3", "strong:users=600,fold_in=0.8,seed=1". The keys: test, k,
  /// quantile, folds, fold, seed, unseen, min_user, users, fold_in.
  static SplitSpec parse(const std::string& text);
  std::string to_string() const;
  /// Throws InvalidArgument when a field is out of range (parse() and make_split() call it).
  void validate() const;
};

struct Split {
  Interactions train, test;
  /// Strong generalization only: the held-out users' input items (their other items are in
  /// `test`, and they have no entry in `train`). Empty, with no users, for every other method.
  Interactions fold_in;
  int64_t dropped_unseen_users = 0;  ///< test entries dropped because the user is not in train
  /// ... because the item is not in train (strong: fold-in entries are counted here too)
  int64_t dropped_unseen_items = 0;
  /// Test entries with an unseen user or item, kept (strong: an unseen item; the users of its
  /// test entries are never in train, by design, and are not counted as unseen).
  int64_t kept_unseen = 0;
  std::string description;
  bool has_fold_in() const { return fold_in.num_users() > 0; }
};

/// Splits `data` per `spec`. `parts` is required for method "given" (0 = train, 1 = test, as
/// produced by load_dataset("name:split")). Throws InvalidArgument for an empty train or test.
///
/// "strong" (strong generalization, as Liang et al. 2018 evaluate Mult-VAE): a seeded random set
/// of spec.heldout_users users, drawn among the users with at least max(2, min_user) entries, is
/// removed from training entirely. Each held-out user's entries are shuffled (seeded per user);
/// the first max(1, floor((1 - fold_in) * n)) of the n go to `test` (the targets; floor as in
/// Liang et al.'s preprocessing, so 20% of a user's 23 items is 4) and the rest to `fold_in` (the
/// input a FoldIn model scores the user from). `train` holds every other user's entries. With
/// unseen=drop, held-out entries whose item has no training entry are removed from both (as Liang
/// et al. keep only items seen in training); with unseen=keep (the default) they stay, counted.
Split make_split(const Interactions& data, const SplitSpec& spec,
                 const std::vector<uint8_t>* parts = nullptr);

/// All folds of a k-fold split (same seed => the folds partition the data).
std::vector<Split> kfold_splits(const Interactions& data, int32_t folds, uint64_t seed,
                                UnseenPolicy unseen = UnseenPolicy::kKeep);

}  // namespace metarec
