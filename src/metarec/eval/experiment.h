// One algorithm on one dataset under one split protocol: fit on each training set, evaluate on
// its test set, and summarize across folds (mean and standard deviation per metric).
#pragma once

#include <metarec/data/split.h>
#include <metarec/eval/evaluator.h>

#include <string>
#include <vector>

namespace metarec {

struct FoldResult {
  EvalResult eval;
  double fit_seconds = 0;
  int64_t train_nnz = 0, test_nnz = 0;
  std::string split;
};

struct ExperimentResult {
  std::string algorithm;
  std::string params;  ///< "k=v,..." as used
  std::string protocol;
  std::vector<FoldResult> folds;
  /// Mean and (sample) standard deviation across folds, in the folds' metric order.
  std::vector<std::pair<std::string, double>> mean, stddev;
  double fit_seconds = 0, eval_seconds = 0;  ///< totals over folds
};

/// The split protocol of an experiment: "kfold:folds=5" runs every fold (cross-validation);
/// any other SplitSpec runs once.
struct ExperimentSpec {
  std::string split = "kfold:folds=5";
  EvalOptions eval;
  uint64_t seed = 42;
  int threads = 0;
  /// Called as (fraction, message) across all folds.
  std::function<void(double, const std::string&)> progress;
};

/// Runs `algorithm` with `params` ("key=value" strings) on `data` (and `parts` for a given split).
ExperimentResult run_experiment(const std::string& algorithm,
                                const std::vector<std::string>& params, const Interactions& data,
                                const ExperimentSpec& spec,
                                const std::vector<uint8_t>* parts = nullptr);

/// Runs `algorithm` once on a split made beforehand (`split_name` is what the fold reports): a
/// given split whose full data the caller has released, or one split shared by several
/// algorithms.
ExperimentResult run_experiment(const std::string& algorithm,
                                const std::vector<std::string>& params, const Split& split,
                                const std::string& split_name, const ExperimentSpec& spec);

}  // namespace metarec
