// timeSVD: the update is the gradient of its rating loss, the drift function, the fall-back to
// biased MF without timestamps, and the time terms used at prediction.
#include <gtest/gtest.h>
#include <metarec/algorithms/catalog.h>
#include <metarec/algorithms/mf/timesvd.h>
#include <metarec/core/rng.h>

#include <cmath>
#include <string>
#include <vector>

namespace metarec {
namespace {

TEST(TimeSvd, StepIsTheNegativeGradientOfTheRatingLoss) {
  const int k = 4;
  Rng rng(2);
  std::vector<float> p(k), q(k);
  for (auto& x : p) x = static_cast<float>(rng.normal() * 0.5);
  for (auto& x : q) x = static_cast<float>(rng.normal() * 0.5);
  float bu = 0.1f, bi = -0.3f, bit = 0.05f, alpha = 0.2f;
  const detail::TimeSvdRating x{p.data(), q.data(), &bu, &bi, &bit, &alpha, 1.7f};
  const detail::TimeSvdRates h{0.1f, 0.04f, 0.1f, 0.03f, 0.1f, 0.5f, 0.2f};
  const float mu = 3.2f, r = 1.0f;
  std::vector<float*> params;
  for (auto& v : p) params.push_back(&v);
  for (auto& v : q) params.push_back(&v);
  for (float* v : {&bu, &bi, &bit, &alpha}) params.push_back(v);
  std::vector<double> numeric;
  const double eps = 1e-3;
  for (float* v : params) {
    const float old = *v;
    *v = static_cast<float>(old + eps);
    const double up = detail::timesvd_rating_loss(x, k, mu, r, h);
    *v = static_cast<float>(old - eps);
    const double down = detail::timesvd_rating_loss(x, k, mu, r, h);
    *v = old;
    numeric.push_back((up - down) / (2 * eps));
  }
  std::vector<float> before;
  for (float* v : params) before.push_back(*v);
  detail::timesvd_step(x, k, mu, r, h);
  for (size_t j = 0; j < params.size(); ++j) {
    const double analytic = -(*params[j] - before[j]) / 0.1;
    EXPECT_NEAR(analytic, numeric[j], 2e-3 * std::max(1.0, std::abs(numeric[j])))
        << "parameter " << j;
  }
}

TEST(TimeSvd, DriftIsSignedPowerOfTheDayDistance) {
  EXPECT_DOUBLE_EQ(detail::timesvd_dev(10, 10, 0.4), 0.0);
  EXPECT_NEAR(detail::timesvd_dev(42, 10, 0.4), std::pow(32.0, 0.4), 1e-12);  // 4
  EXPECT_NEAR(detail::timesvd_dev(10, 42, 0.4), -std::pow(32.0, 0.4), 1e-12);
  EXPECT_NEAR(detail::timesvd_dev(11, 10, 0.5), 1.0, 1e-12);
}

// Ratings of 30 users on 20 items over 100 days; an item's ratings rise by `drift` stars from the
// first to the second half of the span.
Interactions timed(bool with_times, float drift) {
  InteractionsBuilder b;
  b.set_has_timestamps(with_times);
  Rng rng(7);
  for (int u = 0; u < 30; ++u) b.users().intern("u" + std::to_string(u));
  for (int i = 0; i < 20; ++i) b.items().intern("i" + std::to_string(i));
  for (int u = 0; u < 30; ++u) {
    const bool late = u >= 15;  // late users rate in days 50..100, early ones in days 0..50
    for (int i = 0; i < 20; ++i) {
      if (rng.uniform() > 0.6) continue;
      const int64_t day = (late ? 50 : 0) + static_cast<int64_t>(rng.uniform_int(50));
      const float r = 3.0f + (late ? drift : 0.0f) + static_cast<float>(rng.normal() * 0.3);
      b.add(u, i, r, day * 86400);
    }
  }
  InteractionsBuilder::Options o;
  o.feedback = "explicit";
  o.scale_min = -5;
  o.scale_max = 10;
  return b.build(o);
}

TEST(TimeSvd, WithoutTimestampsItIsBiasedMf) {
  const Interactions d = timed(false, 0);
  const std::vector<std::string> p = {"factors=3",    "epochs=7",     "lr=0.02",
                                      "reg=0.05",     "lr_bias=0.01", "reg_bias=0.03",
                                      "lr_decay=0.9", "init_std=0.2"};
  auto a = make_recommender("timesvd", p);
  auto b = make_recommender("svd", p);
  // One thread: with two, the grid's parts run in an order the scheduler picks at run time, so
  // two fits differ by more than rounding (this test failed on a loaded machine).
  FitContext ctx;
  ctx.threads = 1;
  a->fit(d, ctx);
  b->fit(d, ctx);
  std::vector<float> sa(20), sb(20);
  for (int32_t u = 0; u < 30; u += 7) {
    a->score(u, sa);
    b->score(u, sb);
    // Same maths and seeds; the two inlined copies may vectorize k = 3 differently, so equal
    // up to float rounding.
    for (size_t i = 0; i < sa.size(); ++i) EXPECT_NEAR(sa[i], sb[i], 2e-3) << "user " << u;
  }
}

TEST(TimeSvd, BinBiasesCaptureItemDriftAtTheUsersTime) {
  // Every item is rated 1.5 stars higher in the second half. With 2 bins and no factors, the
  // late users' predictions use the late bin: their bin bias must exceed the early bin's.
  const Interactions d = timed(true, 1.5f);
  auto m = make_recommender("timesvd", {"factors=1", "epochs=60", "bins=2", "lr_decay=1",
                                        "reg_bias=0.001", "reg_bin=0.001", "lr_alpha=0.000001"});
  m->fit(d);
  const auto& r = dynamic_cast<const RatingPredictor&>(*m);
  double early = 0, late = 0;
  for (int32_t i = 0; i < 20; ++i) {
    early += r.predict(0, i);
    late += r.predict(29, i);
  }
  // The user biases alone would also separate the groups; the check is that predictions at the
  // users' own times land near their groups' levels (3 and 4.5).
  EXPECT_NEAR(early / 20, 3.0, 0.3);
  EXPECT_NEAR(late / 20, 4.5, 0.3);
  auto latest = make_recommender(
      "timesvd", {"factors=1", "epochs=60", "bins=2", "lr_decay=1", "reg_bias=0.001",
                  "reg_bin=0.001", "lr_alpha=0.000001", "predict_at=latest"});
  latest->fit(d);
  // Predicted at the end of training, an early user gets the late bin's higher item biases.
  const auto& rl = dynamic_cast<const RatingPredictor&>(*latest);
  double early_latest = 0;
  for (int32_t i = 0; i < 20; ++i) early_latest += rl.predict(0, i);
  EXPECT_GT(early_latest / 20, early / 20 + 0.1);
}

}  // namespace
}  // namespace metarec
