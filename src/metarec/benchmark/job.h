// One benchmark job: (dataset, split, seed, algorithm, parameters or a tuning budget, protocol),
// its identity for resuming, and its execution inside a worker process.
#pragma once

#include <metarec/benchmark/store.h>
#include <metarec/data/dataset.h>

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace metarec {

/// Hyper-parameter search within a job. The validation split is carved from the job's training
/// set only (a seeded random holdout), so the test set is never seen while tuning.
struct TuneSpec {
  std::string method;  ///< "" (no tuning), "random", or "halving" (successive halving)
  int trials = 8;      ///< configurations tried, the defaults first (halving: its first rung)
  int eta = 3;         ///< halving: keep the best 1/eta of each rung, multiply the data by eta
  std::string metric;  ///< what to optimize, e.g. "ndcg@10" or "rmse" ("" = chosen from data)
  double budget_seconds = 0;  ///< stop starting trials after this long (0 = no limit)
  bool enabled() const { return !method.empty(); }
  std::string to_string() const;  ///< "random:trials=8" ("" when disabled)
  /// Parses "random[:trials=N,metric=M]" or "halving[:trials=N,eta=E,metric=M]".
  static TuneSpec parse(const std::string& text);
};

struct JobSpec {
  std::string dataset;  ///< card name, file, "synthetic:...", "name:split", or a derived recipe
  std::string split = "random:test=0.2";
  uint64_t seed = 1;
  std::string algorithm;
  std::vector<std::string> params;  ///< "key=value" (fixed; the tuner leaves them alone)
  TuneSpec tune;
  std::vector<std::string> metrics;  ///< empty: the evaluator's default for model and data
  std::vector<int> ks{10};
  std::string protocol = "full";  ///< full or sampled
  int negatives = 99;
  int threads = 1;  ///< not part of the key

  /// The content key of everything that defines the result (not threads or limits): equal keys
  /// mean the same experiment, so the runner skips a job whose key is already recorded.
  std::string key() const;
  /// Evaluation protocol text stored with the result, e.g. "full;ks=10,20;metrics=default".
  std::string protocol_text() const;
  nlohmann::json to_json() const;
  static JobSpec from_json(const nlohmann::json& j);
};

/// Loads datasets for jobs, keeping the most recent base and derived dataset so a worker running
/// many jobs on one dataset loads it once.
class DatasetCache {
 public:
  explicit DatasetCache(LoadOptions opts = {}) : opts_(std::move(opts)) {}
  /// The dataset named by `spec` (recipes are applied); `parts` is set for given splits.
  const LoadedDataset& get(const std::string& spec, double* load_seconds = nullptr);

 private:
  LoadOptions opts_;
  std::string base_spec_, spec_;
  std::shared_ptr<LoadedDataset> base_, current_;
};

/// Runs one job in this process: load (cached), split, optionally tune, fit, evaluate. Never
/// throws for a failure of the job itself: the record's status says "failed", "out_of_memory" or
/// "incompatible" (the algorithm cannot train on the dataset's feedback) with the error text. Peak
/// memory is measured for this process (Linux; 0 elsewhere).
JobRecord run_job(const JobSpec& job, DatasetCache& cache);

/// The record of a job that produced no result of its own (crashed, timed out, not run), with
/// the job's identity filled in.
JobRecord failed_record(const JobSpec& job, const std::string& status, const std::string& error);

/// Random configurations of `algorithm`'s declared tuning ranges: `fixed` ("key=value") stay
/// fixed. Deterministic by `seed`.
std::vector<std::vector<std::string>> sample_configs(const std::string& algorithm,
                                                     const std::vector<std::string>& fixed,
                                                     int count, uint64_t seed);

}  // namespace metarec
