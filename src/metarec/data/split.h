// Train/test splits, all deterministic by seed: random holdout (global, per user), leave-last-k-out
// by time, per-user temporal fraction, global time cutoff, k-fold cross-validation, given files.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <metarec/data/interactions.h>

namespace metarec {

/// What to do with test entries whose user or item has no training interaction.
enum class UnseenPolicy {
  kDrop,  ///< remove them from the test set (counted)
  kKeep,  ///< keep them; rating models fall back to their defaults for them
};
UnseenPolicy parse_unseen_policy(const std::string& s);

struct SplitSpec {
  /// "random" (global holdout), "user_random" (per user), "leave_last" (per user, by time),
  /// "user_temporal" (per user, latest fraction), "time_cutoff" (global), "kfold", "given".
  std::string method = "random";
  double test_fraction = 0.2;  ///< random, user_random, user_temporal
  int32_t leave_k = 1;         ///< leave_last
  double cutoff_quantile = 0.8;  ///< time_cutoff: the time quantile where test starts
  int32_t folds = 5;           ///< kfold
  int32_t fold = 0;            ///< kfold: which fold is the test set
  uint64_t seed = 42;
  UnseenPolicy unseen = UnseenPolicy::kKeep;  // honest default: nothing vanishes silently
  int32_t min_user_count = 2;  ///< per-user methods leave users with fewer entries all in train

  /// Parses "method[:key=value,...]" e.g. "kfold:folds=5,fold=2", "leave_last:k=1",
  /// "random:test=0.1,seed=3". The keys: test, k, quantile, folds, fold, seed, unseen, min_user.
  static SplitSpec parse(const std::string& text);
  std::string to_string() const;
  /// Throws InvalidArgument when a field is out of range (parse() and make_split() call it).
  void validate() const;
};

struct Split {
  Interactions train, test;
  int64_t dropped_unseen_users = 0;  ///< test entries dropped because the user is not in train
  int64_t dropped_unseen_items = 0;  ///< ... because the item is not in train
  int64_t kept_unseen = 0;           ///< test entries with an unseen user or item, kept
  std::string description;
};

/// Splits `data` per `spec`. `parts` is required for method "given" (0 = train, 1 = test, as
/// produced by load_dataset("name:split")). Throws InvalidArgument for an empty train or test.
Split make_split(const Interactions& data, const SplitSpec& spec,
                 const std::vector<uint8_t>* parts = nullptr);

/// All folds of a k-fold split (same seed => the folds partition the data).
std::vector<Split> kfold_splits(const Interactions& data, int32_t folds, uint64_t seed,
                                UnseenPolicy unseen = UnseenPolicy::kKeep);

}  // namespace metarec
