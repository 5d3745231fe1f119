// `metarec select` and `metarec auto` end to end with the selector and knowledge base shipped in
// experiments/ (so these run on a fresh clone, without ../shared).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "run_cli.h"

namespace {

std::pair<int, std::string> run(const std::string& args, bool merge_stderr = true) {
  const auto r = metarec::testing::run_cli(args, merge_stderr);
  return {r.code, r.out};
}

std::string tmp(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("metarec_meta_cli_" + std::to_string(::getpid()) + "_" + name))
      .string();
}

const char* kData = "'synthetic:users=400,items=250,per_user=15,seed=3'";

TEST(MetaCli, SelectRanksEligibleAlgorithmsAndNamesNeighbours) {
  auto [code, out] = run(std::string("select ") + kData + " --json", false);
  ASSERT_EQ(code, 0) << out;
  const auto j = nlohmann::json::parse(out);
  ASSERT_GE(j["algorithms"].size(), 5u);
  EXPECT_TRUE(j["algorithms"][0]["eligible"].get<bool>());
  // Eligible algorithms come first, in decreasing score.
  bool seen_ineligible = false;
  double last = 1e300;
  for (const auto& a : j["algorithms"]) {
    if (!a["eligible"].get<bool>()) {
      seen_ineligible = true;
      continue;
    }
    EXPECT_FALSE(seen_ineligible);
    EXPECT_LE(a["score"].get<double>(), last);
    last = a["score"].get<double>();
  }
  EXPECT_EQ(j["nearest_datasets"].size(), 5u);
  EXPECT_GE(j["meta_features"].size(), 50u);
  EXPECT_LT(j["seconds"].get<double>(), 10.0);
}

TEST(MetaCli, AutoVerifiesTunesTrainsAndSaves) {
  const std::string model = tmp("auto.model");
  auto [code, out] = run(
      std::string("auto ") + kData + " --budget 40s --candidates 2 -o " + model + " --json", false);
  ASSERT_EQ(code, 0) << out;
  const auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["verified"].size(), 2u);
  EXPECT_FALSE(j["winner"].get<std::string>().empty());
  ASSERT_TRUE(std::filesystem::exists(model));
  auto rec = run("recommend " + model + " --user 1 -k 5");
  EXPECT_EQ(rec.first, 0) << rec.second;
  std::filesystem::remove(model);
}

TEST(MetaCli, ClearErrors) {
  auto missing =
      run(std::string("select ") + kData + " --selector-file " + tmp("none.safetensors"));
  EXPECT_EQ(missing.first, 1);
  EXPECT_NE(missing.second.find("none.safetensors"), std::string::npos) << missing.second;
  auto budget = run(std::string("auto ") + kData + " --budget soon");
  EXPECT_EQ(budget.first, 2);
  EXPECT_NE(budget.second.find("--budget"), std::string::npos) << budget.second;
}

}  // namespace
