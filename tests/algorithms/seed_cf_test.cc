// seed_cf and seed_cf_binary: the full-batch gradient against central differences of the
// objective, mean normalization for users with no ratings, monotone descent with plain GD, and
// binary labels.
#include <gtest/gtest.h>
#include <metarec/algorithms/catalog.h>
#include <metarec/algorithms/mf/seed_cf.h>
#include <metarec/core/rng.h>

#include <cmath>
#include <string>
#include <vector>

namespace metarec {
namespace {

// 4 users x 5 items, 11 labelled pairs; user 3 has none.
detail::SeedCfData tiny(bool binary) {
  std::vector<int64_t> ptr = {0, 4, 8, 11, 11};
  std::vector<int32_t> items = {0, 1, 3, 4, 0, 2, 3, 4, 1, 2, 4};
  std::vector<float> labels = {5, 3, 4, 1, 4, 2, 5, 2, 1, 5, 3};
  if (binary)
    for (auto& y : labels) y = y >= 4 ? 1.0f : 0.0f;
  return detail::SeedCfData::build(4, 5, ptr, items, labels);
}

detail::SeedCfModel random_model(int k, uint64_t seed) {
  Rng rng(seed);
  detail::SeedCfModel m;
  m.k = k;
  auto fill = [&](std::vector<float>& v, size_t n, double s) {
    v.resize(n);
    for (auto& x : v) x = static_cast<float>(rng.normal() * s);
  };
  fill(m.W, 4 * k, 0.5);
  fill(m.b, 4, 0.3);
  fill(m.X, 5 * k, 0.5);
  fill(m.mu, 5, 1.0);
  return m;
}

TEST(SeedCf, GradientMatchesCentralDifferences) {
  for (auto loss : {detail::SeedCfLoss::kSquared, detail::SeedCfLoss::kLogistic}) {
    const bool binary = loss == detail::SeedCfLoss::kLogistic;
    const auto d = tiny(binary);
    auto m = random_model(3, binary ? 2 : 1);
    const double lambda = 0.7;
    std::vector<float> gW, gb, gX;
    const double j = detail::seed_cf_gradient(d, m, lambda, loss, 2, gW, gb, gX);
    EXPECT_NEAR(j, detail::seed_cf_objective(d, m, lambda, loss), 1e-4 * std::abs(j));
    auto check = [&](std::vector<float>& theta, const std::vector<float>& g, const char* name) {
      for (size_t t = 0; t < theta.size(); ++t) {
        const float old = theta[t];
        const double eps = 1e-3;
        theta[t] = static_cast<float>(old + eps);
        const double up = detail::seed_cf_objective(d, m, lambda, loss);
        theta[t] = static_cast<float>(old - eps);
        const double down = detail::seed_cf_objective(d, m, lambda, loss);
        theta[t] = old;
        const double numeric = (up - down) / (2 * eps);
        EXPECT_NEAR(g[t], numeric, 2e-3 * std::max(1.0, std::abs(numeric)))
            << (binary ? "logistic " : "squared ") << name << "[" << t << "]";
      }
    };
    check(m.W, gW, "W");
    check(m.b, gb, "b");
    check(m.X, gX, "X");
  }
}

TEST(SeedCf, GradientDoesNotDependOnThreads) {
  const auto d = tiny(false);
  const auto m = random_model(4, 3);
  std::vector<float> a1, b1, c1, a2, b2, c2;
  detail::seed_cf_gradient(d, m, 0.5, detail::SeedCfLoss::kSquared, 1, a1, b1, c1);
  detail::seed_cf_gradient(d, m, 0.5, detail::SeedCfLoss::kSquared, 3, a2, b2, c2);
  EXPECT_EQ(a1, a2);
  EXPECT_EQ(b1, b2);
  EXPECT_EQ(c1, c2);
}

TEST(SeedCf, PlainGradientDescentWithASmallStepNeverIncreasesTheObjective) {
  const auto d = tiny(false);
  auto m = random_model(3, 4);
  double prev = detail::seed_cf_objective(d, m, 1.0, detail::SeedCfLoss::kSquared);
  const double first = prev;
  FitContext one;
  one.threads = 1;
  for (int it = 0; it < 30; ++it) {
    detail::seed_cf_train(d, m, 1.0, detail::SeedCfLoss::kSquared, false, 0.01, 1, one);
    const double j = detail::seed_cf_objective(d, m, 1.0, detail::SeedCfLoss::kSquared);
    EXPECT_LE(j, prev + 1e-9) << "iteration " << it;
    prev = j;
  }
  EXPECT_LT(prev, 0.9 * first);
}

Interactions ratings_without_user0() {
  InteractionsBuilder b;
  Rng rng(6);
  for (int u = 0; u < 20; ++u) b.users().intern("u" + std::to_string(u));
  for (int i = 0; i < 15; ++i) b.items().intern("i" + std::to_string(i));
  for (int u = 1; u < 20; ++u)
    for (int i = 0; i < 15; ++i)
      if (rng.uniform() < 0.5) b.add(u, i, static_cast<float>(1 + rng.uniform_int(5)));
  InteractionsBuilder::Options o;
  o.feedback = "explicit";
  o.scale_min = 1;
  o.scale_max = 5;
  return b.build(o);
}

TEST(SeedCf, MeanNormalizationPredictsTheItemMeanForAUserWithNoRatings) {
  const Interactions d = ratings_without_user0();
  ASSERT_EQ(d.user_count(0), 0);
  auto m = make_recommender("seed_cf", {"factors=3", "iterations=50"});
  m->fit(d);
  const auto& r = dynamic_cast<const RatingPredictor&>(*m);
  for (int32_t i = 0; i < 15; ++i) {
    const auto vals = d.item_values(i);
    ASSERT_FALSE(vals.empty());
    double s = 0;
    for (float v : vals) s += v;
    EXPECT_FLOAT_EQ(r.predict(0, i), static_cast<float>(s / static_cast<double>(vals.size())));
  }
  // Without normalization the same user is predicted 0 (clipped to the scale's 1).
  auto raw = make_recommender("seed_cf", {"factors=3", "iterations=50", "mean_normalize=false"});
  raw->fit(d);
  EXPECT_FLOAT_EQ(dynamic_cast<const RatingPredictor&>(*raw).predict(0, 3), 1.0f);
}

TEST(SeedCfBinary, LearnsTheLabelsAsProbabilities) {
  const Interactions d = ratings_without_user0();
  auto m = make_recommender(
      "seed_cf_binary", {"factors=4", "iterations=300", "lambda=0.01", "negatives=0", "lr=0.05"});
  m->fit(d);
  const auto& b = dynamic_cast<const SeedCfBinary&>(*m);
  // Near-unregularized fit on training pairs: liked pairs get p > 0.5, others p < 0.5.
  int right = 0;
  for (int64_t e = 0; e < d.nnz(); ++e) {
    const float p = b.probability(d.entry_users()[e], d.entry_items()[e]);
    ASSERT_GT(p, 0.0f);
    ASSERT_LT(p, 1.0f);
    right += (p > 0.5f) == (d.entry_values()[e] >= 4);
  }
  EXPECT_GT(right, 0.95 * static_cast<double>(d.nnz()));
  // The cold user gets each item's smoothed positive rate.
  for (int32_t i = 0; i < 3; ++i) {
    double pos = 0;
    for (float v : d.item_values(i)) pos += v >= 4;
    const double n = static_cast<double>(d.item_count(i));
    const double lo = std::min(pos / n, 0.5), hi = std::max(pos / n, 0.5);
    EXPECT_GE(b.probability(0, i), lo - 0.1);
    EXPECT_LE(b.probability(0, i), hi + 0.1);
  }
}

}  // namespace
}  // namespace metarec
