// Explicit ALS against its closed form: each half-sweep is the exact ridge solution of the
// weighted-lambda objective, so the objective never increases, and exact low-rank data is
// recovered.
#include <gtest/gtest.h>
#include <metarec/algorithms/als/als.h>
#include <metarec/algorithms/als/dense_kernels.h>
#include <metarec/core/rng.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <memory>

namespace metarec {
namespace {

// A users x items explicit matrix from `r` (row-major); NaN marks a missing cell.
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

Interactions tiny() {
  const double n = NAN;
  return from_dense(5, 4, {5, 3, n, 1,  //
                           4, n, n, 1,  //
                           1, 1, n, 5,  //
                           n, 1, 5, 4,  //
                           2, n, 4, 3});
}

std::unique_ptr<Als> fit_als(const Interactions& d, int epochs, bool biases, bool weighted,
                             double reg = 0.1, int k = 2, int threads = 1) {
  auto m = std::make_unique<Als>(Params(Als::schema(), {{"factors", int64_t{k}},
                                                        {"reg", reg},
                                                        {"epochs", int64_t{epochs}},
                                                        {"biases", biases},
                                                        {"weighted", weighted}}));
  FitContext ctx;
  ctx.seed = 3;
  ctx.threads = threads;
  m->fit(d, ctx);
  return m;
}

// The exact solution for one row: minimize sum_j (r_j - mu - b_j - <x, y_j> - c)^2 +
// lambda (|x|^2 + c^2) over x (and c when biases), solved with Eigen in double.
Eigen::VectorXd ridge_row(const Interactions& d, bool user_side, int32_t row, const Als& m,
                          bool biases, double lambda) {
  const int k = m.factors();
  const int dim = k + (biases ? 1 : 0);
  auto idx = user_side ? d.user_items(row) : d.item_users(row);
  auto val = user_side ? d.user_values(row) : d.item_values(row);
  auto fixed = user_side ? m.item_factors() : m.user_factors();
  auto fixed_bias = user_side ? m.item_bias() : m.user_bias();
  Eigen::MatrixXd x(static_cast<Eigen::Index>(idx.size()), dim);
  Eigen::VectorXd t(static_cast<Eigen::Index>(idx.size()));
  for (size_t e = 0; e < idx.size(); ++e) {
    for (int f = 0; f < k; ++f) x(e, f) = fixed[idx[e] * k + f];
    if (biases) x(e, k) = 1;
    t(e) = val[e] - m.global_mean() - (biases ? fixed_bias[idx[e]] : 0.0);
  }
  const Eigen::MatrixXd a = x.transpose() * x + lambda * Eigen::MatrixXd::Identity(dim, dim);
  return a.ldlt().solve(x.transpose() * t);
}

void expect_sweep_is_closed_form(bool biases, bool weighted) {
  const Interactions d = tiny();
  const double reg = 0.1;
  const auto one_p = fit_als(d, 1, biases, weighted, reg);
  const Als& one = *one_p;
  const auto two_p = fit_als(d, 2, biases, weighted, reg);
  const Als& two = *two_p;
  const int k = one.factors();
  // Sweep 2's users are the exact solves against sweep 1's items ...
  for (int32_t u = 0; u < d.num_users(); ++u) {
    const double lambda = reg * (weighted ? static_cast<double>(d.user_count(u)) : 1.0);
    const Eigen::VectorXd want = ridge_row(d, true, u, one, biases, lambda);
    for (int f = 0; f < k; ++f) EXPECT_NEAR(two.user_factors()[u * k + f], want(f), 1e-5) << u;
    if (biases) {
      EXPECT_NEAR(two.user_bias()[u], want(k), 1e-5) << u;
    }
  }
  // ... and sweep 2's items the exact solves against sweep 2's users.
  for (int32_t i = 0; i < d.num_items(); ++i) {
    const double lambda = reg * (weighted ? static_cast<double>(d.item_count(i)) : 1.0);
    const Eigen::VectorXd want = ridge_row(d, false, i, two, biases, lambda);
    for (int f = 0; f < k; ++f) EXPECT_NEAR(two.item_factors()[i * k + f], want(f), 1e-5) << i;
    if (biases) {
      EXPECT_NEAR(two.item_bias()[i], want(k), 1e-5) << i;
    }
  }
}

TEST(Als, OneSweepIsTheClosedFormWithBiasesAndWeightedLambda) {
  expect_sweep_is_closed_form(true, true);
}
TEST(Als, OneSweepIsTheClosedFormWithoutBiasesOrWeights) {
  expect_sweep_is_closed_form(false, false);
}

TEST(Als, GlobalMeanIsUsedOnlyWithBiases) {
  const Interactions d = tiny();
  EXPECT_NEAR(fit_als(d, 1, true, true)->global_mean(), d.global_mean(), 1e-12);
  EXPECT_EQ(fit_als(d, 1, false, true)->global_mean(), 0.0);
}

// The weighted-lambda objective, computed from the model's public factors.
double objective(const Interactions& d, const Als& m, double reg, bool weighted) {
  const int k = m.factors();
  const bool biases = !m.user_bias().empty();
  double loss = 0;
  for (int32_t u = 0; u < d.num_users(); ++u) {
    auto items = d.user_items(u);
    auto vals = d.user_values(u);
    for (size_t e = 0; e < items.size(); ++e) {
      double p = m.global_mean();
      if (biases) p += m.user_bias()[u] + m.item_bias()[items[e]];
      for (int f = 0; f < k; ++f)
        p += double(m.user_factors()[u * k + f]) * m.item_factors()[items[e] * k + f];
      loss += (vals[e] - p) * (vals[e] - p);
    }
  }
  for (int32_t u = 0; u < d.num_users(); ++u) {
    double n = 0;
    for (int f = 0; f < k; ++f)
      n += double(m.user_factors()[u * k + f]) * m.user_factors()[u * k + f];
    if (biases) n += double(m.user_bias()[u]) * m.user_bias()[u];
    loss += reg * (weighted ? static_cast<double>(d.user_count(u)) : 1.0) * n;
  }
  for (int32_t i = 0; i < d.num_items(); ++i) {
    double n = 0;
    for (int f = 0; f < k; ++f)
      n += double(m.item_factors()[i * k + f]) * m.item_factors()[i * k + f];
    if (biases) n += double(m.item_bias()[i]) * m.item_bias()[i];
    loss += reg * (weighted ? static_cast<double>(d.item_count(i)) : 1.0) * n;
  }
  return loss;
}

// A random sparse matrix of noisy 1..5 ratings.
Interactions noisy(int users, int items, double density, uint64_t seed) {
  Rng rng(seed);
  std::vector<double> r(static_cast<size_t>(users) * items, NAN);
  for (auto& x : r)
    if (rng.uniform() < density) x = 1 + static_cast<double>(rng.uniform_int(5));
  return from_dense(users, items, r);
}

TEST(Als, ObjectiveNeverIncreasesAcrossSweeps) {
  const Interactions d = noisy(40, 30, 0.3, 11);
  for (bool weighted : {true, false}) {
    double prev = INFINITY;
    for (int epochs = 1; epochs <= 8; ++epochs) {
      const double obj = objective(d, *fit_als(d, epochs, true, weighted, 0.05, 4), 0.05, weighted);
      EXPECT_LE(obj, prev * (1 + 1e-6)) << "epoch " << epochs << " weighted " << weighted;
      prev = obj;
    }
  }
}

TEST(Als, RecoversAPlantedLowRankMatrix) {
  // R = A B^T with rank 2, 70% of the cells observed; the rest is predicted from the factors.
  const int users = 30, items = 20;
  Rng rng(5);
  std::vector<double> a(users * 2), b(items * 2), full(users * items), obs(users * items, NAN);
  for (auto& x : a) x = rng.normal();
  for (auto& x : b) x = rng.normal();
  for (int u = 0; u < users; ++u)
    for (int i = 0; i < items; ++i) {
      full[u * items + i] = a[u * 2] * b[i * 2] + a[u * 2 + 1] * b[i * 2 + 1];
      if (rng.uniform() < 0.7) obs[u * items + i] = full[u * items + i];
    }
  const Interactions d = from_dense(users, items, obs);
  const auto mp = fit_als(d, 100, false, false, 1e-6, 2);
  const Als& m = *mp;
  double se = 0;
  int n = 0;
  for (int u = 0; u < users; ++u)
    for (int i = 0; i < items; ++i) {
      if (!std::isnan(obs[u * items + i])) continue;
      const double p = m.user_factors()[u * 2] * m.item_factors()[i * 2] +
                       m.user_factors()[u * 2 + 1] * m.item_factors()[i * 2 + 1];
      se += (p - full[u * items + i]) * (p - full[u * items + i]);
      ++n;
    }
  ASSERT_GT(n, 50);
  EXPECT_LT(std::sqrt(se / n), 0.01);
}

TEST(Als, ResultDoesNotDependOnTheThreadCount) {
  const Interactions d = noisy(60, 40, 0.3, 2);
  const auto one = fit_als(d, 3, true, true, 0.05, 4, 1);
  const auto two = fit_als(d, 3, true, true, 0.05, 4, 2);
  EXPECT_TRUE(std::ranges::equal(one->user_factors(), two->user_factors()));
  EXPECT_TRUE(std::ranges::equal(one->item_factors(), two->item_factors()));
  EXPECT_TRUE(std::ranges::equal(one->user_bias(), two->user_bias()));
}

TEST(DenseKernels, CholeskySolveMatchesEigen) {
  Rng rng(9);
  const int n = 37;  // above Eigen's blocking threshold, not a multiple of the vector width
  Eigen::MatrixXd g(n, n);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) g(i, j) = rng.normal();
  const Eigen::MatrixXd spd = g * g.transpose() + n * Eigen::MatrixXd::Identity(n, n);
  Eigen::VectorXd rhs(n);
  for (int i = 0; i < n; ++i) rhs(i) = rng.normal();
  std::vector<double> a(n * n), b(n);
  for (int i = 0; i < n; ++i) {
    b[i] = rhs(i);
    for (int j = 0; j < n; ++j) a[i * n + j] = spd(i, j);
  }
  ASSERT_TRUE(detail::cholesky_in_place(a.data(), n));
  detail::cholesky_solve(a.data(), b.data(), n);
  const Eigen::VectorXd want = spd.llt().solve(rhs);
  for (int i = 0; i < n; ++i) EXPECT_NEAR(b[i], want(i), 1e-10);
  std::vector<double> bad = {1, 2, 2, 1};  // indefinite
  EXPECT_FALSE(detail::cholesky_in_place(bad.data(), 2));
}

}  // namespace
}  // namespace metarec
