// `metarec features` end to end: the table, --json in schema order, --no-landmarkers, --schema.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "metarec/meta/features.h"
#include "run_cli.h"

namespace {

using metarec::testing::CliRun;
using metarec::testing::run_cli;

CliRun run(const std::string& args) { return run_cli(args, false); }

const char* kSmall = "synthetic:users=200,items=150,per_user=15,seed=5";

TEST(CliFeatures, JsonInSchemaOrder) {
  const CliRun r = run(std::string("features ") + kSmall + " --json --landmark-users 100");
  ASSERT_EQ(r.code, 0) << r.out;
  const auto j = nlohmann::ordered_json::parse(r.out);
  EXPECT_EQ(j.at("dataset"), kSmall);
  const auto& f = j.at("features");
  const auto& schema = metarec::meta_feature_schema();
  ASSERT_EQ(f.size(), schema.size());
  size_t k = 0;
  for (const auto& [name, value] : f.items()) {
    EXPECT_EQ(name, schema[k++].name);
    EXPECT_TRUE(value.is_number()) << name;
  }
  EXPECT_GT(f.at("landmark_most_popular_ndcg@10").get<double>(), 0.0);
}

TEST(CliFeatures, TableAndNoLandmarkers) {
  const CliRun r = run(std::string("features ") + kSmall + " --no-landmarkers");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("log_interactions"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("log10(interactions)"), std::string::npos) << r.out;
  const CliRun j = run(std::string("features ") + kSmall + " --no-landmarkers --json");
  ASSERT_EQ(j.code, 0) << j.out;
  EXPECT_EQ(nlohmann::json::parse(j.out)["features"]["landmark_mf5_ndcg@10"].get<double>(), 0.0);
}

TEST(CliFeatures, SchemaAndUsageErrors) {
  const CliRun s = run("features --schema --json");
  ASSERT_EQ(s.code, 0) << s.out;
  EXPECT_EQ(nlohmann::json::parse(s.out).size(), metarec::meta_feature_schema().size());
  EXPECT_EQ(run("features").code, 2);  // DATA missing
  EXPECT_EQ(run(std::string("features ") + kSmall + " --landmark-users 0").code, 2);
}

}  // namespace
