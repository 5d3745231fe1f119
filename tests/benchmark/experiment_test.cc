// Experiment files: parsing, clear errors naming the file, expansion into jobs, and the CLI's
// benchmark -> report round trip.
#include <gtest/gtest.h>
#include <metarec/algorithms/catalog.h>
#include <metarec/benchmark/runner.h>
#include <metarec/core/atomic_file.h>
#include <metarec/core/error.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>

#include "../cli/run_cli.h"

namespace metarec {
namespace {

std::string tmp(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("metarec_experiment_" + std::to_string(::getpid()) + "_" + name))
      .string();
}

std::string error_of(const nlohmann::json& j) {
  try {
    Experiment::from_json(j, "exp.json");
  } catch (const FormatError& e) {
    return e.what();
  }
  return "no error";
}

TEST(Experiment, ExpandsDatasetsSeedsAlgorithmsAndParameterSets) {
  const auto e =
      Experiment::from_json({{"datasets", {"a.csv", "b.csv|kcore:k=2"}},
                             {"derive", {{{"bases", {"c.csv"}}, {"count", 3}, {"seed", 5}}}},
                             {"algorithms",
                              {"bias",
                               {{"name", "item_knn"}, {"params", {"k=5", "k=50,shrinkage=10"}}},
                               {{"name", "svd"}, {"tune", "halving:trials=9"}}}},
                             {"seeds", {1, 2}},
                             {"ks", {5, 10}},
                             {"time_limit", 30}},
                            "exp.json");
  const auto ds = e.expanded_datasets();
  ASSERT_EQ(ds.size(), 5u);
  EXPECT_EQ(ds[1], "b.csv|kcore:k=2");
  EXPECT_EQ(ds[2].substr(0, 6), "c.csv|");
  const auto jobs = e.expand();
  EXPECT_EQ(jobs.size(), 5u * 2 * 4);  // 4 = bias + item_knn x 2 + svd
  EXPECT_EQ(jobs[0].dataset, "a.csv");
  EXPECT_EQ(jobs[0].algorithm, "bias");
  EXPECT_EQ(jobs[2].params, (std::vector<std::string>{"k=50", "shrinkage=10"}));
  EXPECT_EQ(jobs[3].tune.method, "halving");
  EXPECT_DOUBLE_EQ(jobs[3].tune.budget_seconds, 0.6 * 30);
  EXPECT_EQ(jobs[4].seed, 2u);
  EXPECT_EQ(jobs[0].ks, (std::vector<int>{5, 10}));
  // A cost class expands to the catalog entries up to that cost.
  const auto cheap =
      Experiment::from_json({{"datasets", {"x"}}, {"algorithms", {"@trivial"}}}, "e");
  for (const auto& a : cheap.algorithms) EXPECT_EQ(find_algorithm(a.name).card.cost, "trivial");
  EXPECT_FALSE(cheap.algorithms.empty());
}

TEST(Experiment, ErrorsNameTheFileAndTheProblem) {
  EXPECT_NE(error_of({{"datasets", {"x"}}, {"algorithms", {"bias"}}, {"sedes", {1}}})
                .find("exp.json: unknown key \"sedes\""),
            std::string::npos);
  EXPECT_NE(error_of({{"datasets", {"x"}}, {"algorithms", {"no_such"}}})
                .find("exp.json: unknown algorithm"),
            std::string::npos);
  EXPECT_NE(
      error_of({{"datasets", {"x"}}, {"algorithms", {{{"name", "bias"}, {"params", {"nope=1"}}}}}})
          .find("unknown parameter \"nope\""),
      std::string::npos);
  EXPECT_NE(
      error_of({{"datasets", {"x|kcore:q=1"}}, {"algorithms", {"bias"}}}).find("unknown key \"q\""),
      std::string::npos);
  EXPECT_NE(error_of({{"algorithms", {"bias"}}}).find("need at least one dataset"),
            std::string::npos);
  EXPECT_NE(error_of({{"datasets", {"x"}}, {"algorithms", {"bias"}}, {"protocol", "half"}})
                .find("protocol must be full or sampled"),
            std::string::npos);
  EXPECT_NE(error_of({{"datasets", {"x"}}, {"algorithms", {"@cheapest"}}}).find("@trivial"),
            std::string::npos);
}

std::pair<int, std::string> cli(const std::string& args) {
  const auto r = metarec::testing::run_cli(args);
  return {r.code, r.out};
}

TEST(BenchmarkCli, RunReportExportAndResume) {
  const std::string db = tmp("cli.sqlite"), out = tmp("report"), exp = tmp("exp.json");
  for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(db + s);
  write_file_atomic(
      exp, nlohmann::json{{"database", db},
                          {"datasets", {"synthetic:users=150,items=80,seed=1"}},
                          {"derive",
                           {{{"bases", {"synthetic:users=150,items=80,seed=1"}}, {"count", 2}}}},
                          {"algorithms", {"most_popular", "bias", "item_knn"}},
                          {"seeds", {1, 2}},
                          {"jobs", 2}}
               .dump());
  auto dry = cli("benchmark " + exp + " --dry-run --json");
  ASSERT_EQ(dry.first, 0) << dry.second;
  EXPECT_EQ(nlohmann::json::parse(dry.second)["to_run"], 18);
  auto run = cli("benchmark " + exp + " --json --quiet");
  ASSERT_EQ(run.first, 0) << run.second;
  const auto j = nlohmann::json::parse(run.second);
  EXPECT_EQ(j["run"], 18);
  EXPECT_GT(j["database_bytes"].get<int64_t>(), 0);
  auto again = cli("benchmark " + exp + " --json --quiet");
  EXPECT_EQ(nlohmann::json::parse(again.second)["skipped"], 18);
  auto rep = cli("report --db " + db + " -o " + out + " --export " + out + "/results.csv");
  ASSERT_EQ(rep.first, 0) << rep.second;
  EXPECT_NE(rep.second.find("Top 3 per real dataset"), std::string::npos) << rep.second;
  EXPECT_TRUE(std::filesystem::exists(out + "/report.html"));
  const std::string csv = read_file(out + "/results.csv");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 19);
  auto bad = cli("benchmark " + tmp("missing.json"));
  EXPECT_EQ(bad.first, 1);
  EXPECT_NE(bad.second.find("missing.json"), std::string::npos);
  auto none = cli("report --db " + tmp("none.sqlite"));
  EXPECT_NE(none.first, 0);
  EXPECT_NE(none.second.find("no knowledge base"), std::string::npos);
  for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(db + s);
  std::filesystem::remove_all(out);
  std::filesystem::remove(exp);
}

}  // namespace
}  // namespace metarec
