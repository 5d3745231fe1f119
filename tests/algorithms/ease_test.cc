// EASE's own maths: the closed form against an independent Gauss-Jordan inverse, the constrained
// optimality conditions, the Gram matrix builder, scoring and fold-in.
#include <gtest/gtest.h>
#include <metarec/algorithms/catalog.h>
#include <metarec/algorithms/ease/ease.h>
#include <metarec/algorithms/ease/item_gram.h>
#include <metarec/core/error.h>
#include <metarec/core/rng.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace metarec {
namespace {

using Dense = std::vector<std::vector<double>>;

// Binary implicit data from a dense 0/1 matrix (users x items); ids interned in index order.
Interactions from_dense(const std::vector<std::vector<int>>& x) {
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

Dense gram(const std::vector<std::vector<int>>& x) {
  const size_t n = x[0].size();
  Dense g(n, std::vector<double>(n, 0.0));
  for (const auto& row : x)
    for (size_t i = 0; i < n; ++i)
      for (size_t j = 0; j < n; ++j) g[i][j] += row[i] * row[j];
  return g;
}

// Naive Gauss-Jordan inverse with partial pivoting, in double.
Dense inverse(Dense a) {
  const size_t n = a.size();
  Dense inv(n, std::vector<double>(n, 0.0));
  for (size_t i = 0; i < n; ++i) inv[i][i] = 1.0;
  for (size_t c = 0; c < n; ++c) {
    size_t p = c;
    for (size_t r = c + 1; r < n; ++r)
      if (std::abs(a[r][c]) > std::abs(a[p][c])) p = r;
    std::swap(a[c], a[p]);
    std::swap(inv[c], inv[p]);
    const double d = a[c][c];
    for (size_t k = 0; k < n; ++k) {
      a[c][k] /= d;
      inv[c][k] /= d;
    }
    for (size_t r = 0; r < n; ++r) {
      if (r == c) continue;
      const double f = a[r][c];
      for (size_t k = 0; k < n; ++k) {
        a[r][k] -= f * a[c][k];
        inv[r][k] -= f * inv[c][k];
      }
    }
  }
  return inv;
}

const std::vector<std::vector<int>> kTiny = {
    {1, 1, 0, 0, 1}, {0, 1, 1, 0, 0}, {1, 0, 1, 1, 0}, {1, 1, 1, 0, 0},
    {0, 0, 1, 1, 1}, {1, 0, 0, 0, 1}, {0, 1, 0, 1, 0},
};

std::unique_ptr<Ease> fit_ease(const Interactions& d, double lambda, int threads = 1) {
  auto m = std::make_unique<Ease>(Params(Ease::schema(), {{"lambda", lambda}}));
  FitContext ctx;
  ctx.threads = threads;
  m->fit(d, ctx);
  return m;
}

TEST(Ease, ClosedFormMatchesAnIndependentInverse) {
  const double lambda = 2.0;
  auto m = fit_ease(from_dense(kTiny), lambda);
  Dense a = gram(kTiny);
  const size_t n = a.size();
  for (size_t i = 0; i < n; ++i) a[i][i] += lambda;
  const Dense p = inverse(a);
  auto b = m->weights();
  ASSERT_EQ(b.size(), n * n);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < n; ++j) {
      const double want = (i == j ? 1.0 : 0.0) - p[i][j] / p[j][j];
      EXPECT_NEAR(b[i * n + j], want, 1e-5 * (1 + std::abs(want))) << i << "," << j;
    }
  for (size_t j = 0; j < n; ++j) EXPECT_EQ(b[j * n + j], 0.0f);
}

TEST(Ease, SatisfiesTheConstrainedNormalEquations) {
  // B minimizes ||X - XB||^2 + lambda ||B||^2 with diag(B) = 0 iff (G + lambda I) B - G is zero
  // off the diagonal (the diagonal holds the Lagrange multipliers).
  Rng rng(3);
  std::vector<std::vector<int>> x(40, std::vector<int>(12, 0));
  for (auto& row : x)
    for (auto& v : row) v = rng.uniform() < 0.3 ? 1 : 0;
  const double lambda = 5.0;
  auto m = fit_ease(from_dense(x), lambda);
  const Dense g = gram(x);
  const size_t n = g.size();
  auto b = m->weights();
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < n; ++j) {
      if (i == j) continue;
      double r = -g[i][j] + lambda * b[i * n + j];
      for (size_t k = 0; k < n; ++k) r += g[i][k] * b[k * n + j];
      EXPECT_NEAR(r, 0.0, 1e-3) << i << "," << j;
    }
}

TEST(Ease, GramBuilderMatchesDenseProductAcrossBlocks) {
  // 150 items: more than two 64-wide blocks of the symmetric mirror.
  Rng rng(11);
  std::vector<std::vector<int>> x(30, std::vector<int>(150, 0));
  for (auto& row : x)
    for (auto& v : row) v = rng.uniform() < 0.2 ? 1 : 0;
  x[0][149] = 1;  // every item index exists
  const Interactions d = from_dense(x);
  const Dense want = gram(x);
  const int32_t n = 150;
  for (int threads : {1, 2}) {
    std::vector<float> g(static_cast<size_t>(n) * n, 0.0f);
    add_item_gram_lower(d, threads, g);
    symmetrize_from_lower(n, g, threads);
    for (int32_t i = 0; i < n; ++i)
      for (int32_t j = 0; j < n; ++j)
        ASSERT_EQ(g[static_cast<size_t>(i) * n + j], want[i][j]) << i << "," << j;
  }
}

TEST(Ease, ScoresAreSumsOfTheUsersRowsAndFoldInAgrees) {
  const Interactions d = from_dense(kTiny);
  auto m = fit_ease(d, 1.0);
  const size_t n = 5;
  auto b = m->weights();
  for (int32_t u = 0; u < d.num_users(); ++u) {
    std::vector<float> s(n), f(n);
    m->score(u, s);
    for (size_t j = 0; j < n; ++j) {
      double want = 0;
      for (int32_t i : d.user_items(u)) want += b[static_cast<size_t>(i) * n + j];
      EXPECT_NEAR(s[j], want, 1e-6);
    }
    m->score_new_user(d.user_items(u), {}, f);
    EXPECT_EQ(s, f);
  }
  auto sim = m->similar_items(0, 10);
  ASSERT_EQ(sim.size(), n - 1);
  for (const auto& s : sim) EXPECT_NE(s.item, 0);
  EXPECT_EQ(sim[0].score, *std::max_element(b.begin() + 1, b.begin() + n));
}

TEST(Ease, ThreadCountDoesNotChangeTheModelBeyondRounding) {
  Rng rng(5);
  std::vector<std::vector<int>> x(80, std::vector<int>(90, 0));
  for (auto& row : x)
    for (auto& v : row) v = rng.uniform() < 0.15 ? 1 : 0;
  const Interactions d = from_dense(x);
  auto a = fit_ease(d, 10.0, 1), b = fit_ease(d, 10.0, 2);
  auto wa = a->weights(), wb = b->weights();
  for (size_t k = 0; k < wa.size(); ++k) ASSERT_NEAR(wa[k], wb[k], 1e-5);
}

TEST(Ease, LambdaMustBePositive) {
  EXPECT_THROW(make_recommender("ease", {"lambda=0"}), InvalidArgument);
  EXPECT_NO_THROW(make_recommender("ease", {"lambda=0.5"}));
}

}  // namespace
}  // namespace metarec
