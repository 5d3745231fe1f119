// Early stopping of the fold-in autoencoders: the held-out users of the validation split, their
// NDCG@k against hand-computed values, and Mult-VAE / Mult-DAE training with it.
#include <gtest/gtest.h>
#include <metarec/algorithms/autoencoder/mult_vae.h>
#include <metarec/algorithms/catalog.h>
#include <metarec/algorithms/common/fold_in_validation.h>
#include <metarec/core/error.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "planted_communities.h"

namespace metarec {
namespace {

TEST(FoldInValidation, HoldsOutWholeUsersCutIntoInputAndTargets) {
  const auto [train, held] = fixtures::planted_communities(73);
  const FoldInValidation v = fold_in_validation(train, 6, 3);
  ASSERT_EQ(v.users.size(), 6u);
  int64_t kept = 0;
  for (int32_t u = 0; u < train.num_users(); ++u) {
    const bool out = std::find(v.users.begin(), v.users.end(), u) != v.users.end();
    if (!out) {
      EXPECT_EQ(v.train.user_count(u), train.user_count(u)) << "user " << u;
      kept += train.user_count(u);
      continue;
    }
    EXPECT_EQ(v.train.user_count(u), 0) << "user " << u;
    // 12 items: floor(0.2 * 12) = 2 targets, 10 input items, together the user's items.
    EXPECT_EQ(v.target.user_count(u), 2);
    EXPECT_EQ(v.input.user_count(u), 10);
    std::vector<int32_t> all(v.input.user_items(u).begin(), v.input.user_items(u).end());
    all.insert(all.end(), v.target.user_items(u).begin(), v.target.user_items(u).end());
    std::sort(all.begin(), all.end());
    const auto own = train.user_items(u);
    EXPECT_EQ(all, std::vector<int32_t>(own.begin(), own.end())) << "user " << u;
  }
  EXPECT_EQ(v.train.nnz(), kept);
  EXPECT_EQ(fold_in_validation(train, 6, 3).users, v.users);
  EXPECT_THROW(fold_in_validation(train, 60, 3), InvalidArgument);
}

TEST(FoldInValidation, NdcgByHand) {
  // One user over 8 items: input {0, 1}, targets {2, 5}.
  auto build = [](const std::vector<int32_t>& items) {
    InteractionsBuilder b;
    b.users().intern("u");
    for (int i = 0; i < 8; ++i) b.items().intern("i" + std::to_string(i));
    b.set_has_values(false);
    for (int32_t i : items) b.add(0, i, 1);
    return b.build({});
  };
  FoldInValidation v;
  v.input = build({0, 1});
  v.target = build({2, 5});
  v.users = {0};
  // Item i scores -i whatever the input: without the input items the ranking is 2, 3, 4, 5, ...
  const FoldInValidation::ScoreFn score = [](std::span<const int32_t>, std::span<float> out) {
    for (size_t i = 0; i < out.size(); ++i) out[i] = -static_cast<float>(i);
  };
  // Targets at ranks 0 and 3; the ideal list has them at ranks 0 and 1.
  EXPECT_NEAR(v.ndcg(score, 10, 1), (1 + 1 / std::log2(5.0)) / (1 + 1 / std::log2(3.0)), 1e-12);
  EXPECT_NEAR(v.ndcg(score, 2, 2), 1 / (1 + 1 / std::log2(3.0)), 1e-12);
}

// The stop hook: a Mult-DAE run of 10 epochs told to stop after its third is bit for bit a run
// of 3 epochs (one thread; the DAE has no annealing that depends on the planned length).
TEST(FoldInValidation, TrainingStopsWhenTheHookSaysSo) {
  const auto [train, held] = fixtures::planted_communities(73);
  MultVaeShape shape;
  shape.items = train.num_items();
  shape.hidden = 16;
  shape.latent = 4;
  shape.variational = false;
  auto run = [&](int epochs, int stop_after) {
    Rng rng(5);
    MultVaeNetwork net(shape, rng);
    MultVaeTraining cfg;
    cfg.epochs = epochs;
    cfg.batch = 20;
    int calls = 0;
    cfg.after_epoch = [&](int e, const std::string&) {
      ++calls;
      return e + 1 < stop_after;
    };
    FitContext ctx;
    ctx.threads = 1;
    train_mult_vae(net, train, cfg, ctx, 9);
    EXPECT_EQ(calls, std::min(epochs, stop_after));
    return net.wd2.value;
  };
  EXPECT_EQ(run(10, 3), run(3, 100));
  EXPECT_NE(run(10, 3), run(4, 100));
}

// With refit (the default) the model is trained again on every user for the chosen number of
// epochs: for the DAE (no annealing) that is bit for bit a plain run of that many epochs.
TEST(FoldInValidation, RefitTrainsOnEveryUserForTheChosenEpochs) {
  const auto [train, held] = fixtures::planted_communities(73);
  const std::vector<std::string> common = {"hidden=16", "latent=4", "batch_size=20",
                                           "learning_rate=0.01"};
  auto with = [&](std::vector<std::string> extra) {
    extra.insert(extra.end(), common.begin(), common.end());
    return extra;
  };
  FitContext ctx;
  ctx.threads = 1;
  auto es =
      make_recommender("mult_dae", with({"epochs=40", "early_stopping=3", "validation_users=10"}));
  es->fit(train, ctx);
  const int k = dynamic_cast<const MultVae&>(*es).best_epoch();
  ASSERT_GE(k, 1);
  ASSERT_LE(k, 40);
  auto plain = make_recommender("mult_dae", with({"epochs=" + std::to_string(k)}));
  plain->fit(train, ctx);
  EXPECT_EQ(dynamic_cast<const MultVae&>(*plain).best_epoch(), 0);
  std::vector<float> a(static_cast<size_t>(train.num_items())), b(a.size());
  for (int32_t u : {0, 7, 31}) {
    es->score(u, a);
    plain->score(u, b);
    EXPECT_EQ(a, b) << "user " << u;
  }
  // Without refit the weights come from the run without the held-out users: they differ.
  auto kept = make_recommender(
      "mult_dae", with({"epochs=40", "early_stopping=3", "validation_users=10", "refit=false"}));
  kept->fit(train, ctx);
  kept->score(0, a);
  plain->score(0, b);
  EXPECT_NE(a, b);
}

TEST(FoldInValidation, MultVaeAndDaeTrainWithEarlyStopping) {
  const auto [train, held] = fixtures::planted_communities(73);
  for (const char* name : {"mult_vae", "mult_dae"}) {
    auto m = fixtures::fit_catalog_model(
        name,
        {"epochs=200", "hidden=32", "latent=8", "batch_size=20", "learning_rate=0.01",
         "early_stopping=5", "validation_users=10"},
        train, 1);
    EXPECT_GT(fixtures::held_out_auc(*m, held), 0.95) << name;
    // It stopped on its own: a best epoch below 195 with patience 5 means validation ended by
    // epoch 199, before the 200 allowed (the refit then trains that many epochs).
    const int chosen = dynamic_cast<const MultVae&>(*m).best_epoch();
    EXPECT_LT(chosen, 195) << name;
  }
}

}  // namespace
}  // namespace metarec
