// `metarec benchmark`: run algorithms x datasets x seeds into the SQLite knowledge base, each job
// in a worker process (`metarec worker`, hidden) with a time and memory budget; resumable.
#include <metarec/benchmark/runner.h>
#include <metarec/core/atomic_file.h>
#include <metarec/core/error.h>
#include <metarec/core/strings.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <set>
#include <sstream>

#include "cli.h"

namespace metarec::cli {

namespace {

struct BenchArgs {
  std::string experiment, db, datasets, algorithms, tune, split, seeds, metrics, ks, protocol;
  std::string data_root;
  int jobs = 0, threads = -1, negatives = 0;
  double time_limit = 0;
  int64_t memory_limit = -1;
  bool retry_failed = false, dry_run = false;
  std::string retry;
};

// Splits a dataset list on ";", or, when there is none and no entry has options ("key=value",
// whose values may hold commas), on ",".
std::vector<std::string> dataset_list(const std::string& s) {
  if (s.find(';') == std::string::npos && s.find('=') != std::string::npos) return {s};
  if (s.find(';') == std::string::npos) return split_list(s);
  return split_list(s, ';');
}

std::string self_exe() {
  std::error_code ec;
  const auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec)
    METAREC_THROW(IoError, "cannot find the metarec executable (/proc/self/exe): ", ec.message());
  return p.string();
}

Experiment build_experiment(const BenchArgs& a, const Globals& g) {
  nlohmann::json j = nlohmann::json::object();
  std::string source = "command line";
  if (!a.experiment.empty()) {
    source = a.experiment;
    try {
      j = nlohmann::json::parse(read_file(a.experiment));
    } catch (const nlohmann::json::parse_error& e) {
      throw FormatError(a.experiment, 0, e.what());
    }
  }
  if (!a.db.empty()) j["database"] = a.db;
  if (!a.datasets.empty()) j["datasets"] = dataset_list(a.datasets);
  if (!a.algorithms.empty()) {
    nlohmann::json algs = nlohmann::json::array();
    for (const auto& n : split_list(a.algorithms)) {
      if (a.tune.empty() || n[0] == '@') {
        algs.push_back(n);
      } else {
        algs.push_back({{"name", n}, {"tune", a.tune}});
      }
    }
    j["algorithms"] = algs;
  }
  if (!a.split.empty()) j["split"] = a.split;
  if (!a.seeds.empty()) {
    std::vector<uint64_t> seeds;
    for (const auto& s : split_list(a.seeds)) {
      try {
        seeds.push_back(std::stoull(s));
      } catch (const std::exception&) {
        METAREC_THROW(InvalidArgument, "--seeds: \"", s, "\" is not an integer");
      }
    }
    j["seeds"] = seeds;
  }
  if (!a.metrics.empty()) j["metrics"] = split_list(a.metrics);
  if (!a.ks.empty()) {
    std::vector<int> ks;
    for (const auto& k : split_list(a.ks)) {
      try {
        ks.push_back(std::stoi(k));
      } catch (const std::exception&) {
        METAREC_THROW(InvalidArgument, "-k: \"", k, "\" is not an integer");
      }
    }
    j["ks"] = ks;
  }
  if (!a.protocol.empty()) j["protocol"] = a.protocol;
  if (a.negatives > 0) j["negatives"] = a.negatives;
  if (a.time_limit > 0) j["time_limit"] = a.time_limit;
  if (a.memory_limit >= 0) j["memory_limit_mib"] = a.memory_limit;
  if (a.jobs > 0) j["jobs"] = a.jobs;
  if (a.threads >= 0) j["threads"] = a.threads;
  if (g.threads > 0 && a.threads < 0) j["threads"] = g.threads;
  if ((!j.contains("datasets") && !j.contains("derive")) || !j.contains("algorithms"))
    METAREC_THROW(InvalidArgument,
                  "say what to run: an experiment file, or --data and --algorithms");
  return Experiment::from_json(j, source);
}

}  // namespace

