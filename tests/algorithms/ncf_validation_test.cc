// NCF's early stopping: the validation split by hand, its NDCG@10 against hand-computed ranks,
// and that training stops after `patience` epochs without a gain and keeps the best epoch's
// weights (bit for bit those of a run stopped at that epoch).
#include <gtest/gtest.h>
#include <metarec/algorithms/catalog.h>
#include <metarec/algorithms/ncf/ncf.h>
#include <metarec/core/error.h>
#include <metarec/core/rng.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "planted_communities.h"

namespace metarec {
namespace {

// Users 0..2 over 5 items: user 0 has {0}, user 1 {0, 1, 2}, user 2 {0, 1, 2, 3}.
Interactions tiny() {
  InteractionsBuilder b;
  for (int u = 0; u < 3; ++u) b.users().intern("u" + std::to_string(u));
  for (int i = 0; i < 5; ++i) b.items().intern("i" + std::to_string(i));
  b.set_has_values(false);
  const std::vector<std::vector<int32_t>> rows = {{0}, {0, 1, 2}, {0, 1, 2, 3}};
  for (int32_t u = 0; u < 3; ++u)
    for (int32_t i : rows[static_cast<size_t>(u)]) b.add(u, i, 1);
  return b.build({});
}

TEST(NcfValidation, SplitByHand) {
  const Interactions data = tiny();
  const NcfValidationSplit s = ncf_validation_split(data, 2, 11);
  // User 0 has one positive (kept for training); user 2 has one unobserved item, fewer than the
  // 2 negatives. Only user 1 is held out, and its negatives can only be items 3 and 4.
  ASSERT_EQ(s.validation.group, 3);
  ASSERT_EQ(s.validation.users, (std::vector<int32_t>{1, 1, 1}));
  const int32_t held = s.validation.items[0];
  EXPECT_TRUE(held == 0 || held == 1 || held == 2);
  std::vector<int32_t> negs(s.validation.items.begin() + 1, s.validation.items.end());
  std::sort(negs.begin(), negs.end());
  EXPECT_EQ(negs, (std::vector<int32_t>{3, 4}));
  EXPECT_EQ(s.train.nnz(), data.nnz() - 1);
  EXPECT_EQ(s.train.user_count(0), 1);
  EXPECT_EQ(s.train.user_count(1), 2);
  EXPECT_EQ(s.train.user_count(2), 4);
  EXPECT_FALSE(s.train.contains(1, held));
}

TEST(NcfValidation, SplitOfThePlantedCommunities) {
  const auto [train, held] = fixtures::planted_communities(73);
  const NcfValidationSplit s = ncf_validation_split(train, 20, 5);
  ASSERT_EQ(s.validation.users.size(), static_cast<size_t>(60 * 21));
  for (int32_t u = 0; u < 60; ++u) {
    const auto g = static_cast<size_t>(u) * 21;
    EXPECT_EQ(s.validation.users[g], u);
    const int32_t pos = s.validation.items[g];
    EXPECT_TRUE(train.contains(u, pos));
    EXPECT_FALSE(s.train.contains(u, pos));
    EXPECT_EQ(s.train.user_count(u), train.user_count(u) - 1);
    std::vector<int32_t> negs(s.validation.items.begin() + static_cast<int64_t>(g) + 1,
                              s.validation.items.begin() + static_cast<int64_t>(g) + 21);
    for (int32_t i : negs) EXPECT_FALSE(train.contains(u, i)) << "user " << u << " item " << i;
    std::sort(negs.begin(), negs.end());
    EXPECT_EQ(std::unique(negs.begin(), negs.end()), negs.end()) << "user " << u;
  }
  EXPECT_EQ(ncf_validation_split(train, 20, 5).validation.items, s.validation.items);
  EXPECT_NE(ncf_validation_split(train, 20, 6).validation.items, s.validation.items);
}

TEST(NcfValidation, NdcgByHand) {
  // GMF with one factor, a user of embedding 1 and an output weight of 1: the logit of item i
  // is its embedding.
  NcfShape shape;
  shape.variant = NcfVariant::kGmf;
  shape.users = 1;
  shape.items = 5;
  shape.factors = 1;
  Rng rng(3);
  NcfNetwork net(shape, 0.1f, rng);
  net.user_gmf.table.value(0, 0) = 1;
  const float item[] = {0.5f, 0.9f, 0.1f, 0.7f, 0.7f};
  for (int i = 0; i < 5; ++i) net.item_gmf.table.value(i, 0) = item[i];
  net.out_w.value(0, 0) = 1;
  net.out_b.value(0, 0) = 0;
  NcfValidation v;
  v.group = 3;
  v.users = {0, 0, 0, 0, 0, 0, 0, 0, 0};
  // Positive first: 0 behind item 1 (rank 1); 1 ahead of all (rank 0); 3 tied with 4 and
  // behind 1 (a tie counts against the positive: rank 2).
  v.items = {0, 1, 2, 1, 0, 2, 3, 4, 1};
  const double r1 = 1 / std::log2(3.0), r0 = 1, r2 = 1 / std::log2(4.0);
  EXPECT_NEAR(v.ndcg(net, 10, 1), (r1 + r0 + r2) / 3, 1e-12);
  EXPECT_NEAR(v.ndcg(net, 2, 2), (r1 + r0) / 3, 1e-12);
  EXPECT_NEAR(v.ndcg(net, 1, 1), r0 / 3, 1e-12);
  // A diverged model's NaN scores rank nothing.
  net.user_gmf.table.value(0, 0) = std::nanf("");
  EXPECT_EQ(v.ndcg(net, 10, 1), 0);
}

// A GMF on the planted communities with a validation split, trained on one thread.
struct GmfOnCommunities {
  fixtures::PlantedCommunities data = fixtures::planted_communities(73);
  NcfValidationSplit split = ncf_validation_split(data.train, 20, 5);
  NcfTraining cfg;
  FitContext ctx;
  Rng rng{9};
  NcfNetwork net{shape(), 0.01f, rng};

