// Logistic MF's own maths: the blocked BLAS gradient against a numerical gradient of the log
// posterior, the multi-block path against a direct sum, one thread against two, and a planted
// fixture.
#include <gtest/gtest.h>
#include <metarec/algorithms/logistic_mf/logistic_mf.h>
#include <metarec/core/rng.h>

#include <cmath>
#include <vector>

#include "planted_communities.h"

namespace metarec {
namespace {

Interactions random_implicit(int32_t users, int32_t items, double density, uint64_t seed,
                             bool counts) {
  InteractionsBuilder b;
  for (int32_t u = 0; u < users; ++u) b.users().intern("u" + std::to_string(u));
  for (int32_t i = 0; i < items; ++i) b.items().intern("i" + std::to_string(i));
  Rng rng(seed);
  for (int32_t u = 0; u < users; ++u) {
    bool any = false;
    for (int32_t i = 0; i < items; ++i)
      if (rng.uniform() < density || (!any && i == items - 1)) {
        b.add(u, i, counts ? static_cast<float>(1 + rng.uniform_int(3)) : 1.0f);
        any = true;
      }
  }
  InteractionsBuilder::Options o;
  o.feedback = "implicit";
  return b.build(o);
}

struct Model {
  int k;
  std::vector<float> x, y, bu, bi;
  LogisticMfParams view() const { return {k, x, y, bu, bi}; }
};

Model random_model(const Interactions& d, int k, uint64_t seed) {
  Model m{k, {}, {}, {}, {}};
  Rng rng(seed);
  auto fill = [&](std::vector<float>& v, size_t n) {
    v.resize(n);
    for (auto& t : v) t = static_cast<float>(rng.normal() * 0.4);
  };
  fill(m.x, static_cast<size_t>(d.num_users()) * k);
  fill(m.y, static_cast<size_t>(d.num_items()) * k);
  fill(m.bu, static_cast<size_t>(d.num_users()));
  fill(m.bi, static_cast<size_t>(d.num_items()));
  return m;
}

TEST(LogisticMf, GradientMatchesNumericalDerivativeOfTheLogPosterior) {
  const Interactions d = random_implicit(5, 6, 0.4, 2, /*counts=*/true);
  const LogisticMfConfig cfg{2.5, 0.3, 0.2};
  Model m = random_model(d, 3, 4);
  for (const bool user_side : {true, false}) {
    std::vector<float> g, gb;
    logistic_mf_gradient(d, m.view(), cfg, user_side, 1, g, gb);
    std::vector<float>& f = user_side ? m.x : m.y;
    std::vector<float>& b = user_side ? m.bu : m.bi;
    auto check = [&](std::vector<float>& param, const std::vector<float>& analytic,
                     const char* what) {
      for (size_t q = 0; q < param.size(); ++q) {
        const float keep = param[q];
        param[q] = keep + 1e-2f;
        const double up = logistic_mf_objective(d, m.view(), cfg);
        const double hu = param[q];
        param[q] = keep - 1e-2f;
        const double down = logistic_mf_objective(d, m.view(), cfg);
        const double numeric = (up - down) / (hu - param[q]);
        param[q] = keep;
        EXPECT_NEAR(analytic[q], numeric, 1e-3 + 1e-3 * std::abs(numeric)) << what << " " << q;
      }
    };
    check(f, g, user_side ? "user factor" : "item factor");
    check(b, gb, user_side ? "user bias" : "item bias");
  }
}

TEST(LogisticMf, BlockedGradientAgreesWithADirectSumAcrossBlocks) {
  // 2100 users x 2000 items: the score blocks hold 2097 users, so two blocks are used.
  const int32_t users = 2100, items = 2000;
  const Interactions d = random_implicit(users, items, 0.002, 8, /*counts=*/false);
  const LogisticMfConfig cfg{3.0, 0.5, 0.1};
  const int k = 2;
  Model m = random_model(d, k, 1);
  auto direct = [&](int32_t u, int32_t i) {  // dObjective/dz_ui
    double z = static_cast<double>(m.bu[u]) + m.bi[i];
    for (int f = 0; f < k; ++f) z += static_cast<double>(m.x[u * k + f]) * m.y[i * k + f];
    const float* r = d.find(u, i);
    const double c = r ? cfg.alpha * *r : 0.0;
    return c - (1 + c) / (1 + std::exp(-z));
  };
  std::vector<float> g, gb;
  logistic_mf_gradient(d, m.view(), cfg, true, 2, g, gb);
  for (int32_t u : {0, 2096, 2097, 2099}) {
    double s0 = 0, s1 = 0, sb = 0;
    for (int32_t i = 0; i < items; ++i) {
      const double t = direct(u, i);
      s0 += t * m.y[i * k];
      s1 += t * m.y[i * k + 1];
      sb += t;
    }
    EXPECT_NEAR(g[u * k], s0 - cfg.reg * m.x[u * k], 2e-3 * (1 + std::abs(s0))) << u;
    EXPECT_NEAR(g[u * k + 1], s1 - cfg.reg * m.x[u * k + 1], 2e-3 * (1 + std::abs(s1))) << u;
    EXPECT_NEAR(gb[u], sb - cfg.reg_bias * m.bu[u], 2e-3 * (1 + std::abs(sb))) << u;
  }
  logistic_mf_gradient(d, m.view(), cfg, false, 2, g, gb);
  for (int32_t i : {0, 1999}) {
    double s0 = 0, sb = 0;
    for (int32_t u = 0; u < users; ++u) {
      const double t = direct(u, i);
      s0 += t * m.x[u * k];
      sb += t;
    }
    EXPECT_NEAR(g[i * k], s0 - cfg.reg * m.y[i * k], 2e-3 * (1 + std::abs(s0))) << i;
    EXPECT_NEAR(gb[i], sb - cfg.reg_bias * m.bi[i], 2e-3 * (1 + std::abs(sb))) << i;
  }
}

TEST(LogisticMf, GradientDoesNotDependOnTheThreadCount) {
  // 1100 users x 1500 items: a block of 1100 users in 9 slices of rows, and 3 slices of items
  // (the last one partial).
  const Interactions d = random_implicit(1100, 1500, 0.01, 5, /*counts=*/true);
  const LogisticMfConfig cfg{2.0, 0.5, 0.1};
  const Model m = random_model(d, 5, 6);
  for (const bool user_side : {true, false}) {
    std::vector<float> g1, gb1, g2, gb2;
    logistic_mf_gradient(d, m.view(), cfg, user_side, 1, g1, gb1);
    logistic_mf_gradient(d, m.view(), cfg, user_side, 2, g2, gb2);
    EXPECT_EQ(g1, g2) << (user_side ? "user side" : "item side");
    EXPECT_EQ(gb1, gb2) << (user_side ? "user side" : "item side");
  }
}

TEST(LogisticMf, TrainingRaisesTheLogPosteriorAndRanksPlantedPositives) {
  const auto [train, held] = fixtures::planted_communities(21);
  const Params p(LogisticMf::schema(), {{"factors", int64_t{4}}, {"iterations", int64_t{40}}});
  const LogisticMfConfig cfg{p.get_float("alpha"), p.get_float("reg"), p.get_float("reg_bias")};
  double before = 0;
  {
    LogisticMf short_run(
        Params(LogisticMf::schema(), {{"factors", int64_t{4}}, {"iterations", int64_t{1}}}));
    short_run.fit(train);
    before = logistic_mf_objective(train,
                                   {4, short_run.user_factors(), short_run.item_factors(),
                                    short_run.user_bias(), short_run.item_bias()},
                                   cfg);
  }
  LogisticMf m(p);
  m.fit(train);
  const double after = logistic_mf_objective(
      train, {4, m.user_factors(), m.item_factors(), m.user_bias(), m.item_bias()}, cfg);
  EXPECT_GT(after, before);
  EXPECT_GT(fixtures::held_out_auc(m, held), 0.95);
}

}  // namespace
}  // namespace metarec
