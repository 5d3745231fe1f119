// The RBM's own maths: free energy and both conditionals against brute-force enumeration of a
// tiny model, CD's positive phase by hand, the explainability scores by hand, the rating levels,
// a planted problem, thread-count independence and save/load.
#include <gtest/gtest.h>
#include <metarec/algorithms/catalog.h>
#include <metarec/algorithms/rbm/rating_levels.h>
#include <metarec/algorithms/rbm/rbm.h>
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

Interactions build(const std::vector<std::tuple<int, int, float>>& rows, float lo = 1,
                   float hi = 5) {
  InteractionsBuilder b;
  int nu = 0, ni = 0;
  for (auto [u, i, v] : rows) nu = std::max(nu, u + 1), ni = std::max(ni, i + 1);
  for (int u = 0; u < nu; ++u) b.users().intern("u" + std::to_string(u));
  for (int i = 0; i < ni; ++i) b.items().intern("i" + std::to_string(i));
  for (auto [u, i, v] : rows) b.add(u, i, v);
  InteractionsBuilder::Options o;
  o.feedback = "explicit";
  o.scale_min = lo;
  o.scale_max = hi;
  return b.build(o);
}

// A random tiny RBM: 3 items, 3 levels, 2 hidden units, with explainability weights.
detail::RbmNet tiny_net() {
  detail::RbmNet n;
  n.n_items = 3;
  n.levels = 3;
  n.hidden = 2;
  Rng rng(11);
  n.w.resize(3 * 3 * 2);
  n.bv.resize(3 * 3);
  n.bh.resize(2);
  n.d.resize(3 * 2);
  for (auto* v : {&n.w, &n.bv, &n.bh, &n.d})
    for (auto& x : *v) x = static_cast<float>(rng.normal());
  return n;
}

// The energy written out from the definition (visible one-hot levels, hidden 0/1, inputs e).
double energy(const detail::RbmNet& n, const std::vector<int32_t>& items,
              const std::vector<uint8_t>& lv, const std::vector<int32_t>& ci,
              const std::vector<float>& ce, const int h[2]) {
  double e = 0;
  for (size_t t = 0; t < items.size(); ++t) {
    e -= n.bv[items[t] * 3 + lv[t]];
    for (int j = 0; j < 2; ++j) e -= h[j] * n.w[(items[t] * 3 + lv[t]) * 2 + j];
  }
  for (int j = 0; j < 2; ++j) {
    e -= h[j] * n.bh[j];
    for (size_t c = 0; c < ci.size(); ++c) e -= h[j] * ce[c] * n.d[ci[c] * 2 + j];
  }
  return e;
}

// The shared read-out of the Boltzmann models: 0.2 * 1 + 0.3 * 2 + 0.5 * 3 = 2.3, clipped to the
// scale; rows without a hidden state read the cold state.
TEST(RatingLevels, ExpectedRatingAndHiddenRows) {
  detail::LevelScale s{{1, 2, 3}, 1, 3};
  const float p[3] = {0.2f, 0.3f, 0.5f};
  EXPECT_NEAR(s.expected(p), 2.3f, 1e-6);
  s.hi = 2;
  EXPECT_EQ(s.expected(p), 2.0f);
  EXPECT_EQ(s.midpoint(), 1.5f);
  const std::vector<float> states = {1, 2, 3, 4}, cold = {9, 9};
  EXPECT_EQ(detail::hidden_row(states, cold, 1, 2)[0], 3.0f);
  EXPECT_EQ(detail::hidden_row(states, cold, 2, 2)[0], 9.0f);
  EXPECT_EQ(detail::hidden_row(states, cold, -1, 2)[0], 9.0f);
}

TEST(Rbm, FreeEnergyAndHiddenConditionalMatchEnumeration) {
  const auto n = tiny_net();
  const std::vector<int32_t> items = {0, 2};
  const std::vector<uint8_t> lv = {1, 2};
  const std::vector<int32_t> ci = {1, 2};
  const std::vector<float> ce = {0.5f, 0.25f};
  double z = 0, h1[2] = {0, 0};
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 2; ++b) {
      const int h[2] = {a, b};
      const double p = std::exp(-energy(n, items, lv, ci, ce, h));
      z += p;
      h1[0] += a * p;
      h1[1] += b * p;
    }
  EXPECT_NEAR(n.free_energy(items, lv, ci, ce), -std::log(z), 1e-5);
  std::vector<float> ph(2);
  n.hidden_probs(items, lv, ci, ce, ph);
  EXPECT_NEAR(ph[0], h1[0] / z, 1e-6);
  EXPECT_NEAR(ph[1], h1[1] / z, 1e-6);
}

