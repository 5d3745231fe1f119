// The grid runner with real worker processes (the metarec binary): results, resume, a job that
// overruns its time, a worker that crashes, a memory cap, and `kill -9` of the runner itself.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <metarec/benchmark/runner.h>
#include <metarec/core/error.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "../cli/run_cli.h"

extern char** environ;

namespace metarec {
namespace {

std::string tmp(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("metarec_runner_" + std::to_string(::getpid()) + "_" + name))
      .string();
}

void remove_db(const std::string& p) {
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(p + suffix);
}

RunnerOptions options(int jobs = 2) {
  RunnerOptions o;
  o.worker_command = {METAREC_CLI, "worker"};
  o.jobs = jobs;
  o.time_limit = 60;
  return o;
}

JobSpec quick(const std::string& algorithm, uint64_t seed) {
  JobSpec j;
  j.dataset = "synthetic:users=200,items=100,per_user=10,seed=2";
  j.algorithm = algorithm;
  j.seed = seed;
  return j;
}

// Direct children of this process whose command line mentions "worker".
std::vector<pid_t> worker_children(pid_t parent) {
  std::vector<pid_t> out;
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    const std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(e.path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    // pid (comm) state ppid ...
    const auto close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));
    std::string state;
    pid_t ppid = 0;
    rest >> state >> ppid;
    if (ppid != parent || state == "Z") continue;
    std::ifstream cmd(e.path() / "cmdline");
    std::string args((std::istreambuf_iterator<char>(cmd)), std::istreambuf_iterator<char>());
    if (args.find("worker") != std::string::npos) out.push_back(std::stoi(name));
  }
  return out;
}

// A job that runs far longer than the tests' time limits (SVD++, 500 epochs, 180K ratings).
JobSpec slow_job() {
  JobSpec slow = quick("svdpp", 1);
  slow.dataset = "synthetic:users=3000,items=1500,per_user=60,seed=2";
  slow.params = {"epochs=500", "factors=64"};
  return slow;
}

// True while `pid` exists and is not a zombie.
bool running(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  const auto close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] != 'Z';
}

TEST(Runner, RunsEveryJobAndResumes) {
  const std::string db = tmp("grid.sqlite");
  remove_db(db);
  std::vector<JobSpec> jobs;
  for (uint64_t seed : {1, 2})
    for (const char* a : {"most_popular", "item_knn", "bias", "funk_mf"})
      jobs.push_back(quick(a, seed));
  jobs.push_back(jobs[0]);  // a duplicate is run once
  ResultStore store(db);
  int64_t callbacks = 0;
  RunnerOptions o = options();
  o.on_result = [&](int64_t, int64_t, int64_t, double, const JobRecord&) { ++callbacks; };
  const RunSummary s = run_jobs(jobs, store, o);
  EXPECT_EQ(s.planned, 9);
  EXPECT_EQ(s.skipped, 1);
  EXPECT_EQ(s.done, 8);
  EXPECT_EQ(s.failed, 0);
  EXPECT_EQ(callbacks, 8);
  EXPECT_EQ(store.count(), 8);
  for (const auto& r : store.jobs()) {
    EXPECT_EQ(r.status, "ok") << r.algorithm << ": " << r.error;
    EXPECT_FALSE(r.metrics.empty());
    EXPECT_EQ(r.version, METAREC_VERSION);
  }
  // The runner's overhead per job is milliseconds, not seconds.
  EXPECT_LT(s.overhead_seconds / static_cast<double>(s.done), 0.25);
  const RunSummary again = run_jobs(jobs, store, o);
  EXPECT_EQ(again.done, 0);
  EXPECT_EQ(again.skipped, 9);
  remove_db(db);
}

TEST(Runner, OverrunningJobIsKilledAndTheGridGoesOn) {
  const std::string db = tmp("timeout.sqlite");
  remove_db(db);
  JobSpec slow = slow_job();
  JobSpec slow_seed2 = slow;
  slow_seed2.seed = 2;
  std::vector<JobSpec> jobs = {slow, slow_seed2, quick("bias", 1)};
  ResultStore store(db);
  RunnerOptions o = options(1);
  o.time_limit = 1.0;
  const auto t0 = std::chrono::steady_clock::now();
  const RunSummary s = run_jobs(jobs, store, o);
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 20);
  EXPECT_EQ(s.done, 3);
  EXPECT_EQ(s.failed, 2);
  const auto rows = store.jobs();
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].status, "timeout");
  EXPECT_NE(rows[0].error.find("time limit"), std::string::npos);
  EXPECT_GE(rows[0].wall_seconds, 1.0);
  // The same job with another seed is not run again: it would overrun too.
  EXPECT_EQ(rows[1].status, "timeout");
  EXPECT_EQ(rows[1].seed, 2u);
  EXPECT_NE(rows[1].error.find("not run: seed 1"), std::string::npos) << rows[1].error;
  EXPECT_LT(rows[1].wall_seconds, 0.5);
  EXPECT_EQ(rows[2].status, "ok") << rows[2].error;
  remove_db(db);
}

