// NMF: factors stay non-negative, each alternating sweep never increases the objective, negative
// rating scales are shifted, and the multiplicative rule matches a hand computation.
#include <gtest/gtest.h>
#include <metarec/algorithms/catalog.h>
#include <metarec/algorithms/mf/nmf.h>
#include <metarec/core/rng.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace metarec {
namespace {

Interactions ratings(float lo, float hi, uint64_t seed) {
  InteractionsBuilder b;
  Rng rng(seed);
  for (int u = 0; u < 50; ++u) b.users().intern("u" + std::to_string(u));
  for (int i = 0; i < 40; ++i) b.items().intern("i" + std::to_string(i));
  for (int u = 0; u < 50; ++u)
    for (int i = 0; i < 40; ++i)
      if (rng.uniform() < 0.3) b.add(u, i, static_cast<float>(lo + (hi - lo) * rng.uniform()));
  InteractionsBuilder::Options o;
  o.feedback = "explicit";
  o.scale_min = lo;
  o.scale_max = hi;
  return b.build(o);
}

std::unique_ptr<Recommender> fit(const Interactions& d, std::vector<std::string> params) {
  auto m = make_recommender("nmf", params);
  FitContext ctx;
  ctx.threads = 1;
  m->fit(d, ctx);
  return m;
}

// sum 1/2 (r - <p, q>)^2 + reg/2 |p_u|^2 + reg/2 |q_i|^2 over the ratings, computed here.
double objective(const FactorModel& m, const Interactions& d, double reg) {
  const int k = m.factors();
  const auto P = m.user_factors(), Q = m.item_factors();
  double j = 0;
  for (int64_t e = 0; e < d.nnz(); ++e) {
    const int32_t u = d.entry_users()[e], i = d.entry_items()[e];
    double dot = 0, pp = 0, qq = 0;
    for (int f = 0; f < k; ++f) {
      dot += static_cast<double>(P[u * k + f]) * Q[i * k + f];
      pp += static_cast<double>(P[u * k + f]) * P[u * k + f];
      qq += static_cast<double>(Q[i * k + f]) * Q[i * k + f];
    }
    j += 0.5 * (d.entry_values()[e] - dot) * (d.entry_values()[e] - dot) + 0.5 * reg * (pp + qq);
  }
  return j;
}

TEST(Nmf, FactorsStayNonNegative) {
  const Interactions d = ratings(1, 5, 1);
  for (const char* biased : {"biased=false", "biased=true"}) {
    auto m = fit(d, {"factors=6", "epochs=30", biased});
    const auto& f = dynamic_cast<const FactorModel&>(*m);
    for (float x : f.user_factors()) ASSERT_GE(x, 0.0f) << biased;
    for (float x : f.item_factors()) ASSERT_GE(x, 0.0f) << biased;
  }
}

TEST(Nmf, ObjectiveNeverIncreasesAcrossSweeps) {
  const Interactions d = ratings(1, 5, 2);
  double prev = INFINITY;
  for (int epochs = 1; epochs <= 12; ++epochs) {
    auto m = fit(d, {"factors=5", "epochs=" + std::to_string(epochs), "reg_p=0.05", "reg_q=0.05"});
    const double j = objective(dynamic_cast<const FactorModel&>(*m), d, 0.05);
    EXPECT_LE(j, prev * (1 + 1e-6)) << "epoch " << epochs;
    prev = j;
  }
}

TEST(Nmf, OneSweepMatchesTheMultiplicativeRule) {
  // One user, two items, k = 1, reg 0: with p, q from the seeded start, the user half-sweep gives
  // p' = p * (q1 r1 + q2 r2) / (q1 p q1 + q2 p q2), then q_i' = q_i * p' r_i / (p' p' q_i).
  InteractionsBuilder b;
  b.add(b.users().intern("a"), b.items().intern("x"), 2.0f);
  b.add(b.users().intern("a"), b.items().intern("y"), 4.0f);
  InteractionsBuilder::Options o;
  o.feedback = "explicit";
  o.scale_min = 1;
  o.scale_max = 5;
  const Interactions d = b.build(o);
  auto m0 = fit(d, {"factors=1", "epochs=1", "reg_p=0", "reg_q=0", "init_high=1"});
  const auto& f = dynamic_cast<const FactorModel&>(*m0);
  // Reproduce the start: uniform [0, 1) draws of the seeded generator, users then items.
  Rng rng(42);
  const double p = rng.uniform(), q1 = rng.uniform(), q2 = rng.uniform();
  const double p1 = p * (q1 * 2 + q2 * 4) / (q1 * p * q1 + q2 * p * q2);
  const double q1n = q1 * (p1 * 2) / (p1 * p1 * q1), q2n = q2 * (p1 * 4) / (p1 * p1 * q2);
  EXPECT_NEAR(f.user_factors()[0], p1, 1e-5 * p1);
  EXPECT_NEAR(f.item_factors()[0], q1n, 1e-5 * q1n);
  EXPECT_NEAR(f.item_factors()[1], q2n, 1e-5 * q2n);
}

TEST(Nmf, NegativeScalesAreShifted) {
  const Interactions d = ratings(-10, 10, 3);
  auto m = fit(d, {"factors=4", "epochs=20"});
  const auto& f = dynamic_cast<const FactorModel&>(*m);
  for (float x : f.user_factors()) ASSERT_GE(x, 0.0f);
  for (float x : f.item_factors()) ASSERT_GE(x, 0.0f);
  // The shift comes back out: the mean prediction is near the mean rating, not 10 above it.
  double s = 0;
  for (int64_t e = 0; e < d.nnz(); ++e) s += f.predict(d.entry_users()[e], d.entry_items()[e]);
  EXPECT_NEAR(s / static_cast<double>(d.nnz()), d.global_mean(), 2.0);
}

}  // namespace
}  // namespace metarec
