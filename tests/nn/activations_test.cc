// Sigmoid, tanh, SELU, softmax and log-softmax: hand values, stability on extreme inputs and
// finite-difference gradient checks.
#include <gtest/gtest.h>
#include <metarec/core/error.h>
#include <metarec/nn/activations.h>

#include "gradient_check.h"

namespace metarec {
namespace {

using nn::Matrix;
using testing_nn::expect_gradient;
using testing_nn::random_matrix;
using testing_nn::weighted;

TEST(NnActivations, ScalarHelpersAreStable) {
  EXPECT_FLOAT_EQ(nn::sigmoid(0), 0.5f);
  EXPECT_NEAR(nn::sigmoid(2), 1 / (1 + std::exp(-2.0)), 1e-7);
  EXPECT_NEAR(nn::sigmoid(-2), 1 / (1 + std::exp(2.0)), 1e-7);
  EXPECT_EQ(nn::sigmoid(-200), 0.0f);  // no overflow warning, no NaN
  EXPECT_EQ(nn::sigmoid(200), 1.0f);
  EXPECT_NEAR(nn::softplus(0), std::log(2.0), 1e-15);
  EXPECT_NEAR(nn::softplus(800), 800, 1e-12);  // exp(800) would overflow
  EXPECT_NEAR(nn::softplus(-800), 0, 1e-300);
  EXPECT_NEAR(nn::log_sigmoid(-800), -800, 1e-12);
  EXPECT_NEAR(nn::log_sigmoid(1.5), std::log(1 / (1 + std::exp(-1.5))), 1e-15);
  EXPECT_EQ(nn::parse_activation("tanh"), nn::Activation::kTanh);
  EXPECT_THROW(nn::parse_activation("gelu"), InvalidArgument);
}

TEST(NnActivations, SigmoidAndTanhGradients) {
  Rng rng(11);
  Matrix x = random_matrix(4, 5, rng, 2.0);
  const Matrix w = random_matrix(4, 5, rng);
  nn::Sigmoid sig;
  const Matrix y = sig.forward(x);
  EXPECT_NEAR(y(1, 2), 1 / (1 + std::exp(-x(1, 2))), 1e-6);
  const Matrix ds = sig.backward(w);
  expect_gradient(
      x, ds, [&] { return weighted(nn::Sigmoid().forward(x), w); }, "sigmoid");
  nn::Tanh tanh_layer;
  EXPECT_NEAR(tanh_layer.forward(x)(3, 4), std::tanh(x(3, 4)), 1e-6);
  const Matrix dt = tanh_layer.backward(w);
  expect_gradient(
      x, dt, [&] { return weighted(nn::Tanh().forward(x), w); }, "tanh");
}

TEST(NnActivations, EveryActivationBackwardMatchesFiniteDifferences) {
  Rng rng(12);
  for (auto act : {nn::Activation::kIdentity, nn::Activation::kRelu, nn::Activation::kSigmoid,
                   nn::Activation::kTanh, nn::Activation::kSelu}) {
    Matrix x = random_matrix(3, 4, rng);
    const Matrix w = random_matrix(3, 4, rng);
    Matrix y = x;
    nn::activate(act, y);
    Matrix g = w;
    nn::activation_backward(act, y, g);
    expect_gradient(
        x, g,
        [&] {
          Matrix z = x;
          nn::activate(act, z);
          return weighted(z, w);
        },
        "activation " + std::to_string(static_cast<int>(act)));
  }
}

// SELU by hand (lambda 1.0507..., alpha 1.6732...): lambda x above 0, lambda alpha (e^x - 1)
// below, tending to -lambda alpha; its derivative jumps at 0 from lambda alpha to lambda.
TEST(NnActivations, SeluMatchesHandValuesAndItsDerivativeOnBothSides) {
  const double lambda = 1.0507009873554805, alpha = 1.6732632423543772;
  EXPECT_EQ(nn::selu(0), 0.0f);
  EXPECT_NEAR(nn::selu(2), 2 * lambda, 1e-6);
  EXPECT_NEAR(nn::selu(-1), lambda * alpha * (std::exp(-1.0) - 1), 1e-6);
  // e^x - 1 in float would lose about 3% here; expm1 keeps small x exact.
  EXPECT_NEAR(nn::selu(-1e-6f), lambda * alpha * std::expm1(static_cast<double>(-1e-6f)), 1e-12);
  EXPECT_NEAR(nn::selu(-50), -lambda * alpha, 1e-6);
  EXPECT_EQ(nn::parse_activation("selu"), nn::Activation::kSelu);
  Matrix x(1, 4);
  x << -2.0f, -0.5f, 0.5f, 3.0f;
  Matrix y = x;
  nn::activate(nn::Activation::kSelu, y);
  Matrix g = Matrix::Ones(1, 4);
  nn::activation_backward(nn::Activation::kSelu, y, g);
  EXPECT_NEAR(g(0, 0), lambda * alpha * std::exp(-2.0), 1e-6);
  EXPECT_NEAR(g(0, 1), lambda * alpha * std::exp(-0.5), 1e-6);
  EXPECT_NEAR(g(0, 2), lambda, 1e-6);
  EXPECT_NEAR(g(0, 3), lambda, 1e-6);
}

TEST(NnActivations, SoftmaxRowsSumToOneEvenForHugeLogits) {
  Matrix x(2, 3);
  x << 1000, 1001, 1002,  // e^1000 overflows float and double without the max shift
      -1000, 0, 1;
  const Matrix p = nn::softmax(x);
  const Matrix lp = nn::log_softmax(x);
  for (Eigen::Index r = 0; r < 2; ++r) {
    EXPECT_NEAR(p.row(r).sum(), 1.0, 1e-6);
    for (Eigen::Index c = 0; c < 3; ++c) {
      EXPECT_TRUE(std::isfinite(lp(r, c)));
      EXPECT_TRUE(std::isfinite(p(r, c)));
    }
  }
  // Row 0 is softmax(0, 1, 2): hand value e^0 / (1 + e + e^2).
  const double z = 1 + std::exp(1.0) + std::exp(2.0);
  EXPECT_NEAR(p(0, 0), 1 / z, 1e-6);
  EXPECT_NEAR(lp(0, 2), 2 - std::log(z), 1e-4);  // float spacing at 1000 is 6e-5
  EXPECT_NEAR(lp(1, 0), -1000 - std::log(1 + std::exp(1.0)), 1e-3);
  EXPECT_EQ(p(1, 0), 0.0f);  // e^-1001 underflows to exactly 0, without NaN
}

TEST(NnActivations, SoftmaxAndLogSoftmaxGradients) {
  Rng rng(13);
  Matrix x = random_matrix(3, 5, rng, 2.0);
  const Matrix w = random_matrix(3, 5, rng);
  nn::Softmax sm;
  sm.forward(x);
  const Matrix ds = sm.backward(w);
  expect_gradient(
      x, ds, [&] { return weighted(nn::softmax(x), w); }, "softmax");
  nn::LogSoftmax lsm;
  const Matrix ly = lsm.forward(x);
  EXPECT_NEAR(ly(2, 1), std::log(nn::softmax(x)(2, 1)), 1e-5);
  const Matrix dl = lsm.backward(w);
  expect_gradient(
      x, dl, [&] { return weighted(nn::log_softmax(x), w); }, "log_softmax");
}

}  // namespace
}  // namespace metarec
