// The evaluator: rating metrics, full-ranking and sampled (1 + N negatives) ranking protocols,
// beyond-accuracy metrics, run in parallel over users for any Recommender.
#pragma once

#include <metarec/algorithms/recommender.h>
#include <metarec/data/interactions.h>
#include <metarec/data/negative_sampling.h>
#include <metarec/data/split.h>

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace metarec {

struct EvalOptions {
  /// Metric names without "@k": rmse, mae (rating); precision, precision_capped, recall,
  /// recall_capped, hr, ndcg, map, mrr, auc, topk_acc (ranking); coverage, diversity, novelty,
  /// gini, mep, mer (beyond accuracy). precision_capped@k = sum over users of hits@k / sum over
  /// users of min(k, |relevant|), a ratio of sums like implicit's "precision"; the others are means
  /// over users (recall_capped@k: the mean of hits@k / min(k, |relevant|), Liang et al.'s Recall@k,
  /// see recall_capped_at_k). Empty: a default
  /// set chosen from the data and the model (rating metrics only for rating predictors on
  /// explicit data).
  std::vector<std::string> metrics;
  std::vector<int> ks{10};
  std::string protocol =
      "full";              ///< "full" (rank all items but the user's training items) or "sampled"
  int32_t negatives = 99;  ///< sampled: negatives per held-out item
  NegativeMode negative_mode = NegativeMode::kUniform;
  /// sampled: read negatives from here (e.g. an NCF .test.negative file) instead of sampling.
  const std::vector<SampledCase>* given_cases = nullptr;
  /// mep/mer (explainability precision and recall): an item is explainable to a user when its
  /// neighbourhood explainability (the share of the user's `explain_neighbors` most
  /// cosine-similar training users who rated it) exceeds `explain_threshold`.
  int explain_neighbors = 10;
  float explain_threshold = 0;
  /// Test entries with a value below this are not relevant for ranking metrics (e.g. 4 stars);
  /// NaN: every test entry is relevant.
  float relevance_threshold = std::numeric_limits<float>::quiet_NaN();
  uint64_t seed = 42;
  int threads = 0;
  std::function<void(double, const std::string&)> progress;
};

struct EvalResult {
  std::string protocol;  ///< "full", "sampled:99:uniform", "sampled:file", "rating", "fold_in"
  std::vector<std::pair<std::string, double>> metrics;  ///< in a stable order, e.g. "ndcg@10"
  int64_t users = 0;         ///< users with at least one relevant test item (ranking)
  int64_t test_entries = 0;  ///< test entries used (rating) or ranked (sampled)
  double seconds = 0;        ///< evaluation wall time
  double get(const std::string& name) const;  ///< throws InvalidArgument if absent
  bool has(const std::string& name) const;
};

/// The metric names `evaluate` would use by default for this model and data.
std::vector<std::string> default_metrics(const Recommender& model, const Interactions& train);

/// Evaluates a fitted `model` trained on `train` against `test` (same index space).
EvalResult evaluate(const Recommender& model, const Interactions& train, const Interactions& test,
                    const EvalOptions& opts);

/// Strong generalization: every user with `test` entries is scored by FoldIn::score_new_user
/// from their `fold_in` items (not from training; by HistoryFoldIn::score_new_history, with the
/// items' timestamps, when the model has it and `fold_in` has timestamps), the fold-in items are
/// excluded from the ranking, and the full-protocol ranking and beyond-accuracy metrics are
/// computed over the test items (protocol "fold_in"). `model` was fitted on `train` (which holds
/// none of these users' entries; it supplies item popularity for novelty) and must implement
/// FoldIn, else InvalidArgument. Only the full protocol; no rating metrics. score_new_user runs in
/// parallel over users, so it must be thread-safe (it is const).
EvalResult evaluate_fold_in(const Recommender& model, const Interactions& train,
                            const Interactions& fold_in, const Interactions& test,
                            const EvalOptions& opts);

/// evaluate_fold_in for a split with held-out users (Split::has_fold_in), else evaluate.
EvalResult evaluate_split(const Recommender& model, const Split& split, const EvalOptions& opts);

}  // namespace metarec
