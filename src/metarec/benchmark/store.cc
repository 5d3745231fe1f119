// SQLite knowledge base.
#include <metarec/benchmark/store.h>
#include <metarec/core/error.h>
#include <sqlite3.h>

#include <cmath>
#include <limits>
#include <map>

namespace metarec {

namespace {

constexpr int kSchemaVersion = 1;

const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS datasets(
  fingerprint TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  users INTEGER, items INTEGER, interactions INTEGER, density REAL, feedback TEXT,
  info TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS jobs(
  key TEXT PRIMARY KEY,
  dataset TEXT NOT NULL, fingerprint TEXT NOT NULL, split TEXT NOT NULL, seed INTEGER NOT NULL,
  algorithm TEXT NOT NULL, params TEXT NOT NULL, protocol TEXT NOT NULL,
  status TEXT NOT NULL, error TEXT NOT NULL,
  load_seconds REAL, fit_seconds REAL, score_seconds REAL, wall_seconds REAL, peak_mib REAL,
  tuning TEXT, version TEXT NOT NULL, finished_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS jobs_by_dataset ON jobs(dataset, algorithm);
CREATE TABLE IF NOT EXISTS metrics(
  job_key TEXT NOT NULL REFERENCES jobs(key) ON DELETE CASCADE,
  name TEXT NOT NULL,   -- "ndcg@10"
  metric TEXT NOT NULL, -- "ndcg"
  k INTEGER NOT NULL,   -- 10 (0 for rating metrics)
  value REAL,
  PRIMARY KEY(job_key, name));
)sql";

// A prepared statement that finalizes itself.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql, const std::string& path) : db_(db), path_(path) {
    if (sqlite3_prepare_v2(db, sql, -1, &s_, nullptr) != SQLITE_OK)
      METAREC_THROW(IoError, path, ": SQLite: ", sqlite3_errmsg(db));
  }
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  Stmt& bind(int i, const std::string& v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& bind(int i, int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  Stmt& bind(int i, double v) {
    if (std::isnan(v)) {
      sqlite3_bind_null(s_, i);
    } else {
      sqlite3_bind_double(s_, i, v);
    }
    return *this;
  }
  /// True while there is a row; throws on error.
  bool step() {
    const int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    METAREC_THROW(IoError, path_, ": SQLite: ", sqlite3_errmsg(db_));
  }
  void run() {
    step();
    sqlite3_reset(s_);
  }
  std::string text(int c) const {
    const auto* p = sqlite3_column_text(s_, c);
    return p ? reinterpret_cast<const char*>(p) : "";
  }
  int64_t integer(int c) const { return sqlite3_column_int64(s_, c); }
  double real(int c) const {
    return sqlite3_column_type(s_, c) == SQLITE_NULL ? std::numeric_limits<double>::quiet_NaN()
                                                     : sqlite3_column_double(s_, c);
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* s_ = nullptr;
  const std::string& path_;
};

std::pair<std::string, int64_t> split_metric(const std::string& name) {
  const auto at = name.find('@');
  if (at == std::string::npos) return {name, 0};
  try {
    return {name.substr(0, at), std::stoll(name.substr(at + 1))};
  } catch (const std::exception&) {
    return {name, 0};
  }
}

}  // namespace

double JobRecord::metric(const std::string& name) const {
  for (const auto& [n, v] : metrics)
    if (n == name) return v;
  return std::numeric_limits<double>::quiet_NaN();
}

nlohmann::json JobRecord::to_json() const {
  nlohmann::json m = nlohmann::json::object();
  for (const auto& [n, v] : metrics) m[n] = std::isfinite(v) ? nlohmann::json(v) : nlohmann::json();
  return {{"key", key},
          {"dataset", dataset},
          {"fingerprint", fingerprint},
          {"dataset_info", dataset_info},
          {"split", split},
          {"seed", seed},
          {"algorithm", algorithm},
          {"params", params},
          {"protocol", protocol},
          {"status", status},
          {"error", error},
          {"load_seconds", load_seconds},
          {"fit_seconds", fit_seconds},
          {"score_seconds", score_seconds},
          {"wall_seconds", wall_seconds},
          {"peak_mib", peak_mib},
          {"metrics", m},
          {"tuning", tuning},
          {"version", version},
          {"finished_at", finished_at}};
}

JobRecord JobRecord::from_json(const nlohmann::json& j) {
  JobRecord r;
  r.key = j.value("key", "");
  r.dataset = j.value("dataset", "");
  r.fingerprint = j.value("fingerprint", "");
  r.dataset_info = j.value("dataset_info", nlohmann::json::object());
  r.split = j.value("split", "");
  r.seed = j.value("seed", uint64_t{0});
  r.algorithm = j.value("algorithm", "");
  r.params = j.value("params", "");
  r.protocol = j.value("protocol", "");
  r.status = j.value("status", "");
  r.error = j.value("error", "");
  r.load_seconds = j.value("load_seconds", 0.0);
  r.fit_seconds = j.value("fit_seconds", 0.0);
  r.score_seconds = j.value("score_seconds", 0.0);
  r.wall_seconds = j.value("wall_seconds", 0.0);
  r.peak_mib = j.value("peak_mib", 0.0);
  if (j.contains("metrics") && j["metrics"].is_object())
    for (const auto& [n, v] : j["metrics"].items())
      r.metrics.emplace_back(
          n, v.is_number() ? v.get<double>() : std::numeric_limits<double>::quiet_NaN());
  r.tuning = j.value("tuning", nlohmann::json());
  r.version = j.value("version", "");
  r.finished_at = j.value("finished_at", "");
  return r;
}

ResultStore::ResultStore(const std::string& path) : path_(path) {
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    const std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    METAREC_THROW(IoError, "cannot open knowledge base ", path, ": ", msg);
  }
  sqlite3_busy_timeout(db_, 30000);
  try {
    exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;");
    exec(kSchema);
    Stmt q(db_, "SELECT value FROM meta WHERE key='schema'", path_);
    if (q.step()) {
      if (q.text(0) != std::to_string(kSchemaVersion))
        METAREC_THROW(IoError, path, ": knowledge base schema ", q.text(0), ", this metarec reads ",
                      kSchemaVersion);
    } else {
      Stmt w(db_, "INSERT INTO meta(key, value) VALUES('schema', ?)", path_);
      w.bind(1, std::to_string(kSchemaVersion)).run();
    }
  } catch (...) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw;
  }
}

ResultStore::~ResultStore() {
  if (db_) sqlite3_close(db_);
}

void ResultStore::exec(const std::string& sql) const {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    const std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    METAREC_THROW(IoError, path_, ": SQLite: ", msg);
  }
}

