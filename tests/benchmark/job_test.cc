// Jobs run in-process: results, failures as records, tuning traces (random search and successive
// halving), sampled configurations within the declared ranges.
#include <gtest/gtest.h>
#include <metarec/algorithms/catalog.h>
#include <metarec/benchmark/job.h>

#include <cmath>
#include <set>

namespace metarec {
namespace {

const char* kData = "synthetic:users=250,items=120,per_user=15,seed=4";

JobSpec job(const std::string& algorithm, std::vector<std::string> params = {}) {
  JobSpec j;
  j.dataset = kData;
  j.algorithm = algorithm;
  j.params = std::move(params);
  j.metrics = {"ndcg", "precision"};
  j.ks = {5, 10};
  return j;
}

TEST(RunJob, OkJobHasMetricsTimesAndDatasetInfo) {
  DatasetCache cache;
  const JobRecord r = run_job(job("item_knn", {"k=20"}), cache);
  ASSERT_EQ(r.status, "ok") << r.error;
  EXPECT_EQ(r.key, job("item_knn", {"k=20"}).key());
  EXPECT_EQ(r.fingerprint.size(), 16u);
  EXPECT_EQ(r.dataset_info["users"], 250);
  for (const char* m : {"ndcg@5", "ndcg@10", "precision@5", "precision@10"}) {
    const double v = r.metric(m);
    EXPECT_TRUE(v >= 0 && v <= 1) << m << " = " << v;
  }
  EXPECT_NE(r.params.find("k=20"), std::string::npos);
  EXPECT_GT(r.peak_mib, 0);
  EXPECT_GE(r.wall_seconds, r.fit_seconds + r.score_seconds);
  // The same job again is the same result (seeded), from the cached dataset.
  double load = -1;
  cache.get(kData, &load);
  EXPECT_LT(load, 0.01);
  const JobRecord again = run_job(job("item_knn", {"k=20"}), cache);
  EXPECT_EQ(again.metrics, r.metrics);
}

TEST(RunJob, FailuresBecomeRecordsNotExceptions) {
  DatasetCache cache;
  const JobRecord bad = run_job(job("item_knn", {"k=-3"}), cache);
  EXPECT_EQ(bad.status, "failed");
  EXPECT_NE(bad.error.find("k"), std::string::npos);
  JobSpec missing = job("bias");
  missing.dataset = "/no/such/file.csv";
  const JobRecord io = run_job(missing, cache);
  EXPECT_EQ(io.status, "failed");
  EXPECT_NE(io.error.find("/no/such/file.csv"), std::string::npos);
  JobSpec implicit = job("bias");
  implicit.dataset = std::string(kData) + "|implicit:threshold=4";
  const JobRecord inc = run_job(implicit, cache);
  EXPECT_EQ(inc.status, "incompatible");
}

TEST(SampleConfigs, StayInsideDeclaredRangesAndKeepFixedValues) {
  const AlgorithmInfo& info = find_algorithm("svd");
  const auto configs = sample_configs("svd", {"epochs=7"}, 30, 5);
  ASSERT_EQ(configs.size(), 30u);
  std::set<std::vector<std::string>> distinct(configs.begin(), configs.end());
  EXPECT_GT(distinct.size(), 25u);
  for (const auto& c : configs) {
    const Params p = Params::parse(info.schema, c, "svd");  // valid
    EXPECT_EQ(p.get_int("epochs"), 7);
    for (const auto& spec : info.schema) {
      if (!spec.tuning.enabled || spec.name == "epochs" || spec.type == ParamType::kChoice ||
          spec.type == ParamType::kBool)
        continue;
      const double v = spec.type == ParamType::kInt ? static_cast<double>(p.get_int(spec.name))
                                                    : p.get_float(spec.name);
      EXPECT_GE(v, spec.tuning.lo * (1 - 1e-3)) << spec.name;
      EXPECT_LE(v, spec.tuning.hi * (1 + 1e-3)) << spec.name;
    }
  }
  EXPECT_EQ(sample_configs("svd", {}, 5, 9), sample_configs("svd", {}, 5, 9));
}

TEST(RunJob, RandomSearchPicksTheBestValidationTrial) {
  DatasetCache cache;
  JobSpec j = job("item_knn");
  j.tune = TuneSpec::parse("random:trials=4,metric=ndcg@10");
  const JobRecord r = run_job(j, cache);
  ASSERT_EQ(r.status, "ok") << r.error;
  const auto& t = r.tuning;
  ASSERT_EQ(t["trials"].size(), 4u);
  double best = -1;
  nlohmann::json best_params;
  for (const auto& trial : t["trials"]) {
    EXPECT_EQ(trial["fraction"], 1.0);
    if (trial["score"].get<double>() > best) {
      best = trial["score"].get<double>();
      best_params = trial["params"];
    }
  }
  EXPECT_EQ(t["chosen"], best_params);
  EXPECT_EQ(t["trials"][0]["params"], nlohmann::json::array());  // the defaults come first
  EXPECT_DOUBLE_EQ(t["score"].get<double>(), best);
  // The model evaluated on the test set uses the chosen parameters.
  for (const auto& kv : t["chosen"])
    EXPECT_NE(r.params.find(kv.get<std::string>()), std::string::npos) << r.params;
}

TEST(RunJob, SuccessiveHalvingNarrowsOnGrowingData) {
  DatasetCache cache;
  JobSpec j = job("funk_mf");
  j.metrics = {};
  j.tune = TuneSpec::parse("halving:trials=9,eta=3");
  const JobRecord r = run_job(j, cache);
  ASSERT_EQ(r.status, "ok") << r.error;
  std::map<double, int> per_fraction, defaults_at;
  for (const auto& trial : r.tuning["trials"]) {
    ++per_fraction[trial["fraction"].get<double>()];
    if (trial["params"].empty()) ++defaults_at[trial["fraction"].get<double>()];
  }
  ASSERT_EQ(per_fraction.size(), 3u);
  EXPECT_EQ(per_fraction.begin()->second, 9);  // 1/9 of the data: every configuration
  EXPECT_NEAR(per_fraction.begin()->first, 1.0 / 9, 1e-12);
  // The best third goes on (plus the defaults if they were not among it), then the best of those.
  EXPECT_GE(std::next(per_fraction.begin())->second, 3);
  EXPECT_LE(std::next(per_fraction.begin())->second, 4);
  EXPECT_GE(per_fraction.rbegin()->second, 1);
  EXPECT_LE(per_fraction.rbegin()->second, 2);
  EXPECT_EQ(defaults_at.size(), 3u);      // the defaults compete in every rung
  EXPECT_EQ(r.tuning["metric"], "rmse");  // a rating model on explicit data
}

}  // namespace
}  // namespace metarec
