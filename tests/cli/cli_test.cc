// The metarec binary end to end: exit codes, tables, JSON, and a fit -> recommend round trip.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "run_cli.h"

namespace {

using metarec::testing::CliRun;

CliRun run(const std::string& args) { return metarec::testing::run_cli(args); }

std::string tmp(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("metarec_cli_" + std::to_string(::getpid()) + "_" + name))
      .string();
}

const char* kSmall = "synthetic:users=300,items=200,per_user=20,seed=5";

TEST(Cli, HelpAndUsageErrors) {
  EXPECT_EQ(run("--help").code, 0);
  EXPECT_EQ(run("").code, 2);  // no subcommand
  EXPECT_EQ(run("no-such-command").code, 2);
  CliRun r = run(std::string("fit bias ") + kSmall + " -p nope=1 -o " + tmp("x.model"));
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("unknown parameter \"nope\""), std::string::npos) << r.out;
  r = run(std::string("evaluate no_such_algo ") + kSmall);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("valid: "), std::string::npos) << r.out;
}

TEST(Cli, RuntimeErrorsAreOneLineWithExitCode1) {
  CliRun r = run("info /nonexistent/ratings.csv");
  EXPECT_EQ(r.code, 2) << r.out;  // not a file, card or dataset name: a usage error
  const std::string bad = tmp("bad.csv");
  {
    std::ofstream f(bad);
    f << "user,item,rating\n1,2,4\n1,3,x\n";
  }
  r = run("info " + bad);
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find(bad + ":3: rating \"x\" is not a number"), std::string::npos) << r.out;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
  r = run("info --skip-bad-lines " + bad);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("skipped 1 bad line"), std::string::npos) << r.out;
  r = run("recommend " + tmp("missing.model") + " --user 1");
  EXPECT_EQ(r.code, 1) << r.out;
}

TEST(Cli, InfoJson) {
  CliRun r = run(std::string("info --json ") + kSmall);
  ASSERT_EQ(r.code, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["users"], 300);
  EXPECT_EQ(j["items"], 200);
  EXPECT_EQ(j["feedback"], "explicit");
}

TEST(Cli, FitThenRecommendExcludesSeenItems) {
  const std::string model = tmp("bias.model");
  CliRun r = run(std::string("fit most_popular ") + kSmall + " -o " + model);
  ASSERT_EQ(r.code, 0) << r.out;
  r = run("recommend " + model + " --user 1 -k 5 --json");
  ASSERT_EQ(r.code, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["items"].size(), 5u);
  // The same ranking with --include-seen contains at least the unseen top items.
  CliRun all = run("recommend " + model + " --user 1 -k 200 --include-seen --json");
  auto ja = nlohmann::json::parse(all.out);
  EXPECT_EQ(ja["items"].size(), 200u);
  r = run("recommend " + model + " --user nobody");
  EXPECT_EQ(r.code, 2) << r.out;
  std::filesystem::remove(model);
}

TEST(Cli, EvaluateAndCompareJson) {
  CliRun r = run(std::string("evaluate bias ") + kSmall + " --metrics rmse,ndcg -k 5,10 --json");
  ASSERT_EQ(r.code, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["folds"].size(), 5u);
  EXPECT_GT(j["mean"]["rmse"].get<double>(), 0.3);
  EXPECT_TRUE(j["mean"].contains("ndcg@5"));
  r = run(std::string("compare ") + kSmall +
          " -a most_popular,bias --split random:test=0.2 --json");
  ASSERT_EQ(r.code, 0) << r.out;
  j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["results"].size(), 2u);
}

TEST(Cli, SplitWritesFiles) {
  const std::string dir = tmp("split");
  CliRun r = run(std::string("split ") + kSmall + " --split leave_last:k=1 -o " + dir + " --json");
  ASSERT_EQ(r.code, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["test"], 300);  // one per user
  EXPECT_TRUE(std::filesystem::exists(dir + "/train.tsv"));
  // The written train file loads back with the same number of rows.
  CliRun info = run("info --json " + dir + "/train.tsv");
  ASSERT_EQ(info.code, 0) << info.out;
  EXPECT_EQ(nlohmann::json::parse(info.out)["interactions"], j["train"]);
  std::filesystem::remove_all(dir);
}

// Strong generalization from the command line: EASE (a FoldIn model) is scored from the held-out
// users' fold-in items; a model without fold-in is refused before fitting, with the alternatives.
TEST(Cli, StrongSplitEvaluatesFoldInModelsAndRefusesOthers) {
  CliRun r = run(std::string("evaluate ease ") + kSmall +
                 " --split strong:users=30,fold_in=0.8,seed=1 --metrics ndcg,recall_capped "
                 "-k 20,50 --json");
  ASSERT_EQ(r.code, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["protocol"], "fold_in");
  ASSERT_EQ(j["folds"].size(), 1u);
  EXPECT_EQ(j["folds"][0]["split"], "strong:users=30,fold_in=0.8,seed=1,unseen=keep");
  for (const char* m : {"ndcg@20", "ndcg@50", "recall_capped@20", "recall_capped@50"}) {
    ASSERT_TRUE(j["mean"].contains(m)) << m;
    EXPECT_GT(j["mean"][m].get<double>(), 0.0) << m;
    EXPECT_LE(j["mean"][m].get<double>(), 1.0) << m;
  }
  r = run(std::string("evaluate bias ") + kSmall + " --split strong:users=30");
  EXPECT_EQ(r.code, 2) << r.out;  // an invalid argument, like an unknown algorithm
  EXPECT_NE(r.out.find("bias cannot score users it was not trained on"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("ease"), std::string::npos) << r.out;
}

// The held-out users' files: fold_in.tsv and test.tsv hold the same 30 users, train.tsv none.
TEST(Cli, StrongSplitWritesFoldInFile) {
  const std::string dir = tmp("strong");
  CliRun r =
      run(std::string("split ") + kSmall + " --split strong:users=30,seed=3 -o " + dir + " --json");
  ASSERT_EQ(r.code, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  auto users_of = [](const std::string& path) {
    std::set<std::string> out;
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) out.insert(line.substr(0, line.find('\t')));
    return out;
  };
  const auto test = users_of(dir + "/test.tsv"), fold_in = users_of(dir + "/fold_in.tsv"),
             train = users_of(dir + "/train.tsv");
  EXPECT_EQ(test.size(), 30u);
  EXPECT_EQ(fold_in, test);
  for (const auto& u : test) EXPECT_EQ(train.count(u), 0u) << u;
  // n - floor(n / 5) >= 4 floor(n / 5) for every user (synthetic users have at least 5 items).
  EXPECT_GE(j["fold_in"].get<int64_t>(), 4 * j["test"].get<int64_t>());
  std::filesystem::remove_all(dir);
}

}  // namespace
