// Slope One's own maths: deviations and supports against their definition, both prediction
// rules on a hand-computed example, fallbacks, and score/predict agreement.
#include <gtest/gtest.h>
#include <metarec/algorithms/catalog.h>
#include <metarec/algorithms/slope_one/slope_one.h>
#include <metarec/data/synthetic.h>

#include <cmath>

namespace metarec {
namespace {

// u0: a=5 b=3 c=2; u1: a=3 b=4; u2: b=2 c=5; u3: d=4 (d shares no user with c).
Interactions tiny() {
  InteractionsBuilder b;
  auto add = [&](const char* u, const char* i, float v) {
    b.add(b.users().intern(u), b.items().intern(i), v);
  };
  add("u0", "a", 5);
  add("u0", "b", 3);
  add("u0", "c", 2);
  add("u1", "a", 3);
  add("u1", "b", 4);
  add("u2", "b", 2);
  add("u2", "c", 5);
  add("u3", "d", 4);
  InteractionsBuilder::Options o;
  o.feedback = "explicit";
  o.scale_min = 1;
  o.scale_max = 5;
  return b.build(o);
}

TEST(SlopeOne, WeightedPredictionMatchesHandComputation) {
  // dev(c, a) = 2 - 5 = -3 (1 user); dev(c, b) = ((2 - 3) + (5 - 2)) / 2 = 1 (2 users).
  // u1's rating of c: ((-3 + 3) * 1 + (1 + 4) * 2) / (1 + 2) = 10 / 3.
  auto m = make_recommender("slope_one");
  m->fit(tiny());
  EXPECT_NEAR(dynamic_cast<const RatingPredictor&>(*m).predict(1, 2), 10.0 / 3.0, 1e-6);
}

TEST(SlopeOne, UnweightedPredictionIsUserMeanPlusMeanDeviation) {
  // u1's mean is 3.5; mean deviation over {a, b}: (-3 + 1) / 2 = -1  =>  2.5.
  auto m = make_recommender("slope_one", {"weighted=false"});
  m->fit(tiny());
  EXPECT_NEAR(dynamic_cast<const RatingPredictor&>(*m).predict(1, 2), 2.5, 1e-6);
}

TEST(SlopeOne, DeviationsAndSupportsFollowTheDefinition) {
  const Interactions d =
      generate_synthetic(parse_synthetic_spec("synthetic:users=80,items=40,per_user=12,seed=2"));
  auto m = make_recommender("slope_one", {"min_support=2"});
  m->fit(d);
  const auto& s = dynamic_cast<const SlopeOne&>(*m);
  for (int32_t i = 0; i < d.num_items(); ++i)
    for (int32_t j = 0; j < d.num_items(); ++j) {
      double sum = 0;
      int n = 0;
      for (int32_t u = 0; u < d.num_users(); ++u) {
        const float* ri = d.find(u, i);
        const float* rj = d.find(u, j);
        if (ri && rj && i != j) sum += *ri - *rj, ++n;
      }
      const float dev = s.deviation(i, j);
      const int32_t c = s.support(i, j);
      if (n >= 2) {
        EXPECT_EQ(c, n);
        EXPECT_NEAR(dev, sum / n, 1e-5);
      } else {
        EXPECT_EQ(c, 0) << i << "," << j;
        EXPECT_EQ(dev, 0.0f);
      }
    }
}

TEST(SlopeOne, FallsBackToTheUsersMeanOrTheGlobalMean) {
  auto m = make_recommender("slope_one");
  const Interactions d = tiny();
  m->fit(d);
  const auto& p = dynamic_cast<const RatingPredictor&>(*m);
  EXPECT_NEAR(p.predict(3, 2), 4.0, 1e-6);               // u3 shares nothing with c: u3's mean
  EXPECT_NEAR(p.predict(-1, 2), d.global_mean(), 1e-6);  // unknown user
}

TEST(SlopeOne, ScoreEqualsPredict) {
  const Interactions d =
      generate_synthetic(parse_synthetic_spec("synthetic:users=100,items=60,per_user=12,seed=4"));
  for (const char* w : {"weighted=true", "weighted=false"}) {
    auto m = make_recommender("slope_one", {w});
    m->fit(d);
    const auto& p = dynamic_cast<const RatingPredictor&>(*m);
    std::vector<float> s(static_cast<size_t>(d.num_items()));
    for (int32_t u = 0; u < d.num_users(); u += 9) {
      m->score(u, s);
      for (int32_t i = 0; i < d.num_items(); ++i) ASSERT_EQ(s[i], p.predict(u, i)) << w;
    }
  }
}

}  // namespace
}  // namespace metarec
