// The baselines' own maths on tiny problems solved by hand.
#include <gtest/gtest.h>
#include <metarec/algorithms/baselines/baselines.h>
#include <metarec/algorithms/catalog.h>

namespace metarec {
namespace {

// Users a, b; items x, y, z. Ratings: a-x 5, a-y 3, b-x 4, b-z 1 (mean 13/4 = 3.25).
Interactions tiny() {
  InteractionsBuilder b;
  auto add = [&](const char* u, const char* i, float v) {
    b.add(b.users().intern(u), b.items().intern(i), v);
  };
  add("a", "x", 5);
  add("a", "y", 3);
  add("b", "x", 4);
  add("b", "z", 1);
  InteractionsBuilder::Options o;
  o.feedback = "explicit";
  o.scale_min = 1;
  o.scale_max = 5;
  return b.build(o);
}

TEST(Baselines, BiasOneSweepMatchesHandComputation) {
  // One ALS sweep with reg_item = 1, reg_user = 2, mu = 3.25, starting from b_u = 0:
  //   b_x = ((5-3.25) + (4-3.25)) / (1+2) = 2.5/3;  b_y = (3-3.25)/(1+1) = -0.125;
  //   b_z = (1-3.25)/(1+1) = -1.125
  //   b_a = ((5-3.25-b_x) + (3-3.25-b_y)) / (2+2) = (1.75 - 0.833333 - 0.25 + 0.125)/4
  //   b_b = ((4-3.25-b_x) + (1-3.25-b_z)) / (2+2) = (0.75 - 0.833333 - 2.25 + 1.125)/4
  BiasBaseline m(Params(BiasBaseline::schema(),
                        {{"reg_item", 1.0}, {"reg_user", 2.0}, {"epochs", int64_t{1}}}));
  m.fit(tiny());
  const double bx = 2.5 / 3;
  EXPECT_NEAR(m.global_mean(), 3.25, 1e-12);
  EXPECT_NEAR(m.item_bias()[0], bx, 1e-6);
  EXPECT_NEAR(m.item_bias()[1], -0.125, 1e-6);
  EXPECT_NEAR(m.item_bias()[2], -1.125, 1e-6);
  const double ba = (1.75 - bx - 0.25 + 0.125) / 4, bb = (0.75 - bx - 2.25 + 1.125) / 4;
  EXPECT_NEAR(m.user_bias()[0], ba, 1e-6);
  EXPECT_NEAR(m.user_bias()[1], bb, 1e-6);
  EXPECT_NEAR(m.predict(0, 2), 3.25 + ba - 1.125, 1e-5);
}

TEST(Baselines, BiasConvergesToTheRegularizedLeastSquaresFixedPoint) {
  // At convergence each bias satisfies its own normal equation exactly.
  BiasBaseline m(Params(BiasBaseline::schema(),
                        {{"reg_item", 0.5}, {"reg_user", 0.7}, {"epochs", int64_t{500}}}));
  const Interactions d = tiny();
  m.fit(d);
  for (int32_t i = 0; i < d.num_items(); ++i) {
    double s = 0;
    auto us = d.item_users(i);
    auto vs = d.item_values(i);
    for (size_t k = 0; k < us.size(); ++k) s += vs[k] - 3.25 - m.user_bias()[us[k]];
    EXPECT_NEAR(m.item_bias()[i], s / (0.5 + static_cast<double>(us.size())), 1e-5);
  }
}

TEST(Baselines, PredictionsAreClippedToTheScale) {
  BiasBaseline m(Params(BiasBaseline::schema(),
                        {{"reg_item", 0.0}, {"reg_user", 0.0}, {"epochs", int64_t{50}}}));
  m.fit(tiny());
  for (int32_t u = 0; u < 2; ++u)
    for (int32_t i = 0; i < 3; ++i) {
      EXPECT_GE(m.predict(u, i), 1.0f);
      EXPECT_LE(m.predict(u, i), 5.0f);
    }
}

TEST(Baselines, MeansAndDamping) {
  const Interactions d = tiny();
  MeanPredictor user(MeanPredictor::Kind::kUser,
                     Params(MeanPredictor::schema(MeanPredictor::Kind::kUser)));
  user.fit(d);
  EXPECT_FLOAT_EQ(user.predict(0, 2), 4.0f);  // (5+3)/2
  EXPECT_FLOAT_EQ(user.predict(1, 0), 2.5f);  // (4+1)/2
  // Damping 2 adds two pseudo-ratings at 3.25: item x: (5+4+6.5)/4 = 3.875.
  MeanPredictor item(MeanPredictor::Kind::kItem,
                     Params(MeanPredictor::schema(MeanPredictor::Kind::kItem), {{"damping", 2.0}}));
  item.fit(d);
  EXPECT_FLOAT_EQ(item.predict(1, 0), 3.875f);
  MeanPredictor global(MeanPredictor::Kind::kGlobal,
                       Params(MeanPredictor::schema(MeanPredictor::Kind::kGlobal)));
  global.fit(d);
  EXPECT_FLOAT_EQ(global.predict(0, 1), 3.25f);
}

TEST(Baselines, MostPopularRanksByCount) {
  auto m = make_recommender("most_popular");
  m->fit(tiny());
  std::vector<float> s(3);
  m->score(0, s);
  EXPECT_EQ(s, (std::vector<float>{2, 1, 1}));
  Filter f;
  f.exclude_seen = false;
  auto top = recommend(*m, 1, 3, f);
  ASSERT_EQ(top.size(), 3u);
  EXPECT_EQ(top[0].item, 0);
  EXPECT_EQ(top[1].item, 1);  // tie broken by the smaller index
  EXPECT_EQ(top[2].item, 2);
}

TEST(Baselines, RandomIsUniformAndSeeded) {
  auto a = make_recommender("random");
  FitContext c1;
  c1.seed = 1;
  a->fit(tiny(), c1);
  auto b = make_recommender("random");
  FitContext c2;
  c2.seed = 2;
  b->fit(tiny(), c2);
  std::vector<float> sa(3), sb(3);
  a->score(0, sa);
  b->score(0, sb);
  EXPECT_NE(sa, sb);
  for (float x : sa) {
    EXPECT_GE(x, 0.0f);
    EXPECT_LT(x, 1.0f);
  }
}

}  // namespace
}  // namespace metarec
