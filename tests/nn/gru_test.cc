// The GRU layer: a hand-computed two-step sequence, backpropagation through time against finite
// differences for every parameter and the inputs, and the last state without a trace.
#include <gtest/gtest.h>
#include <metarec/core/error.h>
#include <metarec/nn/gru.h>

#include <cmath>

#include "gradient_check.h"

namespace metarec {
namespace {

using nn::Matrix;
using testing_nn::expect_gradient;
using testing_nn::random_matrix;
using testing_nn::weighted;

double sig(double x) { return 1.0 / (1.0 + std::exp(-x)); }

TEST(NnGru, OneUnitMatchesHandComputedSteps) {
  Rng rng(1);
  nn::Gru gru(1, 1, rng, "gru");
  // Gate order r, z, n. W_ih = [0.5, -1, 2], W_hh = [1, 0.5, -0.5], b_ih = [0.1, 0, 0.2], b_hh =
  // [0, 0.3, 0.4].
  gru.w_ih.value << 0.5f, -1.0f, 2.0f;
  gru.w_hh.value << 1.0f, 0.5f, -0.5f;
  gru.b_ih.value << 0.1f, 0.0f, 0.2f;
  gru.b_hh.value << 0.0f, 0.3f, 0.4f;
  Matrix x(2, 1);
  x << 1.0f, -2.0f;
  // Step 0 (h_prev = 0): r = s(0.6), z = s(-0.7), n = tanh(2.2 + r * 0.4), h0 = (1 - z) n.
  const double r0 = sig(0.6), z0 = sig(-0.7), n0 = std::tanh(2.2 + r0 * 0.4);
  const double h0 = (1 - z0) * n0;
  // Step 1: r = s(-0.9 + h0), z = s(2 + 0.5 h0 + 0.3), n = tanh(-3.8 + r (-0.5 h0 + 0.4)).
  const double r1 = sig(-1.0 + 0.1 + h0), z1 = sig(2.0 + 0.5 * h0 + 0.3);
  const double n1 = std::tanh(-4.0 + 0.2 + r1 * (-0.5 * h0 + 0.4));
  const double h1 = (1 - z1) * n1 + z1 * h0;
  auto pass = gru.new_pass();
  const Matrix& h = gru.forward(x, pass);
  ASSERT_EQ(h.rows(), 2);
  EXPECT_NEAR(h(0, 0), h0, 1e-6);
  EXPECT_NEAR(h(1, 0), h1, 1e-6);
  nn::RowVector last;
  gru.last_state(x, last);
  EXPECT_NEAR(last[0], h1, 1e-6);
  gru.last_state(Matrix(0, 1), last);
  EXPECT_EQ(last[0], 0.0f);
  EXPECT_THROW(gru.forward(Matrix(2, 3), pass), InvalidArgument);
}

TEST(NnGru, BackpropagationThroughTimeMatchesFiniteDifferences) {
  Rng rng(2);
  nn::Gru gru(4, 3, rng, "gru");
  // Larger weights than the init, so the gates are far from linear.
  for (auto* p : gru.parameters())
    p->value = random_matrix(static_cast<int>(p->value.rows()), static_cast<int>(p->value.cols()),
                             rng, 0.7);
  Matrix x = random_matrix(6, 4, rng);
  const Matrix w = random_matrix(6, 3, rng);  // dL/dh at every step
  auto pass = gru.new_pass();
  gru.forward(x, pass);
  for (auto* p : gru.parameters()) p->zero_grad();
  const Matrix dx = gru.backward(w, pass);
  gru.add_gradients(pass);
  EXPECT_EQ(pass.dw_ih.squaredNorm(), 0.0f);  // add_gradients zeroes the sums
  auto loss = [&] {
    auto q = gru.new_pass();
    return weighted(gru.forward(x, q), w);
  };
  expect_gradient(x, dx, loss, "gru dx");
  for (auto* p : gru.parameters()) {
    const Matrix g = p->grad;
    expect_gradient(p->value, g, loss, p->name);
  }
  // Only the last step's output in the loss: the gradient reaches every earlier input.
  Matrix last_only = Matrix::Zero(6, 3);
  last_only.row(5) = w.row(5);
  gru.forward(x, pass);
  const Matrix dx_last = gru.backward(last_only, pass);
  for (Eigen::Index t = 0; t < 6; ++t) EXPECT_GT(dx_last.row(t).norm(), 0) << "step " << t;
  auto loss_last = [&] {
    nn::RowVector h;
    gru.last_state(x, h);
    return static_cast<double>(h.cast<double>().dot(w.row(5).cast<double>()));
  };
  expect_gradient(x, dx_last, loss_last, "gru dx through the last state");
}

TEST(NnGru, PassesSumGradientsOverSequences) {
  Rng rng(3);
  nn::Gru gru(2, 2, rng, "gru");
  const Matrix a = random_matrix(3, 2, rng), b = random_matrix(5, 2, rng);
  const Matrix da = random_matrix(3, 2, rng), db = random_matrix(5, 2, rng);
  // Two sequences through one pass sum their gradients, as two passes added in turn do.
  auto one = gru.new_pass();
  gru.forward(a, one);
  gru.backward(da, one);
  gru.forward(b, one);
  gru.backward(db, one);
  auto pa = gru.new_pass(), pb = gru.new_pass();
  gru.forward(a, pa);
  gru.backward(da, pa);
  gru.forward(b, pb);
  gru.backward(db, pb);
  EXPECT_TRUE(one.dw_hh.isApprox(pa.dw_hh + pb.dw_hh, 1e-5f));
  EXPECT_TRUE(one.db_ih.isApprox(pa.db_ih + pb.db_ih, 1e-5f));
}

}  // namespace
}  // namespace metarec
