// SVAE's own maths: the network's full backward pass (next-k multinomial likelihood, KL term,
// reparameterization with fixed noise, dropout with a fixed mask, the GRU through time and the
// embedding rows) against finite differences, the loss against a hand value, the order of
// histories, planted sequences where item i is always followed by item i + 1, planted untimed
// sets, repeatability and save/load.
#include <gtest/gtest.h>
#include <metarec/algorithms/autoencoder/svae.h>
#include <metarec/algorithms/catalog.h>
#include <metarec/core/error.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "../nn/gradient_check.h"
#include "model_fixtures.h"

namespace metarec {
namespace {

using nn::Matrix;
using testing_nn::expect_gradient;
using testing_nn::random_matrix;

SvaeShape tiny_shape() {
  SvaeShape s;
  s.items = 7;
  s.embedding = 4;
  s.rnn = 5;
  s.hidden = 6;
  s.latent = 3;
  return s;
}

TEST(Svae, FullBackwardPassMatchesFiniteDifferences) {
  Rng rng(11);
  SvaeNetwork net(tiny_shape(), rng);
  // Larger biases than the zero init, so every term of the gradient is exercised.
  for (auto* p : net.parameters())
    if (p->value.rows() == 1)
      p->value = random_matrix(1, static_cast<int>(p->value.cols()), rng, 0.3);
  // Item 2 is an input twice: its embedding row gets the sum of two steps' gradients.
  const std::vector<int32_t> seq = {3, 2, 5, 2, 6, 0};
  const std::span<const int32_t> inputs(seq.data(), seq.size() - 1);
  SvaeNetwork::Pass pass = net.new_pass();
  pass.eps = random_matrix(5, 3, rng);
  pass.mask = Matrix::Constant(5, 4, 2.0f);  // dropout 0.5 with a fixed mask
  pass.mask(1, 2) = pass.mask(3, 0) = pass.mask(4, 3) = 0.0f;
  const int k = 2;
  const float beta = 0.7f, scale = 0.4f;
  for (auto* p : net.parameters()) p->zero_grad();
  net.forward(inputs, pass);
  net.loss(seq, k, beta, scale, pass, true);
  net.add_gradients(pass);
  std::vector<Matrix> analytic;
  analytic.push_back(net.embedding.backward(inputs, pass.d_emb).to_dense(7));
  for (auto* p : net.dense_parameters()) analytic.push_back(p->grad);
  auto loss = [&] {
    SvaeNetwork::Pass q = net.new_pass();
    q.eps = pass.eps;
    q.mask = pass.mask;
    net.forward(inputs, q);
    return net.loss(seq, k, beta, scale, q, false);
  };
  auto params = net.parameters();
  ASSERT_EQ(params.size(), analytic.size());
  for (size_t j = 0; j < params.size(); ++j)
    expect_gradient(params[j]->value, analytic[j], loss, params[j]->name);
}

// With the decoder's output layer zero, every step's softmax is uniform over the 7 items; with
// the encoder's output weights zero, mu and logvar are its bias halves.
TEST(Svae, LossMatchesHandValue) {
  Rng rng(12);
  SvaeNetwork net(tiny_shape(), rng);
  net.out_w.value.setZero();
  net.out_b.value.setZero();
  net.encoder.weight(1).value.setZero();
  net.encoder.bias(1).value << 0.5f, -1.0f, 0.0f, 0.2f, 0.0f, -0.4f;  // mu, then logvar
  const std::vector<int32_t> seq = {1, 4, 0, 6};
  SvaeNetwork::Pass pass = net.new_pass();
  net.forward(std::span<const int32_t>(seq.data(), 3), pass);
  // k = 2: the steps have 2, 2 and 1 targets, each costing log 7.
  const double nll = 5 * std::log(7.0);
  double kl = 0;
  const double mu[] = {0.5, -1.0, 0.0}, lv[] = {0.2, 0.0, -0.4};
  for (int j = 0; j < 3; ++j) kl += 0.5 * (std::exp(lv[j]) + mu[j] * mu[j] - 1 - lv[j]);
  EXPECT_NEAR(net.loss(seq, 2, 0.3f, 0.25f, pass, false), 0.25 * (nll + 0.3 * 3 * kl), 1e-5);
  EXPECT_THROW(net.loss(seq, 0, 0.3f, 1.0f, pass, false), InvalidArgument);
  EXPECT_THROW(net.loss(std::vector<int32_t>{1, 4, 0}, 2, 0.3f, 1.0f, pass, false),
               InvalidArgument);
}

TEST(Svae, HistoriesAreInTimeOrderOrInAFixedCatalogueOrder) {
  const std::vector<int32_t> items = {0, 1, 3, 4};
  bool timed = false;
  // Times make the order 3, 0, then 1 and 4, which tie (the given order puts 1 first).
  EXPECT_EQ(Svae::in_time_order(items, std::vector<int64_t>{20, 30, 10, 30}, &timed),
            (std::vector<int32_t>{3, 0, 1, 4}));
  EXPECT_TRUE(timed);
  // No times, or all equal: untimed, as given.
  EXPECT_EQ(Svae::in_time_order(items, {}, &timed), items);
  EXPECT_FALSE(timed);
  EXPECT_EQ(Svae::in_time_order(items, std::vector<int64_t>{5, 5, 5, 5}, &timed), items);
  EXPECT_FALSE(timed);
  EXPECT_THROW(Svae::in_time_order(items, std::vector<int64_t>{1, 2}), InvalidArgument);
  // The catalogue order is a permutation that does not depend on the order given, and is not
  // the index order for the first 50 items.
  std::vector<int32_t> all(50);
  for (int32_t i = 0; i < 50; ++i) all[static_cast<size_t>(i)] = i;
  const auto a = Svae::in_catalogue_order(all);
  std::vector<int32_t> reversed(all.rbegin(), all.rend());
  EXPECT_EQ(Svae::in_catalogue_order(reversed), a);
  EXPECT_TRUE(std::is_permutation(a.begin(), a.end(), all.begin()));
  EXPECT_NE(a, all);
}

// 300 users over 20 items: user u's items are a chain s, s + 1, ... (mod 20) of 3 to 8 items in
// time order, starting at a random s. The item after a history is fixed by its last item only;
// sorted by index, wrapped chains (18, 19, 0) end elsewhere.
Interactions planted_chains() {
  InteractionsBuilder b;
  b.set_has_timestamps(true);
  for (int i = 0; i < 20; ++i) b.items().intern("i" + std::to_string(i));
  Rng rng(21);
  for (int u = 0; u < 300; ++u) {
    b.users().intern("u" + std::to_string(u));
    const int start = static_cast<int>(rng.uniform_int(20));
    const int length = 3 + static_cast<int>(rng.uniform_int(6));
    for (int j = 0; j < length; ++j) b.add(u, (start + j) % 20, 1, 1000 * u + j);
  }
  InteractionsBuilder::Options o;
  o.feedback = "implicit";
  return b.build(o);
}

std::vector<std::string> small_params(int epochs, int next_k) {
  return {"embedding=16",
          "rnn=32",
          "hidden=32",
          "latent=8",
          "learning_rate=0.01",
          "batch_size=16",
          "next_k=" + std::to_string(next_k),
          "epochs=" + std::to_string(epochs)};
}

FitContext one_thread() {
  FitContext ctx;
  ctx.threads = 1;
  return ctx;
}

std::vector<float> scores_of(const Recommender& m, int32_t u) {
  std::vector<float> s(static_cast<size_t>(m.num_items()));
  m.score(u, s);
  return s;
}

TEST(Svae, PlantedSequencesPredictTheNextItem) {
  const Interactions d = planted_chains();
  auto m = make_recommender("svae", small_params(40, 1));
  m->fit(d, one_thread());
  // Every training user: the best unseen item follows the last item of their chain.
  int right = 0;
  for (int32_t u = 0; u < d.num_users(); ++u) {
    const auto h = Svae::in_time_order(d.user_items(u), d.user_times(u));
    const auto top = recommend(*m, u, 1);
    ASSERT_EQ(top.size(), 1u);
    right += top[0].item == (h.back() + 1) % 20;
  }
  EXPECT_GE(right, 297) << right << " of 300";
  // New users, folded in with times in an order other than the items' (wrapped chains
  // included): the top item follows the last one in time.
  const auto* folder = dynamic_cast<const HistoryFoldIn*>(m.get());
  ASSERT_NE(folder, nullptr);
  std::vector<float> s(20);
  for (int32_t last = 0; last < 20; ++last) {
    const std::vector<int32_t> items = {last, (last + 18) % 20, (last + 19) % 20};
    const std::vector<int64_t> times = {7, 5, 6};
    folder->score_new_history(items, {}, times, s);
    for (int32_t i : items) s[static_cast<size_t>(i)] = -INFINITY;
    EXPECT_EQ(std::max_element(s.begin(), s.end()) - s.begin(), (last + 1) % 20)
        << "history ending in " << last;
  }
}

// No timestamps: 200 users, each with 5 of the 10 items of one of 4 groups of 40 items.
Interactions planted_groups() {
  InteractionsBuilder b;
  for (int i = 0; i < 40; ++i) b.items().intern("i" + std::to_string(i));
  Rng rng(22);
  for (int u = 0; u < 200; ++u) {
    b.users().intern("u" + std::to_string(u));
    std::vector<int> group(10);
    for (int j = 0; j < 10; ++j) group[static_cast<size_t>(j)] = 10 * (u % 4) + j;
    for (int j = 0; j < 5; ++j) {
      std::swap(group[static_cast<size_t>(j)], group[j + rng.uniform_int(10 - j)]);
      b.add(u, group[static_cast<size_t>(j)], 1);
    }
  }
  InteractionsBuilder::Options o;
  o.feedback = "implicit";
  return b.build(o);
}

TEST(Svae, UntimedHistoriesAreSetsAndLearnTheirGroup) {
  const Interactions d = planted_groups();
  auto m = make_recommender("svae", small_params(15, 2));
  m->fit(d, one_thread());
  int right = 0;
  for (int32_t u = 0; u < d.num_users(); ++u) {
    const auto top = recommend(*m, u, 3);
    for (const auto& t : top) right += t.item / 10 == u % 4;
  }
  EXPECT_GE(right, 0.95 * 3 * d.num_users()) << right << " of " << 3 * d.num_users();
  // Untimed fold-in: any order of the items gives the training user's scores.
  const auto* folder = dynamic_cast<const FoldIn*>(m.get());
  ASSERT_NE(folder, nullptr);
  std::vector<float> s(40);
  for (int32_t u : {0, 5, 77}) {
    std::vector<int32_t> items(d.user_items(u).begin(), d.user_items(u).end());
    std::reverse(items.begin(), items.end());
    folder->score_new_user(items, {}, s);
    EXPECT_EQ(s, scores_of(*m, u)) << "user " << u;
  }
}

TEST(Svae, ShuffledOrderIgnoresTimestamps) {
  const Interactions d = planted_chains();
  std::vector<std::string> p = small_params(2, 2);
  p.push_back("order=shuffled");
  auto m = make_recommender("svae", p);
  m->fit(d, one_thread());
  const auto* svae = dynamic_cast<const Svae*>(m.get());
  ASSERT_NE(svae, nullptr);
  const std::vector<int32_t> items = {4, 5, 6, 7};
  std::vector<float> a(20), b(20), c(20);
  svae->score_new_history(items, {}, std::vector<int64_t>{1, 2, 3, 4}, a);
  svae->score_new_history(items, {}, std::vector<int64_t>{4, 3, 2, 1}, b);
  svae->score_new_user(items, {}, c);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a, c);
  // The training users are scored as their fold-in without times.
  for (int32_t u : {3, 30}) {
    svae->score_new_user(d.user_items(u), {}, a);
    EXPECT_EQ(a, scores_of(*m, u));
  }
  EXPECT_THROW(svae->score_new_history(items, {}, std::vector<int64_t>{1, 2}, a), InvalidArgument);
}

TEST(Svae, FoldInOfATrainingHistoryEqualsItsScoresAndSaveLoadKeepsThem) {
  const Interactions d = planted_chains();
  std::vector<std::string> p = small_params(3, 1);
  p.push_back("dropout=0.2");
  p.push_back("max_length=5");  // some chains are cut to their latest 5 items
  auto m = make_recommender("svae", p);
  m->fit(d, one_thread());
  const auto* svae = dynamic_cast<const Svae*>(m.get());
  ASSERT_NE(svae, nullptr);
  std::vector<float> s(20);
  for (int32_t u = 0; u < d.num_users(); u += 7) {
    svae->score_new_history(d.user_items(u), {}, d.user_times(u), s);
    EXPECT_EQ(s, scores_of(*m, u)) << "user " << u;
  }
  auto back = fixtures::saved_and_loaded(*m);
  for (int32_t u = 0; u < d.num_users(); u += 13) EXPECT_EQ(scores_of(*back, u), scores_of(*m, u));
  EXPECT_EQ(scores_of(*back, -1), scores_of(*m, -1));  // a cold user: the zero state
}

TEST(Svae, RepeatableWithOneThreadAndCloseWithTwo) {
  const Interactions d = planted_chains();
  auto fit = [&](int threads) {
    auto m = make_recommender("svae", small_params(2, 2));
    FitContext ctx;
    ctx.seed = 5;
    ctx.threads = threads;
    m->fit(d, ctx);
    return m;
  };
  auto a = fit(1), b = fit(1), c = fit(2);
  for (int32_t u = 0; u < d.num_users(); u += 17) {
    const auto sa = scores_of(*a, u);
    EXPECT_EQ(sa, scores_of(*b, u));
    const auto sc = scores_of(*c, u);
    for (size_t i = 0; i < sa.size(); ++i) EXPECT_NEAR(sa[i], sc[i], 1e-3) << "user " << u;
  }
}

}  // namespace
}  // namespace metarec