TEST(Runner, CrashedWorkerIsRecordedWithItsSignal) {
  const std::string db = tmp("crash.sqlite");
  remove_db(db);
  JobSpec slow = slow_job();
  std::vector<JobSpec> jobs = {slow, quick("bias", 1)};
  ResultStore store(db);
  std::atomic<bool> stop{false};
  std::thread killer([&] {
    // Wait for the worker to be busy, then crash it the way a segfault would.
    std::this_thread::sleep_for(std::chrono::milliseconds(800));
    for (int tries = 0; tries < 100 && !stop; ++tries) {
      const auto kids = worker_children(getpid());
      if (!kids.empty()) {
        kill(kids[0], SIGSEGV);
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  const RunSummary s = run_jobs(jobs, store, options(1));
  stop = true;
  killer.join();
  EXPECT_EQ(s.done, 2);
  const auto rows = store.jobs();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].status, "crashed");
  EXPECT_NE(rows[0].error.find("signal 11"), std::string::npos) << rows[0].error;
  EXPECT_EQ(rows[1].status, "ok") << rows[1].error;  // a new worker took the next job
  remove_db(db);
}

TEST(Runner, MemoryCapStopsAJobThatAsksForTooMuch) {
  const std::string db = tmp("memory.sqlite");
  remove_db(db);
  // EASE on 12,000 items holds a 12,000^2 float matrix (550 MiB), above a 300 MiB cap.
  JobSpec big = quick("ease", 1);
  big.dataset = "synthetic:users=3000,items=12000,per_user=5,min_per_user=2,seed=2";
  std::vector<JobSpec> jobs = {big, quick("bias", 1)};
  ResultStore store(db);
  RunnerOptions o = options(1);
  o.memory_limit_mib = 300;
  const RunSummary s = run_jobs(jobs, store, o);
  EXPECT_EQ(s.done, 2);
  const auto rows = store.jobs();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].status, "out_of_memory") << rows[0].error;
  EXPECT_NE(rows[0].error.find("memory limit of 300 MiB"), std::string::npos) << rows[0].error;
  EXPECT_GT(rows[0].peak_mib, 300);
  EXPECT_EQ(rows[1].status, "ok") << rows[1].error;
  remove_db(db);
}

TEST(Runner, MissingWorkerBinaryIsAnError) {
  const std::string db = tmp("noworker.sqlite");
  remove_db(db);
  ResultStore store(db);
  RunnerOptions o = options(1);
  o.worker_command = {"/nonexistent/metarec", "worker"};
  EXPECT_THROW(run_jobs({quick("bias", 1)}, store, o), IoError);
  EXPECT_EQ(store.count(), 0);
  remove_db(db);
}

// `metarec benchmark` killed with SIGKILL mid-grid keeps every job it had recorded, its workers
// die with it, and a rerun runs exactly the rest.
TEST(Runner, KillNineLosesAtMostTheJobsInFlight) {
  const std::string db = tmp("kill9.sqlite");
  remove_db(db);
  const std::string data =
      "synthetic:users=1500,items=800,per_user=30,seed=3;synthetic:users=1500,items=800,"
      "per_user=30,seed=4";
  const std::vector<std::string> args = {
      METAREC_CLI, "benchmark", "--db",         db,
      "--data",    data,        "--algorithms", "item_knn,funk_mf,bias,most_popular,ease",
      "--seeds",   "1,2,3",     "--jobs",       "2",
      "--quiet",   "--json"};
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  ASSERT_EQ(posix_spawn(&pid, METAREC_CLI, &fa, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&fa);
  const int planned = 2 * 5 * 3;
  int64_t before = 0;
  {
    const auto t0 = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() - t0 < std::chrono::seconds(60)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      if (!std::filesystem::exists(db)) continue;
      try {
        before = ResultStore(db).count();
      } catch (const Error&) {
        continue;
      }
      if (before >= 4) break;
    }
  }
  ASSERT_GE(before, 4);
  ASSERT_LT(before, planned) << "the grid finished before it could be killed";
  const auto workers = worker_children(pid);
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));
  // The workers follow their runner (parent-death signal).
  for (pid_t w : workers) {
    bool gone = false;
    for (int t = 0; t < 100 && !gone; ++t) {
      gone = !running(w);
      if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_TRUE(gone) << "worker " << w << " outlived its runner";
  }
  const int64_t after_kill = ResultStore(db).count();
  EXPECT_GE(after_kill, before);  // nothing recorded was lost
  // Rerun: skips exactly what is recorded and completes the grid.
  const auto rerun = metarec::testing::run_cli(
      "benchmark --db " + db + " --data '" + data +
          "' --algorithms item_knn,funk_mf,bias,most_popular,ease --seeds 1,2,3 --jobs 2 "
          "--quiet --json",
      false);
  ASSERT_EQ(rerun.code, 0) << rerun.out;
  const auto j = nlohmann::json::parse(rerun.out);
  EXPECT_EQ(j["skipped"], after_kill);
  EXPECT_EQ(j["run"].get<int64_t>() + after_kill, planned);
  ResultStore store(db);
  EXPECT_EQ(store.count(), planned);
  for (const auto& r : store.jobs()) EXPECT_EQ(r.status, "ok") << r.algorithm << ": " << r.error;
  remove_db(db);
}

}  // namespace
}  // namespace metarec
