// Mini-batches (each example exactly once per epoch, seeded order) and early stopping.
#include <gtest/gtest.h>
#include <metarec/core/error.h>
#include <metarec/nn/train.h>

#include <algorithm>
#include <cmath>

namespace metarec {
namespace {

TEST(NnTrain, MiniBatchesCoverEveryExampleOncePerEpoch) {
  nn::MiniBatches mb(10, 4);
  ASSERT_EQ(mb.count(), 3);
  EXPECT_EQ(mb.batch(2).size(), 2u);  // 4 + 4 + 2
  Rng rng(61);
  mb.shuffle(rng);
  std::vector<int64_t> seen;
  for (int64_t b = 0; b < mb.count(); ++b)
    for (int64_t i : mb.batch(b)) seen.push_back(i);
  std::sort(seen.begin(), seen.end());
  for (int64_t i = 0; i < 10; ++i) EXPECT_EQ(seen[static_cast<size_t>(i)], i);
  // Shuffled (10! orders: the identity has probability 2.8e-7), and the same seed gives the
  // same order.
  const std::vector<int64_t> first(mb.order().begin(), mb.order().end());
  std::vector<int64_t> identity(10);
  for (int i = 0; i < 10; ++i) identity[static_cast<size_t>(i)] = i;
  EXPECT_NE(first, identity);
  nn::MiniBatches again(10, 4);
  Rng rng2(61);
  again.shuffle(rng2);
  EXPECT_EQ(std::vector<int64_t>(again.order().begin(), again.order().end()), first);
  EXPECT_EQ(nn::MiniBatches(10, 4, true).count(), 2);
  EXPECT_EQ(nn::MiniBatches(0, 4).count(), 0);
  EXPECT_THROW(mb.batch(3), InvalidArgument);
  EXPECT_THROW(nn::MiniBatches(10, 0), InvalidArgument);
}

TEST(NnTrain, EarlyStoppingRemembersTheBestEpochAndWaitsForPatience) {
  nn::EarlyStopping es(2);
  EXPECT_EQ(es.best_epoch(), -1);
  EXPECT_TRUE(es.update(0.30));   // epoch 0
  EXPECT_TRUE(es.update(0.35));   // epoch 1
  EXPECT_FALSE(es.update(0.34));  // 1 without improvement
  EXPECT_FALSE(es.should_stop());
  EXPECT_TRUE(es.update(0.36));   // epoch 3 resets the count
  EXPECT_FALSE(es.update(0.36));  // equal is not better
  EXPECT_FALSE(es.update(std::nan("")));
  EXPECT_TRUE(es.should_stop());
  EXPECT_EQ(es.best_epoch(), 3);
  EXPECT_DOUBLE_EQ(es.best(), 0.36);
  EXPECT_EQ(es.epochs(), 6);
  // Lower is better, with a minimum improvement.
  nn::EarlyStopping loss(1, false, 0.1);
  EXPECT_TRUE(loss.update(1.0));
  EXPECT_FALSE(loss.update(0.95));  // not by more than 0.1
  EXPECT_TRUE(loss.should_stop());
  EXPECT_EQ(loss.best_epoch(), 0);
  EXPECT_THROW(nn::EarlyStopping(0), InvalidArgument);
}

TEST(NnTrain, BestEpochPutsTheBestWeightsBack) {
  nn::Matrix w = nn::Matrix::Constant(2, 3, 1.0f), v = nn::Matrix::Constant(1, 1, -1.0f);
  nn::BestEpoch best({&w, &v}, 2);
  best.restore();  // nothing measured yet: unchanged
  EXPECT_EQ(w(1, 2), 1.0f);
  EXPECT_TRUE(best.update(0.1));  // epoch 0, weights 1
  w.setConstant(2.0f);
  v.setConstant(-2.0f);
  EXPECT_TRUE(best.update(0.3));  // epoch 1, weights 2: the best
  w.setConstant(3.0f);
  EXPECT_TRUE(best.update(0.2));  // one epoch without a gain
  w.setConstant(4.0f);
  v.setConstant(-4.0f);
  EXPECT_FALSE(best.update(0.25));  // two: stop
  best.restore();
  EXPECT_EQ(w, nn::Matrix::Constant(2, 3, 2.0f));
  EXPECT_EQ(v(0, 0), -2.0f);
  EXPECT_EQ(best.stopping().best_epoch(), 1);
}

// 100 updates annealed over 40% of them: beta rises by 0.5 / 40 per update to 0.5 at update 40.
TEST(NnTrain, KlAnnealingRisesLinearlyThenHolds) {
  const nn::KlAnnealing a(0.5f, 0.4f, 100);
  EXPECT_EQ(a.beta(0), 0.0f);
  EXPECT_FLOAT_EQ(a.beta(10), 0.125f);
  EXPECT_FLOAT_EQ(a.beta(20), 0.25f);
  EXPECT_FLOAT_EQ(a.beta(40), 0.5f);
  EXPECT_FLOAT_EQ(a.beta(99), 0.5f);
  // A zero fraction (or run) reaches beta_max after one update.
  EXPECT_FLOAT_EQ(nn::KlAnnealing(0.2f, 0.0f, 100).beta(1), 0.2f);
  EXPECT_THROW(nn::KlAnnealing(-1.0f, 0.5f, 10), InvalidArgument);
}

TEST(NnTrain, ScopedBlasThreadsRejectsZeroThreads) {
  EXPECT_THROW(nn::ScopedBlasThreads(0), InvalidArgument);
  nn::ScopedBlasThreads one(1);  // and restores the previous count on exit
}

}  // namespace
}  // namespace metarec
