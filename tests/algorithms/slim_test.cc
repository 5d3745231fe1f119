// SLIM's own maths: each column is the non-negative elastic net solution (checked against an
// independent projected-gradient solver and the optimality conditions), top-k and threads.
#include <gtest/gtest.h>
#include <metarec/algorithms/catalog.h>
#include <metarec/algorithms/slim/slim.h>
#include <metarec/core/error.h>
#include <metarec/core/rng.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace metarec {
namespace {

using Binary = std::vector<std::vector<int>>;

Interactions from_dense(const Binary& x) {
  InteractionsBuilder b;
  for (size_t u = 0; u < x.size(); ++u) b.users().intern("u" + std::to_string(u));
  for (size_t i = 0; i < x[0].size(); ++i) b.items().intern("i" + std::to_string(i));
  for (size_t u = 0; u < x.size(); ++u)
    for (size_t i = 0; i < x[u].size(); ++i)
      if (x[u][i]) b.add(static_cast<int32_t>(u), static_cast<int32_t>(i), 1.0f);
  InteractionsBuilder::Options o;
  o.feedback = "implicit";
  return b.build(o);
}

Binary random_binary(size_t users, size_t items, double density, uint64_t seed) {
  Rng rng(seed);
  Binary x(users, std::vector<int>(items, 0));
  for (auto& row : x)
    for (auto& v : row) v = rng.uniform() < density ? 1 : 0;
  for (size_t i = 0; i < items; ++i) x[i % users][i] = 1;  // no empty item
  return x;
}

// Column j of W as a dense vector.
std::vector<double> column(const SparseMatrix& w, int32_t j) {
  std::vector<double> c(static_cast<size_t>(w.rows()), 0.0);
  for (int32_t i = 0; i < w.rows(); ++i) {
    auto idx = w.row_indices(i);
    auto val = w.row_values(i);
    for (size_t p = 0; p < idx.size(); ++p)
      if (idx[p] == j) c[i] = val[p];
  }
  return c;
}

std::unique_ptr<Slim> fit_slim(const Interactions& d, double l1, double l2, int64_t topk,
                               int threads = 1) {
  auto m = std::make_unique<Slim>(Params(
      Slim::schema(),
      {{"l1", l1}, {"l2", l2}, {"topk", topk}, {"max_iter", int64_t{10000}}, {"tol", 1e-12}}));
  FitContext ctx;
  ctx.threads = threads;
  m->fit(d, ctx);
  return m;
}

// min 1/2 ||x_j - X w||^2 + l1 sum(w) + l2/2 ||w||^2 over w >= 0, w_j = 0, by projected gradient
// with step 1/L (L bounds the largest eigenvalue of X^T X + l2 I by its Frobenius norm), straight
// from the dense X (no Gram matrix, no coordinate descent).
std::vector<double> projected_gradient(const Binary& x, size_t j, double l1, double l2) {
  const size_t m = x.size(), n = x[0].size();
  double frob = 0;
  for (size_t a = 0; a < n; ++a)
    for (size_t b = 0; b < n; ++b) {
      double g = 0;
      for (size_t u = 0; u < m; ++u) g += x[u][a] * x[u][b];
      frob += g * g;
    }
  const double step = 1.0 / (std::sqrt(frob) + l2);
  std::vector<double> w(n, 0.0), r(m), grad(n);
  for (int it = 0; it < 200000; ++it) {
    for (size_t u = 0; u < m; ++u) {
      double p = 0;
      for (size_t k = 0; k < n; ++k) p += x[u][k] * w[k];
      r[u] = p - x[u][j];
    }
    for (size_t k = 0; k < n; ++k) {
      double g = l1 + l2 * w[k];
      for (size_t u = 0; u < m; ++u) g += x[u][k] * r[u];
      grad[k] = g;
    }
    double moved = 0;
    for (size_t k = 0; k < n; ++k) {
      const double nw = k == j ? 0.0 : std::max(0.0, w[k] - step * grad[k]);
      moved = std::max(moved, std::abs(nw - w[k]));
      w[k] = nw;
    }
    if (moved < 1e-12) break;
  }
  return w;
}

TEST(Slim, EveryColumnIsTheElasticNetSolution) {
  const Binary x = {
      {1, 1, 0, 0, 1, 0}, {0, 1, 1, 0, 0, 1}, {1, 0, 1, 1, 0, 0}, {1, 1, 1, 0, 0, 1},
      {0, 0, 1, 1, 1, 0}, {1, 0, 0, 0, 1, 1}, {0, 1, 0, 1, 0, 0}, {1, 1, 0, 1, 1, 0},
  };
  const double l1 = 0.3, l2 = 0.8;
  auto m = fit_slim(from_dense(x), l1, l2, 0);
  bool any_positive = false, any_zero = false;
  for (size_t j = 0; j < x[0].size(); ++j) {
    const auto want = projected_gradient(x, j, l1, l2);
    const auto got = column(m->weights(), static_cast<int32_t>(j));
    for (size_t k = 0; k < want.size(); ++k) {
      EXPECT_NEAR(got[k], want[k], 1e-5) << "column " << j << " item " << k;
      (want[k] > 1e-6 ? any_positive : any_zero) = true;
    }
    EXPECT_EQ(got[j], 0.0);
  }
  // The fixture exercises both active and clamped weights.
  EXPECT_TRUE(any_positive);
  EXPECT_TRUE(any_zero);
}

TEST(Slim, OptimalityConditionsHoldOnALargerProblem) {
  const Binary x = random_binary(70, 40, 0.2, 9);
  const double l1 = 0.5, l2 = 2.0;
  auto m = fit_slim(from_dense(x), l1, l2, 0);
  const size_t n = x[0].size();
  std::vector<std::vector<double>> g(n, std::vector<double>(n, 0.0));
  for (const auto& row : x)
    for (size_t a = 0; a < n; ++a)
      for (size_t b = 0; b < n; ++b) g[a][b] += row[a] * row[b];
  for (size_t j = 0; j < n; ++j) {
    const auto w = column(m->weights(), static_cast<int32_t>(j));
    for (size_t k = 0; k < n; ++k) {
      if (k == j) continue;
      double gw = 0;
      for (size_t l = 0; l < n; ++l) gw += g[k][l] * w[l];
      // Gradient of the smooth part plus l1: zero where w_k > 0, non-negative where w_k = 0.
      const double d = gw - g[k][j] + l2 * w[k] + l1;
      if (w[k] > 0) {
        EXPECT_NEAR(d, 0.0, 1e-4) << j << "," << k;
      } else {
        EXPECT_GE(d, -1e-4) << j << "," << k;
      }
    }
  }
}

TEST(Slim, TopKKeepsTheLargestWeightsOfEachColumn) {
  const Interactions d = from_dense(random_binary(60, 30, 0.3, 4));
  auto all = fit_slim(d, 0.1, 1.0, 0);
  auto top = fit_slim(d, 0.1, 1.0, 3);
  for (int32_t j = 0; j < 30; ++j) {
    auto a = column(all->weights(), j);
    auto t = column(top->weights(), j);
    std::vector<double> sorted = a;
    std::sort(sorted.rbegin(), sorted.rend());
    int kept = 0;
    for (size_t k = 0; k < a.size(); ++k) {
      if (t[k] != 0) {
        ++kept;
        EXPECT_EQ(t[k], a[k]);
        EXPECT_GE(t[k], sorted[2]);
      }
    }
    EXPECT_EQ(kept, std::min(3, static_cast<int>(std::count_if(a.begin(), a.end(),
                                                               [](double v) { return v > 0; }))));
  }
}

TEST(Slim, ResultDoesNotDependOnThreads) {
  const Interactions d = from_dense(random_binary(50, 35, 0.25, 2));
  auto a = fit_slim(d, 0.2, 1.0, 10, 1), b = fit_slim(d, 0.2, 1.0, 10, 2);
  for (int32_t j = 0; j < 35; ++j) EXPECT_EQ(column(a->weights(), j), column(b->weights(), j));
}

TEST(Slim, SolveColumnOnAGivenGram) {
  // Two items, G = [[3, 2], [2, 4]]: w_0 for target 1 = max(0, 2 - l1) / (3 + l2).
  const std::vector<float> g = {3, 2, 2, 4};
  auto w = Slim::solve_column(g, 2, 1, 0.5, 1.0, 1e-9, 100);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].first, 0);
  EXPECT_NEAR(w[0].second, 1.5 / 4.0, 1e-7);
  EXPECT_TRUE(
      Slim::solve_column(g, 2, 1, 2.5, 1.0, 1e-9, 100).empty());  // l1 above the correlation
}

TEST(Slim, RejectsAnUnregularizedProblem) {
  auto m = make_recommender("slim", {"l1=0", "l2=0"});
  EXPECT_THROW(m->fit(from_dense(random_binary(10, 5, 0.5, 1))), InvalidArgument);
}

}  // namespace
}  // namespace metarec
