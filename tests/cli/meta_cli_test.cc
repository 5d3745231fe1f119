// `metarec select` and `metarec auto` end to end with the selector and knowledge base shipped in
// experiments/ (so these run on a fresh clone, without ../shared).
#include <gtest/gtest.h>
#include <metarec/core/model_file.h>
#include <metarec/meta/selectors.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
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
  const std::string args = std::string("select ") + kData + " --json";
  auto [code, out] = run(args, false);
  ASSERT_EQ(code, 0) << run(args).second;  // again with stderr, to show why
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
  // Novelty is the nearest known dataset's distance, placed on the knowledge base's own scale:
  // the share of the shipped datasets whose own novelty (to the other families) is smaller.
  const double novelty = j["novelty"]["distance"].get<double>();
  EXPECT_DOUBLE_EQ(novelty, j["nearest_datasets"][0]["distance"].get<double>());
  EXPECT_GT(novelty, 0.0);  // the synthetic data is not in the knowledge base
  const std::filesystem::path root(METAREC_SOURCE_DIR);
  const auto k = metarec::load_knowledge((root / "experiments/kb-v1-results.csv").string(),
                                         (root / "experiments/kb-v1-datasets.csv").string());
  const auto scale = metarec::family_novelty(k);
  double below = 0, finite = 0, most = 0;
  for (double x : scale)
    if (std::isfinite(x)) {
      ++finite;
      below += x < novelty ? 1 : 0;
      most = std::max(most, x);
    }
  EXPECT_NEAR(j["novelty"]["share_of_known_nearer"].get<double>(), below / finite, 1e-12);
  EXPECT_EQ(j["novelty"]["beyond_known"].get<bool>(), novelty > most);
  EXPECT_GE(j["meta_features"].size(), 50u);
  EXPECT_LT(j["seconds"].get<double>(), 10.0);
}

TEST(MetaCli, AutoVerifiesTunesTrainsAndSaves) {
  const std::string model = tmp("auto.model");
  const std::string args =
      std::string("auto ") + kData + " --budget 40s --candidates 2 -o " + model + " --json";
  auto [code, out] = run(args, false);
  ASSERT_EQ(code, 0) << run(args).second;  // again with stderr, to show why
  const auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["verified"].size(), 2u);
  EXPECT_GE(j["novelty"]["distance"].get<double>(), 0.0);
  EXPECT_FALSE(j["winner"].get<std::string>().empty());
  ASSERT_TRUE(std::filesystem::exists(model));
  auto rec = run("recommend " + model + " --user 1 -k 5");
  EXPECT_EQ(rec.first, 0) << rec.second;
  std::filesystem::remove(model);
}

// The shipped selector must name the shipped knowledge by paths inside the repository: a path out
// of it (once `../../tmp/...`) resolves on the machine that trained it and nowhere else.
TEST(MetaCli, ShippedSelectorNamesTheShippedKnowledge) {
  const std::filesystem::path root(METAREC_SOURCE_DIR);
  const metarec::ModelReader r((root / "experiments/kb-v1-selector.safetensors").string());
  EXPECT_EQ(r.meta("results_csv"), "experiments/kb-v1-results.csv");
  EXPECT_EQ(r.meta("features_csv"), "experiments/kb-v1-datasets.csv");
}

// meta-train stores knowledge inside the source tree relative to it, and knowledge elsewhere by
// its absolute path, so the selector it writes loads from any working directory.
TEST(MetaCli, MetaTrainNamesKnowledgeSoAnyCloneFindsIt) {
  const std::filesystem::path root(METAREC_SOURCE_DIR);
  const std::string outside = tmp("results.csv");
  std::filesystem::copy_file(root / "experiments/kb-v1-results.csv", outside,
                             std::filesystem::copy_options::overwrite_existing);
  const std::string in_tree = (root / "apps" / ".." / "experiments/kb-v1-datasets.csv").string();
  const std::string sel = tmp("sel.safetensors");
  auto [code, out] = run("meta-train --selectors single_best --epochs 1 -q --results " + outside +
                         " --features " + in_tree + " -o " + sel);
  ASSERT_EQ(code, 0) << out;
  {
    const metarec::ModelReader r(sel);
    EXPECT_EQ(r.meta("results_csv"), std::filesystem::weakly_canonical(outside).string());
    EXPECT_EQ(r.meta("features_csv"), "experiments/kb-v1-datasets.csv");
  }
  auto [scode, sout] = run("select " + std::string(kData) + " --selector-file " + sel);
  EXPECT_EQ(scode, 0) << sout;
  std::filesystem::remove(outside);
  std::filesystem::remove(sel);
}

// --selector ranks with another selector of the table: the single best, which the shipped file
// holds no state for, is fitted on the shipped knowledge, so its scores are those of the same
// selector fitted here (minus each algorithm's family-weighted mean distance from the best).
TEST(MetaCli, SelectWithAnotherSelectorFitsItOnTheShippedKnowledge) {
  const std::string args = std::string("select ") + kData + " --selector single_best --json";
  auto [code, out] = run(args, false);
  ASSERT_EQ(code, 0) << run(args).second;
  const auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["selector"], "single_best");
  const std::filesystem::path root(METAREC_SOURCE_DIR);
  const auto k = metarec::load_knowledge((root / "experiments/kb-v1-results.csv").string(),
                                         (root / "experiments/kb-v1-datasets.csv").string());
  std::vector<size_t> all(k.datasets.size());
  for (size_t d = 0; d < all.size(); ++d) all[d] = d;
  auto single = metarec::make_selector("single_best", metarec::SelectorOptions{});
  single->fit(k, all);
  const auto expected = single->score(k.datasets[0].features);  // the same for any dataset
  ASSERT_EQ(j["algorithms"].size(), k.algorithms.size());
  for (const auto& a : j["algorithms"]) {
    const auto at = std::find(k.algorithms.begin(), k.algorithms.end(), a["algorithm"]);
    ASSERT_NE(at, k.algorithms.end());
    EXPECT_NEAR(a["score"].get<double>(), expected[static_cast<size_t>(at - k.algorithms.begin())],
                1e-12)
        << a["algorithm"];
  }
  auto bad = run(std::string("select ") + kData + " --selector best_guess");
  EXPECT_EQ(bad.first, 2);
  EXPECT_NE(bad.second.find("unknown selector \"best_guess\""), std::string::npos) << bad.second;
  EXPECT_NE(bad.second.find("ensemble_trees"), std::string::npos) << bad.second;  // the valid ones
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