TEST(Rbm, VisibleConditionalMatchesEnumeration) {
  const auto n = tiny_net();
  // p(v_1 | h, v_0 fixed) by enumerating item 1's level with item 0 at level 2 and h = (1, 0):
  // the other visible unit and the inputs cancel in the ratio.
  const int h[2] = {1, 0};
  double p[3], z = 0;
  for (int k = 0; k < 3; ++k) {
    p[k] = std::exp(-energy(n, {0, 1}, {2, static_cast<uint8_t>(k)}, {2}, {0.7f}, h));
    z += p[k];
  }
  std::vector<float> out(3);
  const std::vector<float> hf = {1.0f, 0.0f};
  n.visible_probs(1, hf, out);
  for (int k = 0; k < 3; ++k) EXPECT_NEAR(out[k], p[k] / z, 1e-6) << k;
}

TEST(Rbm, PositivePhaseIsTheDataExpectation) {
  const auto n = tiny_net();
  const std::vector<int32_t> items = {1, 2};
  const std::vector<uint8_t> lv = {0, 2};
  const std::vector<int32_t> ci = {0};
  const std::vector<float> ce = {0.4f};
  detail::RbmPhase pos, neg;
  std::vector<float> scratch;
  Rng rng(1);
  detail::rbm_cd_phases(n, items, lv, ci, ce, 2, rng, pos, neg, scratch);
  for (int j = 0; j < 2; ++j) {
    const double a =
        n.bh[j] + n.w[(1 * 3 + 0) * 2 + j] + n.w[(2 * 3 + 2) * 2 + j] + 0.4 * n.d[0 * 2 + j];
    const double p = 1 / (1 + std::exp(-a));
    EXPECT_NEAR(pos.h[j], p, 1e-6);
    for (int t = 0; t < 2; ++t)
      for (int k = 0; k < 3; ++k)
        EXPECT_NEAR(pos.vh[(t * 3 + k) * 2 + j], k == lv[t] ? p : 0.0, 1e-6);
  }
  // The negative phase: a distribution over levels per item, and v x p(h | v) per row.
  for (int t = 0; t < 2; ++t) {
    double s = 0;
    for (int k = 0; k < 3; ++k) {
      s += neg.v[t * 3 + k];
      for (int j = 0; j < 2; ++j)
        EXPECT_NEAR(neg.vh[(t * 3 + k) * 2 + j], neg.v[t * 3 + k] * neg.h[j], 1e-6);
    }
    EXPECT_NEAR(s, 1.0, 1e-5);
  }
}

TEST(Rbm, RatingLevelsComeFromTheData) {
  const auto d = build({{0, 0, 1}, {0, 1, 5}, {1, 0, 3}, {1, 1, 4}});
  const auto lv = detail::rating_levels(d, 10);
  EXPECT_EQ(lv, (std::vector<float>{1, 3, 4, 5}));
  const auto half = build({{0, 0, 0.5f}, {0, 1, 1.5f}, {1, 0, 3}, {1, 1, 4.5f}}, 0.5f, 5);
  // Four distinct values but max_levels 3: an even grid 0.5, 2.5, 4.5, nearest (lower on ties).
  const auto grid = detail::rating_levels(half, 3);
  EXPECT_EQ(grid, (std::vector<float>{0.5f, 2.5f, 4.5f}));
  EXPECT_EQ(detail::nearest_level(grid, 1.5f), 0);
  EXPECT_EQ(detail::nearest_level(grid, 1.6f), 1);
  EXPECT_EQ(detail::nearest_level(grid, 9.0f), 2);
  EXPECT_EQ(detail::nearest_level(grid, -1.0f), 0);
}

