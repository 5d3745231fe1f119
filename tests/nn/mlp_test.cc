// The shared-weight tower: finite-difference gradients for each activation, and two passes over
// halves of a batch summing to one pass over the whole (the batch-parallel training contract).
#include <gtest/gtest.h>
#include <metarec/core/error.h>
#include <metarec/nn/mlp.h>

#include "gradient_check.h"

namespace metarec {
namespace {

using nn::Matrix;
using testing_nn::expect_gradient;
using testing_nn::random_matrix;
using testing_nn::weighted;

TEST(NnMlp, FullBackwardPassMatchesFiniteDifferences) {
  for (auto act : {nn::Activation::kRelu, nn::Activation::kTanh, nn::Activation::kSigmoid}) {
    for (bool last : {true, false}) {
      Rng rng(51);
      nn::Mlp mlp({5, 4, 3, 2}, act, last, rng, "mlp");
      // Non-zero biases: with zero biases a row whose ReLU inputs all died sits exactly on the
      // next layer's kink, where the two one-sided derivatives differ.
      for (int l = 0; l < mlp.layers(); ++l)
        mlp.bias(l).value = random_matrix(1, mlp.bias(l).value.cols(), rng, 0.5);
      Matrix x = random_matrix(6, 5, rng);
      const Matrix w = random_matrix(6, 2, rng);
      nn::Mlp::Pass pass = mlp.new_pass();
      mlp.forward(x, pass);
      const Matrix dx = mlp.backward(w, pass);
      for (auto* p : mlp.parameters()) p->zero_grad();
      mlp.add_gradients(pass);
      auto loss = [&] {
        nn::Mlp::Pass p = mlp.new_pass();
        return weighted(mlp.forward(x, p), w);
      };
      const std::string what = std::to_string(static_cast<int>(act)) + (last ? "+last" : "");
      expect_gradient(x, dx, loss, "mlp dx " + what);
      for (auto* p : mlp.parameters()) {
        const Matrix g = p->grad;
        expect_gradient(p->value, g, loss, p->name + " " + what);
      }
    }
  }
}

TEST(NnMlp, PassesOverHalvesSumToTheWholeBatch) {
  Rng rng(52);
  nn::Mlp mlp({4, 6, 3}, nn::Activation::kRelu, true, rng, "mlp");
  const Matrix x = random_matrix(8, 4, rng), dy = random_matrix(8, 3, rng);
  nn::Mlp::Pass whole = mlp.new_pass(), top = mlp.new_pass(), bottom = mlp.new_pass();
  const Matrix y = mlp.forward(x, whole);
  mlp.backward(dy, whole);
  EXPECT_EQ(mlp.forward(x.topRows(4), top), y.topRows(4));
  EXPECT_EQ(mlp.forward(x.bottomRows(4), bottom), y.bottomRows(4));
  mlp.backward(dy.topRows(4), top);
  mlp.backward(dy.bottomRows(4), bottom);
  for (int l = 0; l < mlp.layers(); ++l) {
    EXPECT_LT((top.dw[l] + bottom.dw[l] - whole.dw[l]).cwiseAbs().maxCoeff(), 1e-5f);
    EXPECT_LT((top.db[l] + bottom.db[l] - whole.db[l]).cwiseAbs().maxCoeff(), 1e-5f);
  }
  // add_gradients moves the sums into the parameters and clears the pass.
  for (auto* p : mlp.parameters()) p->zero_grad();
  mlp.add_gradients(whole);
  EXPECT_EQ(mlp.weight(0).grad.rows(), 4);
  EXPECT_GT(mlp.weight(0).grad.cwiseAbs().maxCoeff(), 0);
  EXPECT_EQ(whole.dw[0].cwiseAbs().maxCoeff(), 0);
  EXPECT_THROW(mlp.forward(Matrix::Zero(2, 5), whole), InvalidArgument);
  EXPECT_THROW(nn::Mlp({4}, nn::Activation::kRelu, true, rng, "bad"), InvalidArgument);
}

}  // namespace
}  // namespace metarec
