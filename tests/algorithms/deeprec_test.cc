// DeepRec's own maths: the full backward pass (sparse masked loss and dense re-fed loss, own or
// tied decoder weights, linear or activated output, with a fixed dropout mask) against finite
// differences and across thread counts, both losses against hand values, a planted rating
// problem, what re-feeding must do, rating scales, fold-in equal to scoring a known user, the
// cold fallbacks, save/load and repeatability.
#include <gtest/gtest.h>
#include <metarec/algorithms/autoencoder/deeprec.h>
#include <metarec/algorithms/catalog.h>
#include <metarec/core/error.h>
#include <metarec/data/split.h>
#include <metarec/data/synthetic.h>
#include <metarec/eval/evaluator.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "../nn/gradient_check.h"
#include "model_fixtures.h"

namespace metarec {
namespace {

using nn::Matrix;
using testing_nn::expect_gradient;
using testing_nn::random_matrix;

// Three users' ratings over 7 items (one row is a single rating).
SparseRows tiny_ratings() {
  SparseRows x;
  const std::vector<std::vector<std::pair<int32_t, float>>> rows = {
      {{0, 5}, {2, 3}, {5, 1}}, {{1, 4}, {2, 2}, {3, 5}, {6, 1}}, {{4, 3}}};
  for (const auto& r : rows) {
    for (auto [i, v] : r) {
      x.index.push_back(i);
      x.value.push_back(v);
    }
    x.ptr.push_back(static_cast<int64_t>(x.index.size()));
  }
  return x;
}

TEST(DeepRec, ParsesLayerLists) {
  EXPECT_EQ(parse_deeprec_layers("512,512,1024"), (std::vector<int>{512, 512, 1024}));
  EXPECT_EQ(parse_deeprec_layers("7"), (std::vector<int>{7}));
  for (const char* bad : {"", "abc", "0,4", "12x", "4,-2", "1,2,3,4,5,6,7,8,9", "99999"})
    EXPECT_THROW(parse_deeprec_layers(bad), InvalidArgument) << bad;
}

TEST(DeepRec, FullBackwardPassMatchesFiniteDifferences) {
  const SparseRows x = tiny_ratings();
  for (bool tied : {false, true})
    for (bool activate_output : {false, true})
      for (float dropout : {0.0f, 0.5f}) {
        DeepRecShape s;
        s.items = 7;
        s.encoder = {5, 3};
        s.tied = tied;
        s.activate_output = activate_output;
        s.dropout = dropout;
        Rng rng(31);
        DeepRecNetwork net(s, rng);
        for (auto& p : net.b)
          p.value = random_matrix(1, static_cast<int>(p.value.cols()), rng, 0.3);
        const std::string what = std::string(tied ? "tied" : "own") +
                                 (activate_output ? " selu-out" : " linear-out") + " dropout " +
                                 std::to_string(dropout) + " ";
        auto params = net.parameters();
        // The dropout mask is drawn from a fresh Rng(77) on every pass: the same mask each time.
        // SELU's derivative jumps at 0 (lambda alpha to lambda), so a difference step that carries
        // a pre-activation across 0 is wrong by up to 0.7 times the step: the step is 1e-3, ten
        // times below the default (the loss's float rounding then costs about 5e-4).
        // The gradient with two threads (row blocks {0} and {1, 2}) equals the one-thread
        // gradient up to the order of the sums.
        auto check = [&](const std::function<double(bool, int)>& loss, const std::string& kind) {
          for (auto* p : params) p->zero_grad();
          loss(true, 1);
          std::vector<Matrix> analytic;
          for (auto* p : params) analytic.push_back(p->grad);
          for (auto* p : params) p->zero_grad();
          loss(true, 2);
          for (size_t k = 0; k < params.size(); ++k)
            EXPECT_LT((params[k]->grad - analytic[k]).cwiseAbs().maxCoeff(), 1e-5)
                << what + kind + params[k]->name;
          for (size_t k = 0; k < params.size(); ++k)
            expect_gradient(
                params[k]->value, analytic[k], [&] { return loss(false, 1); },
                what + kind + params[k]->name, 2e-3, 1e-3f);
        };
        check(
            [&](bool backward, int threads) {
              Rng mask(77);
              DeepRecNetwork::Pass p;
              net.forward(x, p, &mask, threads);
              return net.masked_loss(x, p, backward, threads);
            },
            "masked ");
        // Re-feeding's loss: a dense input that is also the (constant) target.
        Rng data(5);
        const Matrix dense = random_matrix(3, 7, data, 2.0);
        check(
            [&](bool backward, int threads) {
              Rng mask(77);
              DeepRecNetwork::Pass p;
              net.forward(dense, p, &mask, threads);
              return net.dense_loss(dense, dense, p, backward, threads);
            },
            "dense ");
      }
}

// With every weight zero the output is the last bias (linear output), so both losses are simple
// sums: masked over the observed ratings only, dense over every entry.
TEST(DeepRec, LossesMatchHandValues) {
  DeepRecShape s;
  s.items = 3;
  s.encoder = {2};
  Rng rng(1);
  DeepRecNetwork net(s, rng);
  for (auto* p : net.parameters()) p->value.setZero();
  net.b.back().value << 1, 2, 3;
  SparseRows x;  // one user: item 0 rated 2, item 2 rated 5
  x.index = {0, 2};
  x.value = {2, 5};
  x.ptr.push_back(2);
  DeepRecNetwork::Pass p;
  net.forward(x, p, nullptr, 1);
  EXPECT_DOUBLE_EQ(net.masked_loss(x, p, false, 1),
                   ((1 - 2.0) * (1 - 2) + (3 - 5.0) * (3 - 5)) / 2);
  Matrix target(2, 3);
  target << 1, 1, 1, 0, 2, 4;
  net.forward(target, p, nullptr, 1);
  // Outputs (1, 2, 3) in both rows: errors 0 1 2 and 1 0 -1.
  EXPECT_DOUBLE_EQ(net.dense_loss(target, target, p, false, 1), (0 + 1 + 4 + 1 + 0 + 1) / 6.0);
}

std::unique_ptr<Recommender> fit(const Interactions& train, std::vector<std::string> params,
                                 uint64_t seed = 42, int threads = 1) {
  auto m = make_recommender("deeprec_ae", params);
  FitContext ctx;
  ctx.seed = seed;
  ctx.threads = threads;
  m->fit(train, ctx);
  return m;
}

// A small network trained with every setting spelled out, so these tests do not move with the
// catalog's defaults.
const std::vector<std::string> kSmall = {"layers=16,8",    "epochs=40",      "batch_size=8",
                                         "dropout=0.2",    "optimizer=adam", "learning_rate=0.01",
                                         "weight_decay=0", "tied=false"};

// Held-out ratings of a planted block structure: far better than the global mean (RMSE about 2).
TEST(DeepRec, PredictsPlantedRatingBlocks) {
  const Interactions d = fixtures::planted_rating_blocks();
  const Split sp = make_split(d, SplitSpec::parse("user_random:test=0.2,seed=1"));
  EvalOptions o;
  o.metrics = {"rmse"};
  auto mean = make_recommender("global_mean");
  mean->fit(sp.train);
  const double base = evaluate(*mean, sp.train, sp.test, o).get("rmse");
  for (bool refeed : {false, true}) {
    auto params = kSmall;
    params.push_back(refeed ? "refeed=true" : "refeed=false");
    const double got = evaluate(*fit(sp.train, params), sp.train, sp.test, o).get("rmse");
    EXPECT_LT(got, 0.25 * base) << "refeed " << refeed << ": rmse " << got << " vs " << base;
  }
}

// Re-feeding trains f towards a fixed point, f(f(x)) = f(x): after training with it, feeding
// the users' reconstructions back changes them much less than after training without it.
TEST(DeepRec, RefeedingMakesReconstructionsNearFixedPoints) {
  const Interactions d = fixtures::planted_rating_blocks();
  auto drift = [&](bool refeed) {
    auto params = kSmall;
    params.push_back(refeed ? "refeed=true" : "refeed=false");
    auto m = fit(d, params);
    const DeepRecNetwork& net = dynamic_cast<const DeepRecAe&>(*m).network();
    SparseRows x;
    for (int32_t u = 0; u < d.num_users(); ++u) {
      const auto items = d.user_items(u);
      x.index.insert(x.index.end(), items.begin(), items.end());
      // The network sees 1-5 ratings unchanged.
      const auto values = d.user_values(u);
      x.value.insert(x.value.end(), values.begin(), values.end());
      x.ptr.push_back(static_cast<int64_t>(x.index.size()));
    }
    DeepRecNetwork::Pass p;
    net.forward(x, p, nullptr, 1);
    const Matrix fx = p.a.back();
    net.forward(fx, p, nullptr, 1);
    return (p.a.back() - fx).cast<double>().squaredNorm() / static_cast<double>(fx.size());
  };
  const double with = drift(true), without = drift(false);
  EXPECT_LT(with, 0.5 * without) << "mean (f(f(x)) - f(x))^2: " << with << " with re-feeding, "
                                 << without << " without";
}

// Ratings on a 2-10 scale are halved on the way in: the network sees exactly the numbers of the
// 1-5 data and every prediction is exactly twice the 1-5 model's.
TEST(DeepRec, OtherRatingScalesAreBroughtToOneToFive) {
  const Interactions d = fixtures::planted_rating_blocks();
  InteractionsBuilder b;
  for (int u = 0; u < d.num_users(); ++u) b.users().intern("u" + std::to_string(u));
  for (int i = 0; i < d.num_items(); ++i) b.items().intern("i" + std::to_string(i));
  for (int64_t e = 0; e < d.nnz(); ++e)
    b.add(d.entry_users()[e], d.entry_items()[e], 2 * d.entry_values()[e]);
  InteractionsBuilder::Options o;
  o.feedback = "explicit";
  o.scale_min = 2;
  o.scale_max = 10;
  const Interactions doubled = b.build(o);
  auto m = fit(d, {"layers=16,8", "epochs=5"});
  auto m2 = fit(doubled, {"layers=16,8", "epochs=5"});
  std::vector<float> a(30), c(30);
  for (int32_t u = 0; u < 40; u += 3) {
    m->score(u, a);
    m2->score(u, c);
    for (int32_t i = 0; i < 30; ++i) ASSERT_EQ(c[i], 2 * a[i]) << u << " " << i;
  }
}

TEST(DeepRec, FoldInOfAKnownUserEqualsTheirScoresAndPredictAgrees) {
  const Interactions d = fixtures::planted_rating_blocks();
  auto m = fit(d, {"layers=16,8", "epochs=3", "tied=true"});
  const auto& f = dynamic_cast<const FoldIn&>(*m);
  const auto& r = dynamic_cast<const RatingPredictor&>(*m);
  std::vector<float> a(30), b(30);
  for (int32_t u : {0, 7, 33}) {
    m->score(u, a);
    f.score_new_user(d.user_items(u), d.user_values(u), b);
    EXPECT_EQ(a, b) << u;
    for (int32_t i = 0; i < 30; ++i) EXPECT_NEAR(r.predict(u, i), a[i], 1e-5) << u << " " << i;
  }
  EXPECT_THROW(f.score_new_user(d.user_items(0), {}, b), InvalidArgument);
}

// A user without training ratings gets each item's training mean; an item without training
// ratings gets each user's training mean.
TEST(DeepRec, ColdUsersAndItemsFallBackToMeans) {
  const Interactions full = fixtures::planted_rating_blocks();
  std::vector<int64_t> keep;
  for (int64_t e = 0; e < full.nnz(); ++e)
    if (full.entry_users()[e] != 0 && full.entry_items()[e] != 0) keep.push_back(e);
  const Interactions train = full.subset(keep);
  auto m = fit(train, {"layers=8", "epochs=2"});
  const auto& r = dynamic_cast<const RatingPredictor&>(*m);
  auto mean_of = [](std::span<const float> v) {
    double s = 0;
    for (float x : v) s += x;
    return static_cast<float>(s / static_cast<double>(v.size()));
  };
  std::vector<float> s(30);
  m->score(0, s);
  for (int32_t i = 1; i < 30; ++i) {
    EXPECT_FLOAT_EQ(r.predict(0, i), mean_of(train.item_values(i))) << i;
    EXPECT_FLOAT_EQ(s[i], mean_of(train.item_values(i))) << i;
  }
  EXPECT_FLOAT_EQ(r.predict(0, 0), static_cast<float>(train.global_mean()));
  for (int32_t u : {1, 20, 39}) {
    EXPECT_FLOAT_EQ(r.predict(u, 0), mean_of(train.user_values(u))) << u;
    m->score(u, s);
    EXPECT_FLOAT_EQ(s[0], mean_of(train.user_values(u))) << u;
  }
}

TEST(DeepRec, SaveLoadGivesIdenticalPredictionsAndFoldIn) {
  const Interactions d = fixtures::planted_rating_blocks();
  for (const char* tied : {"tied=false", "tied=true"}) {
    auto m = fit(d, {"layers=12,6,4", "epochs=2", tied, "activate_output=true"});
    auto back = fixtures::saved_and_loaded(*m);
    std::vector<float> a(30), b(30);
    for (int32_t u = 0; u < 40; u += 9) {
      m->score(u, a);
      back->score(u, b);
      EXPECT_EQ(a, b) << tied << " user " << u;
      for (int32_t i = 0; i < 30; i += 7)
        EXPECT_EQ(dynamic_cast<const RatingPredictor&>(*m).predict(u, i),
                  dynamic_cast<const RatingPredictor&>(*back).predict(u, i));
    }
    const std::vector<int32_t> items = {0, 3, 20};
    const std::vector<float> values = {5, 4, 1};
    dynamic_cast<const FoldIn&>(*m).score_new_user(items, values, a);
    dynamic_cast<const FoldIn&>(*back).score_new_user(items, values, b);
    EXPECT_EQ(a, b) << tied;
  }
}

// Large enough batches (64 users x 200 items x 512 units) that training really runs on the
// threads asked for.
TEST(DeepRec, OneThreadIsRepeatableAndTwoThreadsAgreeWithinRounding) {
  const Interactions d = generate_synthetic(
      parse_synthetic_spec("synthetic:users=300,items=200,per_user=20,factors=3,seed=2"));
  auto scores = [&](int threads) {
    auto m = fit(d, {"layers=512,8", "epochs=1"}, 9, threads);
    std::vector<float> s(200 * 3);
    for (int32_t u = 0; u < 3; ++u) m->score(u, std::span<float>(s.data() + u * 200, 200));
    return s;
  };
  const std::vector<float> one = scores(1);
  EXPECT_EQ(one, scores(1));
  const std::vector<float> two = scores(2);
  for (size_t k = 0; k < one.size(); ++k) EXPECT_NEAR(two[k], one[k], 1e-3) << k;
}

}  // namespace
}  // namespace metarec
