// Finite-difference gradient checks of every layer, the cosine matrix, the contrastive loss and
// the whole selector network; Adam on a quadratic; the network's weight count.
#include <gtest/gtest.h>
#include <metarec/core/error.h>
#include <metarec/meta/selector_net.h>
#include <metarec/meta/selectors.h>
#include <metarec/nn/layers.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <tuple>

#include "gradient_check.h"

namespace metarec {
namespace {

using nn::Matrix;

using testing_nn::expect_gradient;
using testing_nn::random_matrix;
using testing_nn::weighted;

TEST(NnLayers, LinearGradients) {
  Rng rng(1);
  nn::Linear lin(5, 3, rng, "lin");
  Matrix x = random_matrix(4, 5, rng);
  const Matrix w = random_matrix(4, 3, rng);
  lin.forward(x);
  for (auto* p : lin.parameters()) p->zero_grad();
  const Matrix dx = lin.backward(w);
  auto loss = [&] { return weighted(lin.forward(x), w); };
  expect_gradient(x, dx, loss, "linear dx");
  for (auto* p : lin.parameters()) {
    const Matrix g = p->grad;
    expect_gradient(p->value, g, loss, p->name);
  }
}

TEST(NnLayers, LayerNormGradientsAndOutput) {
  Rng rng(2);
  nn::LayerNorm ln(6, "ln");
  Matrix x = random_matrix(3, 6, rng, 2.0);
  // Output rows have mean 0 and variance 1 (gamma 1, beta 0).
  const Matrix y0 = ln.forward(x);
  for (Eigen::Index r = 0; r < y0.rows(); ++r) {
    EXPECT_NEAR(y0.row(r).mean(), 0, 1e-5);
    EXPECT_NEAR(y0.row(r).squaredNorm() / 6, 1, 1e-3);
  }
  // Make gamma and beta non-trivial, then check every gradient.
  for (auto* p : ln.parameters()) p->value = random_matrix(1, 6, rng);
  const Matrix w = random_matrix(3, 6, rng);
  ln.forward(x);
  for (auto* p : ln.parameters()) p->zero_grad();
  const Matrix dx = ln.backward(w);
  auto loss = [&] { return weighted(ln.forward(x), w); };
  expect_gradient(x, dx, loss, "layernorm dx");
  for (auto* p : ln.parameters()) {
    const Matrix g = p->grad;
    expect_gradient(p->value, g, loss, p->name);
  }
}

TEST(NnLayers, ReluDropoutAndCosineGradients) {
  Rng rng(3);
  Matrix x = random_matrix(4, 5, rng);
  const Matrix w = random_matrix(4, 5, rng);
  nn::Relu relu;
  relu.forward(x);
  const Matrix dr = relu.backward(w);
  expect_gradient(
      x, dr, [&] { return weighted(relu.forward(x), w); }, "relu");
  // Dropout: at inference the identity; in training, a fixed mask with scale 1 / (1 - p).
  nn::Dropout drop(0.5f);
  EXPECT_EQ(drop.forward(x, false, rng), x);
  Rng r1(9);
  const Matrix y = drop.forward(x, true, r1);
  int zeros = 0;
  for (Eigen::Index k = 0; k < y.size(); ++k) {
    if (y.data()[k] == 0) {
      ++zeros;
    } else {
      EXPECT_FLOAT_EQ(y.data()[k], 2 * x.data()[k]);
    }
  }
  EXPECT_GT(zeros, 0);
  EXPECT_LT(zeros, 20);
  EXPECT_EQ(drop.backward(w), (w.array() * (y.array() != 0).cast<float>() * 2).matrix());
  // Cosine matrix against 3 fixed vectors.
  const Matrix b = random_matrix(3, 5, rng);
  const Matrix wc = random_matrix(4, 3, rng);
  nn::CosineMatrix cos;
  const Matrix s = cos.forward(x, b);
  EXPECT_NEAR(s(1, 2), x.row(1).dot(b.row(2)) / (x.row(1).norm() * b.row(2).norm()), 1e-6);
  const Matrix da = cos.backward(wc);
  expect_gradient(
      x, da,
      [&] {
        nn::CosineMatrix c2;
        return weighted(c2.forward(x, b), wc);
      },
      "cosine");
}

TEST(NnLayers, AffineRowsMatchesTheProductOnEveryTileAndTail) {
  Rng rng(4);
  // 4-row tiles and single rows; 16-column tiles and the columns left; widths below one tile.
  for (auto [n, in, width] : {std::tuple{9, 7, 35}, std::tuple{4, 1, 16}, std::tuple{3, 12, 5},
                              std::tuple{1, 3, 1}, std::tuple{0, 4, 8}}) {
    const Matrix x = random_matrix(n, in, rng), w = random_matrix(in, width, rng),
                 b = random_matrix(1, width, rng);
    Matrix expect(n, width);
    for (int r = 0; r < n; ++r)
      for (int j = 0; j < width; ++j) {
        double sum = b(0, j);
        for (int k = 0; k < in; ++k) sum += static_cast<double>(x(r, k)) * w(k, j);
        expect(r, j) = static_cast<float>(sum);
      }
    for (bool relu : {false, true}) {
      Matrix out;
      nn::affine_rows(x, w, b, relu, out);
      ASSERT_EQ(out.rows(), n);
      ASSERT_EQ(out.cols(), width);
      for (int r = 0; r < n; ++r)
        for (int j = 0; j < width; ++j)
          EXPECT_NEAR(out(r, j), relu ? std::max(expect(r, j), 0.0f) : expect(r, j), 1e-5)
              << n << " x " << in << " x " << width << " at (" << r << ", " << j << ")";
    }
  }
  Matrix out;
  EXPECT_THROW(
      nn::affine_rows(Matrix::Zero(2, 3), Matrix::Zero(4, 5), Matrix::Zero(1, 5), true, out),
      Error);
}

TEST(ContrastiveLoss, HandComputedValueAndGradient) {
  // One example, 3 algorithms, correct = 0, margin 0.2, hard weight 1:
  // S = [0.5, 0.4, -0.1]: 1 - 0.5 = 0.5; incorrect above margin: 0.4 - 0.2 = 0.2, halved = 0.1;
  // hardest incorrect 0.4: 0.4 - 0.5 + 0.2 = 0.1. Total 0.7.
  Matrix s(1, 3);
  s << 0.5f, 0.4f, -0.1f;
  Matrix ds;
  EXPECT_NEAR(contrastive_loss(s, {0}, 0.2f, 1.0f, &ds), 0.7, 1e-6);
  EXPECT_NEAR(ds(0, 0), -2.0, 1e-6);  // -1 (pull up) - 1 (hard gap)
  EXPECT_NEAR(ds(0, 1), 1.5, 1e-6);   // 1/2 (above margin) + 1 (hardest)
  EXPECT_NEAR(ds(0, 2), 0.0, 1e-6);
  // Finite differences on a random batch.
  Rng rng(4);
  Matrix sr = random_matrix(5, 4, rng, 0.5);
  const std::vector<int> y = {0, 3, 1, 1, 2};
  Matrix dsr;
  contrastive_loss(sr, y, 0.2f, 1.0f, &dsr);
  expect_gradient(
      sr, dsr, [&] { return contrastive_loss(sr, y, 0.2f, 1.0f, nullptr); }, "loss");
}

TEST(ListwiseLoss, HandValueSkipsIneligibleAndMatchesFiniteDifferences) {
  // Row: similarities 0.5, 0.2, (ineligible), -0.1; distances 0, 0.5, NaN, 1; T = 0.5.
  // p ~ exp(-d / T) = (1, e^-1, e^-2), q ~ exp(s / T) = (e, e^0.4, e^-0.2), both normalized;
  // L = -sum p log q = 0.870063, dL/ds = (q - p) / T (computed by hand, see the commit).
  const float nan = std::numeric_limits<float>::quiet_NaN();
  Matrix s(1, 4), d(1, 4);
  s << 0.5f, 0.2f, 0.9f, -0.1f;
  d << 0.0f, 0.5f, nan, 1.0f;
  Matrix ds;
  EXPECT_NEAR(listwise_loss(s, d, 0.5f, &ds), 0.870063, 1e-5);
  EXPECT_NEAR(ds(0, 0), -0.249404, 1e-5);
  EXPECT_NEAR(ds(0, 1), 0.103851, 1e-5);
  EXPECT_EQ(ds(0, 2), 0.0f);  // ineligible: no gradient, whatever its similarity
  EXPECT_NEAR(ds(0, 3), 0.145553, 1e-5);
  Rng rng(9);
  Matrix sr = random_matrix(4, 5, rng, 0.5);
  Matrix dr = random_matrix(4, 5, rng, 0.5).cwiseAbs();
  dr(1, 2) = nan;
  dr(3, 0) = nan;
  Matrix dsr;
  listwise_loss(sr, dr, 0.2f, &dsr);
  expect_gradient(
      sr, dsr, [&] { return listwise_loss(sr, dr, 0.2f, nullptr); }, "listwise");
  EXPECT_THROW(listwise_loss(sr, dr, 0.0f, nullptr), InvalidArgument);
  EXPECT_THROW(listwise_loss(sr, Matrix(4, 4), 0.2f, nullptr), InvalidArgument);
}

TEST(SelectorNet, ListwiseTermLearnsTheWholeOrder) {
  // Three clusters of meta-features; in each the four algorithms have their own order of
  // distances from the best. The seed's loss only names the best one, so the order of the others
  // is left to chance; the listwise term must recover all of it. (At weight 1 the seed's hinge,
  // which pushes every incorrect algorithm below the margin, still flattens the order: 0.87.)
  const float order[3][4] = {{0, 0.3f, 0.6f, 1}, {1, 0, 0.6f, 0.3f}, {0.6f, 1, 0.3f, 0}};
  Rng rng(12);
  const Matrix emb = random_matrix(4, 16, rng);
  const Matrix centres = random_matrix(3, 6, rng, 3.0);
  Matrix x(60, 6), d(60, 4);
  std::vector<int> y;
  for (int i = 0; i < 60; ++i) {
    const int c = i % 3;
    x.row(i) = centres.row(c) + random_matrix(1, 6, rng, 0.3);
    for (int a = 0; a < 4; ++a) d(i, a) = order[c][a];
    y.push_back(static_cast<int>(std::min_element(order[c], order[c] + 4) - order[c]));
  }
  auto mean_spearman = [&](float listwise_weight) {
    SelectorConfig c;
    c.inputs = 6;
    c.hidden = 32;
    c.outputs = 16;
    c.epochs = 150;
    c.batch = 8;
    c.dropout = 0.1f;
    c.listwise_weight = listwise_weight;
    SelectorNet net(c);
    train_selector(net, x, y, emb, c, {}, d);
    nn::CosineMatrix cos;
    const Matrix s = cos.forward(net.forward(x, false), emb);
    double total = 0;
    for (int i = 0; i < 60; ++i) {
      std::vector<double> pred, truth;
      for (int a = 0; a < 4; ++a) {
        pred.push_back(s(i, a));
        truth.push_back(-d(i, a));
      }
      total += spearman(pred, truth);
    }
    return total / 60;
  };
  const double with = mean_spearman(10.0f), without = mean_spearman(0.0f);
  EXPECT_GT(with, 0.99);
  EXPECT_LT(without, with - 0.1);
}

TEST(SelectorNet, HasTheSeedsWeightCount) {
  SelectorConfig c;
  SelectorNet net(c);
  // fc1 50x256+256, fc2 and fc3 256x256+256, fc_out 256x768+768.
  EXPECT_EQ(net.linear_weight_count(), 342016);
}

TEST(SelectorNet, FullBackwardPassMatchesFiniteDifferences) {
  SelectorConfig c;
  c.inputs = 4;
  c.hidden = 6;
  c.outputs = 5;
  c.dropout = 0.3f;
  SelectorNet net(c);
  Rng rng(5);
  Matrix x = random_matrix(3, 4, rng);
  const Matrix emb = random_matrix(3, 5, rng);
  const std::vector<int> y = {2, 0, 1};
  // Inference mode (dropout off) so the loss is a deterministic function of the parameters.
  auto loss = [&] {
    nn::CosineMatrix cos;
    return contrastive_loss(cos.forward(net.forward(x, false), emb), y, 0.2f, 1.0f, nullptr);
  };
  for (auto* p : net.parameters()) p->zero_grad();
  nn::CosineMatrix cos;
  const Matrix s = cos.forward(net.forward(x, false), emb);
  Matrix ds;
  contrastive_loss(s, y, 0.2f, 1.0f, &ds);
  net.backward(cos.backward(ds));
  for (auto* p : net.parameters()) {
    const Matrix g = p->grad;
    expect_gradient(p->value, g, loss, p->name, 5e-3);
  }
}

TEST(Adam, MinimizesAQuadratic) {
  nn::Parameter p;
  p.value = Matrix::Constant(1, 3, 5.0f);
  p.zero_grad();
  nn::Adam opt({&p}, 0.1f);
  const float target[] = {1.0f, -2.0f, 0.5f};
  for (int t = 0; t < 500; ++t) {
    opt.zero_grad();
    for (int k = 0; k < 3; ++k) p.grad(0, k) = 2 * (p.value(0, k) - target[k]);
    opt.step();
  }
  for (int k = 0; k < 3; ++k) EXPECT_NEAR(p.value(0, k), target[k], 1e-2);
}

TEST(SelectorNet, LearnsASeparableProblemAndOpensTheGap) {
  // Three clusters of meta-features, each labelled with one of three algorithm embeddings.
  SelectorConfig c;
  c.inputs = 6;
  c.hidden = 32;
  c.outputs = 16;
  c.epochs = 150;
  c.batch = 8;
  c.dropout = 0.1f;
  Rng rng(6);
  const Matrix emb = random_matrix(3, 16, rng);
  const Matrix centres = random_matrix(3, 6, rng, 3.0);
  Matrix x(60, 6);
  std::vector<int> y;
  for (int i = 0; i < 60; ++i) {
    y.push_back(i % 3);
    x.row(i) = centres.row(i % 3) + random_matrix(1, 6, rng, 0.3);
  }
  SelectorNet net(c);
  const auto history = train_selector(net, x, y, emb, c);
  ASSERT_EQ(history.size(), 150u);
  EXPECT_LT(history.back().loss, 0.5 * history.front().loss);
  EXPECT_GT(history.back().mean_cosine, history.front().mean_cosine);
  nn::CosineMatrix cos;
  const auto gaps = similarity_gaps(cos.forward(net.forward(x, false), emb), y);
  for (double g : gaps) EXPECT_GT(g, 0);
  // Same seed, same result.
  SelectorNet again(c);
  const auto h2 = train_selector(again, x, y, emb, c);
  EXPECT_EQ(h2.back().loss, history.back().loss);
}

TEST(Similarity, DefinitionsOnHandValues) {
  const float x[] = {1, 0}, y[] = {1, 1}, z[] = {2, 0};
  EXPECT_NEAR(similarity("cosine", x, y, 2), std::sqrt(0.5), 1e-12);
  EXPECT_NEAR(similarity("iht", x, y, 2), 1 - std::tanh(M_PI / 4), 1e-9);
  EXPECT_NEAR(similarity("iht", x, z, 2), 1.0, 1e-9);  // same direction: arccos(1) = 0
  EXPECT_NEAR(similarity("sigmoid_dot", x, y, 2), 1 / (1 + std::exp(-1.0)), 1e-12);
  EXPECT_NEAR(similarity("tanh_dot", x, z, 2), std::tanh(2.0), 1e-12);
  const float neg[] = {-1, 0};
  EXPECT_EQ(similarity("relu_cosine", x, neg, 2), 0);
  EXPECT_NEAR(similarity("norm_contrast", x, z, 2), 0.5, 1e-12);
  EXPECT_THROW(similarity("dot", x, y, 2), InvalidArgument);
}

}  // namespace
}  // namespace metarec
