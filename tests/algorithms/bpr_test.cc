// BPR-MF's own maths: the SGD step against a numerical gradient of the triple loss, the bitmap
// negative sampler, and a planted two-community fixture whose held-out positives must rank high.
#include <gtest/gtest.h>
#include <metarec/algorithms/bpr/bpr.h>
#include <metarec/algorithms/bpr/user_item_mask.h>
#include <metarec/algorithms/common/user_blocks.h>
#include <metarec/core/rng.h>

#include <cmath>
#include <vector>

#include "planted_communities.h"

namespace metarec {
namespace {

TEST(Bpr, StepMovesEveryParameterAgainstTheNumericalGradient) {
  const int k = 5;
  Rng rng(3);
  std::vector<float> pu(k), qi(k), qj(k);
  for (int f = 0; f < k; ++f) {
    pu[f] = static_cast<float>(rng.normal() * 0.5);
    qi[f] = static_cast<float>(rng.normal() * 0.5);
    qj[f] = static_cast<float>(rng.normal() * 0.5);
  }
  const float bi = 0.3f, bj = -0.2f;
  const BprRegularization reg{0.05f, 0.08f};
  // Central differences of the loss in every coordinate: params are [pu, qi, qj, bi, bj].
  std::vector<float> theta;
  for (auto* v : {&pu, &qi, &qj}) theta.insert(theta.end(), v->begin(), v->end());
  theta.push_back(bi);
  theta.push_back(bj);
  auto loss = [&](const std::vector<float>& t) {
    return bpr_triple_loss(t.data(), t.data() + k, t.data() + 2 * k, t[3 * k], t[3 * k + 1], k,
                           reg);
  };
  std::vector<double> numeric(theta.size());
  for (size_t q = 0; q < theta.size(); ++q) {
    const float h = 1e-2f;
    auto up = theta, down = theta;
    up[q] += h;
    down[q] -= h;
    numeric[q] = (loss(up) - loss(down)) / (static_cast<double>(up[q]) - down[q]);
  }
  auto after = theta;
  const float lr = 0.01f;
  bpr_step(after.data(), after.data() + k, after.data() + 2 * k, &after[3 * k], &after[3 * k + 1],
           k, lr, reg);
  for (size_t q = 0; q < theta.size(); ++q) {
    const double analytic = -(static_cast<double>(after[q]) - theta[q]) / lr;
    EXPECT_NEAR(analytic, numeric[q], 2e-4 + 2e-3 * std::abs(numeric[q])) << "parameter " << q;
  }
}

TEST(Bpr, LossIsTheNegativeLogSigmoidOfTheScoreDifferencePlusPenalties) {
  const float pu[2] = {1, 2}, qi[2] = {0.5f, 0}, qj[2] = {0, 0.25f};
  // x = (0.1 - 0.3) + 1*0.5 - 2*0.25 = -0.2; norms = 5 + 0.25 + 0.0625.
  const double expect = std::log1p(std::exp(0.2)) + 0.5 * 0.1 * 5.3125 + 0.5 * 0.2 * (0.01 + 0.09);
  EXPECT_NEAR(bpr_triple_loss(pu, qi, qj, 0.1f, 0.3f, 2, {0.1f, 0.2f}), expect, 1e-6);
  // Finite for huge margins either way.
  const float big[2] = {1000, 0};
  EXPECT_NEAR(bpr_triple_loss(big, qi, qj, 0, 0, 2, {}), 0.0, 1e-12);
  EXPECT_NEAR(bpr_triple_loss(big, qj, qi, 0, 0, 2, {}), 500.0, 1e-6);
}

TEST(Bpr, MaskSamplerNeverReturnsAPositiveAndCoversTheRest) {
  UserItemMask mask(10);
  const std::vector<int32_t> pos = {0, 3, 4, 9};
  mask.set(pos);
  Rng rng(5);
  std::vector<int> count(10, 0);
  for (int t = 0; t < 6000; ++t) ++count[mask.sample(rng, [] { return -1; })];
  for (int32_t i : pos) EXPECT_EQ(count[i], 0);
  for (int32_t i : {1, 2, 5, 6, 7, 8}) EXPECT_NEAR(count[i], 1000, 150) << i;  // uniform
  mask.clear(pos);
  for (int32_t i = 0; i < 10; ++i) EXPECT_FALSE(mask.contains(i));
  // A user who has everything: the fallback decides.
  UserItemMask full(3);
  full.set(std::vector<int32_t>{0, 1, 2});
  EXPECT_EQ(full.sample(rng, [] { return 42; }), 42);
}

TEST(Bpr, RanksPlantedPositivesAboveTheOtherCommunity) {
  const auto [train, held_out] = fixtures::planted_communities(11);
  for (int candidates : {1, 3}) {
    for (int threads : {1, 2}) {
      Bpr m(Params(Bpr::schema(), {{"factors", int64_t{8}},
                                   {"epochs", int64_t{40}},
                                   {"learning_rate", 0.05},
                                   {"negative_candidates", int64_t{candidates}}}));
      FitContext ctx;
      ctx.threads = threads;
      m.fit(train, ctx);
      EXPECT_GT(fixtures::held_out_auc(m, held_out), 0.95)
          << "candidates " << candidates << " threads " << threads;
    }
  }
}

TEST(Bpr, ColdUsersRankByItemBiasAlone) {
  const Interactions full = fixtures::planted_communities(11).train;
  std::vector<int64_t> keep;  // drop user 0's entries
  for (int64_t e = full.user_ptr()[1]; e < full.nnz(); ++e) keep.push_back(e);
  Bpr m(Params(Bpr::schema(), {{"factors", int64_t{4}}, {"epochs", int64_t{3}}}));
  m.fit(full.subset(keep));
  for (int f = 0; f < m.factors(); ++f) EXPECT_EQ(m.user_factors()[f], 0.0f);
  std::vector<float> s(static_cast<size_t>(m.num_items()));
  m.score(0, s);
  for (int32_t i = 0; i < m.num_items(); ++i) EXPECT_EQ(s[i], m.item_bias()[i]);
}

// Below 32,768 items the Hogwild learners train on one thread (two were slower there), so a fit
// asked for two threads equals the one-thread fit bit for bit; from 32,768 items the threads are
// used.
TEST(Bpr, SmallCataloguesTrainOnOneThreadWhateverIsAsked) {
  EXPECT_EQ(item_hogwild_threads(2, 3700), 1);
  EXPECT_EQ(item_hogwild_threads(2, 32767), 1);
  EXPECT_EQ(item_hogwild_threads(2, 32768), 2);
  const Interactions train = fixtures::planted_communities(11).train;
  std::vector<std::vector<float>> factors;
  for (int threads : {1, 2}) {
    Bpr m(Params(Bpr::schema(), {{"factors", int64_t{8}}, {"epochs", int64_t{5}}}));
    FitContext ctx;
    ctx.threads = threads;
    m.fit(train, ctx);
    factors.emplace_back(m.item_factors().begin(), m.item_factors().end());
  }
  EXPECT_EQ(factors[0], factors[1]);
}

}  // namespace
}  // namespace metarec
