// Embedding lookups, sparse gradients (duplicates summed, only looked-up rows) checked against
// finite differences, and the three initializations.
#include <gtest/gtest.h>
#include <metarec/core/error.h>
#include <metarec/nn/embedding.h>

#include <array>
#include <map>

#include "gradient_check.h"

namespace metarec {
namespace {

using nn::Matrix;
using testing_nn::expect_gradient;
using testing_nn::random_matrix;
using testing_nn::weighted;

TEST(NnEmbedding, ForwardGathersRowsAndBackwardSumsDuplicates) {
  Rng rng(21);
  nn::Embedding e(5, 2, nn::EmbeddingInit::kNormal, 1.0f, rng, "emb");
  const std::vector<int32_t> ids = {3, 1, 3};
  const Matrix y = e.forward(ids);
  ASSERT_EQ(y.rows(), 3);
  EXPECT_EQ(y.row(0), e.table.value.row(3));
  EXPECT_EQ(y.row(1), e.table.value.row(1));
  EXPECT_EQ(y.row(2), e.table.value.row(3));
  Matrix dy(3, 2);
  dy << 1, 2, 10, 20, 100, 200;
  const nn::SparseGrad g = e.backward(ids, dy);
  ASSERT_EQ(g.ids, (std::vector<int32_t>{1, 3}));  // sorted, distinct: rows 0, 2, 4 absent
  EXPECT_EQ(g.values(0, 0), 10);
  EXPECT_EQ(g.values(0, 1), 20);
  EXPECT_EQ(g.values(1, 0), 101);  // 1 + 100
  EXPECT_EQ(g.values(1, 1), 202);
  EXPECT_THROW(e.forward(std::vector<int32_t>{5}), InvalidArgument);
  EXPECT_THROW(e.backward(ids, Matrix::Zero(2, 2)), InvalidArgument);
}

// coalesce() against the plain definition: ids ascending, each id's rows summed in batch order
// (float addition is not associative, so the order is part of the contract), for ids that need
// one to four radix passes.
TEST(NnEmbedding, CoalesceSortsAndSumsRepeatsInBatchOrder) {
  Rng rng(5);
  for (const uint32_t range : {7u, 300u, 70000u, 20000000u, 2000000000u}) {
    SCOPED_TRACE(range);
    const int n = 700;
    nn::SparseGrad g;
    g.values = Matrix(n, 3);
    for (int k = 0; k < n; ++k) {
      g.ids.push_back(static_cast<int32_t>(rng.next() % range));
      for (int c = 0; c < 3; ++c) g.values(k, c) = static_cast<float>(rng.normal() * 1e3);
    }
    std::map<int32_t, std::array<float, 3>> expect;
    for (int k = 0; k < n; ++k) {
      auto [it, fresh] = expect.try_emplace(g.ids[static_cast<size_t>(k)]);
      for (int c = 0; c < 3; ++c)
        it->second[static_cast<size_t>(c)] =
            fresh ? g.values(k, c) : it->second[static_cast<size_t>(c)] + g.values(k, c);
    }
    g.coalesce();
    ASSERT_EQ(g.ids.size(), expect.size());
    ASSERT_EQ(g.values.rows(), static_cast<Eigen::Index>(expect.size()));
    size_t r = 0;
    for (const auto& [id, sum] : expect) {
      EXPECT_EQ(g.ids[r], id);
      for (int c = 0; c < 3; ++c)
        EXPECT_EQ(g.values(static_cast<Eigen::Index>(r), c), sum[static_cast<size_t>(c)]);
      ++r;
    }
  }
}

TEST(NnEmbedding, SparseGradientMatchesFiniteDifferences) {
  Rng rng(22);
  nn::Embedding e(6, 3, nn::EmbeddingInit::kUniform, 0.5f, rng, "emb");
  const std::vector<int32_t> ids = {4, 0, 4, 2, 4};
  const Matrix w = random_matrix(5, 3, rng);
  // A non-linear loss of the looked-up rows, so repeated rows interact: sum w * tanh(rows).
  auto loss = [&] {
    Matrix y = e.forward(ids);
    return weighted(y.array().tanh().matrix(), w);
  };
  const Matrix y = e.forward(ids);
  const Matrix dy = (w.array() * (1 - y.array().tanh().square())).matrix();
  const nn::SparseGrad g = e.backward(ids, dy);
  EXPECT_EQ(g.ids, (std::vector<int32_t>{0, 2, 4}));
  const Matrix dense = g.to_dense(6);
  expect_gradient(e.table.value, dense, loss, "embedding table");
  // Rows never looked up have exactly zero gradient.
  for (int r : {1, 3, 5}) EXPECT_EQ(dense.row(r).squaredNorm(), 0.0f);
}

TEST(NnEmbedding, InitializationsHaveTheirScales) {
  Rng rng(23);
  nn::Embedding n(400, 50, nn::EmbeddingInit::kNormal, 0.1f, rng, "n");
  const double mean = n.table.value.cast<double>().mean();
  const double sd = std::sqrt((n.table.value.cast<double>().array() - mean).square().mean());
  EXPECT_NEAR(mean, 0, 0.005);
  EXPECT_NEAR(sd, 0.1, 0.003);  // 20,000 draws: the sample sd is within ~0.0005 of 0.1
  nn::Embedding u(400, 50, nn::EmbeddingInit::kUniform, 0.3f, rng, "u");
  EXPECT_LE(u.table.value.maxCoeff(), 0.3f);
  EXPECT_GE(u.table.value.minCoeff(), -0.3f);
  EXPECT_GT(u.table.value.maxCoeff(), 0.29f);
  nn::Embedding g(400, 50, nn::EmbeddingInit::kGlorot, 0, rng, "g");
  const float bound = std::sqrt(6.0f / 450.0f);
  EXPECT_LE(g.table.value.cwiseAbs().maxCoeff(), bound);
  EXPECT_GT(g.table.value.cwiseAbs().maxCoeff(), 0.97f * bound);
  EXPECT_EQ(nn::parse_embedding_init("glorot"), nn::EmbeddingInit::kGlorot);
  EXPECT_THROW(nn::parse_embedding_init("xavier"), InvalidArgument);
  EXPECT_THROW(nn::Embedding(0, 3, nn::EmbeddingInit::kNormal, 1, rng, "bad"), InvalidArgument);
  // Same seed, same table.
  Rng a(5), b(5);
  EXPECT_EQ(nn::Embedding(7, 3, nn::EmbeddingInit::kNormal, 1, a, "a").table.value,
            nn::Embedding(7, 3, nn::EmbeddingInit::kNormal, 1, b, "b").table.value);
}

}  // namespace
}  // namespace metarec
