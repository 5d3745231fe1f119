// Every loss: a hand-computed value, finite-difference gradients, and finite values on extreme
// logits.
#include <gtest/gtest.h>
#include <metarec/core/error.h>
#include <metarec/nn/losses.h>

#include "gradient_check.h"

namespace metarec {
namespace {

using nn::Matrix;
using testing_nn::expect_gradient;
using testing_nn::random_matrix;

TEST(NnLosses, MseHandValueAndGradient) {
  Matrix p(1, 2), t(1, 2), g;
  p << 1, 2;
  t << 0, 4;
  EXPECT_NEAR(nn::mse_loss(p, t, &g), 2.5, 1e-12);  // (1 + 4) / 2
  EXPECT_FLOAT_EQ(g(0, 0), 1);                      // 2 * 1 / 2
  EXPECT_FLOAT_EQ(g(0, 1), -2);                     // 2 * -2 / 2
  Rng rng(31);
  Matrix pr = random_matrix(3, 4, rng);
  const Matrix tr = random_matrix(3, 4, rng);
  nn::mse_loss(pr, tr, &g);
  expect_gradient(
      pr, g, [&] { return nn::mse_loss(pr, tr, nullptr); }, "mse");
  EXPECT_THROW(nn::mse_loss(pr, Matrix::Zero(4, 3), nullptr), InvalidArgument);
}

TEST(NnLosses, BinaryCrossEntropyOnLogits) {
  Matrix z(1, 2), y(1, 2), g;
  z << 0, 2;
  y << 1, 0;
  // (log 2 + log(1 + e^2)) / 2; gradient (sigmoid(z) - y) / 2.
  EXPECT_NEAR(nn::bce_with_logits_loss(z, y, &g), (std::log(2.0) + std::log1p(std::exp(2.0))) / 2,
              1e-7);
  EXPECT_NEAR(g(0, 0), -0.25, 1e-7);
  EXPECT_NEAR(g(0, 1), 0.5 / (1 + std::exp(-2.0)), 1e-7);
  // Confidently wrong logits cost |z| instead of overflowing or returning infinity.
  Matrix big(1, 2), lab(1, 2);
  big << 100, -100;
  lab << 0, 1;
  EXPECT_NEAR(nn::bce_with_logits_loss(big, lab, &g), 100, 1e-9);
  EXPECT_NEAR(g(0, 0), 0.5, 1e-7);
  EXPECT_NEAR(g(0, 1), -0.5, 1e-7);
  Rng rng(32);
  Matrix zr = random_matrix(4, 3, rng, 2.0);
  Matrix yr(4, 3);
  for (Eigen::Index k = 0; k < yr.size(); ++k) yr.data()[k] = static_cast<float>(rng.uniform());
  nn::bce_with_logits_loss(zr, yr, &g);
  expect_gradient(
      zr, g, [&] { return nn::bce_with_logits_loss(zr, yr, nullptr); }, "bce");
}

TEST(NnLosses, SoftmaxCrossEntropyFull) {
  Matrix z(1, 3), g;
  z << 1, 2, 3;
  const std::vector<int32_t> t = {2};
  const double expected = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0)) - 3;
  EXPECT_NEAR(nn::softmax_cross_entropy(z, t, &g), expected, 1e-6);
  EXPECT_NEAR(g(0, 2), std::exp(3.0) / std::exp(3.0 + expected) - 1, 1e-6);
  // Huge logits stay finite.
  Matrix huge(1, 2);
  huge << 5000, 0;
  EXPECT_NEAR(nn::softmax_cross_entropy(huge, std::vector<int32_t>{1}, nullptr), 5000, 1e-3);
  Rng rng(33);
  Matrix zr = random_matrix(4, 5, rng, 2.0);
  const std::vector<int32_t> tr = {0, 4, 2, 2};
  nn::softmax_cross_entropy(zr, tr, &g);
  expect_gradient(
      zr, g, [&] { return nn::softmax_cross_entropy(zr, tr, nullptr); }, "softmax ce");
  EXPECT_THROW(nn::softmax_cross_entropy(zr, std::vector<int32_t>{0, 5, 1, 1}, nullptr),
               InvalidArgument);
}

