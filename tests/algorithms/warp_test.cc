// WARP's own maths: the rank weight, the step against a numerical gradient of the weighted hinge,
// and a planted two-community fixture.
#include <gtest/gtest.h>
#include <metarec/algorithms/warp/warp.h>
#include <metarec/core/rng.h>

#include <cmath>
#include <vector>

#include "planted_communities.h"

namespace metarec {
namespace {

TEST(Warp, WeightIsTheLogOfTheEstimatedRank) {
  // 101 items: 100 candidates; a violation on the first draw estimates rank 100.
  EXPECT_FLOAT_EQ(warp_weight(101, 1), static_cast<float>(std::log(100.0)));
  EXPECT_FLOAT_EQ(warp_weight(101, 3), static_cast<float>(std::log(33.0)));  // floor(100 / 3)
  EXPECT_FLOAT_EQ(warp_weight(101, 50), static_cast<float>(std::log(2.0)));
  EXPECT_EQ(warp_weight(101, 100), 0.0f);  // rank 1: log 1
  EXPECT_EQ(warp_weight(101, 101), 0.0f);  // floor below 1
  EXPECT_EQ(warp_weight(1, 1), 0.0f);
}

TEST(Warp, StepMovesEveryParameterAgainstTheNumericalGradient) {
  const int k = 4;
  Rng rng(9);
  std::vector<float> theta(3 * k + 2);
  for (auto& x : theta) x = static_cast<float>(rng.normal() * 0.5);
  const WarpRegularization reg{0.05f, 0.1f};
  const float weight = warp_weight(1000, 7), margin = 1.0f;
  auto loss = [&](const std::vector<float>& t) {
    return warp_step_loss(t.data(), t.data() + k, t.data() + 2 * k, t[3 * k], t[3 * k + 1], k,
                          weight, margin, reg);
  };
  auto after = theta;
  const float lr = 0.01f;
  warp_step(after.data(), after.data() + k, after.data() + 2 * k, &after[3 * k], &after[3 * k + 1],
            k, lr, weight, reg);
  for (size_t q = 0; q < theta.size(); ++q) {
    auto up = theta, down = theta;
    up[q] += 1e-2f;
    down[q] -= 1e-2f;
    const double numeric = (loss(up) - loss(down)) / (static_cast<double>(up[q]) - down[q]);
    const double analytic = -(static_cast<double>(after[q]) - theta[q]) / lr;
    EXPECT_NEAR(analytic, numeric, 2e-4 + 2e-3 * std::abs(numeric)) << "parameter " << q;
  }
}

TEST(Warp, RanksPlantedPositivesAboveTheOtherCommunity) {
  const auto [train, held] = fixtures::planted_communities(17);
  Warp m(Params(Warp::schema(), {{"factors", int64_t{8}},
                                 {"epochs", int64_t{30}},
                                 {"learning_rate", 0.005},
                                 {"max_norm", 1.0}}));
  FitContext ctx;
  ctx.threads = 1;
  m.fit(train, ctx);
  EXPECT_GT(fixtures::held_out_auc(m, held), 0.97);
  // Every factor vector stays inside the max_norm ball.
  for (auto rows : {m.user_factors(), m.item_factors()})
    for (size_t r = 0; r < rows.size(); r += 8) {
      double n2 = 0;
      for (int f = 0; f < 8; ++f) n2 += static_cast<double>(rows[r + f]) * rows[r + f];
      EXPECT_LE(std::sqrt(n2), 1.0 + 1e-5);
    }
}

}  // namespace
}  // namespace metarec