  GmfOnCommunities() {
    cfg.learning_rate = 0.02f;
    cfg.batch = 64;
    ctx.threads = 1;
  }
  NcfShape shape() const {
    NcfShape s;
    s.variant = NcfVariant::kGmf;
    s.users = data.train.num_users();
    s.items = data.train.num_items();
    return s;
  }
};

TEST(NcfValidation, StopsAfterPatienceAndKeepsTheBestEpoch) {
  GmfOnCommunities g;
  g.cfg.epochs = 60;
  const NcfNetwork start = g.net;
  const int patience = 3;
  const NcfEarlyStop r = train_ncf_early_stopping(g.net, g.split.train, g.split.validation,
                                                  patience, g.cfg, g.ctx, 17);
  // The problem is learned well before 60 epochs, and the validation NDCG then stops rising.
  ASSERT_LT(r.epochs, g.cfg.epochs);
  EXPECT_EQ(r.epochs - r.best_epoch, patience);
  EXPECT_GT(r.best, 0.5);
  EXPECT_DOUBLE_EQ(g.split.validation.ndcg(g.net, 10, 1), r.best);
  // The kept weights are those of a run of exactly best_epoch epochs (one thread: repeatable).
  NcfNetwork again = start;
  NcfTraining short_cfg = g.cfg;
  short_cfg.epochs = r.best_epoch;
  train_ncf(again, g.split.train, short_cfg, g.ctx, 17);
  EXPECT_EQ(again.user_gmf.table.value, g.net.user_gmf.table.value);
  EXPECT_EQ(again.item_gmf.table.value, g.net.item_gmf.table.value);
  EXPECT_EQ(again.out_w.value, g.net.out_w.value);
}

// The starting weights are measured too: a run that only makes them worse gives them back, as
// when fine-tuning a pretrained NeuMF hurts.
TEST(NcfValidation, KeepsTheStartingWeightsWhenTrainingOnlyHurts) {
  GmfOnCommunities g;
  g.cfg.epochs = 20;
  train_ncf(g.net, g.split.train, g.cfg, g.ctx, 17);
  const NcfNetwork trained = g.net;
  NcfTraining wild = g.cfg;
  wild.sgd = true;
  wild.learning_rate = 50;
  const NcfEarlyStop r =
      train_ncf_early_stopping(g.net, g.split.train, g.split.validation, 2, wild, g.ctx, 18);
  EXPECT_EQ(r.best_epoch, 0);
  EXPECT_EQ(r.epochs, 2);
  EXPECT_EQ(g.net.user_gmf.table.value, trained.user_gmf.table.value);
  EXPECT_EQ(g.net.out_w.value, trained.out_w.value);
}

TEST(NcfValidation, CatalogModelsTrainWithEarlyStopping) {
  // 200 items in 10 communities of 20: every user has the 99 unobserved items a validation
  // positive needs, and most of them are another community's.
  const auto [train, held] = fixtures::planted_communities(73, false, 200, 10);
  for (const char* name : {"gmf", "neumf"}) {
    auto m = fixtures::fit_catalog_model(
        name, {"epochs=40", "learning_rate=0.01", "early_stopping=3"}, train, 1);
    // A random model's recall is about 8 / 188 here (0.04); a perfect one's 1.
    EXPECT_GT(fixtures::community_recall(*m, held), 0.8) << name;
    // Every stage (GMF, MLP and the fine-tuning for the pretrained NeuMF) stopped on its own,
    // `patience` epochs after the epoch it kept.
    const auto& stages = dynamic_cast<const Ncf&>(*m).early_stops();
    ASSERT_EQ(stages.size(), std::string(name) == "neumf" ? 3u : 1u) << name;
    for (const NcfEarlyStop& s : stages) {
      EXPECT_LT(s.epochs, 40) << name;
      EXPECT_EQ(s.epochs, s.best_epoch + 3) << name;
    }
  }
}

TEST(NcfValidation, EarlyStoppingWithoutValidationUsersIsAnError) {
  // 40 items: no user has 99 unobserved items to rank a held-out positive against.
  const Interactions data = fixtures::planted_communities(5).train;
  auto m = make_recommender("gmf", {"epochs=2", "early_stopping=2"});
  try {
    m->fit(data, FitContext{});
    FAIL() << "expected InvalidArgument";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("early_stopping"), std::string::npos) << e.what();
  }
  // Without early stopping the same data trains.
  make_recommender("gmf", {"epochs=2"})->fit(data, FitContext{});
}

}  // namespace
}  // namespace metarec