TEST(NnLosses, SampledSoftmaxWithLogQCorrection) {
  // One row: positive logit 2, negatives 1 and 0, sampling log-probabilities (0, log 2, 0):
  // corrected logits (2, 1 - log 2, 0), target column 0.
  Matrix z(1, 3), lq(1, 3), g;
  z << 2, 1, 0;
  lq << 0, static_cast<float>(std::log(2.0)), 0;
  const double expected = std::log(std::exp(2.0) + std::exp(1.0) / 2 + 1) - 2;
  EXPECT_NEAR(nn::sampled_softmax_cross_entropy(z, &lq, &g), expected, 1e-6);
  EXPECT_NEAR(nn::sampled_softmax_cross_entropy(z, nullptr, nullptr),
              std::log(std::exp(2.0) + std::exp(1.0) + 1) - 2, 1e-6);
  Rng rng(34);
  Matrix zr = random_matrix(3, 4, rng);
  const Matrix lqr = random_matrix(3, 4, rng, 0.5);
  nn::sampled_softmax_cross_entropy(zr, &lqr, &g);
  expect_gradient(
      zr, g, [&] { return nn::sampled_softmax_cross_entropy(zr, &lqr, nullptr); }, "sampled");
}

TEST(NnLosses, InBatchSoftmax) {
  // q = (1, 2), k = (3, -1) as 1-d vectors: logits [[3, -1], [6, -2]], targets on the diagonal.
  Matrix q(2, 1), k(2, 1);
  q << 1, 2;
  k << 3, -1;
  const double row0 = std::log(std::exp(3.0) + std::exp(-1.0)) - 3;
  const double row1 = std::log(std::exp(6.0) + std::exp(-2.0)) + 2;
  EXPECT_NEAR(nn::in_batch_softmax_loss(q, k, 1.0f, {}, {}, nullptr, nullptr), (row0 + row1) / 2,
              1e-5);
  // Temperature 2 halves every logit.
  const double t0 = std::log(std::exp(1.5) + std::exp(-0.5)) - 1.5;
  const double t1 = std::log(std::exp(3.0) + std::exp(-1.0)) + 1;
  EXPECT_NEAR(nn::in_batch_softmax_loss(q, k, 2.0f, {}, {}, nullptr, nullptr), (t0 + t1) / 2, 1e-5);
  // The same key id twice: neither is the other's negative, so both rows' losses are 0.
  const std::vector<int32_t> same = {7, 7};
  EXPECT_NEAR(nn::in_batch_softmax_loss(q, k, 1.0f, {}, same, nullptr, nullptr), 0, 1e-7);

  Rng rng(35);
  Matrix qr = random_matrix(4, 3, rng), kr = random_matrix(4, 3, rng);
  const std::vector<float> log_q = {-1.0f, -2.0f, -0.5f, -3.0f};
  const std::vector<int32_t> ids = {1, 2, 1, 3};  // rows 0 and 2 share an item
  Matrix dq, dk;
  nn::in_batch_softmax_loss(qr, kr, 0.5f, log_q, ids, &dq, &dk);
  auto loss = [&] { return nn::in_batch_softmax_loss(qr, kr, 0.5f, log_q, ids, nullptr, nullptr); };
  expect_gradient(qr, dq, loss, "in-batch dq");
  expect_gradient(kr, dk, loss, "in-batch dk");
}

TEST(NnLosses, BprHandValueAndGradient) {
  Matrix pos(1, 1), neg(1, 1), dp, dn;
  pos << 2;
  neg << 1;
  EXPECT_NEAR(nn::bpr_loss(pos, neg, &dp, &dn), std::log1p(std::exp(-1.0)), 1e-7);
  EXPECT_NEAR(dp(0, 0), -1 / (1 + std::exp(1.0)), 1e-7);
  EXPECT_NEAR(dn(0, 0), 1 / (1 + std::exp(1.0)), 1e-7);
  Matrix far(1, 1);
  far << -300;
  EXPECT_NEAR(nn::bpr_loss(far, pos, nullptr, nullptr), 302, 1e-9);
  Rng rng(36);
  Matrix pr = random_matrix(3, 2, rng), nr = random_matrix(3, 2, rng);
  nn::bpr_loss(pr, nr, &dp, &dn);
  auto loss = [&] { return nn::bpr_loss(pr, nr, nullptr, nullptr); };
  expect_gradient(pr, dp, loss, "bpr dpos");
  expect_gradient(nr, dn, loss, "bpr dneg");
}

}  // namespace
}  // namespace metarec