void ResultStore::record(const JobRecord& r) {
  exec("BEGIN IMMEDIATE");
  try {
    if (!r.fingerprint.empty()) {
      Stmt d(db_,
             "INSERT OR REPLACE INTO datasets(fingerprint, name, users, items, interactions, "
             "density, feedback, info) VALUES(?,?,?,?,?,?,?,?)",
             path_);
      const auto& i = r.dataset_info;
      d.bind(1, r.fingerprint)
          .bind(2, r.dataset)
          .bind(3, i.value("users", int64_t{0}))
          .bind(4, i.value("items", int64_t{0}))
          .bind(5, i.value("interactions", int64_t{0}))
          .bind(6, i.value("density", 0.0))
          .bind(7, i.value("feedback", std::string()))
          .bind(8, i.dump())
          .run();
    }
    Stmt del(db_, "DELETE FROM metrics WHERE job_key=?", path_);
    del.bind(1, r.key).run();
    Stmt j(db_,
           "INSERT OR REPLACE INTO jobs(key, dataset, fingerprint, split, seed, algorithm, params, "
           "protocol, status, error, load_seconds, fit_seconds, score_seconds, wall_seconds, "
           "peak_mib, tuning, version, finished_at) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
           path_);
    j.bind(1, r.key)
        .bind(2, r.dataset)
        .bind(3, r.fingerprint)
        .bind(4, r.split)
        .bind(5, static_cast<int64_t>(r.seed))
        .bind(6, r.algorithm)
        .bind(7, r.params)
        .bind(8, r.protocol)
        .bind(9, r.status)
        .bind(10, r.error)
        .bind(11, r.load_seconds)
        .bind(12, r.fit_seconds)
        .bind(13, r.score_seconds)
        .bind(14, r.wall_seconds)
        .bind(15, r.peak_mib)
        .bind(16, r.tuning.is_null() ? std::string() : r.tuning.dump())
        .bind(17, r.version)
        .bind(18, r.finished_at)
        .run();
    Stmt m(db_, "INSERT INTO metrics(job_key, name, metric, k, value) VALUES(?,?,?,?,?)", path_);
    for (const auto& [name, value] : r.metrics) {
      const auto [metric, k] = split_metric(name);
      m.bind(1, r.key).bind(2, name).bind(3, metric).bind(4, k).bind(5, value).run();
    }
    exec("COMMIT");
  } catch (...) {
    char* err = nullptr;
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, &err);
    sqlite3_free(err);
    throw;
  }
}

