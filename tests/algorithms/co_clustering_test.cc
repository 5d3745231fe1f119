// Co-clustering's own maths: the single-cluster closed form, the cluster means against their
// definition, a planted block structure recovered, and thread-count independence.
#include <gtest/gtest.h>
#include <metarec/algorithms/catalog.h>
#include <metarec/algorithms/co_clustering/co_clustering.h>
#include <metarec/core/rng.h>
#include <metarec/data/synthetic.h>

#include <algorithm>
#include <cmath>

namespace metarec {
namespace {

Interactions build(const std::vector<std::tuple<int, int, float>>& rows) {
  InteractionsBuilder b;
  int nu = 0, ni = 0;
  for (auto [u, i, v] : rows) nu = std::max(nu, u + 1), ni = std::max(ni, i + 1);
  // Interned in numeric order, so user k and item k have index k.
  for (int u = 0; u < nu; ++u) b.users().intern("u" + std::to_string(u));
  for (int i = 0; i < ni; ++i) b.items().intern("i" + std::to_string(i));
  for (auto [u, i, v] : rows)
    b.add(b.users().intern("u" + std::to_string(u)), b.items().intern("i" + std::to_string(i)), v);
  InteractionsBuilder::Options o;
  o.feedback = "explicit";
  o.scale_min = 1;
  o.scale_max = 5;
  return b.build(o);
}

TEST(CoClustering, OneClusterIsUserMeanPlusItemMeanMinusGlobalMean) {
  // With one cluster each, A = A_u = A_i = mu, so p(u, i) = m_u + m_i - mu.
  const Interactions d = build({{0, 0, 5}, {0, 1, 3}, {1, 0, 4}, {1, 2, 1}, {2, 1, 2}, {2, 2, 4}});
  auto m = make_recommender("co_clustering", {"user_clusters=1", "item_clusters=1", "epochs=3"});
  m->fit(d);
  const double mu = 19.0 / 6;
  // u0 mean 4, i2 mean 2.5: 4 + 2.5 - 19/6.
  EXPECT_NEAR(dynamic_cast<const RatingPredictor&>(*m).predict(0, 2), 4 + 2.5 - mu, 1e-6);
  // u1 mean 2.5, i1 mean 2.5.
  EXPECT_NEAR(dynamic_cast<const RatingPredictor&>(*m).predict(1, 1), 2.5 + 2.5 - mu, 1e-6);
}

TEST(CoClustering, RecoversAPlantedBlockStructure) {
  // Two user groups x two item groups; group means 5/1 and 1/5, every pair rated with a few gaps.
  std::vector<std::tuple<int, int, float>> rows;
  Rng rng(3);
  for (int u = 0; u < 40; ++u)
    for (int i = 0; i < 30; ++i) {
      if (rng.uniform() < 0.3) continue;
      rows.emplace_back(u, i, (u < 20) == (i < 15) ? 5.0f : 1.0f);
    }
  const Interactions d = build(rows);
  auto m = make_recommender("co_clustering", {"user_clusters=2", "item_clusters=2", "epochs=10"});
  FitContext ctx;
  ctx.seed = 5;
  m->fit(d, ctx);
  const auto& c = dynamic_cast<const CoClustering&>(*m);
  // The blocks are found; what remains are the users' and items' small mean offsets (RMSE about
  // 0.3), far below a collapsed clustering (RMSE about 2).
  EXPECT_LT(c.training_error(d), 0.16 * static_cast<double>(d.nnz()));
  for (int u = 0; u < 40; ++u) EXPECT_EQ(c.user_clusters()[u] == c.user_clusters()[0], u < 20) << u;
  for (int i = 0; i < 30; ++i) EXPECT_EQ(c.item_clusters()[i] == c.item_clusters()[0], i < 15) << i;
}

TEST(CoClustering, PredictionUsesTheClusterMeansOfTheFinalAssignment) {
  const Interactions d =
      generate_synthetic(parse_synthetic_spec("synthetic:users=150,items=90,per_user=15,seed=8"));
  auto m = make_recommender("co_clustering", {"user_clusters=3", "item_clusters=4", "epochs=5"});
  m->fit(d);
  const auto& c = dynamic_cast<const CoClustering&>(*m);
  // Recompute every mean from the assignments and check one prediction per user.
  std::vector<double> su(3), si(4), sc(12), nu(3), ni(4), nc(12);
  std::vector<double> um(d.num_users()), im(d.num_items()), un(d.num_users()), in(d.num_items());
  for (int64_t e = 0; e < d.nnz(); ++e) {
    const int32_t u = d.entry_users()[e], i = d.entry_items()[e];
    const double r = d.entry_values()[e];
    const int a = c.user_clusters()[u], b = c.item_clusters()[i];
    su[a] += r, nu[a] += 1, si[b] += r, ni[b] += 1, sc[a * 4 + b] += r, nc[a * 4 + b] += 1;
    um[u] += r, un[u] += 1, im[i] += r, in[i] += 1;
  }
  for (int32_t u = 0; u < d.num_users(); u += 5) {
    const int32_t i = (u * 7) % d.num_items();
    if (un[u] == 0 || in[i] == 0) continue;
    const int a = c.user_clusters()[u], b = c.item_clusters()[i];
    ASSERT_GT(nc[a * 4 + b], 0);
    const double want = sc[a * 4 + b] / nc[a * 4 + b] + (um[u] / un[u] - su[a] / nu[a]) +
                        (im[i] / in[i] - si[b] / ni[b]);
    EXPECT_NEAR(c.predict(u, i), std::clamp(want, 1.0, 5.0), 1e-4);
  }
}

TEST(CoClustering, ResultDoesNotDependOnThreads) {
  // Above the size where the sweeps go parallel (20,000 ratings).
  const Interactions d =
      generate_synthetic(parse_synthetic_spec("synthetic:users=1000,items=300,per_user=25,seed=6"));
  ASSERT_GE(d.nnz(), 20000);
  auto a = make_recommender("co_clustering", {"epochs=5", "restarts=2"});
  auto b = make_recommender("co_clustering", {"epochs=5", "restarts=2"});
  FitContext one, two;
  one.threads = 1;
  two.threads = 2;
  a->fit(d, one);
  b->fit(d, two);
  const auto& ca = dynamic_cast<const CoClustering&>(*a);
  const auto& cb = dynamic_cast<const CoClustering&>(*b);
  EXPECT_TRUE(
      std::equal(ca.user_clusters().begin(), ca.user_clusters().end(), cb.user_clusters().begin()));
  EXPECT_TRUE(
      std::equal(ca.item_clusters().begin(), ca.item_clusters().end(), cb.item_clusters().begin()));
}

TEST(CoClustering, UnknownSidesFallBackToTheKnownMean) {
  const Interactions d = build({{0, 0, 5}, {0, 1, 3}, {1, 0, 4}, {1, 1, 2}});
  auto m = make_recommender("co_clustering");
  m->fit(d);
  const auto& p = dynamic_cast<const RatingPredictor&>(*m);
  EXPECT_NEAR(p.predict(0, -1), 4.0, 1e-6);   // unknown item: u0's mean
  EXPECT_NEAR(p.predict(-1, 1), 2.5, 1e-6);   // unknown user: i1's mean
  EXPECT_NEAR(p.predict(-1, -1), 3.5, 1e-6);  // both: global mean
}

}  // namespace
}  // namespace metarec
