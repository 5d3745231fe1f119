// NCF's own maths: the full backward pass of GMF, MLP and NeuMF against finite
// differences, the genre-diversity penalty against hand values and finite
// differences, a planted two-community problem each model must learn, NeuMF's
// pretrained initialization, and repeatability.
#include <gtest/gtest.h>
#include <metarec/algorithms/catalog.h>
#include <metarec/algorithms/ncf/ncf.h>
#include <metarec/algorithms/ncf/ncf_diversity.h>
#include <metarec/core/error.h>
#include <metarec/core/rng.h>
#include <metarec/nn/activations.h>
#include <metarec/nn/losses.h>

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "../nn/gradient_check.h"
#include "planted_communities.h"

namespace metarec {
namespace {

using nn::Matrix;
using testing_nn::expect_gradient;
using testing_nn::random_matrix;

// Mean BCE of a batch of pairs under `net`, computed from scratch (the
// finite-difference side).
double batch_loss(const NcfNetwork& net, const std::vector<int32_t>& u,
                  const std::vector<int32_t>& i, const Matrix& y) {
  NcfNetwork::Pass p = net.new_pass();
  Matrix z(static_cast<Eigen::Index>(u.size()), 1);
  net.forward(u, i, p, std::span<float>(z.data(), u.size()));
  return nn::bce_with_logits_loss(z, y, nullptr);
}

TEST(Ncf, FullBackwardPassMatchesFiniteDifferences) {
  // The last case sets the MLP embeddings apart from the tower's width (3 per side: 6 -> 4 -> 2).
  for (auto [v, embedding] : {std::pair{NcfVariant::kGmf, 0}, std::pair{NcfVariant::kMlp, 0},
                              std::pair{NcfVariant::kNeuMf, 0}, std::pair{NcfVariant::kNeuMf, 3}}) {
    NcfShape s;
    s.variant = v;
    s.users = 4;
    s.items = 5;
    s.factors = 2;
    s.layers = 2;  // MLP embeddings 2 per side unless set: 4 -> 4 -> 2
    s.embedding = embedding;
    Rng rng(71);
    NcfNetwork net(s, 0.7f, rng);
    // Non-zero biases keep the ReLUs away from their kinks (see the Mlp test).
    if (s.has_mlp())
      for (int l = 0; l < net.tower.layers(); ++l)
        net.tower.bias(l).value = random_matrix(1, net.tower.bias(l).value.cols(), rng, 0.3);
    net.out_b.value(0, 0) = 0.2f;
    // Repeated users and items, so the sparse gradients must sum duplicates.
    const std::vector<int32_t> u = {0, 2, 2, 3, 0, 1}, i = {4, 1, 3, 1, 0, 1};
    Matrix y(6, 1);
    y << 1, 0, 1, 0, 0, 1;
    NcfNetwork::Pass p = net.new_pass();
    Matrix z(6, 1), dz;
    net.forward(u, i, p, std::span<float>(z.data(), 6));
    nn::bce_with_logits_loss(z, y, &dz);
    net.backward(std::span<const float>(dz.data(), 6), p);
    auto loss = [&] { return batch_loss(net, u, i, y); };
    const std::string name = ncf_name(v);
    if (s.has_gmf()) {
      expect_gradient(net.user_gmf.table.value, net.user_gmf.backward(u, p.d_ug).to_dense(4), loss,
                      name + " user_gmf");
      expect_gradient(net.item_gmf.table.value, net.item_gmf.backward(i, p.d_ig).to_dense(5), loss,
                      name + " item_gmf");
    }
    if (s.has_mlp()) {
      expect_gradient(net.user_mlp.table.value, net.user_mlp.backward(u, p.d_um).to_dense(4), loss,
                      name + " user_mlp");
      expect_gradient(net.item_mlp.table.value, net.item_mlp.backward(i, p.d_im).to_dense(5), loss,
                      name + " item_mlp");
      for (int l = 0; l < net.tower.layers(); ++l) {
        const Matrix dw = p.tower.dw[static_cast<size_t>(l)];
        const Matrix db = p.tower.db[static_cast<size_t>(l)];
        expect_gradient(net.tower.weight(l).value, dw, loss, name + " tower weight");
        expect_gradient(net.tower.bias(l).value, db, loss, name + " tower bias");
      }
    }
    const Matrix dw = p.d_out_w;
    expect_gradient(net.out_w.value, dw, loss, name + " output weight");
    const Matrix db = Matrix::Constant(1, 1, static_cast<float>(p.d_out_b));
    expect_gradient(net.out_b.value, db, loss, name + " output bias");
  }
}

TEST(Ncf, GenreConcentrationHandValuesAndGradient) {
  // Two items with the same single genre: D = 1 whatever the weights, so the
  // gradient is 0.
  Matrix same(2, 3);
  same << 0, 1, 0, 0, 1, 0;
  std::vector<float> s = {0.3f, -1.0f}, ds(2);
  EXPECT_NEAR(genre_concentration(s, same, ds), 1.0, 1e-12);
  EXPECT_NEAR(ds[0], 0, 1e-7);
  // Two items of different genres with equal scores: G = (1/2, 1/2), D = 1/2,
  // the minimum, so the gradient 2 * 1/2 * (1/2 - 1/2) is 0.
  Matrix apart(2, 2);
  apart << 1, 0, 0, 1;
  std::vector<float> eq = {0.5f, 0.5f};
  EXPECT_NEAR(genre_concentration(eq, apart, ds), 0.5, 1e-12);
  EXPECT_NEAR(ds[0], 0, 1e-7);
  // Unequal: w = softmax(1, 0) = (e/(e+1), 1/(e+1)); D = w0^2 + w1^2.
  std::vector<float> uneq = {1.0f, 0.0f};
  const double w0 = std::exp(1.0) / (std::exp(1.0) + 1), w1 = 1 - w0;
  EXPECT_NEAR(genre_concentration(uneq, apart, ds), w0 * w0 + w1 * w1, 1e-7);
  EXPECT_NEAR(ds[0], 2 * w0 * (w0 - (w0 * w0 + w1 * w1)), 1e-6);
  // Finite differences on a random list with unit genre rows.
  Rng rng(72);
  Matrix g = random_matrix(6, 4, rng).cwiseAbs();
  for (Eigen::Index r = 0; r < 6; ++r) g.row(r).normalize();
  Matrix sc = random_matrix(1, 6, rng);
  std::vector<float> grad(6);
  genre_concentration(std::span<const float>(sc.data(), 6), g, grad);
  const Matrix analytic = Eigen::Map<const Matrix>(grad.data(), 1, 6);
  std::vector<float> scratch(6);
  expect_gradient(
      sc, analytic,
      [&] { return genre_concentration(std::span<const float>(sc.data(), 6), g, scratch); },
      "genre concentration");
}

using fixtures::community_recall;

using fixtures::fit_catalog_model;

TEST(Ncf, LearnsTwoCommunities) {
  const auto data = fixtures::planted_communities(73, true);
  for (const char* name : {"gmf", "ncf_mlp", "neumf"}) {
    auto m = fit_catalog_model(name, {"epochs=15", "learning_rate=0.01"}, data.train, 1);
    // Random ranking would put half of the 8 slots in the other community.
    EXPECT_GT(community_recall(*m, data.held_out), 0.95) << name;
  }
}

// Three threads: Hogwild over three user bands, each thread helping the others at the end.
TEST(Ncf, ThreadsOnUserBandsLearnTwoCommunities) {
  const auto data = fixtures::planted_communities(73, true);
  for (const char* name : {"gmf", "ncf_mlp"}) {
    auto m = fit_catalog_model(name, {"epochs=15", "learning_rate=0.01"}, data.train, 3);
    EXPECT_GT(community_recall(*m, data.held_out), 0.95) << name;
  }
}

// Adam over the whole tables (PyTorch's dense embeddings) learns the communities too, and is not
// lazy Adam: rows outside a batch keep moving, so the trained tables differ. Lazy Adam with
// catch-up gives rows those moves late (when next updated): its tables stay nearer dense Adam's
// than plain lazy Adam's do.
TEST(Ncf, DenseEmbeddingAdamLearnsAndDiffersFromLazy) {
  const auto data = fixtures::planted_communities(73, true);
  for (const char* mode :
       {"embedding_adam=dense", "embedding_adam=lazy", "embedding_adam=catchup"}) {
    auto m = fit_catalog_model("ncf_mlp", {"epochs=15", "learning_rate=0.01", mode}, data.train, 1);
    EXPECT_GT(community_recall(*m, data.held_out), 0.95) << mode;
  }
  // Over many epochs the three runs drift apart as any two trainings do; after one the
  // optimizers' difference shows.
  std::vector<Matrix> tables;
  for (const char* mode :
       {"embedding_adam=dense", "embedding_adam=lazy", "embedding_adam=catchup"}) {
    auto m = fit_catalog_model("ncf_mlp", {"epochs=1", "learning_rate=0.01", mode}, data.train, 1);
    tables.push_back(dynamic_cast<const Ncf&>(*m).network().item_mlp.table.value);
  }
  const double lazy_gap = (tables[0] - tables[1]).norm(),
               catch_up_gap = (tables[0] - tables[2]).norm();
  EXPECT_GT((tables[0] - tables[1]).cwiseAbs().maxCoeff(), 1e-3);
  // Not zero: a batch reads its rows before their catch-up (NnOptim tests the exact sums).
  EXPECT_LT(catch_up_gap, 0.6 * lazy_gap) << catch_up_gap << " vs " << lazy_gap;
  // On two threads the dense steps take turns (each rewrites the whole table). A smoke test: it
  // runs and still learns, but recall would not show the race the lock prevents (ThreadSanitizer
  // would).
  auto two = fit_catalog_model(
      "ncf_mlp", {"epochs=15", "learning_rate=0.01", "embedding_adam=dense"}, data.train, 2);
  EXPECT_GT(community_recall(*two, data.held_out), 0.95);
}

TEST(Ncf, NeuMfStartsFromThePretrainedModels) {
  const auto [train, held] = fixtures::planted_communities(73, true);
  auto neumf =
      make_recommender("neumf", {"epochs=5", "learning_rate=0.01", "finetune_learning_rate=1e-9"});
  FitContext ctx;
  ctx.threads = 1;
  neumf->fit(train, ctx);
  const auto& n = dynamic_cast<const Ncf&>(*neumf).network();
  // The output mixes the two pretrained outputs: both halves are non-zero.
  EXPECT_GT(n.out_w.value.topRows(8).cwiseAbs().sum(), 0);
  EXPECT_GT(n.out_w.value.bottomRows(8).cwiseAbs().sum(), 0);
  // With pretraining on, the model ranks the communities right after tiny
  // fine-tuning.
  EXPECT_GT(community_recall(*neumf, held), 0.9);
  auto cold = make_recommender("neumf", {"epochs=5", "pretrain=false", "learning_rate=1e-9"});
  cold->fit(train, ctx);
  EXPECT_LT(community_recall(*cold, held), 0.8);
}

TEST(Ncf, OneThreadIsRepeatable) {
  const auto [train, held] = fixtures::planted_communities(73, true);
  auto run = [&](int threads) {
    auto m = make_recommender("neumf", {"epochs=2", "batch_size=100"});
    FitContext ctx;
    ctx.threads = threads;
    ctx.seed = 5;
    m->fit(train, ctx);
    std::vector<float> s(static_cast<size_t>(m->num_items()) * 3);
    for (int32_t u = 0; u < 3; ++u)
      m->score(u, std::span<float>(s.data() + u * m->num_items(), m->num_items()));
    return s;
  };
  EXPECT_EQ(run(1), run(1));
  // Two threads run Hogwild (not repeatable bit for bit) but must still produce finite scores.
  for (float x : run(2)) EXPECT_TRUE(std::isfinite(x));
}

// Several threads train on user bands of about equal row counts (one per thread).
TEST(Ncf, RowBalancedBandsByHand) {
  using detail::row_balanced_bands;
  // Rows per user 5, 1, 1, 1, 5, 1 (14 in all): 7 and 7.
  const std::vector<int64_t> a{0, 5, 6, 7, 8, 13, 14};
  EXPECT_EQ(row_balanced_bands(a, 2), (std::vector<int32_t>{0, 3, 6}));
  EXPECT_EQ(row_balanced_bands(a, 1), (std::vector<int32_t>{0, 6}));
  // A user heavier than a share gets a band of its own: 10 | 1, 1.
  const std::vector<int64_t> b{0, 10, 11, 12};
  EXPECT_EQ(row_balanced_bands(b, 2), (std::vector<int32_t>{0, 1, 3}));
  // Fewer users than parts: one band each, never an empty one.
  const std::vector<int64_t> c{0, 4, 8};
  EXPECT_EQ(row_balanced_bands(c, 3), (std::vector<int32_t>{0, 1, 2}));
  EXPECT_THROW(row_balanced_bands(c, 0), Error);
  // Random row counts: contiguous cover of all users, at most `parts` bands, none empty, and a
  // band other than the last holds at most its share plus one user's rows.
  Rng rng(3);
  for (int trial = 0; trial < 50; ++trial) {
    const int n = 1 + static_cast<int>(rng.uniform_int(40));
    std::vector<int64_t> off{0};
    int64_t heaviest = 0;
    for (int u = 0; u < n; ++u) {
      const auto r = static_cast<int64_t>(rng.uniform_int(20));
      heaviest = std::max(heaviest, r);
      off.push_back(off.back() + r);
    }
    const int parts = 1 + static_cast<int>(rng.uniform_int(4));
    const auto cut = row_balanced_bands(off, parts);
    ASSERT_GE(cut.size(), 2u);
    EXPECT_LE(cut.size(), static_cast<size_t>(parts) + 1);
    EXPECT_EQ(cut.front(), 0);
    EXPECT_EQ(cut.back(), n);
    for (size_t t = 0; t + 1 < cut.size(); ++t) {
      EXPECT_LT(cut[t], cut[t + 1]);
      if (t + 2 < cut.size()) {
        EXPECT_LE(off[static_cast<size_t>(cut[t + 1])],
                  off.back() * static_cast<int64_t>(t + 1) / parts + heaviest);
      }
    }
  }
}

TEST(Ncf, ScoreMatchesTheNetworksForwardPass) {
  const auto [train, held] = fixtures::planted_communities(73, true);
  for (std::string name : {"gmf", "ncf_mlp", "neumf", "neumf:5"}) {
    std::vector<std::string> params = {"epochs=1"};
    int embedding = 0;
    if (name == "neumf:5") {  // the released code's wider MLP embeddings
      name = "neumf";
      embedding = 5;
      params.push_back("mlp_embedding=5");
    }
    if (name != "gmf") params.push_back("layers=2");
    auto m = make_recommender(name, params);
    m->fit(train);
    const auto& net = dynamic_cast<const Ncf&>(*m).network();
    if (name != "gmf") {
      const int d = embedding > 0 ? embedding : 8;  // default: factors 8 * 2^(2-2)
      EXPECT_EQ(net.user_mlp.table.value.cols(), d) << name;
      EXPECT_EQ(net.item_mlp.table.value.cols(), d) << name;
      EXPECT_EQ(net.tower.weight(0).value.rows(), 2 * d) << name;
    }
    std::vector<float> s(static_cast<size_t>(m->num_items()));
    m->score(7, s);
    std::vector<int32_t> us(s.size(), 7), is(s.size());
    for (size_t i = 0; i < is.size(); ++i) is[i] = static_cast<int32_t>(i);
    std::vector<float> z(s.size());
    auto p = net.new_pass();
    net.forward(us, is, p, z);
    for (size_t i = 0; i < s.size(); ++i) EXPECT_NEAR(s[i], z[i], 1e-5) << name << " item " << i;
    if (embedding > 0) {  // the saved model rebuilds the wider embeddings from its parameters
      const std::string path = ::testing::TempDir() + "/ncf_embedding.mrm";
      m->save(path);
      auto loaded = Recommender::load(path);
      std::vector<float> t(s.size());
      loaded->score(7, t);
      EXPECT_EQ(t, s);
    }
  }
}

}  // namespace
}  // namespace metarec
