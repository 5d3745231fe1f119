// CDAE's own maths: the full backward pass (sparse input, user node, sampled
// logistic outputs, L2 terms) against finite differences with a fixed
// corruption mask and fixed negatives, the loss against a hand value, the
// planted two-community problem, fold-in, one-thread repeatability and
// save/load.
#include <gtest/gtest.h>
#include <metarec/algorithms/autoencoder/cdae.h>
#include <metarec/algorithms/catalog.h>
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

// Appends one row of a batch by hand: the surviving inputs (each 1 / (1 - q)
// with q = 0.2) and the sampled outputs with their labels.
void add_row(SparseRows& in, SparseRows& target, const std::vector<int32_t>& kept,
             const std::vector<std::pair<int32_t, float>>& outputs) {
  for (int32_t i : kept) {
    in.index.push_back(i);
    in.value.push_back(1.25f);
  }
  in.ptr.push_back(static_cast<int64_t>(in.index.size()));
  for (auto [j, y] : outputs) {
    target.index.push_back(j);
    target.value.push_back(y);
  }
  target.ptr.push_back(static_cast<int64_t>(target.index.size()));
}

TEST(Cdae, FullBackwardPassMatchesFiniteDifferences) {
  CdaeShape s;
  s.items = 7;
  s.users = 4;
  s.hidden = 5;
  Rng rng(31);
  CdaeNetwork net(s, rng);
  // V starts at zero and the biases near zero: give every parameter values
  // that exercise all terms.
  for (auto* p : net.parameters())
    p->value = random_matrix(p->value.rows(), p->value.cols(), rng, 0.5);
  SparseRows in, target;
  // User 2 has items {0, 2, 5}, item 2 dropped; negatives 1, 6, 1 (repeated).
  add_row(in, target, {0, 5}, {{0, 1}, {2, 1}, {5, 1}, {1, 0}, {6, 0}, {1, 0}});
  // User 0 has items {3, 4}, nothing dropped; negatives 2, 6.
  add_row(in, target, {3, 4}, {{3, 1}, {4, 1}, {2, 0}, {6, 0}});
  // No user node (a folded-in row), its only item dropped; negative 5.
  add_row(in, target, {}, {{1, 1}, {5, 0}});
  // User 2 again (its node's gradient and penalty are summed over both rows).
  add_row(in, target, {2}, {{2, 1}, {3, 0}});
  const std::vector<int32_t> users = {2, 0, -1, 2};
  const float l2 = 0.05f;
  for (auto* p : net.parameters()) p->zero_grad();
  net.loss(in, users, target, l2, true, 1);
  std::vector<Matrix> analytic;
  for (auto* p : net.parameters()) analytic.push_back(p->grad);
  auto loss = [&] { return net.loss(in, users, target, l2, false, 1); };
  auto params = net.parameters();
  for (size_t k = 0; k < params.size(); ++k)
    expect_gradient(params[k]->value, analytic[k], loss, "cdae " + params[k]->name);
  // Users 1 and 3 are not in the batch: no gradient at all.
  EXPECT_EQ(analytic[1].row(1).squaredNorm(), 0.0f);
  EXPECT_EQ(analytic[1].row(3).squaredNorm(), 0.0f);
}

// With W, W' and V zero, h = sigmoid(b) and o_j = b'_j: the loss of one row by
// hand.
TEST(Cdae, LossMatchesHandValue) {
  CdaeShape s;
  s.items = 3;
  s.users = 1;
  s.hidden = 2;
  Rng rng(3);
  CdaeNetwork net(s, rng);
  for (auto* p : net.parameters()) p->value.setZero();
  net.b_out.value << 0.5f, -1.0f, 2.0f;
  net.v.value << 1.0f, 2.0f;  // contributes only through the penalty: W' = 0
  SparseRows in, target;
  add_row(in, target, {0}, {{0, 1}, {2, 0}});
  const std::vector<int32_t> users = {0};
  // -log sigmoid(0.5) - log(1 - sigmoid(2)) + l2 |V_0|^2 = log(1 + e^-0.5) +
  // log(1 + e^2) + 0.1 * 5.
  const double expected = std::log1p(std::exp(-0.5)) + std::log1p(std::exp(2.0)) + 0.1 * 5;
  EXPECT_NEAR(net.loss(in, users, target, 0.1f, false, 1), expected, 1e-6);
}

TEST(Cdae, LearnsTwoCommunities) {
  const auto [train, held] = fixtures::planted_communities(73);
  auto m =
      make_recommender("cdae", {"epochs=40", "hidden=16", "batch_size=10", "learning_rate=0.02"});
  FitContext ctx;
  ctx.threads = 1;
  m->fit(train, ctx);
  // Random scores give 0.5.
  EXPECT_GT(fixtures::held_out_auc(*m, held), 0.95);
}

std::vector<float> fit_and_score(int threads) {
  const auto [train, held] = fixtures::planted_communities(73);
  auto m = make_recommender("cdae", {"epochs=3", "hidden=8", "batch_size=16"});
  FitContext ctx;
  ctx.threads = threads;
  ctx.seed = 9;
  m->fit(train, ctx);
  std::vector<float> s(static_cast<size_t>(m->num_items()) * 3);
  for (int32_t u = 0; u < 3; ++u)
    m->score(u, std::span<float>(s.data() + u * m->num_items(), m->num_items()));
  return s;
}

TEST(Cdae, OneThreadIsRepeatable) {
  const auto a = fit_and_score(1);
  EXPECT_EQ(a, fit_and_score(1));
  // The gradient does not depend on the thread count, so neither does the
  // model.
  EXPECT_EQ(a, fit_and_score(2));
}

TEST(Cdae, SaveLoadGivesIdenticalScoresAndFoldIn) {
  const auto [train, held] = fixtures::planted_communities(73);
  auto m = make_recommender("cdae", {"epochs=3", "hidden=8"});
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

// Fold-in scores the user's items with V_u = 0: a known user's fold-in differs
// from their own scores only through their trained node.
TEST(Cdae, FoldInUsesNoUserNode) {
  const auto [train, held] = fixtures::planted_communities(73);
  auto m = make_recommender("cdae", {"epochs=3", "hidden=8"});
  m->fit(train);
  const auto& net = dynamic_cast<const Cdae&>(*m).network();
  std::vector<float> known(40), folded(40), by_hand(40);
  m->score(5, known);
  dynamic_cast<const FoldIn&>(*m).score_new_user(train.user_items(5), train.user_values(5), folded);
  EXPECT_NE(known, folded);  // V_5 was trained
  // Independently: the logits from h = sigmoid(b + sum of W's rows).
  nn::RowVector h = net.b.value.row(0);
  for (int32_t i : train.user_items(5)) h += net.w.value.row(i);
  h = (1.0f + (-h.array()).exp()).inverse();
  for (int32_t j = 0; j < 40; ++j)
    EXPECT_NEAR(folded[j], net.w_out.value.row(j).dot(h) + net.b_out.value(0, j), 1e-5) << j;
}

}  // namespace
}  // namespace metarec
