// Optimizers on tiny problems with known answers (hand-computed steps, a quadratic, a logistic
// regression whose maximum-likelihood weights are known in closed form) and the lazy embedding
// optimizers' promise: rows absent from every gradient stay exactly as they were.
#include <gtest/gtest.h>
#include <metarec/core/error.h>
#include <metarec/nn/losses.h>
#include <metarec/nn/optim.h>

#include <cmath>

#include "gradient_check.h"

namespace metarec {
namespace {

using nn::Matrix;

TEST(NnOptim, SgdMomentumStepsByHand) {
  nn::Parameter p;
  p.value = Matrix::Constant(1, 1, 1.0f);
  p.zero_grad();
  nn::Sgd opt({&p}, 0.1f, 0.9f);
  p.grad(0, 0) = 2;
  opt.step();  // v = 2, p = 1 - 0.2
  EXPECT_FLOAT_EQ(p.value(0, 0), 0.8f);
  opt.step();  // v = 0.9 * 2 + 2 = 3.8, p = 0.8 - 0.38
  EXPECT_FLOAT_EQ(p.value(0, 0), 0.42f);
  // Weight decay adds wd * p to the gradient: plain SGD, p = 1, g = 0, wd = 0.5, lr = 0.1.
  nn::Parameter q;
  q.value = Matrix::Constant(1, 1, 1.0f);
  q.zero_grad();
  nn::Sgd decay({&q}, 0.1f, 0, 0.5f);
  decay.step();
  EXPECT_FLOAT_EQ(q.value(0, 0), 0.95f);
  EXPECT_THROW(nn::Sgd({&q}, 0.1f, 1.0f), InvalidArgument);
  EXPECT_THROW(nn::Sgd({&q}, 0.1f, 0, 0, true), InvalidArgument);  // nesterov without momentum
}

// Logistic regression without bias on two one-hot features: feature 0 has 3 positives and 1
// negative, feature 1 has 1 positive and 3 negatives. The maximum-likelihood weights make
// sigmoid(w) match each feature's positive rate: w = (log 3, -log 3).
template <typename Opt>
void fit_logistic(nn::Parameter& w, Opt& opt, int steps) {
  Matrix x = Matrix::Zero(8, 2), y(8, 1);
  for (int r = 0; r < 8; ++r) x(r, r / 4) = 1;
  y << 1, 1, 1, 0, 1, 0, 0, 0;
  for (int s = 0; s < steps; ++s) {
    opt.zero_grad();
    Matrix dz;
    nn::bce_with_logits_loss(x * w.value, y, &dz);
    w.grad = x.transpose() * dz;
    opt.step();
  }
}

TEST(NnOptim, SgdAndNesterovFitLogisticRegression) {
  for (bool nesterov : {false, true}) {
    nn::Parameter w;
    w.value = Matrix::Zero(2, 1);
    w.zero_grad();
    nn::Sgd opt({&w}, 1.0f, 0.9f, 0, nesterov);
    fit_logistic(w, opt, 400);
    EXPECT_NEAR(w.value(0, 0), std::log(3.0), 1e-3) << nesterov;
    EXPECT_NEAR(w.value(1, 0), -std::log(3.0), 1e-3) << nesterov;
  }
}

TEST(NnOptim, AdagradFirstStepAndLogisticRegression) {
  // First step: G = g^2, so p moves by lr * g / |g| = lr * sign(g).
  nn::Parameter p;
  p.value = Matrix::Constant(1, 2, 1.0f);
  p.zero_grad();
  nn::Adagrad first({&p}, 0.1f);
  p.grad << 4, -0.5;
  first.step();
  EXPECT_FLOAT_EQ(p.value(0, 0), 0.9f);
  EXPECT_FLOAT_EQ(p.value(0, 1), 1.1f);
  nn::Parameter w;
  w.value = Matrix::Zero(2, 1);
  w.zero_grad();
  nn::Adagrad opt({&w}, 0.5f);
  fit_logistic(w, opt, 2000);
  EXPECT_NEAR(w.value(0, 0), std::log(3.0), 1e-3);
  EXPECT_NEAR(w.value(1, 0), -std::log(3.0), 1e-3);
}

// Rows 1 and 4 of a 6 x 2 table are pulled to targets by a quadratic loss; the others are never
// looked up. Returns the table after `steps` steps.
template <typename Opt>
Matrix fit_rows(nn::Embedding& e, Opt& opt, int steps) {
  const std::vector<int32_t> ids = {4, 1, 4};  // a duplicate too
  Matrix target(3, 2);
  target << 1, -1, 0.5, 2, 1, -1;
  for (int s = 0; s < steps; ++s) {
    Matrix dy;
    nn::mse_loss(e.forward(ids), target, &dy);
    opt.step(e.backward(ids, dy));
  }
  return e.table.value;
}

template <typename Opt, typename... Args>
void expect_lazy(const std::string& what, int steps, Args... args) {
  Rng rng(41);
  nn::Embedding e(6, 2, nn::EmbeddingInit::kNormal, 1.0f, rng, "e");
  const Matrix before = e.table.value;
  Opt opt(e, args...);
  const Matrix after = fit_rows(e, opt, steps);
  for (int r : {0, 2, 3, 5}) EXPECT_EQ(after.row(r), before.row(r)) << what << " row " << r;
  EXPECT_NEAR(after(4, 0), 1, 1e-3) << what;
  EXPECT_NEAR(after(4, 1), -1, 1e-3) << what;
  EXPECT_NEAR(after(1, 0), 0.5, 1e-3) << what;
  EXPECT_NEAR(after(1, 1), 2, 1e-3) << what;
}

TEST(NnOptim, LazyOptimizersLeaveUntouchedRowsExactlyUnchanged) {
  expect_lazy<nn::SparseSgd>("sgd", 500, 1.0f);
  expect_lazy<nn::SparseSgd>("sgd decay", 500, 1.0f, 1e-6f);
  expect_lazy<nn::SparseAdagrad>("adagrad", 3000, 0.5f);
  expect_lazy<nn::LazyAdam>("adam", 3000, 0.01f);
  expect_lazy<nn::LazyAdam>("adamw", 3000, 0.01f, 0.9f, 0.999f, 1e-8f, 1e-6f);
}

TEST(NnOptim, LazyAdamEqualsAdamWhenEveryRowIsInEveryBatch) {
  Rng rng(42);
  nn::Embedding e(3, 2, nn::EmbeddingInit::kNormal, 1.0f, rng, "e");
  nn::Parameter dense;
  dense.value = e.table.value;
  dense.zero_grad();
  nn::LazyAdam lazy(e, 0.05f);
  nn::Adam adam({&dense}, 0.05f);
  const std::vector<int32_t> ids = {0, 1, 2};
  for (int s = 0; s < 20; ++s) {
    const Matrix g = testing_nn::random_matrix(3, 2, rng);
    lazy.step(e.backward(ids, g));
    dense.grad = g;
    adam.step();
  }
  EXPECT_LT((e.table.value - dense.value).cwiseAbs().maxCoeff(), 1e-6f);
  EXPECT_EQ(lazy.steps(), 20);
}

// Lazy Adam with catch-up against dense Adam fed the same gradients, zero on the rows a step
// leaves out: after catch_up() the tables agree. Row 4 is rare (gaps of up to 960 steps, across
// the 256-step blocks of the powers' tables); row 5 is never in a batch and must not move.
void expect_catch_up_is_dense(float beta1, float beta2, int steps) {
  Rng rng(7);
  nn::Embedding e(6, 3, nn::EmbeddingInit::kNormal, 1.0f, rng, "e");
  nn::Parameter dense;
  dense.value = e.table.value;
  dense.zero_grad();
  const Matrix start = e.table.value;
  nn::LazyAdam lazy(e, 0.01f, beta1, beta2, 1e-8f, 0, true);
  nn::Adam adam({&dense}, 0.01f, beta1, beta2, 1e-8f);
  for (int s = 0; s < steps; ++s) {
    // Rows 0-3 each with its own probability, so gaps of every length occur.
    std::vector<int32_t> ids;
    for (int32_t r = 0; r < 4; ++r)
      if (rng.uniform() < 0.15 + 0.2 * r) ids.push_back(r);
    if (s == 3 || s == 40 || s == 340 || s == 1300) ids.push_back(4);
    const Matrix g = testing_nn::random_matrix(static_cast<Eigen::Index>(ids.size()), 3, rng);
    lazy.step(e.backward(ids, g));
    dense.grad.setZero();
    for (size_t k = 0; k < ids.size(); ++k)
      dense.grad.row(ids[k]) = g.row(static_cast<Eigen::Index>(k));
    adam.step();
    if (s == steps / 2) {  // mid-way too, where some rows are behind
      lazy.catch_up();
      ASSERT_LT((e.table.value - dense.value).cwiseAbs().maxCoeff(), 2e-5f) << "step " << s;
    }
  }
  lazy.catch_up();
  lazy.catch_up();  // idempotent
  EXPECT_LT((e.table.value - dense.value).cwiseAbs().maxCoeff(), 2e-5f)
      << "beta1 " << beta1 << " beta2 " << beta2;
  EXPECT_GT((e.table.value - start).topRows(5).cwiseAbs().minCoeff(), 0.0f);
  EXPECT_EQ(e.table.value.row(5), start.row(5));
}

TEST(NnOptim, LazyAdamWithCatchUpFollowsDenseAdam) {
  expect_catch_up_is_dense(0.9f, 0.999f, 300);   // inside the bias-correction table
  expect_catch_up_is_dense(0.9f, 0.999f, 3000);  // gaps longer than 256 steps
  expect_catch_up_is_dense(0.9f, 0.9f, 2000);    // past it: the geometric sum
  expect_catch_up_is_dense(0.5f, 0.99f, 300);
  expect_catch_up_is_dense(0.95f, 0.96f, 600);  // bias corrections above 1 at first
  // beta1 >= sqrt(beta2): the missed moves would grow, with no closed form.
  Rng rng(1);
  nn::Embedding e(2, 2, nn::EmbeddingInit::kNormal, 1.0f, rng, "e");
  EXPECT_THROW(nn::LazyAdam(e, 0.01f, 0.9f, 0.8f, 1e-8f, 0, true), InvalidArgument);
  EXPECT_NO_THROW(nn::LazyAdam(e, 0.01f, 0.9f, 0.8f));
}

// Without catch-up, lazy Adam leaves a row where its last update put it; the moves it misses
// are what catch-up adds, so the two must differ once rows skip steps.
TEST(NnOptim, LazyAdamCatchUpMovesRowsThatSkippedSteps) {
  Rng rng(3);
  nn::Embedding a(2, 2, nn::EmbeddingInit::kNormal, 1.0f, rng, "a");
  nn::Embedding b = a;
  nn::LazyAdam plain(a, 0.01f), caught(b, 0.01f, 0.9f, 0.999f, 1e-8f, 0, true);
  const Matrix g = Matrix::Constant(1, 2, 1.0f);
  const std::vector<int32_t> row0 = {0}, row1 = {1};
  plain.step(a.backward(row0, g));
  caught.step(b.backward(row0, g));
  for (int s = 0; s < 10; ++s) {
    plain.step(a.backward(row1, g));
    caught.step(b.backward(row1, g));
  }
  caught.catch_up();
  // Row 0 moved once by lr m^ / sqrt(v^) = lr (the first step's ratio is 1); without catch-up it
  // stays there. Dense Adam moves it 10 more times on its decaying moments, by hand:
  double missed = 0;
  for (int j = 1; j <= 10; ++j) {
    const int u = 1 + j;
    const double m_hat = 0.1 * std::pow(0.9, j) / (1 - std::pow(0.9, u));
    const double v_hat = 0.001 * std::pow(0.999, j) / (1 - std::pow(0.999, u));
    missed += 0.01 * m_hat / std::sqrt(v_hat);
  }
  EXPECT_GT(missed, 0.03);  // three times the one update: the effect is not small
  EXPECT_NEAR(a.table.value(0, 0) - b.table.value(0, 0), missed, 1e-6);
  EXPECT_NEAR(a.table.value(0, 1) - b.table.value(0, 1), missed, 1e-6);
  EXPECT_NEAR(a.table.value(1, 0), b.table.value(1, 0), 1e-6);  // row 1 was never behind
}

TEST(NnOptim, SparseStepsRejectUncoalescedGradients) {
  Rng rng(43);
  nn::Embedding e(4, 2, nn::EmbeddingInit::kNormal, 1.0f, rng, "e");
  nn::SparseGrad g;
  g.ids = {2, 2};
  g.values = Matrix::Ones(2, 2);
  nn::SparseSgd sgd(e, 0.1f);
  EXPECT_THROW(sgd.step(g), InvalidArgument);
  g.coalesce();
  ASSERT_EQ(g.ids.size(), 1u);
  EXPECT_EQ(g.values(0, 0), 2);
  sgd.step(g);
  g.ids = {4};
  EXPECT_THROW(sgd.step(g), InvalidArgument);
}

}  // namespace
}  // namespace metarec