void register_benchmark(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand(
      "benchmark",
      "Run algorithms x datasets x seeds into the knowledge base (SQLite); resumes where it "
      "stopped");
  static BenchArgs a;
  cmd->add_option("experiment", a.experiment,
                  "Experiment file (JSON; see docs/benchmark.md). Flags override its values");
  cmd->add_option("--db", a.db, "Knowledge base (default: metarec-kb.sqlite)");
  cmd->add_option(
      "--data", a.datasets,
      "Datasets: names, files, synthetic:..., recipes (ml-100k|kcore:k=5) or "
      "derive:BASES:count=N,seed=S; separate entries with ';' (',' works when no entry has "
      "options)");
  cmd->add_option("--algorithms", a.algorithms,
                  "Comma-separated names, or @trivial/@cheap/@moderate/@expensive for every "
                  "catalog entry up to that cost");
  cmd->add_option("--tune", a.tune,
                  "Tune each algorithm given with --algorithms: random:trials=8 or "
                  "halving:trials=27,eta=3 (on a validation split carved from training)");
  cmd->add_option("--split", a.split, "Split of every job (default random:test=0.2)");
  cmd->add_option("--seeds", a.seeds, "Comma-separated seeds (default 1)");
  cmd->add_option("--metrics", a.metrics, "Metrics (default: chosen from data and model)");
  cmd->add_option("-k,--ks", a.ks, "Cut-offs (default 10)");
  cmd->add_option("--protocol", a.protocol, "full or sampled (default full)")
      ->check(CLI::IsMember({"full", "sampled"}));
  cmd->add_option("--negatives", a.negatives, "Sampled protocol: negatives per test item");
  cmd->add_option("--jobs", a.jobs, "Worker processes (default 1)");
  cmd->add_option("--job-threads", a.threads, "Threads per job (default: --threads, else 1)");
  cmd->add_option("--time-limit", a.time_limit,
                  "Seconds per job before it is killed (default 600)");
  cmd->add_option("--memory-limit", a.memory_limit,
                  "MiB of resident memory per worker; a job above it is killed (default: none)");
  cmd->add_option("--data-root", a.data_root, "Where dataset cards' files live");
  cmd->add_flag("--retry-failed", a.retry_failed,
                "Run again the recorded jobs that did not succeed");
  cmd->add_option("--retry", a.retry,
                  "Run again the recorded jobs with these statuses (e.g. failed,crashed)");
  cmd->add_flag("--dry-run", a.dry_run, "List the jobs and what is already recorded, run nothing");
  cmd->add_flag("-q,--quiet", g.quiet, "No progress bar");
  add_run_options(cmd, g);
  cmd->callback([&g] {
    Experiment e = build_experiment(a, g);
    if (e.threads <= 0) e.threads = 1;
    const std::vector<JobSpec> jobs = e.expand();
    ResultStore store(e.database);
    if (a.dry_run) {
      std::set<std::string> redo;
      for (const auto& st : split_list(a.retry)) redo.insert(st);
      const auto have = a.retry_failed ? store.keys(true)
                        : redo.empty() ? store.keys(false)
                                       : store.keys_except(redo);
      int64_t pending = 0;
      for (const auto& j : jobs) pending += have.count(j.key()) ? 0 : 1;
      nlohmann::json out = {{"database", e.database},
                            {"datasets", e.expanded_datasets().size()},
                            {"jobs", jobs.size()},
                            {"recorded", static_cast<int64_t>(jobs.size()) - pending},
                            {"to_run", pending}};
      if (g.json) return print_json(out);
      std::cout << jobs.size() << " jobs over " << out["datasets"] << " datasets; "
                << out["recorded"] << " already in " << e.database << ", " << pending
                << " to run\n";
      return;
    }
    RunnerOptions ro;
    ro.worker_command = {self_exe(), "worker"};
    ro.jobs = e.jobs;
    ro.time_limit = e.time_limit;
    ro.memory_limit_mib = e.memory_limit_mib;
    ro.retry_failed = a.retry_failed;
    for (const auto& st : split_list(a.retry)) ro.retry_statuses.insert(st);
    ro.data_root = a.data_root.empty() ? default_data_root() : a.data_root;
    Progress bar("benchmark", !g.quiet);
    ro.on_result = [&](int64_t done, int64_t failed, int64_t remaining, double,
                       const JobRecord& r) {
      const double f = static_cast<double>(done) / static_cast<double>(done + remaining);
      bar.update(f, std::to_string(done) + " done, " + std::to_string(failed) + " failed, " +
                        std::to_string(remaining) + " left; last: " + r.algorithm + " " + r.status);
    };
    const RunSummary s = run_jobs(jobs, store, ro);
    bar.done();
    std::error_code ec, ec_wal;
    const auto main_bytes = std::filesystem::file_size(e.database, ec);
    const auto wal_bytes = std::filesystem::file_size(e.database + "-wal", ec_wal);
    const uintmax_t bytes = (ec ? 0 : main_bytes) + (ec_wal ? 0 : wal_bytes);
    const double per_hour = s.seconds > 0 ? 3600.0 * static_cast<double>(s.done) / s.seconds : 0;
    const double overhead_ms =
        s.done > 0 ? 1000.0 * s.overhead_seconds / static_cast<double>(s.done) : 0;
    nlohmann::json out = {{"database", e.database},    {"planned", s.planned},
                          {"skipped", s.skipped},      {"run", s.done},
                          {"failed", s.failed},        {"seconds", s.seconds},
                          {"jobs_per_hour", per_hour}, {"overhead_ms_per_job", overhead_ms},
                          {"database_bytes", bytes}};
    if (g.json) return print_json(out);
    Table t({"planned", "already recorded", "run", "failed", "seconds", "jobs/hour",
             "runner overhead/job", "database"});
    t.add({human_count(s.planned), human_count(s.skipped), human_count(s.done),
           human_count(s.failed), fmt(s.seconds, 1), fmt(per_hour, 0), fmt(overhead_ms, 1) + " ms",
           e.database + " (" + fmt(static_cast<double>(bytes) / 1048576.0, 2) + " MiB)"});
    std::cout << t.str();
    if (s.failed > 0)
      std::cout << s.failed << " job(s) did not succeed; `metarec report --db " << e.database
                << " --failures` lists them\n";
  });

  auto* worker = app.add_subcommand("worker", "");  // internal: one benchmark worker process
  worker->group("");
  static std::string worker_root;
  worker->add_option("--data-root", worker_root);
  worker->callback([] { std::exit(worker_main(0, 1, worker_root)); });
}

}  // namespace metarec::cli