std::set<std::string> ResultStore::keys(bool ok_only) const {
  Stmt q(db_, ok_only ? "SELECT key FROM jobs WHERE status='ok'" : "SELECT key FROM jobs", path_);
  std::set<std::string> out;
  while (q.step()) out.insert(q.text(0));
  return out;
}

std::set<std::string> ResultStore::keys_except(const std::set<std::string>& redo) const {
  Stmt q(db_, "SELECT key, status FROM jobs", path_);
  std::set<std::string> out;
  while (q.step())
    if (!redo.count(q.text(1))) out.insert(q.text(0));
  return out;
}

int64_t ResultStore::count() const {
  Stmt q(db_, "SELECT COUNT(*) FROM jobs", path_);
  q.step();
  return q.integer(0);
}

std::vector<JobRecord> ResultStore::jobs() const {
  std::map<std::string, nlohmann::json> infos;
  {
    Stmt q(db_, "SELECT fingerprint, info FROM datasets", path_);
    while (q.step()) infos[q.text(0)] = nlohmann::json::parse(q.text(1), nullptr, false);
  }
  std::vector<JobRecord> out;
  std::map<std::string, size_t> at;
  {
    Stmt q(db_,
           "SELECT key, dataset, fingerprint, split, seed, algorithm, params, protocol, status, "
           "error, load_seconds, fit_seconds, score_seconds, wall_seconds, peak_mib, tuning, "
           "version, finished_at FROM jobs ORDER BY rowid",
           path_);
    while (q.step()) {
      JobRecord r;
      r.key = q.text(0);
      r.dataset = q.text(1);
      r.fingerprint = q.text(2);
      if (auto it = infos.find(r.fingerprint); it != infos.end() && !it->second.is_discarded())
        r.dataset_info = it->second;
      r.split = q.text(3);
      r.seed = static_cast<uint64_t>(q.integer(4));
      r.algorithm = q.text(5);
      r.params = q.text(6);
      r.protocol = q.text(7);
      r.status = q.text(8);
      r.error = q.text(9);
      r.load_seconds = q.real(10);
      r.fit_seconds = q.real(11);
      r.score_seconds = q.real(12);
      r.wall_seconds = q.real(13);
      r.peak_mib = q.real(14);
      const std::string t = q.text(15);
      if (!t.empty()) r.tuning = nlohmann::json::parse(t, nullptr, false);
      r.version = q.text(16);
      r.finished_at = q.text(17);
      at[r.key] = out.size();
      out.push_back(std::move(r));
    }
  }
  Stmt q(db_, "SELECT job_key, name, value FROM metrics ORDER BY rowid", path_);
  while (q.step())
    if (auto it = at.find(q.text(0)); it != at.end())
      out[it->second].metrics.emplace_back(q.text(1), q.real(2));
  return out;
}

}  // namespace metarec
