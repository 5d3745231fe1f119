// BPMF's samplers against their known moments, the stored model against the Monte Carlo
// average it represents, and the whole chain on a planted low-rank problem.
#include <gtest/gtest.h>
#include <metarec/algorithms/bayesian_mf/bayesian_mf.h>
#include <metarec/core/rng.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <memory>

namespace metarec {
namespace {

TEST(BayesianMf, GammaSamplerHasTheRightMeanAndVariance) {
  Rng rng(1);
  for (double shape : {0.4, 1.0, 3.5, 60.0}) {
    const int n = 40000;
    double s = 0, s2 = 0;
    for (int t = 0; t < n; ++t) {
      const double x = detail::sample_gamma(rng, shape);
      ASSERT_GT(x, 0.0);
      s += x;
      s2 += x * x;
    }
    const double mean = s / n, var = s2 / n - mean * mean;
    // Gamma(shape, 1): mean = var = shape. Standard error of the mean is sqrt(shape / n).
    EXPECT_NEAR(mean, shape, 5 * std::sqrt(shape / n)) << shape;
    EXPECT_NEAR(var, shape, 0.08 * shape) << shape;
  }
}

TEST(BayesianMf, WishartDrawsAverageToDofTimesScale) {
  const int d = 3;
  const Eigen::Matrix3d scale{{2.0, 0.5, -0.3}, {0.5, 1.0, 0.2}, {-0.3, 0.2, 0.5}};
  const Eigen::Matrix3d l = scale.llt().matrixL();
  std::vector<double> lrow(9);
  for (int i = 0; i < d; ++i)
    for (int j = 0; j < d; ++j) lrow[i * d + j] = l(i, j);
  Rng rng(2);
  const double dof = 6;
  const int n = 20000;
  Eigen::Matrix3d sum = Eigen::Matrix3d::Zero();
  std::vector<double> draw(9);
  double var00 = 0;
  for (int t = 0; t < n; ++t) {
    detail::sample_wishart(rng, lrow, d, dof, draw);
    for (int i = 0; i < d; ++i)
      for (int j = 0; j < d; ++j) sum(i, j) += draw[i * d + j];
    var00 += draw[0] * draw[0];
  }
  const Eigen::Matrix3d mean = sum / n;
  for (int i = 0; i < d; ++i)
    for (int j = 0; j < d; ++j)
      EXPECT_NEAR(mean(i, j), dof * scale(i, j), 0.05 * dof) << i << "," << j;
  // Var(W_00) = 2 dof scale_00^2.
  EXPECT_NEAR(var00 / n - mean(0, 0) * mean(0, 0), 2 * dof * 4.0, 0.06 * 2 * dof * 4.0);
}

TEST(BayesianMf, GaussianDrawsHaveMeanPInverseHAndCovariancePInverse) {
  const int d = 2;
  const Eigen::Matrix2d p{{3.0, 1.0}, {1.0, 2.0}};
  const Eigen::Vector2d h{1.0, -2.0};
  const Eigen::Vector2d want_mean = p.inverse() * h;
  const Eigen::Matrix2d want_cov = p.inverse();
  Rng rng(3);
  const int n = 40000;
  Eigen::Vector2d s = Eigen::Vector2d::Zero();
  Eigen::Matrix2d s2 = Eigen::Matrix2d::Zero();
  for (int t = 0; t < n; ++t) {
    double prec[4] = {p(0, 0), p(0, 1), p(1, 0), p(1, 1)}, x[2] = {h(0), h(1)}, z[2];
    ASSERT_TRUE(detail::sample_gaussian(rng, prec, x, z, d));
    const Eigen::Vector2d v{x[0], x[1]};
    s += v;
    s2 += v * v.transpose();
  }
  const Eigen::Vector2d mean = s / n;
  const Eigen::Matrix2d cov = s2 / n - mean * mean.transpose();
  for (int i = 0; i < d; ++i) {
    EXPECT_NEAR(mean(i), want_mean(i), 0.015);
    for (int j = 0; j < d; ++j) EXPECT_NEAR(cov(i, j), want_cov(i, j), 0.02);
  }
}

TEST(BayesianMf, HyperparameterDrawsMatchTheGaussianWishartPosterior) {
  // Rows x (n x d); posterior: beta = beta0 + n, nu = d + n, mu* = n xbar / beta,
  // W*^-1 = I + sum (x - xbar)(x - xbar)^T + beta0 n / beta xbar xbar^T;
  // E[Lambda] = nu W*, E[mu] = mu*.
  const int d = 2, n = 30;
  const double beta0 = 2;
  Rng data(4);
  std::vector<float> x(n * d);
  for (int r = 0; r < n; ++r) {
    x[r * d] = static_cast<float>(1.0 + data.normal());
    x[r * d + 1] = static_cast<float>(-0.5 + 0.5 * data.normal());
  }
  Eigen::Vector2d xbar = Eigen::Vector2d::Zero();
  for (int r = 0; r < n; ++r) xbar += Eigen::Vector2d(x[r * d], x[r * d + 1]) / n;
  Eigen::Matrix2d winv = Eigen::Matrix2d::Identity();
  for (int r = 0; r < n; ++r) {
    const Eigen::Vector2d c = Eigen::Vector2d(x[r * d], x[r * d + 1]) - xbar;
    winv += c * c.transpose();
  }
  const double beta = beta0 + n, nu = d + n;
  winv += beta0 * n / beta * xbar * xbar.transpose();
  const Eigen::Matrix2d want_lambda = nu * winv.inverse();
  const Eigen::Vector2d want_mu = n * xbar / beta;
  Rng rng(5);
  const int draws = 20000;
  Eigen::Matrix2d lam = Eigen::Matrix2d::Zero();
  Eigen::Vector2d mu = Eigen::Vector2d::Zero();
  std::vector<double> m, p;
  for (int t = 0; t < draws; ++t) {
    detail::sample_gaussian_wishart(rng, x, n, d, beta0, m, p);
    mu += Eigen::Vector2d(m[0], m[1]) / draws;
    lam += Eigen::Matrix2d{{p[0], p[1]}, {p[2], p[3]}} / draws;
  }
  for (int i = 0; i < d; ++i) {
    EXPECT_NEAR(mu(i), want_mu(i), 0.01);
    for (int j = 0; j < d; ++j)
      EXPECT_NEAR(lam(i, j), want_lambda(i, j), 0.02 * want_lambda.norm());
  }
}

Interactions from_dense(int users, int items, const std::vector<double>& r) {
  InteractionsBuilder b;
  for (int u = 0; u < users; ++u) b.users().intern("u" + std::to_string(u));
  for (int i = 0; i < items; ++i) b.items().intern("i" + std::to_string(i));
  for (int u = 0; u < users; ++u)
    for (int i = 0; i < items; ++i)
      if (!std::isnan(r[u * items + i])) b.add(u, i, static_cast<float>(r[u * items + i]));
  InteractionsBuilder::Options o;
  o.feedback = "explicit";
  o.scale_min = -100;
  o.scale_max = 100;
  return b.build(o);
}

std::unique_ptr<BayesianMf> fit_bpmf(const Interactions& d, std::map<std::string, ParamValue> p,
                                     uint64_t seed = 9, int threads = 1) {
  auto m = std::make_unique<BayesianMf>(Params(BayesianMf::schema(), p));
  FitContext ctx;
  ctx.seed = seed;
  ctx.threads = threads;
  m->fit(d, ctx);
  return m;
}

struct Planted {
  std::vector<double> full, observed;
  int users = 40, items = 30;
};

Planted planted() {
  Planted p;
  Rng rng(6);
  std::vector<double> a(p.users * 2), b(p.items * 2);
  for (auto& x : a) x = rng.normal();
  for (auto& x : b) x = rng.normal();
  p.full.resize(p.users * p.items);
  p.observed.assign(p.users * p.items, NAN);
  for (int u = 0; u < p.users; ++u)
    for (int i = 0; i < p.items; ++i) {
      p.full[u * p.items + i] = 3 + a[u * 2] * b[i * 2] + a[u * 2 + 1] * b[i * 2 + 1];
      if (rng.uniform() < 0.6)
        p.observed[u * p.items + i] = p.full[u * p.items + i] + 0.05 * rng.normal();
    }
  return p;
}

TEST(BayesianMf, StoredFactorsAreTheConcatenatedSamplesAndPredictTheirAverage) {
  const Planted p = planted();
  const Interactions d = from_dense(p.users, p.items, p.observed);
  const auto m =
      fit_bpmf(d, {{"factors", int64_t{2}}, {"burn_in", int64_t{5}}, {"samples", int64_t{7}}});
  ASSERT_EQ(m->factors(), 2 * 7);
  EXPECT_NEAR(m->global_mean(), d.global_mean(), 1e-12);
  // predict = mu + (1/S) sum_s <U^s, V^s>, with the stored user rows already divided by S.
  const int k = m->factors();
  for (int32_t u = 0; u < p.users; u += 7)
    for (int32_t i = 0; i < p.items; i += 5) {
      double avg = 0;
      for (int s = 0; s < 7; ++s)
        for (int f = 0; f < 2; ++f)
          avg +=
              double(m->user_factors()[u * k + s * 2 + f]) * m->item_factors()[i * k + s * 2 + f];
      EXPECT_NEAR(m->predict(u, i), m->global_mean() + avg, 1e-4);
    }
  // The kept samples differ from each other (the chain moves).
  EXPECT_NE(m->item_factors()[0], m->item_factors()[2]);
}

TEST(BayesianMf, RecoversAPlantedLowRankMatrix) {
  const Planted p = planted();
  const Interactions d = from_dense(p.users, p.items, p.observed);
  const auto m = fit_bpmf(d, {{"factors", int64_t{3}},
                              {"alpha", 100.0},
                              {"burn_in", int64_t{60}},
                              {"samples", int64_t{60}}});
  double se = 0, se_mean = 0;
  int n = 0;
  for (int u = 0; u < p.users; ++u)
    for (int i = 0; i < p.items; ++i) {
      if (!std::isnan(p.observed[u * p.items + i])) continue;
      const double t = p.full[u * p.items + i];
      se += (m->predict(u, i) - t) * (m->predict(u, i) - t);
      se_mean += (d.global_mean() - t) * (d.global_mean() - t);
      ++n;
    }
  ASSERT_GT(n, 100);
  EXPECT_LT(std::sqrt(se / n), 0.15 * std::sqrt(se_mean / n));
}

TEST(BayesianMf, ChainDependsOnTheSeedOnlyNotOnThreads) {
  const Planted p = planted();
  const Interactions d = from_dense(p.users, p.items, p.observed);
  const std::map<std::string, ParamValue> q = {
      {"factors", int64_t{3}}, {"burn_in", int64_t{3}}, {"samples", int64_t{3}}};
  const auto a = fit_bpmf(d, q, 9, 1);
  const auto b = fit_bpmf(d, q, 9, 2);
  const auto c = fit_bpmf(d, q, 10, 1);
  EXPECT_TRUE(std::ranges::equal(a->user_factors(), b->user_factors()));
  EXPECT_TRUE(std::ranges::equal(a->item_factors(), b->item_factors()));
  EXPECT_FALSE(std::ranges::equal(a->item_factors(), c->item_factors()));
}

}  // namespace
}  // namespace metarec
