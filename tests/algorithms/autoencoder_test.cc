// The autoencoders' own maths: Mult-VAE's and Mult-DAE's full backward pass
// (multinomial likelihood, KL term and reparameterization with fixed noise) and
// AutoRec's against finite differences, the loss against a hand value, planted
// problems, fold-in equal to scoring a known user, one-thread repeatability,
// and save/load.
#include <gtest/gtest.h>
#include <metarec/algorithms/autoencoder/autorec.h>
#include <metarec/algorithms/autoencoder/mult_vae.h>
#include <metarec/algorithms/catalog.h>
#include <metarec/data/synthetic.h>
#include <metarec/nn/activations.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "../nn/gradient_check.h"
#include "model_fixtures.h"
#include "planted_communities.h"

namespace metarec {
namespace {

using nn::Matrix;
using testing_nn::expect_gradient;
using testing_nn::random_matrix;

// A tiny batch: 3 users over 7 items (one row repeats an item of another, one
// row is short).
void tiny_batch(SparseRows& in, SparseRows& target) {
  Rng rng(5);
  const std::vector<std::vector<int32_t>> rows = {{0, 2, 5}, {1, 2, 3, 6}, {4}};
  for (const auto& r : rows) {
    in.add_normalized(r, 0, rng);
    target.add_binary(r);
  }
}

TEST(MultVae, FullBackwardPassMatchesFiniteDifferences) {
  for (bool variational : {true, false}) {
    MultVaeShape s;
    s.items = 7;
    s.hidden = 5;
    s.latent = 3;
    s.variational = variational;
    Rng rng(91);
    MultVaeNetwork net(s, rng);
    // Larger biases than the 0.001 init, so every term of the gradient is
    // exercised.
    for (auto* p : net.parameters())
      if (p->value.rows() == 1) p->value = random_matrix(1, p->value.cols(), rng, 0.3);
    SparseRows in, target;
    tiny_batch(in, target);
    MultVaeNetwork::Pass pass;
    if (variational) pass.eps = random_matrix(3, s.latent, rng);
    const float beta = 0.7f;
    for (auto* p : net.parameters()) p->zero_grad();
    net.forward(in, pass, 1);
    net.loss(in, target, beta, pass, true, 1);
    std::vector<Matrix> analytic;
    for (auto* p : net.parameters()) analytic.push_back(p->grad);
    auto loss = [&] {
      MultVaeNetwork::Pass q;
      q.eps = pass.eps;
      net.forward(in, q, 1);
      return net.loss(in, target, beta, q, false, 1);
    };
    auto params = net.parameters();
    for (size_t k = 0; k < params.size(); ++k)
      expect_gradient(params[k]->value, analytic[k], loss,
                      (variational ? "vae " : "dae ") + params[k]->name);
  }
}

// The loss on a one-user batch, by hand: with every weight and bias zero but
// bq, the logits are all zero (softmax uniform over 4 items) and mu, logvar are
// bq's halves.
TEST(MultVae, LossMatchesHandValue) {
  MultVaeShape s;
  s.items = 4;
  s.hidden = 2;
  s.latent = 1;
  Rng rng(3);
  MultVaeNetwork net(s, rng);
  for (auto* p : net.parameters()) p->value.setZero();
  net.bq.value << 0.5f, std::log(2.0f);  // mu = 0.5, variance 2
  SparseRows in, target;
  const std::vector<int32_t> items = {1, 3};
  in.add_normalized(items, 0, rng);
  target.add_binary(items);
  MultVaeNetwork::Pass p;
  p.eps = Matrix::Constant(1, 1, 0.3f);
  net.forward(in, p, 1);
  // NLL = -2 log(1/4); KL = 0.5 (2 + 0.25 - 1 - log 2).
  const double nll = 2 * std::log(4.0), kl = 0.5 * (2 + 0.25 - 1 - std::log(2.0));
  EXPECT_NEAR(net.loss(in, target, 0.2f, p, false, 1), nll + 0.2 * kl, 1e-6);
  // The sample is mu + eps sigma.
  EXPECT_NEAR(p.z(0, 0), 0.5 + 0.3 * std::sqrt(2.0), 1e-6);
}

TEST(MultVae, LearnsTwoCommunities) {
  const auto [train, held] = fixtures::planted_communities(73);
  for (const char* name : {"mult_vae", "mult_dae"}) {
    auto m = make_recommender(
        name, {"epochs=60", "hidden=32", "latent=8", "batch_size=20", "learning_rate=0.01"});
    FitContext ctx;
    ctx.threads = 1;
    m->fit(train, ctx);
    // Random scores give 0.5.
    EXPECT_GT(fixtures::held_out_auc(*m, held), 0.95) << name;
  }
}

TEST(MultVae, FoldInOfAKnownUsersItemsEqualsTheirScores) {
  const auto [train, held] = fixtures::planted_communities(73);
  auto m = make_recommender("mult_vae", {"epochs=2", "hidden=16", "latent=4"});
  m->fit(train);
  const auto& f = dynamic_cast<const FoldIn&>(*m);
  std::vector<float> a(40), b(40);
  m->score(5, a);
  f.score_new_user(train.user_items(5), train.user_values(5), b);
  EXPECT_EQ(a, b);
  // A new user of one community is steered towards it, and differs from an
  // empty row.
  std::vector<float> empty(40);
  f.score_new_user({}, {}, empty);
  EXPECT_NE(b, empty);
}

std::vector<float> fit_and_score(const std::string& name, int threads) {
  const auto [train, held] = fixtures::planted_communities(73);
  auto m = make_recommender(name, {"epochs=3", "hidden=16", "latent=4", "batch_size=16"});
  FitContext ctx;
  ctx.threads = threads;
  ctx.seed = 9;
  m->fit(train, ctx);
  std::vector<float> s(static_cast<size_t>(m->num_items()) * 3);
  for (int32_t u = 0; u < 3; ++u)
    m->score(u, std::span<float>(s.data() + u * m->num_items(), m->num_items()));
  return s;
}

TEST(MultVae, OneThreadIsRepeatable) {
  for (const char* name : {"mult_vae", "mult_dae"}) {
    EXPECT_EQ(fit_and_score(name, 1), fit_and_score(name, 1)) << name;
    // Two threads (BLAS and row loops) must train to finite scores as well.
    for (float x : fit_and_score(name, 2)) EXPECT_TRUE(std::isfinite(x));
  }
}

TEST(MultVae, SaveLoadGivesIdenticalScoresAndFoldIn) {
  const auto [train, held] = fixtures::planted_communities(73);
  auto m = make_recommender("mult_dae", {"epochs=2", "hidden=16", "latent=4"});
  m->fit(train);
  auto back = fixtures::saved_and_loaded(*m);
  std::vector<float> a(40), b(40);
  for (int32_t u = 0; u < 60; u += 7) {
    m->score(u, a);
    back->score(u, b);
    EXPECT_EQ(a, b) << u;
  }
  const std::vector<int32_t> items = {0, 2, 4};
  dynamic_cast<const FoldIn&>(*m).score_new_user(items, {}, a);
  dynamic_cast<const FoldIn&>(*back).score_new_user(items, {}, b);
  EXPECT_EQ(a, b);
}

TEST(AutoRec, BackwardPassMatchesFiniteDifferences) {
  // 4 examples over 6 columns in CSR; the batch takes examples 3, 0 and 2 (1 is
  // left out).
  const std::vector<int64_t> ptr = {0, 3, 5, 6, 9};
  const std::vector<int32_t> cols = {0, 2, 5, 1, 3, 4, 0, 1, 5};
  const std::vector<float> vals = {5, 3, 1, 4, 2, 3, 1, 5, 4};
  const std::vector<int64_t> batch = {3, 0, 2};
  Rng rng(17);
  AutoRecNetwork net(6, 4, rng);
  net.b_enc.value = random_matrix(1, 4, rng, 0.3);
  net.b_dec.value = random_matrix(1, 6, rng, 0.3);
  for (auto* p : net.parameters()) p->zero_grad();
  net.batch_loss(batch, ptr, cols, vals, true, 1);
  std::vector<Matrix> analytic;
  for (auto* p : net.parameters()) analytic.push_back(p->grad);
  auto loss = [&] { return net.batch_loss(batch, ptr, cols, vals, false, 1); };
  auto params = net.parameters();
  for (size_t k = 0; k < params.size(); ++k)
    expect_gradient(params[k]->value, analytic[k], loss, "autorec " + params[k]->name);
  // Two threads give the same gradient (each column is summed by one thread in
  // batch order).
  for (auto* p : net.parameters()) p->zero_grad();
  net.batch_loss(batch, ptr, cols, vals, true, 2);
  for (size_t k = 0; k < params.size(); ++k) EXPECT_EQ(params[k]->grad, analytic[k]);
}

// Two taste groups: a user rates 5 the items of their own parity and 1 the
// others. 70% of the pairs are training data, the rest is returned in `held`.
Interactions planted_ratings(std::vector<std::pair<int32_t, int32_t>>& held) {
  const int32_t users = 40, items = 30;
  InteractionsBuilder b;
  for (int32_t u = 0; u < users; ++u) b.users().intern("u" + std::to_string(u));
  for (int32_t i = 0; i < items; ++i) b.items().intern("i" + std::to_string(i));
  Rng rng(4);
  for (int32_t u = 0; u < users; ++u)
    for (int32_t i = 0; i < items; ++i) {
      if (rng.uniform() < 0.7)
        b.add(u, i, u % 2 == i % 2 ? 5.0f : 1.0f);
      else
        held.emplace_back(u, i);
    }
  return b.build({});
}

// The held-out ratings must be predicted far better than by the global mean
// (RMSE about 2).
TEST(AutoRec, PredictsPlantedRatings) {
  std::vector<std::pair<int32_t, int32_t>> held;
  const Interactions train = planted_ratings(held);
  for (const char* name : {"i_autorec", "u_autorec"}) {
    auto m = make_recommender(
        name, {"hidden=20", "epochs=150", "batch_size=8", "learning_rate=0.01", "lambda=0.01"});
    FitContext ctx;
    ctx.threads = 1;
    m->fit(train, ctx);
    const auto& r = dynamic_cast<const RatingPredictor&>(*m);
    double se = 0;
    for (auto [u, i] : held) {
      const double e = r.predict(u, i) - (u % 2 == i % 2 ? 5.0 : 1.0);
      se += e * e;
    }
    EXPECT_LT(std::sqrt(se / static_cast<double>(held.size())), 0.5) << name;
  }
}

TEST(AutoRec, OneThreadIsRepeatable) {
  std::vector<std::pair<int32_t, int32_t>> held;
  const Interactions train = planted_ratings(held);
  auto run = [&] {
    auto m = make_recommender("i_autorec", {"hidden=16", "epochs=3", "batch_size=8"});
    FitContext ctx;
    ctx.threads = 1;
    ctx.seed = 3;
    m->fit(train, ctx);
    std::vector<float> s(30);
    m->score(4, s);
    return s;
  };
  EXPECT_EQ(run(), run());
}

// A column without training ratings has untrained output weights: I-AutoRec predicts a cold
// user the item's training mean, U-AutoRec a cold item the user's.
TEST(AutoRec, ColdColumnsGetTheRowsTrainingMean) {
  const Interactions full =
      generate_synthetic(parse_synthetic_spec("synthetic:users=60,items=40,per_user=10,seed=9"));
  std::vector<int64_t> keep;
  for (int64_t e = 0; e < full.nnz(); ++e)
    if (full.entry_users()[e] != 0 && full.entry_items()[e] != 0) keep.push_back(e);
  const Interactions train = full.subset(keep);
  auto mean_of = [](std::span<const float> v) {
    double s = 0;
    for (float x : v) s += x;
    return static_cast<float>(s / static_cast<double>(v.size()));
  };
  auto i_ar = make_recommender("i_autorec", {"epochs=2", "hidden=8"});
  i_ar->fit(train);
  const auto& ip = dynamic_cast<const RatingPredictor&>(*i_ar);
  for (int32_t i : {3, 17, 39})
    if (train.item_count(i) > 0) {
      EXPECT_NEAR(ip.predict(0, i), mean_of(train.item_values(i)), 1e-5);
    }
  auto u_ar = make_recommender("u_autorec", {"epochs=2", "hidden=8"});
  u_ar->fit(train);
  const auto& up = dynamic_cast<const RatingPredictor&>(*u_ar);
  for (int32_t u : {1, 30, 59})
    if (train.user_count(u) > 0) {
      EXPECT_NEAR(up.predict(u, 0), mean_of(train.user_values(u)), 1e-5);
    }
}

}  // namespace
}  // namespace metarec
