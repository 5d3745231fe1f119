// CF-NADE's own maths: the full backward pass (input, output and bias weights through the
// level sharing, the hybrid cost and tanh) against central finite differences on a tiny model,
// the level probabilities against their definition, a planted problem, thread-count
// independence and save/load.
#include <gtest/gtest.h>
#include <metarec/algorithms/catalog.h>
#include <metarec/algorithms/cf_nade/cf_nade.h>
#include <metarec/core/rng.h>
#include <metarec/data/split.h>
#include <metarec/data/synthetic.h>
#include <metarec/eval/evaluator.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "model_fixtures.h"

namespace metarec {
namespace {

// 4 items, 3 levels, 3 hidden units, weights large enough for tanh to bend.
detail::CfNadeNet tiny_net() {
  detail::CfNadeNet n;
  n.n_items = 4;
  n.levels = 3;
  n.hidden = 3;
  Rng rng(21);
  n.w.resize(4 * 3 * 3);
  n.v.resize(4 * 3 * 3);
  n.b.resize(4 * 3);
  n.c.resize(3);
  for (auto* p : {&n.w, &n.v, &n.b, &n.c})
    for (auto& x : *p) x = static_cast<float>(0.5 * rng.normal());
  return n;
}

// The full gradient assembled from the per-user parts exactly as training does: dW[i, m] += da
// for every context rating (i, r) and m <= r, dc = da, dV and db on the output rows.
void dense_grad(const detail::CfNadeNet& n, const std::vector<int32_t>& in_i,
                const std::vector<uint8_t>& in_l, const std::vector<int32_t>& out_i,
                const std::vector<uint8_t>& out_l, double scale, double lambda,
                detail::CfNadeNet& g) {
  detail::CfNadeUserGrad ug;
  std::vector<float> h;
  detail::cf_nade_user_cost(n, in_i, in_l, out_i, out_l, scale, lambda, &ug, h);
  g = n;
  for (auto* p : {&g.w, &g.v, &g.b, &g.c}) std::fill(p->begin(), p->end(), 0.0f);
  const int L = 3, H = 3;
  for (size_t t = 0; t < in_i.size(); ++t)
    for (int m = 0; m <= in_l[t]; ++m)
      for (int j = 0; j < H; ++j) g.w[(in_i[t] * L + m) * H + j] += ug.da[j];
  for (int j = 0; j < H; ++j) g.c[j] = ug.da[j];
  for (size_t t = 0; t < out_i.size(); ++t)
    for (int m = 0; m < L; ++m) {
      g.b[out_i[t] * L + m] += ug.db[t * L + m];
      for (int j = 0; j < H; ++j) g.v[(out_i[t] * L + m) * H + j] += ug.dv[(t * L + m) * H + j];
    }
}

TEST(CfNade, BackwardPassMatchesFiniteDifferences) {
  // Context: item 0 at level 2, item 3 at level 0; predicted: item 1 at level 1, item 2 at 2.
  const std::vector<int32_t> in_i = {0, 3}, out_i = {1, 2};
  const std::vector<uint8_t> in_l = {2, 0}, out_l = {1, 2};
  for (double lambda : {0.0, 0.3, 1.0}) {
    auto n = tiny_net();
    detail::CfNadeNet g;
    dense_grad(n, in_i, in_l, out_i, out_l, 2.0, lambda, g);
    std::vector<float> h;
    auto cost = [&] {
      return detail::cf_nade_user_cost(n, in_i, in_l, out_i, out_l, 2.0, lambda, nullptr, h);
    };
    std::vector<std::pair<std::vector<float>*, std::vector<float>*>> blocks = {
        {&n.w, &g.w}, {&n.v, &g.v}, {&n.b, &g.b}, {&n.c, &g.c}};
    int checked = 0;
    for (auto [p, gp] : blocks)
      for (size_t x = 0; x < p->size(); ++x) {
        const float keep = (*p)[x];
        const float eps = 1e-2f;
        (*p)[x] = keep + eps;
        const double up = cost();
        (*p)[x] = keep - eps;
        const double down = cost();
        (*p)[x] = keep;
        const double fd = (up - down) / (2 * eps);
        EXPECT_NEAR((*gp)[x], fd, 2e-3 + 2e-3 * std::abs(fd)) << "lambda " << lambda << " x " << x;
        checked += (*gp)[x] != 0.0f;
      }
    // The gradient is not trivially zero: inputs (levels <= r), outputs and c all move.
    EXPECT_GT(checked, 30);
  }
}

TEST(CfNade, LevelProbabilitiesFollowTheSharedScores) {
  const auto n = tiny_net();
  std::vector<float> h(3);
  const std::vector<int32_t> items = {0, 2};
  const std::vector<uint8_t> lv = {1, 0};
  n.hidden_state(items, lv, h);
  for (int j = 0; j < 3; ++j) {
    // Level 1 of item 0 feeds W[0, 0] + W[0, 1]; level 0 of item 2 feeds W[2, 0].
    const double a =
        n.c[j] + n.w[(0 * 3 + 0) * 3 + j] + n.w[(0 * 3 + 1) * 3 + j] + n.w[(2 * 3 + 0) * 3 + j];
    EXPECT_NEAR(h[j], std::tanh(a), 1e-6);
  }
  std::vector<float> p(3);
  n.level_probs(3, h, p);
  double s[3], acc = 0, z = 0;
  for (int m = 0; m < 3; ++m) {
    double t = n.b[3 * 3 + m];
    for (int j = 0; j < 3; ++j) t += n.v[(3 * 3 + m) * 3 + j] * h[j];
    acc += t;
    s[m] = acc;
    z += std::exp(s[m]);
  }
  for (int m = 0; m < 3; ++m) EXPECT_NEAR(p[m], std::exp(s[m]) / z, 1e-6);
}

// A planted block structure: held-out ratings far better than the global mean (RMSE about 2).
TEST(CfNade, BeatsTheGlobalMeanOnPlantedBlocks) {
  const Interactions d = fixtures::planted_rating_blocks();
  const Split sp = make_split(d, SplitSpec::parse("user_random:test=0.2,seed=1"));
  EvalOptions o;
  o.metrics = {"rmse"};
  auto mean = make_recommender("global_mean");
  mean->fit(sp.train);
  const double base = evaluate(*mean, sp.train, sp.test, o).get("rmse");
  for (const char* based : {"item_based=true", "item_based=false"}) {
    auto m = make_recommender("cf_nade", {"hidden=10", "epochs=60", "batch=4", "lr=0.01", based});
    FitContext ctx;
    ctx.threads = 1;
    m->fit(sp.train, ctx);
    const double got = evaluate(*m, sp.train, sp.test, o).get("rmse");
    EXPECT_LT(got, 0.5 * base) << based << " rmse " << got << " vs global mean " << base;
  }
}

TEST(CfNade, SameSeedIsBitForBitAndThreadCountIndependent) {
  const Interactions d = generate_synthetic(
      parse_synthetic_spec("synthetic:users=700,items=200,per_user=40,factors=3,seed=2"));
  ASSERT_GE(d.nnz(), 20000);  // so that training really uses the threads asked for
  auto fit = [&](int threads) {
    auto m = make_recommender("cf_nade", {"hidden=4", "epochs=2", "batch=50"});
    FitContext ctx;
    ctx.seed = 9;
    ctx.threads = threads;
    m->fit(d, ctx);
    return m;
  };
  auto a = fit(1), b = fit(1), c = fit(2);
  const auto& na = dynamic_cast<const CfNade&>(*a).net();
  EXPECT_EQ(na.w, dynamic_cast<const CfNade&>(*b).net().w);
  EXPECT_EQ(na.v, dynamic_cast<const CfNade&>(*c).net().v);
  EXPECT_EQ(na.w, dynamic_cast<const CfNade&>(*c).net().w);
  EXPECT_EQ(na.c, dynamic_cast<const CfNade&>(*c).net().c);
}

TEST(CfNade, SaveLoadGivesIdenticalPredictions) {
  const Interactions d = generate_synthetic(
      parse_synthetic_spec("synthetic:users=80,items=50,per_user=12,factors=3,seed=4"));
  auto m = make_recommender("cf_nade", {"hidden=6", "epochs=2"});
  m->fit(d);
  auto l = fixtures::saved_and_loaded(*m);
  const auto& p = dynamic_cast<const RatingPredictor&>(*m);
  const auto& q = dynamic_cast<const RatingPredictor&>(*l);
  for (int32_t u = 0; u < d.num_users(); u += 7)
    for (int32_t i = 0; i < d.num_items(); i += 5) ASSERT_EQ(p.predict(u, i), q.predict(u, i));
}

}  // namespace
}  // namespace metarec
