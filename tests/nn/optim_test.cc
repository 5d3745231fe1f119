// Optimizers on tiny problems with known answers (hand-computed steps, a quadratic, a logistic
// regression whose maximum-likelihood weights are known in closed form) and the lazy embedding
// optimizers' promise: rows absent from every gradient stay exactly as they were.
#include <gtest/gtest.h>
#include <metarec/core/error.h>
#include <metarec/nn/losses.h>
#include <metarec/nn/optim.h>

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
