// The deep CTR models' own maths: every variant's full backward pass (linear part, FM term,
// bi-interaction pooling, DNN, CIN) against central differences, a planted pairwise interaction
// that an additive model cannot fit but DeepFM and NFM do, one-thread repeatability, and
// save/load.
#include <gtest/gtest.h>
#include <metarec/algorithms/catalog.h>
#include <metarec/algorithms/deep_ctr/deep_ctr.h>
#include <metarec/core/rng.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "model_fixtures.h"

namespace metarec {
namespace {

using nn::Matrix;

// 10 features in 3 fields; rows mix one-hot fields with a weighted multi-hot one (like genres).
DeepCtrBatch tiny_batch() {
  DeepCtrBatch b;
  auto row = [&](std::vector<int32_t> idx, std::vector<float> val) {
    b.idx.insert(b.idx.end(), idx.begin(), idx.end());
    b.val.insert(b.val.end(), val.begin(), val.end());
    b.ptr.push_back(static_cast<int64_t>(b.idx.size()));
  };
  row({0, 4, 7, 8}, {1, 1, 0.5f, 0.5f});
  row({1, 3, 9}, {1, 1, 1});
  row({2, 5, 6, 7, 9}, {1, 1, 1.0f / 3, 1.0f / 3, 1.0f / 3});
  row({0, 5, 8}, {1, 1, 1});
  return b;
}

DeepCtrNetwork tiny_network(DeepCtrVariant v, float bi_dropout = 0) {
  DeepCtrShape s;
  s.variant = v;
  s.bi_dropout = bi_dropout;
  s.features = 10;
  s.fields = 3;
  s.factors = 3;
  s.hidden = 5;
  s.layers = v == DeepCtrVariant::kNfm ? 1 : 2;
  s.cin_maps = 3;
  s.cin_layers = 2;
  Rng rng(11);
  DeepCtrNetwork net(s, {0, 0, 0, 1, 1, 1, 2, 2, 2, 2}, 0.7f, rng);
  // Non-zero linear weights, bias and tower biases, so every term is exercised.
  for (Eigen::Index j = 0; j < 10; ++j) net.w.table.value(j, 0) = 0.1f * static_cast<float>(j - 4);
  net.w0.value(0, 0) = 0.3f;
  for (auto* p : net.dense_parameters())
    if (p->value.rows() == 1 && p != &net.w0)
      for (Eigen::Index q = 0; q < p->value.size(); ++q)
        p->value.data()[q] = 0.05f * static_cast<float>(q % 5) + 0.02f;
  return net;
}

// L = sum_r c_r y_r, so dL/dy_r = c_r.
const std::vector<float> kCoef = {0.7f, -1.1f, 0.4f, 0.9f};

// Dropout masks come from a fresh Rng(drop_seed) at every forward, so each pass of a gradient
// check drops the same units.
uint64_t drop_seed = 5;

double loss(const DeepCtrNetwork& net, const DeepCtrBatch& b) {
  auto p = net.new_pass();
  std::vector<float> y(4);
  Rng drop(drop_seed);
  net.forward(b, p, y, &drop);
  double l = 0;
  for (size_t r = 0; r < 4; ++r) l += static_cast<double>(kCoef[r]) * y[r];
  return l;
}

// Central difference of the loss in one float of the network.
double numeric(DeepCtrNetwork& net, const DeepCtrBatch& b, float& x) {
  const float h = 1e-2f, keep = x;
  x = keep + h;
  const double up = loss(net, b);
  x = keep - h;
  const double down = loss(net, b);
  x = keep;
  return (up - down) / (2.0 * h);
}

void check_gradients(DeepCtrVariant v, float bi_dropout = 0) {
  DeepCtrNetwork net = tiny_network(v, bi_dropout);
  const DeepCtrBatch b = tiny_batch();
  auto p = net.new_pass();
  std::vector<float> y(4);
  Rng drop(drop_seed);
  net.forward(b, p, y, &drop);
  net.backward(kCoef, p);
  auto close = [](double analytic, double num, const std::string& what) {
    EXPECT_NEAR(analytic, num, 2e-3 + 2e-2 * std::fabs(num)) << what;
  };
  const Matrix dv = net.v.backward(b.idx, p.dv).to_dense(10);
  const Matrix dw = net.w.backward(b.idx, p.dw).to_dense(10);
  int nonzero = 0;
  for (Eigen::Index j = 0; j < 10; ++j) {
    close(dw(j, 0), numeric(net, b, net.w.table.value(j, 0)), "w " + std::to_string(j));
    for (Eigen::Index d = 0; d < 3; ++d) {
      const double num = numeric(net, b, net.v.table.value(j, d));
      close(dv(j, d), num, "v " + std::to_string(j) + "," + std::to_string(d));
      nonzero += std::fabs(num) > 1e-3;
    }
  }
  EXPECT_GT(nonzero, bi_dropout > 0 ? 12 : 20);  // the embeddings matter to the output
  auto params = net.dense_parameters();
  auto grads = net.dense_gradients(p);
  ASSERT_EQ(params.size(), grads.size());
  for (size_t t = 0; t < params.size(); ++t) {
    Matrix& value = params[t]->value;
    ASSERT_EQ(value.rows(), grads[t]->rows());
    ASSERT_EQ(value.cols(), grads[t]->cols());
    for (Eigen::Index q = 0; q < value.size(); ++q)
      close(grads[t]->data()[q], numeric(net, b, value.data()[q]),
            params[t]->name + "[" + std::to_string(q) + "]");
  }
}

TEST(DeepCtr, WideDeepBackwardMatchesCentralDifferences) {
  check_gradients(DeepCtrVariant::kWideDeep);
}
TEST(DeepCtr, DeepFmBackwardMatchesCentralDifferences) { check_gradients(DeepCtrVariant::kDeepFm); }
TEST(DeepCtr, NfmBackwardMatchesCentralDifferences) { check_gradients(DeepCtrVariant::kNfm); }
TEST(DeepCtr, NfmBackwardWithBiInteractionDropoutMatchesCentralDifferences) {
  // With mask seed 5 one hidden unit's input is -0.008, within the difference step (0.01) of
  // the ReLU's kink; with 6 none is.
  drop_seed = 6;
  check_gradients(DeepCtrVariant::kNfm, 0.4f);
  drop_seed = 5;
}

// Inverted dropout on the pooling: dropped units are 0, kept ones scaled by 1 / (1 - rate), and
// a forward without a generator (prediction) drops nothing.
TEST(DeepCtr, BiInteractionDropoutZeroesAndRescalesUnits) {
  const DeepCtrBatch b = tiny_batch();
  DeepCtrNetwork plain = tiny_network(DeepCtrVariant::kNfm);
  DeepCtrNetwork dropped = tiny_network(DeepCtrVariant::kNfm, 0.5f);
  auto p0 = plain.new_pass();
  auto p1 = dropped.new_pass();
  std::vector<float> y0(4), y1(4), y2(4);
  plain.forward(b, p0, y0);
  Rng drop(drop_seed);
  dropped.forward(b, p1, y1, &drop);
  int zeros = 0;
  for (Eigen::Index r = 0; r < 4; ++r)
    for (Eigen::Index d = 0; d < 3; ++d) {
      const float m = p1.bi_mask(r, d);
      ASSERT_TRUE(m == 0.0f || m == 2.0f) << m;
      zeros += m == 0.0f;
      EXPECT_FLOAT_EQ(p1.bi(r, d), m * p0.bi(r, d));
    }
  EXPECT_GT(zeros, 0);
  EXPECT_LT(zeros, 12);
  auto p2 = dropped.new_pass();
  dropped.forward(b, p2, y2);
  EXPECT_EQ(y2, y0);
}
TEST(DeepCtr, XDeepFmBackwardMatchesCentralDifferences) {
  check_gradients(DeepCtrVariant::kXDeepFm);
}

TEST(DeepCtr, FmTermEqualsTheExplicitPairwiseSum) {
  // DeepFM minus Wide&Deep's parts: with the DNN's output layer zeroed both networks reduce to
  // w0 + linear (+ the FM term for DeepFM), which must equal the explicit double sum.
  DeepCtrNetwork fm = tiny_network(DeepCtrVariant::kDeepFm);
  const int last = fm.dnn.layers() - 1;
  fm.dnn.weight(last).value.setZero();
  fm.dnn.bias(last).value.setZero();
  const DeepCtrBatch b = tiny_batch();
  auto p = fm.new_pass();
  std::vector<float> y(4);
  fm.forward(b, p, y);
  for (int64_t r = 0; r < 4; ++r) {
    double expect = fm.w0.value(0, 0);
    for (int64_t a = b.ptr[r]; a < b.ptr[r + 1]; ++a) {
      expect += static_cast<double>(fm.w.table.value(b.idx[a], 0)) * b.val[a];
      for (int64_t c = a + 1; c < b.ptr[r + 1]; ++c)
        expect += static_cast<double>(
                      fm.v.table.value.row(b.idx[a]).dot(fm.v.table.value.row(b.idx[c]))) *
                  b.val[a] * b.val[c];
    }
    EXPECT_NEAR(y[r], expect, 1e-5) << "row " << r;
  }
}

// r(u, i) = 3 + a_u b_i with a, b = +-1 (balanced): the additive part of r is the constant 3,
// so user and item biases explain nothing of the +-1 term (RMSE about 1), while one factor
// (v_u = a_u, v_i = b_i) fits it exactly. Every fifth pair is held out.
struct Planted {
  Interactions train;
  std::vector<std::pair<int32_t, int32_t>> test;
  std::vector<float> truth;
};

Planted planted_interaction() {
  constexpr int kUsers = 40, kItems = 40;
  InteractionsBuilder b;
  std::vector<int32_t> uid(kUsers), iid(kItems);
  for (int u = 0; u < kUsers; ++u) uid[u] = b.users().intern("u" + std::to_string(u));
  for (int i = 0; i < kItems; ++i) iid[i] = b.items().intern("i" + std::to_string(i));
  Planted out;
  for (int u = 0; u < kUsers; ++u)
    for (int i = 0; i < kItems; ++i) {
      const float r = 3.0f + ((u % 2) ? 1.0f : -1.0f) * ((i / 2) % 2 ? 1.0f : -1.0f);
      if ((u + 2 * i) % 5 == 0) {
        out.test.emplace_back(uid[u], iid[i]);
        out.truth.push_back(r);
      } else {
        b.add(uid[u], iid[i], r);
      }
    }
  InteractionsBuilder::Options o;
  o.feedback = "explicit";
  o.scale_min = 1;
  o.scale_max = 5;
  out.train = b.build(o);
  return out;
}

double held_out_rmse(const Recommender& m, const Planted& d) {
  const auto& rp = dynamic_cast<const RatingPredictor&>(m);
  double se = 0;
  for (size_t q = 0; q < d.test.size(); ++q) {
    const double e = rp.predict(d.test[q].first, d.test[q].second) - d.truth[q];
    se += e * e;
  }
  return std::sqrt(se / static_cast<double>(d.test.size()));
}

TEST(DeepCtr, DeepFmAndNfmFitAPlantedPairwiseInteractionThatBiasesCannot) {
  const Planted d = planted_interaction();
  FitContext ctx;
  ctx.threads = 1;
  auto biases = make_recommender("bias");
  biases->fit(d.train, ctx);
  const double additive = held_out_rmse(*biases, d);
  EXPECT_GT(additive, 0.9);
  // NFM with a hidden layer: the bi-interaction pooling and the tower must carry the product.
  for (const char* name : {"deepfm", "nfm"}) {
    auto m = make_recommender(name, {"factors=4", "epochs=40", "learning_rate=0.01", "reg=0.001",
                                     "init_std=0.1", "batch_size=64", "layers=1"});
    m->fit(d.train, ctx);
    const double rmse = held_out_rmse(*m, d);
    EXPECT_LT(rmse, 0.25) << name << " (additive model: " << additive << ")";
  }
}

TEST(DeepCtr, OneThreadAndASeedAreRepeatableBitForBit) {
  const Planted d = planted_interaction();
  for (const char* name : {"wide_deep", "deepfm", "nfm", "xdeepfm"}) {
    std::vector<std::vector<float>> runs;
    for (int run = 0; run < 2; ++run) {
      auto m = make_recommender(name, {"epochs=2"});
      FitContext ctx;
      ctx.threads = 1;
      ctx.seed = 5;
      m->fit(d.train, ctx);
      std::vector<float> s(static_cast<size_t>(m->num_items()));
      m->score(3, s);
      runs.push_back(s);
    }
    EXPECT_EQ(runs[0], runs[1]) << name;
  }
}

TEST(DeepCtr, SaveAndLoadReproduceScoresAndPredictions) {
  const Planted d = planted_interaction();
  for (const char* name : {"wide_deep", "deepfm", "nfm", "xdeepfm"}) {
    auto m = make_recommender(name, {"epochs=2"});
    FitContext ctx;
    ctx.threads = 1;
    m->fit(d.train, ctx);
    auto back = fixtures::saved_and_loaded(*m);
    ASSERT_EQ(back->algorithm(), name);
    for (int32_t u : {0, 7, 39}) {
      std::vector<float> a(static_cast<size_t>(m->num_items())), b(a.size());
      m->score(u, a);
      back->score(u, b);
      EXPECT_EQ(a, b) << name << " user " << u;
      EXPECT_EQ(dynamic_cast<const RatingPredictor&>(*m).predict(u, 5),
                dynamic_cast<const RatingPredictor&>(*back).predict(u, 5));
    }
  }
}

}  // namespace
}  // namespace metarec
