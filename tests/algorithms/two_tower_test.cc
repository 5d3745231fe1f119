// Two-tower model: the full backward pass (both towers with id, bag, history and dense-vector
// blocks, L2 normalization, in-batch softmax with a repeated item and logQ, rating head) against
// central finite differences on a tiny instance; repeatability, re-ranking, save/load with the
// rating head and fold-in of the catalog model.
#include <gtest/gtest.h>
#include <metarec/algorithms/catalog.h>
#include <metarec/algorithms/two_tower/two_tower.h>
#include <metarec/algorithms/two_tower/two_tower_network.h>
#include <metarec/data/synthetic.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>

#include "model_fixtures.h"

namespace metarec {
namespace {

IdBags bags(std::vector<std::vector<int32_t>> rows, int32_t vocabulary) {
  IdBags b;
  for (auto& r : rows) {
    for (int32_t id : r) b.ids.push_back(id);
    b.ptr.push_back(static_cast<int64_t>(b.ids.size()));
  }
  b.vocabulary = vocabulary;
  return b;
}

TEST(TwoTowerNetwork, BackwardMatchesFiniteDifferences) {
  TwoTowerShape s;
  s.users = 4;
  s.items = 5;
  s.embedding = 3;
  s.hidden = 4;
  s.layers = 2;
  s.output = 3;
  s.attribute_vocabulary = 2;
  s.genre_vocabulary = 3;
  s.token_vocabulary = 2;
  s.vector_dim = 2;
  s.history = true;
  s.rating_head = true;
  TwoTowerFeatures f;
  f.user_attributes = bags({{0}, {1}, {0, 1}, {}}, 2);
  f.history = bags({{1, 2}, {0, 2, 4}, {3}, {1, 2, 3}}, 5);
  f.item_genres = bags({{0}, {1, 2}, {}, {0, 2}, {1}}, 3);
  f.item_tokens = bags({{1}, {}, {0, 1}, {0}, {1}}, 2);
  f.item_vectors = {0.5f, -1, 0, 0, 1, 2, -0.5f, 0.25f, 2, -1};
  Rng rng(3);
  TwoTowerNetwork net(s, rng);
  // Larger random embeddings than the default so every block matters.
  for (nn::Embedding* e :
       {&net.user_id, &net.attribute, &net.history_item, &net.item_id, &net.genre, &net.token})
    for (Eigen::Index k = 0; k < e->table.value.size(); ++k)
      e->table.value.data()[k] = static_cast<float>(rng.uniform() * 2 - 1);
  // Non-zero biases too: with zero biases an example whose ReLUs are all off has a zero-length
  // output, where the normalization (and so the check) is undefined.
  for (nn::Parameter* p : net.dense_parameters())
    if (p->value.rows() == 1)
      for (Eigen::Index k = 0; k < p->value.size(); ++k)
        p->value.data()[k] = static_cast<float>(rng.uniform() - 0.5);
  TwoTowerBatch b;
  b.users = {0, 1, 2, 3, 1};
  b.items = {2, 4, 3, 2, 0};  // item 2 twice: masked as each other's negative
  b.ratings = {0.5f, -1.0f, 1.5f, 0.0f, -0.5f};
  b.log_q = {-1.0f, -2.0f, -1.5f, -1.0f, -2.5f};
  TwoTowerLoss loss;
  loss.temperature = 0.5f;
  loss.rating_weight = 0.7f;

  auto pass = net.new_pass();
  for (auto* p : net.dense_parameters()) p->zero_grad();
  net.forward(f, b, loss, pass);
  // The check is only well conditioned when no tower output is near zero length (the
  // normalization's derivative grows as 1 / |y|).
  EXPECT_GT(pass.nu.minCoeff(), 0.05f);
  EXPECT_GT(pass.ni.minCoeff(), 0.05f);
  net.backward(f, b, loss, pass);
  net.user_tower.add_gradients(pass.user);
  net.item_tower.add_gradients(pass.item);
  net.head.add_gradients(pass.head);

  std::vector<std::pair<nn::Parameter*, nn::Matrix>> checks;
  for (auto* p : net.dense_parameters()) checks.push_back({p, p->grad});
  checks.push_back({&net.user_id.table, pass.d_user_id.to_dense(4)});
  checks.push_back({&net.attribute.table, pass.d_attr.to_dense(2)});
  checks.push_back({&net.history_item.table, pass.d_hist.to_dense(5)});
  checks.push_back({&net.item_id.table, pass.d_item_id.to_dense(5)});
  checks.push_back({&net.genre.table, pass.d_genre.to_dense(3)});
  checks.push_back({&net.token.table, pass.d_token.to_dense(2)});
  int checked = 0;
  for (auto& [param, grad] : checks) {
    ASSERT_EQ(grad.rows(), param->value.rows());
    ASSERT_EQ(grad.cols(), param->value.cols());
    for (Eigen::Index k = 0; k < param->value.size(); ++k) {
      float& v = param->value.data()[k];
      const float keep = v;
      const float h = 1e-3f;
      auto probe = net.new_pass();
      v = keep + h;
      const double up = net.forward(f, b, loss, probe);
      v = keep - h;
      const double down = net.forward(f, b, loss, probe);
      v = keep;
      const double fd = (up - down) / (2.0 * h);
      EXPECT_NEAR(grad.data()[k], fd, 2e-3 + 2e-2 * std::abs(fd)) << param->name << " entry " << k;
      ++checked;
    }
  }
  EXPECT_GT(checked, 150);
  EXPECT_GT(pass.retrieval_loss, 0);
  EXPECT_GT(pass.rating_loss, 0);
}

const Interactions& planted() {
  static const Interactions d = generate_synthetic(
      parse_synthetic_spec("synthetic:users=120,items=80,per_user=15,factors=3,seed=5"));
  return d;
}

std::vector<float> scores_of(const Recommender& m, int32_t u) {
  std::vector<float> s(static_cast<size_t>(m.num_items()));
  m.score(u, s);
  return s;
}

TEST(TwoTower, OneThreadFixedSeedIsRepeatableWithTheRatingHead) {
  FitContext ctx;
  ctx.threads = 1;
  ctx.seed = 11;
  const std::vector<std::string> p = {"epochs=3", "rating_weight=0.5", "candidates=20"};
  auto a = make_recommender("two_tower", p);
  auto b = make_recommender("two_tower", p);
  a->fit(planted(), ctx);
  b->fit(planted(), ctx);
  for (int32_t u = 0; u < 120; u += 7) EXPECT_EQ(scores_of(*a, u), scores_of(*b, u));
  // The 20 re-ranked candidates score in [3, 4], above every other item's cosine.
  const auto s = scores_of(*a, 0);
  int above = 0;
  for (float x : s) {
    above += x >= 3.0f;
    EXPECT_LE(x, 4.0f);
  }
  EXPECT_EQ(above, 20);
}

// The contract test saves and loads the default model (no head); here the head and the
// re-ranking go through the file too.
TEST(TwoTower, SaveLoadWithTheRatingHeadReproducesScores) {
  FitContext ctx;
  ctx.threads = 1;
  auto m = make_recommender("two_tower", {"epochs=1", "rating_weight=0.5", "candidates=15"});
  m->fit(planted(), ctx);
  auto loaded = fixtures::saved_and_loaded(*m);
  for (int32_t u = 0; u < 120; u += 13) EXPECT_EQ(scores_of(*loaded, u), scores_of(*m, u));
  std::vector<float> a(80), b(80);
  const auto items = m->seen_items(4);
  dynamic_cast<const FoldIn&>(*m).score_new_user(items, {}, a);
  dynamic_cast<const FoldIn&>(*loaded).score_new_user(items, {}, b);
  EXPECT_EQ(a, b);
}

// A folded-in user's own items are never among the re-ranked candidates, and an unknown user
// index is scored as a fold-in user without items.
TEST(TwoTower, FoldInKeepsTheUsersItemsOutOfTheCandidates) {
  FitContext ctx;
  ctx.threads = 1;
  auto m = make_recommender("two_tower", {"epochs=2", "rating_weight=0.5", "candidates=10"});
  m->fit(planted(), ctx);
  const auto& fold = dynamic_cast<const FoldIn&>(*m);
  const auto items = m->seen_items(3);
  ASSERT_GE(items.size(), 3u);
  std::vector<float> a(80), b(80);
  fold.score_new_user(items, {}, a);
  int above = 0;
  for (float x : a) above += x >= 3.0f;
  EXPECT_EQ(above, 10);
  for (int32_t i : items) EXPECT_LT(a[i], 3.0f) << "item " << i;
  fold.score_new_user({}, {}, a);
  m->score(m->num_users() + 5, b);
  EXPECT_EQ(a, b);
}

}  // namespace
}  // namespace metarec