TEST(Rbm, ExplainabilityIsTheNeighbourFractionWhoRated) {
  // u0 rates items 0, 1 (5, 5); u1 is u0's twin and also rates 2; u2 is further away and rates 3.
  const auto d =
      build({{0, 0, 5}, {0, 1, 5}, {1, 0, 5}, {1, 1, 5}, {1, 2, 4}, {2, 0, 1}, {2, 3, 5}});
  auto m = make_recommender("explainable_rbm", {"neighbors=1", "epochs=1", "hidden=3"});
  FitContext ctx;
  ctx.threads = 1;
  m->fit(d, ctx);
  const auto& r = dynamic_cast<const Rbm&>(*m);
  // cos(u0, u1) = 50 / (sqrt(50) sqrt(66)) > cos(u0, u2) = 5 / (sqrt(50) sqrt(26)).
  using P = std::vector<std::pair<int32_t, float>>;
  EXPECT_EQ(r.explainability(0), (P{{0, 1.0f}, {1, 1.0f}, {2, 1.0f}}));
  auto m2 = make_recommender("explainable_rbm", {"neighbors=2", "epochs=1", "hidden=3"});
  m2->fit(d, ctx);
  EXPECT_EQ(dynamic_cast<const Rbm&>(*m2).explainability(0),
            (P{{0, 1.0f}, {1, 0.5f}, {2, 0.5f}, {3, 0.5f}}));
}

// A planted block structure: held-out ratings far better than the global mean (RMSE about 2).
TEST(Rbm, BeatsTheGlobalMeanOnPlantedBlocks) {
  const Interactions d = fixtures::planted_rating_blocks();
  const Split sp = make_split(d, SplitSpec::parse("user_random:test=0.2,seed=1"));
  EvalOptions o;
  o.metrics = {"rmse"};
  auto mean = make_recommender("global_mean");
  mean->fit(sp.train);
  const double base = evaluate(*mean, sp.train, sp.test, o).get("rmse");
  for (const char* name : {"rbm", "explainable_rbm"}) {
    auto m = make_recommender(name, {"hidden=10", "epochs=60", "batch=4", "lr=0.05"});
    FitContext ctx;
    ctx.threads = 1;
    m->fit(sp.train, ctx);
    const double got = evaluate(*m, sp.train, sp.test, o).get("rmse");
    EXPECT_LT(got, 0.5 * base) << name << " rmse " << got << " vs global mean " << base;
  }
}

TEST(Rbm, SameSeedIsBitForBitAndThreadCountIndependent) {
  // Over 20,000 ratings, so that training really uses the threads asked for.
  const Interactions d = generate_synthetic(
      parse_synthetic_spec("synthetic:users=700,items=200,per_user=40,factors=3,seed=2"));
  ASSERT_GE(d.nnz(), 20000);
  for (const char* name : {"rbm", "explainable_rbm"}) {
    auto fit = [&](int threads) {
      auto m = make_recommender(name, {"hidden=4", "epochs=2", "batch=50"});
      FitContext ctx;
      ctx.seed = 9;
      ctx.threads = threads;
      m->fit(d, ctx);
      return m;
    };
    auto a = fit(1), b = fit(1), c = fit(2);
    const auto& ra = dynamic_cast<const Rbm&>(*a);
    EXPECT_EQ(ra.net().w, dynamic_cast<const Rbm&>(*b).net().w) << name;
    EXPECT_EQ(ra.net().w, dynamic_cast<const Rbm&>(*c).net().w) << name;
    EXPECT_EQ(ra.net().d, dynamic_cast<const Rbm&>(*c).net().d) << name;
    EXPECT_EQ(ra.net().bh, dynamic_cast<const Rbm&>(*c).net().bh) << name;
  }
}

TEST(Rbm, SaveLoadGivesIdenticalPredictions) {
  const Interactions d = generate_synthetic(
      parse_synthetic_spec("synthetic:users=80,items=50,per_user=12,factors=3,seed=4"));
  for (const char* name : {"rbm", "explainable_rbm"}) {
    auto m = make_recommender(name, {"hidden=6", "epochs=3"});
    m->fit(d);
    auto l = fixtures::saved_and_loaded(*m);
    const auto& p = dynamic_cast<const RatingPredictor&>(*m);
    const auto& q = dynamic_cast<const RatingPredictor&>(*l);
    for (int32_t u = 0; u < d.num_users(); u += 7)
      for (int32_t i = 0; i < d.num_items(); i += 5) ASSERT_EQ(p.predict(u, i), q.predict(u, i));
    EXPECT_EQ(dynamic_cast<const Rbm&>(*m).explainability(3),
              dynamic_cast<const Rbm&>(*l).explainability(3));
  }
}

}  // namespace
}  // namespace metarec
