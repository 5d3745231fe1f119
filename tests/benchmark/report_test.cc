// Leaderboards on hand-made records with hand-computed ranks, distances and wins; the CSV export;
// the report files.
#include <gtest/gtest.h>
#include <metarec/benchmark/report.h>
#include <metarec/core/atomic_file.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>

namespace metarec {
namespace {

JobRecord rec(const std::string& dataset, const std::string& alg, uint64_t seed,
              const std::string& status, double ndcg, double rmse = NAN) {
  JobRecord r;
  r.key = dataset + alg + std::to_string(seed);
  r.dataset = dataset;
  r.algorithm = alg;
  r.seed = seed;
  r.status = status;
  r.params = "k=5,shrink=1";
  r.fit_seconds = 0.5;
  r.dataset_info = {{"users", 3},
                    {"items", 4},
                    {"interactions", 5},
                    {"density", 5.0 / 12},
                    {"feedback", "explicit"},
                    {"timestamps", false}};
  if (status == "ok") {
    r.metrics.emplace_back("ndcg@10", ndcg);
    if (!std::isnan(rmse)) r.metrics.emplace_back("rmse", rmse);
  }
  return r;
}

// D1 (real): A = mean(0.3, 0.5) = 0.4, B = 0.4 (tie), C timed out, E cannot train on it.
// D2 (derived): A = 0.2, B = 0.6, C = 0.5.
std::vector<JobRecord> grid() {
  return {rec("D1", "A", 1, "ok", 0.3, 1.0),      rec("D1", "A", 2, "ok", 0.5, 0.8),
          rec("D1", "B", 1, "ok", 0.4, 0.95),     rec("D1", "C", 1, "timeout", 0),
          rec("D1", "E", 1, "incompatible", 0),   rec("D2|kcore:k=2", "A", 1, "ok", 0.2),
          rec("D2|kcore:k=2", "B", 1, "ok", 0.6), rec("D2|kcore:k=2", "C", 1, "ok", 0.5)};
}

const LeaderboardCell& cell(const Report& r, const std::string& d, const std::string& a) {
  for (const auto& c : r.cells)
    if (c.dataset == d && c.algorithm == a) return c;
  throw std::runtime_error("no cell " + d + "/" + a);
}

const OverallRow& row(const std::vector<OverallRow>& rows, const std::string& a) {
  for (const auto& r : rows)
    if (r.algorithm == a) return r;
  throw std::runtime_error("no row " + a);
}

TEST(Report, RanksTiesFailuresAndDistancesByHand) {
  const Report r = build_report(grid(), "ndcg@10");
  EXPECT_FALSE(r.lower_is_better);
  ASSERT_EQ(r.datasets, (std::vector<std::string>{"D1", "D2|kcore:k=2"}));
  // D1: A and B tie for first (ranks 1 and 2 -> 1.5 each); C failed, ranked last (3); E absent.
  EXPECT_DOUBLE_EQ(cell(r, "D1", "A").mean, 0.4);
  EXPECT_NEAR(cell(r, "D1", "A").stddev, std::sqrt(0.02), 1e-12);
  EXPECT_EQ(cell(r, "D1", "A").runs, 2);
  EXPECT_DOUBLE_EQ(cell(r, "D1", "A").rank, 1.5);
  EXPECT_DOUBLE_EQ(cell(r, "D1", "B").rank, 1.5);
  EXPECT_TRUE(cell(r, "D1", "A").first && cell(r, "D1", "B").first);
  EXPECT_DOUBLE_EQ(cell(r, "D1", "C").rank, 3);
  EXPECT_EQ(cell(r, "D1", "C").failures, 1);
  EXPECT_DOUBLE_EQ(cell(r, "D1", "A").distance, 0);  // best == worst among successes
  EXPECT_DOUBLE_EQ(cell(r, "D1", "C").distance, 1);
  EXPECT_THROW(cell(r, "D1", "E"), std::runtime_error);
  // D2: B 0.6 > C 0.5 > A 0.2; distance of C = 0.1 / 0.4.
  EXPECT_DOUBLE_EQ(cell(r, "D2|kcore:k=2", "B").rank, 1);
  EXPECT_DOUBLE_EQ(cell(r, "D2|kcore:k=2", "C").rank, 2);
  EXPECT_DOUBLE_EQ(cell(r, "D2|kcore:k=2", "A").rank, 3);
  EXPECT_NEAR(cell(r, "D2|kcore:k=2", "C").distance, 0.25, 1e-12);
  // Overall: B (1.5 + 1) / 2 = 1.25, A (1.5 + 3) / 2 = 2.25, C (3 + 2) / 2 = 2.5.
  ASSERT_EQ(r.overall.size(), 3u);
  EXPECT_EQ(r.overall[0].algorithm, "B");
  EXPECT_DOUBLE_EQ(r.overall[0].mean_rank, 1.25);
  EXPECT_EQ(r.overall[0].wins, 2);
  EXPECT_DOUBLE_EQ(row(r.overall, "A").mean_rank, 2.25);
  EXPECT_EQ(row(r.overall, "A").wins, 1);
  EXPECT_DOUBLE_EQ(row(r.overall, "C").mean_rank, 2.5);
  EXPECT_EQ(row(r.overall, "C").failures, 1);
  EXPECT_NEAR(row(r.overall, "C").mean_distance, (1 + 0.25) / 2, 1e-12);
  // Real datasets only: D1.
  EXPECT_DOUBLE_EQ(row(r.overall_real, "C").mean_rank, 3);
  EXPECT_EQ(row(r.overall_real, "A").datasets, 1);
}

TEST(Report, LowerIsBetterForRmseAndUnmeasuredJobsAreLeftOut) {
  const Report r = build_report(grid(), "rmse");
  EXPECT_TRUE(r.lower_is_better);
  // Only D1 has rmse: A = 0.9 beats B = 0.95; C failed.
  ASSERT_EQ(r.datasets, (std::vector<std::string>{"D1"}));
  EXPECT_DOUBLE_EQ(cell(r, "D1", "A").rank, 1);
  EXPECT_DOUBLE_EQ(cell(r, "D1", "B").rank, 2);
  EXPECT_DOUBLE_EQ(cell(r, "D1", "C").rank, 3);
}

TEST(Report, ExportHasOneQuotedRowPerJobAndAColumnPerMetric) {
  auto jobs = grid();
  jobs[3].error = "exceeded \"60 s\", killed";
  const std::string csv = export_csv(jobs);
  std::vector<std::string> lines;
  std::stringstream ss(csv);
  for (std::string l; std::getline(ss, l);) lines.push_back(l);
  ASSERT_EQ(lines.size(), jobs.size());  // the incompatible job is left out
  EXPECT_EQ(lines[0],
            "dataset,fingerprint,users,items,interactions,density,feedback,timestamps,split,seed,"
            "algorithm,params,status,error,fit_seconds,score_seconds,peak_mib,ndcg@10,rmse");
  EXPECT_EQ(lines[1],
            "D1,,3,4,5,0.41666667,explicit,false,,1,A,\"k=5,shrink=1\",ok,,0.5,0,0,0.3,1");
  EXPECT_NE(lines[4].find(",timeout,\"exceeded \"\"60 s\"\", killed\","), std::string::npos)
      << lines[4];
  EXPECT_EQ(lines[5].substr(lines[5].size() - 5), ",0.2,");  // no rmse on D2
  EXPECT_EQ(csv.find(",E,"), std::string::npos);
}

TEST(Report, WritesTablesJsonAndHtml) {
  const std::string dir =
      (std::filesystem::temp_directory_path() / ("metarec_report_" + std::to_string(::getpid())))
          .string();
  std::filesystem::remove_all(dir);
  const auto jobs = grid();
  const auto written = write_report(build_report(jobs, "ndcg@10"), jobs, dir);
  EXPECT_EQ(written.size(), 4u);
  const std::string overall = read_file(dir + "/overall.csv");
  EXPECT_NE(overall.find("all,B,1.25,2,"), std::string::npos) << overall;
  EXPECT_NE(overall.find("real,C,3,0,1,1,1,"), std::string::npos) << overall;
  const auto j = nlohmann::json::parse(read_file(dir + "/report.json"));
  EXPECT_EQ(j["overall"][0]["algorithm"], "B");
  const std::string page = read_file(dir + "/report.html");
  EXPECT_NE(page.find("<td>B</td><td>1.25</td><td>2</td>"), std::string::npos);
  EXPECT_NE(page.find("2 datasets (1 real)"), std::string::npos);
  if (std::system("command -v gnuplot >/dev/null 2>&1") == 0) {
    EXPECT_NE(page.find("<svg"), std::string::npos);
    EXPECT_EQ(page.find("gnuplot failed"), std::string::npos);
  } else {
    EXPECT_NE(page.find("Charts skipped"), std::string::npos);
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace metarec
