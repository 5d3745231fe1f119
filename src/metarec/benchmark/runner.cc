// Experiment expansion, the worker-process pool, and the worker loop.
#include <fcntl.h>
#include <metarec/algorithms/catalog.h>
#include <metarec/benchmark/derived.h>
#include <metarec/benchmark/runner.h>
#include <metarec/core/error.h>
#include <metarec/core/strings.h>
#include <metarec/data/split.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <deque>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

namespace metarec {

namespace {

using Clock = std::chrono::steady_clock;

int cost_rank(const std::string& cost) {
  static const std::vector<std::string> order = {"trivial", "cheap", "moderate", "expensive"};
  const auto it = std::find(order.begin(), order.end(), cost);
  return it == order.end() ? static_cast<int>(order.size()) : static_cast<int>(it - order.begin());
}

template <typename... A>
[[noreturn]] void bad_experiment(const std::string& source, const A&... a) {
  throw FormatError(source, 0, detail::concat(a...));
}

}  // namespace

Experiment Experiment::from_json(const nlohmann::json& j, const std::string& source) {
  static const std::set<std::string> known = {
      "database",         "datasets", "algorithms", "split",     "seeds",
      "metrics",          "ks",       "protocol",   "negatives", "time_limit",
      "memory_limit_mib", "jobs",     "threads",    "comment",   "derive"};
  if (!j.is_object()) bad_experiment(source, "an experiment is a JSON object");
  for (const auto& [k, v] : j.items()) {
    if (!known.count(k)) {
      std::string valid;
      for (const auto& x : known) valid += (valid.empty() ? "" : ", ") + x;
      bad_experiment(source, "unknown key \"", k, "\" (valid: ", valid, ")");
    }
  }
  Experiment e;
  try {
    e.database = j.value("database", e.database);
    e.datasets = j.value("datasets", std::vector<std::string>{});
    for (const auto& d : j.value("derive", nlohmann::json::array())) {
      for (const auto& [k, v] : d.items())
        if (k != "bases" && k != "count" && k != "seed")
          bad_experiment(source, "derive: unknown key \"", k, "\" (valid: bases, count, seed)");
      Derive dv;
      dv.bases = d.at("bases").get<std::vector<std::string>>();
      dv.count = d.at("count").get<int>();
      dv.seed = d.value("seed", dv.seed);
      if (dv.bases.empty() || dv.count < 1)
        bad_experiment(source, "derive: need at least one base and count >= 1");
      for (const auto& b : dv.bases) DerivedRecipe::parse(b);
      e.derive.push_back(std::move(dv));
    }
    const auto& algs = j.at("algorithms");
    for (const auto& a : algs) {
      if (a.is_string()) {
        const std::string s = a.get<std::string>();
        if (!s.empty() && s[0] == '@') {  // every catalog entry up to a cost class
          const int max_rank = cost_rank(s.substr(1));
          if (max_rank >= 4)
            bad_experiment(source, "\"", s, "\": use @trivial, @cheap, @moderate or @expensive");
          for (const auto& info : catalog())
            if (info.name != "random" && cost_rank(info.card.cost) <= max_rank)
              e.algorithms.push_back({info.name, {{}}, {}});
        } else {
          find_algorithm(s);
          e.algorithms.push_back({s, {{}}, {}});
        }
        continue;
      }
      Algorithm alg;
      alg.name = a.at("name").get<std::string>();
      find_algorithm(alg.name);
      if (a.contains("params")) {
        alg.param_sets.clear();
        for (const auto& set : a["params"])
          alg.param_sets.push_back(split_list(set.get<std::string>()));
      }
      alg.tune = TuneSpec::parse(a.value("tune", std::string()));
      for (const auto& ps : alg.param_sets)
        Params::parse(find_algorithm(alg.name).schema, ps, alg.name);
      e.algorithms.push_back(std::move(alg));
    }
    e.split = j.value("split", e.split);
    e.seeds = j.value("seeds", e.seeds);
    e.metrics = j.value("metrics", e.metrics);
    e.ks = j.value("ks", e.ks);
    e.protocol = j.value("protocol", e.protocol);
    e.negatives = j.value("negatives", e.negatives);
    e.time_limit = j.value("time_limit", e.time_limit);
    e.memory_limit_mib = j.value("memory_limit_mib", e.memory_limit_mib);
    e.jobs = j.value("jobs", e.jobs);
    e.threads = j.value("threads", e.threads);
  } catch (const nlohmann::json::exception& ex) {
    bad_experiment(source, ex.what());
  } catch (const InvalidArgument& ex) {
    bad_experiment(source, ex.what());
  }
  if ((e.datasets.empty() && e.derive.empty()) || e.algorithms.empty() || e.seeds.empty())
    bad_experiment(source, "need at least one dataset, algorithm and seed");
  if (e.protocol != "full" && e.protocol != "sampled")
    bad_experiment(source, "protocol must be full or sampled");
  if (e.jobs < 1 || e.time_limit <= 0) bad_experiment(source, "need jobs >= 1 and time_limit > 0");
  try {
    SplitSpec::parse(e.split);
    for (const auto& d : e.datasets)
      if (d.rfind("derive:", 0) != 0) DerivedRecipe::parse(d);
  } catch (const InvalidArgument& ex) {
    bad_experiment(source, ex.what());
  }
  return e;
}

nlohmann::json Experiment::to_json() const {
  nlohmann::json algs = nlohmann::json::array();
  for (const auto& a : algorithms) {
    nlohmann::json sets = nlohmann::json::array();
    for (const auto& s : a.param_sets) {
      std::string t;
      for (const auto& x : s) t += (t.empty() ? "" : ",") + x;
      sets.push_back(t);
    }
    algs.push_back({{"name", a.name}, {"params", sets}, {"tune", a.tune.to_string()}});
  }
  nlohmann::json der = nlohmann::json::array();
  for (const auto& dv : derive)
    der.push_back({{"bases", dv.bases}, {"count", dv.count}, {"seed", dv.seed}});
  return {{"database", database},
          {"datasets", datasets},
          {"derive", der},
          {"algorithms", algs},
          {"split", split},
          {"seeds", seeds},
          {"metrics", metrics},
          {"ks", ks},
          {"protocol", protocol},
          {"negatives", negatives},
          {"time_limit", time_limit},
          {"memory_limit_mib", memory_limit_mib},
          {"jobs", jobs},
          {"threads", threads}};
}

std::vector<std::string> Experiment::expanded_datasets() const {
  std::vector<std::string> out;
  for (const auto& d : datasets) {
    if (d.rfind("derive:", 0) != 0) {
      out.push_back(d);
      continue;
    }
    // derive:BASE1,BASE2:count=N,seed=S
    const std::string rest = d.substr(7);
    const auto colon = rest.rfind(':');
    if (colon == std::string::npos)
      METAREC_THROW(InvalidArgument, "\"", d, "\": expected derive:BASES:count=N,seed=S");
    int count = 0;
    uint64_t seed = 1;
    for (const auto& kv : split_list(rest.substr(colon + 1))) {
      const auto eq = kv.find('=');
      const std::string k = kv.substr(0, eq), v = eq == std::string::npos ? "" : kv.substr(eq + 1);
      try {
        if (k == "count") {
          count = std::stoi(v);
        } else if (k == "seed") {
          seed = std::stoull(v);
        } else {
          METAREC_THROW(InvalidArgument, "\"", d, "\": unknown key \"", k,
                        "\" (valid: count, seed)");
        }
      } catch (const std::logic_error&) {
        METAREC_THROW(InvalidArgument, "\"", d, "\": ", k, "=", v, " is not an integer");
      }
    }
    if (count < 1) METAREC_THROW(InvalidArgument, "\"", d, "\": count must be >= 1");
    for (auto& r : generate_recipes(split_list(rest.substr(0, colon)), count, seed))
      out.push_back(r);
  }
  for (const auto& dv : derive)
    for (auto& r : generate_recipes(dv.bases, dv.count, dv.seed)) out.push_back(r);
  return out;
}

std::vector<JobSpec> Experiment::expand() const {
  std::vector<JobSpec> out;
  for (const auto& d : expanded_datasets())
    for (uint64_t seed : seeds)
      for (const auto& a : algorithms)
        for (const auto& ps : a.param_sets) {
          JobSpec j;
          j.dataset = d;
          j.split = split;
          j.seed = seed;
          j.algorithm = a.name;
          j.params = ps;
          j.tune = a.tune;
          j.tune.budget_seconds = a.tune.enabled() ? 0.6 * time_limit : 0;
          j.metrics = metrics;
          j.ks = ks;
          j.protocol = protocol;
          j.negatives = negatives;
          j.threads = threads;
          out.push_back(std::move(j));
        }
  return out;
}

namespace {

struct Worker {
  pid_t pid = -1;
  int to = -1, from = -1;
  std::string buffer;
  int64_t job = -1;  // index into the pending list, -1 when idle
  Clock::time_point start;
};

void close_fd(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

// Starts `w` as a new worker process; throws IoError when the pipes or the fork fail.
void spawn(Worker& w, const std::vector<std::string>& command) {
  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) != 0)
    METAREC_THROW(IoError, "cannot create a pipe: ", std::strerror(errno));
  if (pipe2(out, O_CLOEXEC) != 0) {
    close(in[0]);
    close(in[1]);
    METAREC_THROW(IoError, "cannot create a pipe: ", std::strerror(errno));
  }
  std::vector<char*> argv;
  for (const auto& a : command) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    for (int fd : {in[0], in[1], out[0], out[1]}) close(fd);
    METAREC_THROW(IoError, "cannot start a worker: ", std::strerror(errno));
  }
  if (pid == 0) {  // child: only async-signal-safe calls until exec
    dup2(in[0], 0);
    dup2(out[1], 1);
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // a killed runner takes its workers with it
    if (getppid() != parent) _exit(126);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  w.pid = pid;
  w.to = in[1];
  w.from = out[0];
  w.buffer.clear();
  w.job = -1;
}

// Kills (when `kill_it`) and reaps the worker; returns a description of how it ended.
std::string reap(Worker& w, bool kill_it) {
  close_fd(w.to);
  close_fd(w.from);
  if (w.pid < 0) return "";
  if (kill_it) kill(w.pid, SIGKILL);
  int status = 0;
  while (waitpid(w.pid, &status, 0) < 0 && errno == EINTR) {
  }
  w.pid = -1;
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    std::string s = "worker killed by signal " + std::to_string(sig) + " (" + strsignal(sig) + ")";
    if (sig == SIGKILL && !kill_it) s += ", possibly by the system's out-of-memory killer";
    return s;
  }
  if (WIFEXITED(status)) return "worker exited with status " + std::to_string(WEXITSTATUS(status));
  return "worker ended";
}

