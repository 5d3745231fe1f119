// The grid runner: expands an experiment (datasets x algorithms x seeds) into jobs and runs each
// in a worker process with a wall-time budget and a memory cap, committing every result to the
// knowledge base as soon as it arrives. A job that overruns, throws or crashes is recorded with
// its status and the grid goes on; jobs already recorded are skipped (resume).
//
// Workers are separate processes started with exec (OpenMP's runtime does not survive a bare
// fork), each running `metarec worker`: one job per JSON line on stdin, one JobRecord per JSON
// line on stdout. A worker keeps its last dataset loaded, so a grid ordered by dataset loads each
// dataset once per worker.
#pragma once

#include <metarec/benchmark/job.h>
#include <metarec/benchmark/store.h>

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

namespace metarec {

/// An experiment: what to run. Read from JSON (the experiment file) or built from flags.
struct Experiment {
  std::string database = "metarec-kb.sqlite";
  /// Dataset specs or recipes; "derive:BASE1,BASE2:count=N,seed=S" expands to N generated
  /// recipes over the bases.
  std::vector<std::string> datasets;
  /// Generated derived datasets: `count` recipes over `bases` (which may be recipes themselves,
  /// e.g. "ml-1m|users:n=1000,by=uniform,seed=1" to start from a smaller sample).
  struct Derive {
    std::vector<std::string> bases;
    int count = 0;
    uint64_t seed = 1;
  };
  std::vector<Derive> derive;
  /// Per algorithm: parameter sets ("key=value" lists; one empty set = defaults) and tuning.
  struct Algorithm {
    std::string name;
    std::vector<std::vector<std::string>> param_sets{{}};
    TuneSpec tune;
  };
  std::vector<Algorithm> algorithms;
  std::string split = "random:test=0.2";
  std::vector<uint64_t> seeds{1};
  std::vector<std::string> metrics;
  std::vector<int> ks{10};
  std::string protocol = "full";
  int negatives = 99;
  double time_limit = 600;       ///< seconds per job
  int64_t memory_limit_mib = 0;  ///< per worker; 0 = none
  int jobs = 1;                  ///< worker processes
  int threads = 0;               ///< per job; 0 = cores / jobs
  /// Skip algorithms that cannot train on a dataset's feedback instead of recording a failure.
  bool skip_incompatible = true;

  static Experiment from_json(const nlohmann::json& j, const std::string& source);
  nlohmann::json to_json() const;
  /// The datasets with every "derive:" entry and derive block expanded, in order.
  std::vector<std::string> expanded_datasets() const;
  /// Every job, ordered by dataset so workers reuse loaded data.
  std::vector<JobSpec> expand() const;
};

struct RunnerOptions {
  std::vector<std::string> worker_command;  ///< e.g. {"/usr/bin/metarec", "worker"}
  int jobs = 1;
  double time_limit = 600;
  /// Resident memory a worker may use (MiB; 0 = no cap). The runner samples each busy worker's
  /// resident set ten times a second and kills it above the cap (status out_of_memory); an
  /// address-space rlimit is not used because thread stacks and BLAS buffers reserve far more
  /// address space than they touch.
  int64_t memory_limit_mib = 0;
  bool retry_failed = false;  ///< re-run recorded jobs whose status is not "ok"
  /// Re-run recorded jobs with one of these statuses (e.g. {"failed"}); adds to retry_failed.
  std::set<std::string> retry_statuses;
  /// After a job times out or runs out of memory, record its other seeds with the same status
  /// instead of running them (their error says which seed overran).
  bool skip_seeds_over_budget = true;
  std::string data_root;  ///< passed to workers
  /// Called after each job with (done, failed, remaining, seconds elapsed, the record).
  std::function<void(int64_t, int64_t, int64_t, double, const JobRecord&)> on_result;
};

struct RunSummary {
  int64_t planned = 0, skipped = 0, done = 0, failed = 0;
  double seconds = 0;
  /// Runner time per finished job beyond the worker's own wall time (IPC, process start), summed.
  double overhead_seconds = 0;
};

/// Runs the `jobs` not yet in `store`. Throws IoError when a worker cannot be started at all.
RunSummary run_jobs(const std::vector<JobSpec>& jobs, ResultStore& store,
                    const RunnerOptions& opts);

/// The loop of `metarec worker`: reads jobs from `in_fd`, writes records to `out_fd`, until EOF.
int worker_main(int in_fd, int out_fd, const std::string& data_root);

}  // namespace metarec
