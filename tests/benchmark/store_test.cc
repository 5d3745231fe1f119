// The knowledge base: round trips, replacement by key, resume keys, WAL mode, clear errors.
#include <gtest/gtest.h>
#include <metarec/benchmark/job.h>
#include <metarec/benchmark/store.h>
#include <metarec/core/error.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>

namespace metarec {
namespace {

std::string tmp(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("metarec_store_" + std::to_string(::getpid()) + "_" + name))
      .string();
}

void remove_db(const std::string& p) {
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(p + suffix);
}

JobRecord sample(const std::string& key, const std::string& status = "ok") {
  JobRecord r;
  r.key = key;
  r.dataset = "ml-100k|kcore:k=5";
  r.fingerprint = "00112233aabbccdd";
  r.dataset_info = {{"users", 10},
                    {"items", 20},
                    {"interactions", 30},
                    {"density", 0.15},
                    {"feedback", "explicit"}};
  r.split = "random:test=0.2";
  r.seed = 3;
  r.algorithm = "item_knn";
  r.params = "k=50,similarity=cosine";
  r.protocol = "full;ks=10;metrics=default";
  r.status = status;
  r.error = status == "ok" ? "" : "it broke";
  r.fit_seconds = 1.25;
  r.score_seconds = 0.5;
  r.wall_seconds = 2;
  r.peak_mib = 64;
  r.metrics = {{"ndcg@10", 0.25}, {"precision@10", 0.125}, {"rmse", 0.9}};
  r.tuning = {{"method", "random:trials=2"}, {"chosen", {"k=5"}}};
  r.version = "0.test";
  r.finished_at = "2026-11-23T00:00:00Z";
  return r;
}

TEST(ResultStore, RecordsAndReadsBackEveryField) {
  const std::string path = tmp("roundtrip.sqlite");
  remove_db(path);
  {
    ResultStore s(path);
    s.record(sample("k1"));
    s.record(sample("k2", "timeout"));
    EXPECT_EQ(s.count(), 2);
  }
  ResultStore s(path);  // reopened: everything persisted
  const auto jobs = s.jobs();
  ASSERT_EQ(jobs.size(), 2u);
  const JobRecord& r = jobs[0];
  const JobRecord want = sample("k1");
  EXPECT_EQ(r.to_json(), want.to_json());
  EXPECT_DOUBLE_EQ(r.metric("ndcg@10"), 0.25);
  EXPECT_TRUE(std::isnan(r.metric("map@10")));
  EXPECT_EQ(jobs[1].status, "timeout");
  EXPECT_EQ(jobs[1].error, "it broke");
  EXPECT_EQ(s.keys(), (std::set<std::string>{"k1", "k2"}));
  EXPECT_EQ(s.keys(true), (std::set<std::string>{"k1"}));
  remove_db(path);
}

TEST(ResultStore, SameKeyReplacesRowAndMetrics) {
  const std::string path = tmp("replace.sqlite");
  remove_db(path);
  ResultStore s(path);
  s.record(sample("k", "crashed"));
  JobRecord again = sample("k");
  again.metrics = {{"ndcg@10", 0.5}};
  s.record(again);
  const auto jobs = s.jobs();
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].status, "ok");
  ASSERT_EQ(jobs[0].metrics.size(), 1u);
  EXPECT_DOUBLE_EQ(jobs[0].metric("ndcg@10"), 0.5);
  remove_db(path);
}

TEST(ResultStore, UsesWalAndSplitsMetricNames) {
  const std::string path = tmp("wal.sqlite");
  remove_db(path);
  {
    ResultStore s(path);
    s.record(sample("k"));
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  auto one = [&](const char* sql) {
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &st, nullptr), SQLITE_OK);
    std::string v;
    if (sqlite3_step(st) == SQLITE_ROW)
      v = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return v;
  };
  EXPECT_EQ(one("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(one("SELECT metric || ':' || k FROM metrics WHERE name='ndcg@10'"), "ndcg:10");
  EXPECT_EQ(one("SELECT metric || ':' || k FROM metrics WHERE name='rmse'"), "rmse:0");
  EXPECT_EQ(one("SELECT users FROM datasets"), "10");
  sqlite3_close(db);
  remove_db(path);
}

TEST(ResultStore, NotADatabaseIsAClearError) {
  const std::string path = tmp("junk.sqlite");
  {
    std::ofstream f(path);
    f << "this is not a database, just text that is long enough to have a header...........\n";
  }
  try {
    ResultStore s(path);
    FAIL() << "opened a text file as a knowledge base";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
  EXPECT_THROW(ResultStore("/nonexistent-dir/x/kb.sqlite"), IoError);
  std::filesystem::remove(path);
}

TEST(JobSpec, KeyIgnoresThreadsAndParameterOrderButNotDefinitions) {
  JobSpec a;
  a.dataset = "ml-100k";
  a.algorithm = "item_knn";
  a.params = {"k=20", "shrink=10"};
  JobSpec b = a;
  b.params = {"shrink=10", "k=20"};
  b.threads = 8;
  EXPECT_EQ(a.key(), b.key());
  for (auto change : std::vector<std::function<void(JobSpec&)>>{
           [](JobSpec& j) { j.seed = 2; }, [](JobSpec& j) { j.split = "leave_last:k=1"; },
           [](JobSpec& j) { j.ks = {5}; },
           [](JobSpec& j) {
             j.params = {"k=21", "shrink=10"};
           },
           [](JobSpec& j) { j.tune = TuneSpec::parse("random:trials=4"); },
           [](JobSpec& j) { j.dataset = "ml-100k|kcore:k=2"; }}) {
    JobSpec c = a;
    change(c);
    EXPECT_NE(a.key(), c.key());
  }
  EXPECT_EQ(JobSpec::from_json(a.to_json()).key(), a.key());
}

TEST(TuneSpec, ParsesAndRejects) {
  EXPECT_FALSE(TuneSpec::parse("").enabled());
  const TuneSpec t = TuneSpec::parse("halving:trials=9,eta=3,metric=ndcg@10");
  EXPECT_EQ(t.to_string(), "halving:trials=9,eta=3,metric=ndcg@10");
  EXPECT_THROW(TuneSpec::parse("grid"), InvalidArgument);
  EXPECT_THROW(TuneSpec::parse("random:trials=x"), InvalidArgument);
  EXPECT_THROW(TuneSpec::parse("random:trials=0"), InvalidArgument);
  EXPECT_THROW(TuneSpec::parse("random:depth=2"), InvalidArgument);
}

}  // namespace
}  // namespace metarec