// Resident memory of `pid` in MiB (0 when unknown).
double resident_mib(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  return 0;
}

bool write_all(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    const ssize_t n = write(fd, s.data() + off, s.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    off += static_cast<size_t>(n);
  }
  return true;
}

// True for how reap() describes a worker whose exec failed (or whose parent was already gone).
bool not_started(const std::string& how) {
  return how == "worker exited with status 127" || how == "worker exited with status 126";
}

double seconds_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

}  // namespace

RunSummary run_jobs(const std::vector<JobSpec>& all, ResultStore& store,
                    const RunnerOptions& opts) {
  METAREC_CHECK(!opts.worker_command.empty(), "run_jobs: no worker command");
  METAREC_CHECK(opts.jobs >= 1, "run_jobs: jobs must be >= 1");
  RunSummary sum;
  sum.planned = static_cast<int64_t>(all.size());
  const std::set<std::string> recorded = opts.retry_statuses.empty() ? store.keys(opts.retry_failed)
                                         : opts.retry_failed
                                             ? store.keys(true)
                                             : store.keys_except(opts.retry_statuses);
  std::deque<int64_t> queue;
  std::set<std::string> queued;
  for (size_t j = 0; j < all.size(); ++j) {
    const std::string k = all[j].key();
    if (recorded.count(k) || !queued.insert(k).second) {
      ++sum.skipped;
      continue;
    }
    queue.push_back(static_cast<int64_t>(j));
  }
  std::vector<std::string> command = opts.worker_command;
  if (!opts.data_root.empty()) {
    command.push_back("--data-root");
    command.push_back(opts.data_root);
  }
  struct sigaction ignore {
  }, old_pipe{};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ignore, &old_pipe);

  const auto t0 = Clock::now();
  std::vector<Worker> workers(
      static_cast<size_t>(std::min<int64_t>(opts.jobs, std::max<size_t>(1, queue.size()))));
  const int64_t total = static_cast<int64_t>(queue.size());
  int consecutive_start_failures = 0;

  // The same job with another seed: once one seed overran its time or memory budget, the others
  // would too, so they are recorded with that status without being run.
  auto sibling = [&](int64_t j) {
    JobSpec s = all[static_cast<size_t>(j)];
    s.seed = 0;
    return s.key();
  };
  std::map<std::string, std::string> over_budget;  // sibling key -> "timeout: seed 1 ..."

  auto finish = [&](Worker& w, JobRecord r) {
    const JobSpec& job = all[static_cast<size_t>(w.job)];
    r.key = job.key();  // the runner's identity wins over anything the worker sent
    if (opts.skip_seeds_over_budget && (r.status == "timeout" || r.status == "out_of_memory"))
      over_budget.try_emplace(sibling(w.job), r.status + "\n" + std::to_string(job.seed));
    w.job = -1;
    store.record(r);
    ++sum.done;
    if (r.status != "ok" && r.status != "incompatible") ++sum.failed;
    if (opts.on_result)
      opts.on_result(sum.done, sum.failed, total - sum.done, seconds_between(t0, Clock::now()), r);
  };

  try {
    while (!queue.empty() || std::any_of(workers.begin(), workers.end(),
                                         [](const Worker& w) { return w.job >= 0; })) {
      // Hand out work.
      for (auto& w : workers) {
        if (w.job >= 0 || queue.empty()) continue;
        if (w.pid < 0) spawn(w, command);
        const int64_t j = queue.front();
        if (auto it = over_budget.find(sibling(j)); it != over_budget.end()) {
          queue.pop_front();
          const auto nl = it->second.find('\n');
          w.job = j;
          finish(w, failed_record(all[static_cast<size_t>(j)], it->second.substr(0, nl),
                                  "not run: seed " + it->second.substr(nl + 1) +
                                      " of the same job ended with " + it->second.substr(0, nl)));
          continue;
        }
        const std::string line = all[static_cast<size_t>(j)].to_json().dump() + "\n";
        w.job = j;
        w.start = Clock::now();
        queue.pop_front();
        if (!write_all(w.to, line)) {
          // The worker died before taking the job: it could not start (exec failed), or it
          // crashed while idle. The job is not at fault either way, so it goes back to the queue.
          const std::string how = reap(w, true);
          w.job = -1;
          queue.push_front(j);
          if (++consecutive_start_failures >= 3)
            METAREC_THROW(IoError, "cannot start the worker ", opts.worker_command[0], " (", how,
                          ")");
        }
      }
      // Wait for a result, a death or a deadline.
      std::vector<pollfd> fds;
      std::vector<Worker*> owners;
      // With a memory cap, look at the workers' memory ten times a second.
      double wait = opts.memory_limit_mib > 0 ? 0.1 : 0.25;
      const auto now = Clock::now();
      for (auto& w : workers) {
        if (w.job < 0) continue;
        fds.push_back({w.from, POLLIN, 0});
        owners.push_back(&w);
        wait = std::min(wait, opts.time_limit - seconds_between(w.start, now));
      }
      if (fds.empty()) continue;
      const int timeout_ms = std::max(0, static_cast<int>(wait * 1000.0) + 1);
      const int ready = poll(fds.data(), fds.size(), timeout_ms);
      if (ready < 0 && errno != EINTR) METAREC_THROW(IoError, "poll: ", std::strerror(errno));
      for (size_t f = 0; f < fds.size(); ++f) {
        Worker& w = *owners[f];
        if (w.job < 0) continue;
        if (ready > 0 && (fds[f].revents & (POLLIN | POLLHUP | POLLERR))) {
          char buf[65536];
          const ssize_t n = read(w.from, buf, sizeof buf);
          if (n > 0) {
            w.buffer.append(buf, static_cast<size_t>(n));
            const auto nl = w.buffer.find('\n');
            if (nl != std::string::npos) {
              const std::string line = w.buffer.substr(0, nl);
              w.buffer.erase(0, nl + 1);
              const double wall = seconds_between(w.start, Clock::now());
              const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
              JobRecord r;
              if (j.is_discarded() || !j.is_object()) {
                r = failed_record(all[static_cast<size_t>(w.job)], "crashed",
                                  "worker sent an unreadable result");
                r.wall_seconds = wall;
                reap(w, true);
              } else {
                r = JobRecord::from_json(j);
                sum.overhead_seconds += std::max(0.0, wall - r.wall_seconds);
              }
              consecutive_start_failures = 0;
              finish(w, std::move(r));
            }
            continue;
          }
          if (n < 0 && errno == EINTR) continue;
          // EOF: the worker died with the job.
          JobRecord r = failed_record(all[static_cast<size_t>(w.job)], "crashed", "");
          r.wall_seconds = seconds_between(w.start, Clock::now());
          r.error = reap(w, false);
          if (not_started(r.error)) {
            if (++consecutive_start_failures >= 3)
              METAREC_THROW(IoError, "cannot start the worker ", opts.worker_command[0], " (",
                            r.error, ")");
            queue.push_front(w.job);  // not the job's fault: try again
            w.job = -1;
            continue;
          }
          finish(w, std::move(r));
          continue;
        }
        if (opts.memory_limit_mib > 0) {
          const double rss = resident_mib(w.pid);
          if (rss > static_cast<double>(opts.memory_limit_mib)) {
            JobRecord r = failed_record(all[static_cast<size_t>(w.job)], "out_of_memory", "");
            r.wall_seconds = seconds_between(w.start, Clock::now());
            r.peak_mib = rss;
            reap(w, true);
            r.error = "exceeded the memory limit of " + std::to_string(opts.memory_limit_mib) +
                      " MiB (resident " + std::to_string(static_cast<int64_t>(rss)) + " MiB)";
            finish(w, std::move(r));
            continue;
          }
        }
        if (seconds_between(w.start, Clock::now()) >= opts.time_limit) {
          JobRecord r = failed_record(all[static_cast<size_t>(w.job)], "timeout", "");
          r.wall_seconds = seconds_between(w.start, Clock::now());
          reap(w, true);
          r.error = "exceeded the time limit of " + std::to_string(opts.time_limit) + " s";
          finish(w, std::move(r));
        }
      }
    }
  } catch (...) {
    for (auto& w : workers) reap(w, true);
    sigaction(SIGPIPE, &old_pipe, nullptr);
    throw;
  }
  for (auto& w : workers) {
    close_fd(w.to);  // EOF: the worker's loop ends
    reap(w, false);
  }
  sigaction(SIGPIPE, &old_pipe, nullptr);
  sum.seconds = seconds_between(t0, Clock::now());
  return sum;
}

int worker_main(int in_fd, int out_fd, const std::string& data_root) {
  LoadOptions lo;
  lo.data_root = data_root;
  DatasetCache cache(lo);
  std::string buffer;
  char buf[65536];
  for (;;) {
    const ssize_t n = read(in_fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return 0;
    buffer.append(buf, static_cast<size_t>(n));
    for (auto nl = buffer.find('\n'); nl != std::string::npos; nl = buffer.find('\n')) {
      const std::string line = buffer.substr(0, nl);
      buffer.erase(0, nl + 1);
      JobRecord r;
      try {
        r = run_job(JobSpec::from_json(nlohmann::json::parse(line)), cache);
      } catch (const std::exception& e) {
        r.status = "failed";
        r.error = std::string("bad job: ") + e.what();
      }
      if (!write_all(out_fd, r.to_json().dump() + "\n")) return 1;
    }
  }
}

}  // namespace metarec
