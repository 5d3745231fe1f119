// The knowledge base: one SQLite database (WAL mode) holding every benchmark job's result, the
// meta-information of every dataset seen, and tuning traces. Each record() is one transaction, so
// a killed runner loses at most the jobs it had not yet recorded.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <utility>
#include <vector>

struct sqlite3;

namespace metarec {

/// One job's row: what ran, on what, and what came out.
struct JobRecord {
  std::string key;          ///< content key of the job's definition (resume identity)
  std::string dataset;      ///< the dataset spec or derived recipe, as given
  std::string fingerprint;  ///< content hash of the loaded dataset ("" if loading failed)
  nlohmann::json dataset_info = nlohmann::json::object();
  std::string split;
  uint64_t seed = 0;
  std::string algorithm;
  std::string params;    ///< the parameters used ("k=v,..." in schema order)
  std::string protocol;  ///< evaluation protocol and metrics asked for
  std::string status;    ///< ok, failed, timeout, out_of_memory, crashed
  std::string error;
  double load_seconds = 0, fit_seconds = 0, score_seconds = 0, wall_seconds = 0;
  double peak_mib = 0;  ///< the worker's peak resident memory during the job
  std::vector<std::pair<std::string, double>> metrics;  ///< "ndcg@10", "rmse", ...
  nlohmann::json tuning;    ///< null, or {method, chosen, trials: [...]}
  std::string version;      ///< metarec version that ran the job
  std::string finished_at;  ///< UTC, ISO 8601

  double metric(const std::string& name) const;  ///< NaN when absent
  nlohmann::json to_json() const;
  static JobRecord from_json(const nlohmann::json& j);
};

class ResultStore {
 public:
  /// Opens (creating when absent) the database at `path`, in WAL mode. Throws IoError naming the
  /// path when it cannot be opened or is not a metarec knowledge base.
  explicit ResultStore(const std::string& path);
  ~ResultStore();
  ResultStore(const ResultStore&) = delete;
  ResultStore& operator=(const ResultStore&) = delete;

  /// Writes one job (replacing a row with the same key), its metrics and its dataset's
  /// meta-information, in one transaction.
  void record(const JobRecord& r);
  /// Keys of jobs already recorded; with `ok_only`, only those whose status is "ok".
  std::set<std::string> keys(bool ok_only = false) const;
  /// Keys of recorded jobs whose status is not in `redo` (those are to be run again).
  std::set<std::string> keys_except(const std::set<std::string>& redo) const;
  /// Every job, in the order recorded.
  std::vector<JobRecord> jobs() const;
  int64_t count() const;
  const std::string& path() const { return path_; }

 private:
  void exec(const std::string& sql) const;
  std::string path_;
  sqlite3* db_ = nullptr;
};

}  // namespace metarec
