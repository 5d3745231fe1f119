// The neighbourhood models' own maths: every similarity against a dense brute-force computation,
// shrinkage, support and top-k pruning, Surprise's KNN prediction rules, item/user KNN scoring.
#include <gtest/gtest.h>
#include <metarec/algorithms/baselines/baselines.h>
#include <metarec/algorithms/catalog.h>
#include <metarec/algorithms/knn/item_knn.h>
#include <metarec/algorithms/knn/knn_rating.h>
#include <metarec/algorithms/knn/similarity.h>
#include <metarec/algorithms/knn/user_knn.h>
#include <metarec/core/error.h>
#include <metarec/data/split.h>
#include <metarec/data/synthetic.h>
#include <metarec/eval/evaluator.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

namespace metarec {
namespace {

// 6 users x 5 items, 0 = missing. Dense so the expected values can be computed directly.
constexpr int kU = 6, kI = 5;
const float kR[kU][kI] = {
    {5, 3, 0, 1, 4},  //
    {4, 0, 0, 1, 2},  //
    {1, 1, 0, 5, 0},  //
    {1, 0, 4, 4, 1},  //
    {0, 1, 5, 4, 3},  //
    {2, 2, 3, 0, 5},  //
};

Interactions tiny() {
  InteractionsBuilder b;
  for (int u = 0; u < kU; ++u) b.users().intern("u" + std::to_string(u));
  for (int i = 0; i < kI; ++i) b.items().intern("i" + std::to_string(i));
  for (int u = 0; u < kU; ++u)
    for (int i = 0; i < kI; ++i)
      if (kR[u][i] > 0) b.add(u, i, kR[u][i]);
  InteractionsBuilder::Options o;
  o.feedback = "explicit";
  o.scale_min = 1;
  o.scale_max = 5;
  return b.build(o);
}

// Entry (a, c) of the dense matrix with rows = users (user_based) or items.
float at(bool ub, int a, int c) { return ub ? kR[a][c] : kR[c][a]; }

// The similarity of rows a and b computed straight from the definitions, with entry weights w.
double brute(SimilarityKind kind, bool ub, int a, int b,
             const std::vector<std::vector<double>>& w) {
  const int nc = ub ? kI : kU;
  std::vector<int> common;
  for (int c = 0; c < nc; ++c)
    if (at(ub, a, c) > 0 && at(ub, b, c) > 0) common.push_back(c);
  if (common.empty()) return 0;
  auto x = [&](int c) { return w[a][c]; };
  auto y = [&](int c) { return w[b][c]; };
  switch (kind) {
    case SimilarityKind::kCosine:
    case SimilarityKind::kAdjustedCosine:
    case SimilarityKind::kBm25:
    case SimilarityKind::kTfidf: {
      double d = 0, na = 0, nb = 0;
      for (int c = 0; c < nc; ++c) {
        d += x(c) * y(c);
        na += x(c) * x(c);
        nb += y(c) * y(c);
      }
      return d / std::sqrt(na * nb);
    }
    case SimilarityKind::kPearson: {
      double ma = 0, mb = 0;
      for (int c = 0; c < nc; ++c) {
        ma += x(c) / nc;
        mb += y(c) / nc;
      }
      double cov = 0, va = 0, vb = 0;
      for (int c = 0; c < nc; ++c) {
        cov += (x(c) - ma) * (y(c) - mb);
        va += (x(c) - ma) * (x(c) - ma);
        vb += (y(c) - mb) * (y(c) - mb);
      }
      return cov / std::sqrt(va * vb);
    }
    case SimilarityKind::kJaccard: {
      int na = 0, nb = 0;
      for (int c = 0; c < nc; ++c) {
        na += at(ub, a, c) > 0;
        nb += at(ub, b, c) > 0;
      }
      return static_cast<double>(common.size()) / (na + nb - static_cast<double>(common.size()));
    }
    case SimilarityKind::kCoCosine:
    case SimilarityKind::kPearsonBaseline: {
      double d = 0, na = 0, nb = 0;
      for (int c : common) {
        d += x(c) * y(c);
        na += x(c) * x(c);
        nb += y(c) * y(c);
      }
      return na * nb > 0 ? d / std::sqrt(na * nb) : 0;
    }
    case SimilarityKind::kMsd: {
      double s = 0;
      for (int c : common) s += (x(c) - y(c)) * (x(c) - y(c));
      return 1.0 / (s / static_cast<double>(common.size()) + 1.0);
    }
    case SimilarityKind::kCoPearson: {
      double ma = 0, mb = 0;
      for (int c : common) {
        ma += x(c) / static_cast<double>(common.size());
        mb += y(c) / static_cast<double>(common.size());
      }
      double cov = 0, va = 0, vb = 0;
      for (int c : common) {
        cov += (x(c) - ma) * (y(c) - mb);
        va += (x(c) - ma) * (x(c) - ma);
        vb += (y(c) - mb) * (y(c) - mb);
      }
      return va * vb > 0 ? cov / std::sqrt(va * vb) : 0;
    }
  }
  return 0;
}

// Dense weights rows x cols for each similarity's weighting, from the definitions.
std::vector<std::vector<double>> weights(SimilarityKind kind, bool ub, const SimilarityOptions& o) {
  const int nr = ub ? kU : kI, nc = ub ? kI : kU;
  std::vector<std::vector<double>> w(nr, std::vector<double>(nc, 0.0));
  for (int a = 0; a < nr; ++a)
    for (int c = 0; c < nc; ++c) w[a][c] = at(ub, a, c);
  if (kind == SimilarityKind::kAdjustedCosine) {
    for (int c = 0; c < nc; ++c) {
      double s = 0, n = 0;
      for (int a = 0; a < nr; ++a)
        if (at(ub, a, c) > 0) s += at(ub, a, c), n += 1;
      for (int a = 0; a < nr; ++a)
        if (at(ub, a, c) > 0) w[a][c] -= s / n;
    }
  }
  if (kind == SimilarityKind::kPearsonBaseline) {
    for (int a = 0; a < nr; ++a)
      for (int c = 0; c < nc; ++c)
        if (at(ub, a, c) > 0) {
          const int u = ub ? a : c, i = ub ? c : a;
          w[a][c] -= o.mu + o.user_bias[u] + o.item_bias[i];
        }
  }
  if (kind == SimilarityKind::kTfidf) {
    // Rows are documents, columns terms; idf = log(N / (1 + df)); every row is non-empty.
    std::vector<double> df(nc, 0.0);
    for (int a = 0; a < nr; ++a)
      for (int c = 0; c < nc; ++c) df[c] += at(ub, a, c) > 0;
    for (int a = 0; a < nr; ++a)
      for (int c = 0; c < nc; ++c)
        if (at(ub, a, c) > 0) w[a][c] = std::sqrt(at(ub, a, c)) * std::log(nr / (1.0 + df[c]));
  }
  if (kind == SimilarityKind::kBm25) {
    // Columns are documents (length = sum of their values), rows terms.
    std::vector<double> len(nc, 0.0), df(nr, 0.0);
    for (int a = 0; a < nr; ++a)
      for (int c = 0; c < nc; ++c)
        if (at(ub, a, c) > 0) len[c] += at(ub, a, c), df[a] += 1;
    double avg = 0;
    for (double l : len) avg += l / nc;
    for (int a = 0; a < nr; ++a)
      for (int c = 0; c < nc; ++c) {
        if (at(ub, a, c) == 0) continue;
        const double idf = std::log(static_cast<double>(nc) / (1.0 + df[a]));
        const double r = at(ub, a, c), k1 = o.bm25_k1, b = o.bm25_b;
        w[a][c] = r * (k1 + 1) / (k1 * (1 - b + b * len[c] / avg) + r) * idf;
      }
  }
  return w;
}

double stored(const SparseMatrix& m, int a, int b) {
  auto idx = m.row_indices(a);
  auto val = m.row_values(a);
  for (size_t p = 0; p < idx.size(); ++p)
    if (idx[p] == b) return val[p];
  return 0;
}

TEST(KnnSimilarity, EveryMeasureMatchesItsDefinition) {
  const Interactions d = tiny();
  BiasBaseline bias(Params(BiasBaseline::schema()));
  bias.fit(d);
  for (bool ub : {true, false}) {
    for (SimilarityKind kind :
         {SimilarityKind::kCosine, SimilarityKind::kPearson, SimilarityKind::kAdjustedCosine,
          SimilarityKind::kJaccard, SimilarityKind::kBm25, SimilarityKind::kTfidf,
          SimilarityKind::kCoCosine, SimilarityKind::kMsd, SimilarityKind::kCoPearson,
          SimilarityKind::kPearsonBaseline}) {
      SimilarityOptions o;
      o.kind = kind;
      o.user_based = ub;
      o.neighbors = 100;
      o.bm25_k1 = 1.5;
      o.bm25_b = 0.6;
      o.mu = d.global_mean();
      o.user_bias = bias.user_bias();
      o.item_bias = bias.item_bias();
      const SparseMatrix s = knn_similarities(d, o, FitContext{});
      const auto w = weights(kind, ub, o);
      const int n = ub ? kU : kI;
      ASSERT_EQ(s.rows(), n);
      for (int a = 0; a < n; ++a)
        for (int b = 0; b < n; ++b) {
          const double want = a == b ? 0.0 : std::max(0.0, brute(kind, ub, a, b, w));
          EXPECT_NEAR(stored(s, a, b), want, 2e-6)
              << "kind " << static_cast<int>(kind) << " user_based " << ub << " pair " << a << ","
              << b;
        }
    }
  }
}

TEST(KnnSimilarity, ShrinkageAndMinSupport) {
  const Interactions d = tiny();
  SimilarityOptions o;
  o.kind = SimilarityKind::kMsd;
  o.user_based = true;
  const SparseMatrix plain = knn_similarities(d, o, FitContext{});
  o.shrinkage = 3;
  const SparseMatrix shrunk = knn_similarities(d, o, FitContext{});
  o.shrinkage = 0;
  o.min_support = 3;
  const SparseMatrix supported = knn_similarities(d, o, FitContext{});
  for (int a = 0; a < kU; ++a)
    for (int b = 0; b < kU; ++b) {
      int n = 0;
      for (int i = 0; i < kI; ++i) n += kR[a][i] > 0 && kR[b][i] > 0;
      EXPECT_NEAR(stored(shrunk, a, b), stored(plain, a, b) * n / (n + 3.0), 1e-6);
      EXPECT_FLOAT_EQ(stored(supported, a, b), n >= 3 ? stored(plain, a, b) : 0.0);
    }
}

TEST(KnnSimilarity, KeepsTheLargestPerRowWithTiesToTheSmallerIndex) {
  // Synthetic data large enough for rows to have many candidates.
  const Interactions d =
      generate_synthetic(parse_synthetic_spec("synthetic:users=200,items=120,per_user=20,seed=3"));
  SimilarityOptions o;
  o.kind = SimilarityKind::kJaccard;  // many exact ties
  const SparseMatrix all = knn_similarities(d, o, FitContext{});
  o.neighbors = 7;
  const SparseMatrix top = knn_similarities(d, o, FitContext{});
  for (int32_t a = 0; a < d.num_items(); ++a) {
    std::vector<std::pair<float, int32_t>> want;
    auto idx = all.row_indices(a);
    auto val = all.row_values(a);
    for (size_t p = 0; p < idx.size(); ++p) want.emplace_back(-val[p], idx[p]);
    std::sort(want.begin(), want.end());
    if (want.size() > 7) want.resize(7);
    std::set<int32_t> want_idx;
    for (auto& [v, b] : want) want_idx.insert(b);
    auto got = top.row_indices(a);
    EXPECT_EQ(std::set<int32_t>(got.begin(), got.end()), want_idx) << "row " << a;
  }
}

TEST(KnnSimilarity, ResultDoesNotDependOnThreads) {
  // Above the size where the computation goes parallel (20,000 interactions).
  const Interactions d =
      generate_synthetic(parse_synthetic_spec("synthetic:users=1000,items=300,per_user=25,seed=5"));
  ASSERT_GE(d.nnz(), 20000);
  for (SimilarityKind kind : {SimilarityKind::kBm25, SimilarityKind::kPearsonBaseline}) {
    SimilarityOptions o;
    o.kind = kind;
    o.neighbors = 20;
    std::vector<float> zu(static_cast<size_t>(d.num_users()), 0.1f),
        zi(static_cast<size_t>(d.num_items()), -0.1f);
    o.mu = 3.5;
    o.user_bias = zu;
    o.item_bias = zi;
    FitContext one, two;
    one.threads = 1;
    two.threads = 2;
    const SparseMatrix a = knn_similarities(d, o, one), b = knn_similarities(d, o, two);
    ASSERT_EQ(a.nnz(), b.nnz());
    for (int32_t r = 0; r < a.rows(); ++r) {
      auto ai = a.row_indices(r), bi = b.row_indices(r);
      auto av = a.row_values(r), bv = b.row_values(r);
      ASSERT_TRUE(std::equal(ai.begin(), ai.end(), bi.begin(), bi.end()));
      ASSERT_TRUE(std::equal(av.begin(), av.end(), bv.begin(), bv.end()));
    }
  }
}

TEST(KnnSimilarity, AdjustedCosineRefusesBinaryData) {
  EXPECT_THROW(make_recommender("item_knn", {"similarity=adjusted_cosine"})->fit(tiny()),
               InvalidArgument);
  EXPECT_NO_THROW(
      make_recommender("item_knn", {"similarity=adjusted_cosine", "binary=false"})->fit(tiny()));
}

// Surprise's prediction rule, computed from dense similarities of the definitions.
double expected_knn(KnnRating::Kind kind, bool ub, int u, int i, int k, int min_k,
                    const std::vector<std::vector<double>>& sim, double mu,
                    std::span<const float> bu, std::span<const float> bi) {
  const int x = ub ? u : i, y = ub ? i : u;
  const int nx = ub ? kU : kI;
  auto mean_of = [&](int e) {
    double s = 0, n = 0;
    for (int c = 0; c < (ub ? kI : kU); ++c)
      if (at(ub, e, c) > 0) s += at(ub, e, c), n += 1;
    return s / n;
  };
  std::vector<std::pair<double, int>> nb;  // (-sim, x') so sorting puts the best first
  for (int x2 = 0; x2 < nx; ++x2)
    if (x2 != x && at(ub, x2, y) > 0 && sim[x][x2] > 0) nb.emplace_back(-sim[x][x2], x2);
  std::sort(nb.begin(), nb.end());
  if (static_cast<int>(nb.size()) > k) nb.resize(static_cast<size_t>(k));
  double base = mu;
  if (kind == KnnRating::Kind::kMeans) base = mean_of(x);
  if (kind == KnnRating::Kind::kBaseline) base = mu + bu[u] + bi[i];
  if (static_cast<int>(nb.size()) < min_k || nb.empty()) return std::clamp(base, 1.0, 5.0);
  double ss = 0, sn = 0;
  for (auto [ns, x2] : nb) {
    const double s = -ns, r = at(ub, x2, y);
    ss += s;
    if (kind == KnnRating::Kind::kBasic) sn += s * r;
    if (kind == KnnRating::Kind::kMeans) sn += s * (r - mean_of(x2));
    if (kind == KnnRating::Kind::kBaseline)
      sn += s * (r - (mu + (ub ? bu[x2] + bi[i] : bi[x2] + bu[u])));
  }
  const double est = kind == KnnRating::Kind::kBasic ? sn / ss : base + sn / ss;
  return std::clamp(est, 1.0, 5.0);
}

TEST(KnnRating, PredictionsFollowSurprisesRules) {
  const Interactions d = tiny();
  const std::map<KnnRating::Kind, std::string> names = {
      {KnnRating::Kind::kBasic, "knn_basic"},
      {KnnRating::Kind::kMeans, "knn_means"},
      {KnnRating::Kind::kBaseline, "knn_baseline"}};
  for (auto [kind, name] : names) {
    for (bool ub : {true, false}) {
      for (const std::string sim : {"msd", "pearson"}) {
        for (int min_k : {1, 2}) {
          auto m = make_recommender(
              name, {"k=2", "min_k=" + std::to_string(min_k), "similarity=" + sim, "shrinkage=0",
                     std::string("user_based=") + (ub ? "true" : "false")});
          m->fit(d);
          const auto& knn = dynamic_cast<const KnnRating&>(*m);
          // Expected similarities straight from the definitions.
          SimilarityOptions o;
          o.kind = parse_rating_similarity(sim);
          const auto w = weights(o.kind, ub, o);
          const int nx = ub ? kU : kI;
          std::vector<std::vector<double>> s(nx, std::vector<double>(nx, 0.0));
          for (int a = 0; a < nx; ++a)
            for (int b = 0; b < nx; ++b)
              if (a != b) s[a][b] = brute(o.kind, ub, a, b, w);
          for (int u = 0; u < kU; ++u)
            for (int i = 0; i < kI; ++i) {
              if (kR[u][i] > 0) continue;
              const double want = expected_knn(kind, ub, u, i, 2, min_k, s, d.global_mean(),
                                               knn.user_bias(), knn.item_bias());
              EXPECT_NEAR(knn.predict(u, i), want, 1e-5)
                  << name << " " << sim << " ub=" << ub << " min_k=" << min_k << " (" << u << ","
                  << i << ")";
            }
        }
      }
    }
  }
}

TEST(KnnRating, BaselineBiasesAreTheBiasBaselines) {
  const Interactions d = tiny();
  auto m = make_recommender("knn_baseline", {"reg_user=3", "reg_item=2", "baseline_epochs=7"});
  m->fit(d);
  BiasBaseline b(Params(BiasBaseline::schema(),
                        {{"reg_user", 3.0}, {"reg_item", 2.0}, {"epochs", int64_t{7}}}));
  b.fit(d);
  const auto& knn = dynamic_cast<const KnnRating&>(*m);
  ASSERT_EQ(knn.user_bias().size(), b.user_bias().size());
  EXPECT_TRUE(std::equal(knn.user_bias().begin(), knn.user_bias().end(), b.user_bias().begin()));
  EXPECT_TRUE(std::equal(knn.item_bias().begin(), knn.item_bias().end(), b.item_bias().begin()));
}

TEST(KnnRating, ScoreEqualsPredictForEveryItem) {
  const Interactions d =
      generate_synthetic(parse_synthetic_spec("synthetic:users=120,items=80,per_user=15,seed=9"));
  for (const char* name : {"knn_basic", "knn_means", "knn_baseline"})
    for (const char* ub : {"user_based=true", "user_based=false"}) {
      auto m = make_recommender(name, {ub, "k=5", "min_k=2", "max_neighbors=30"});
      m->fit(d);
      const auto& p = dynamic_cast<const RatingPredictor&>(*m);
      std::vector<float> s(static_cast<size_t>(d.num_items()));
      for (int32_t u = 0; u < d.num_users(); u += 7) {
        m->score(u, s);
        for (int32_t i = 0; i < d.num_items(); ++i)
          ASSERT_EQ(s[i], p.predict(u, i)) << name << " " << ub;
      }
    }
}

TEST(KnnRating, BeatsTheBiasBaselineOnPlantedData) {
  // Latent-factor ratings: neighbours carry the interaction the biases cannot.
  const Interactions d = generate_synthetic(parse_synthetic_spec(
      "synthetic:users=400,items=150,per_user=40,factors=3,noise=0.3,seed=11"));
  const Split sp = make_split(d, SplitSpec::parse("random:test=0.2,seed=1"));
  EvalOptions o;
  o.metrics = {"rmse"};
  auto bias = make_recommender("bias");
  bias->fit(sp.train);
  const double base = evaluate(*bias, sp.train, sp.test, o).get("rmse");
  for (const char* ub : {"user_based=true", "user_based=false"}) {
    auto m = make_recommender("knn_baseline", {ub});
    m->fit(sp.train);
    EXPECT_LT(evaluate(*m, sp.train, sp.test, o).get("rmse"), base * 0.97) << ub;
  }
}

TEST(KnnRating, SimilarItemsOnlyForItemBasedModels) {
  auto item = make_recommender("knn_means", {"user_based=false", "similarity=cosine"});
  item->fit(tiny());
  auto top = dynamic_cast<const ItemSimilarity&>(*item).similar_items(0, 2);
  ASSERT_EQ(top.size(), 2u);
  EXPECT_GE(top[0].score, top[1].score);
  auto user = make_recommender("knn_means", {"user_based=true"});
  user->fit(tiny());
  EXPECT_THROW(dynamic_cast<const ItemSimilarity&>(*user).similar_items(0, 2), InvalidArgument);
}

TEST(ItemKnn, ScoresSumTheTopKCosinesOfTheUsersItems) {
  const Interactions d = tiny();
  auto m = make_recommender("item_knn", {"k=2", "similarity=cosine"});
  m->fit(d);
  // Binary cosine between items, dense; each item keeps its 2 best (ties: smaller index).
  std::vector<std::vector<double>> s(kI, std::vector<double>(kI, 0.0));
  SimilarityOptions o;
  o.binary = true;
  std::vector<std::vector<double>> w(kI, std::vector<double>(kU, 0.0));
  for (int i = 0; i < kI; ++i)
    for (int u = 0; u < kU; ++u) w[i][u] = kR[u][i] > 0;
  for (int a = 0; a < kI; ++a) {
    std::vector<std::pair<double, int>> c;
    for (int b = 0; b < kI; ++b) {
      if (a == b) continue;
      double dot = 0, na = 0, nb = 0;
      for (int u = 0; u < kU; ++u) dot += w[a][u] * w[b][u], na += w[a][u], nb += w[b][u];
      if (dot > 0) c.emplace_back(-dot / std::sqrt(na * nb), b);
    }
    std::sort(c.begin(), c.end());
    for (size_t q = 0; q < std::min<size_t>(2, c.size()); ++q) s[a][c[q].second] = -c[q].first;
  }
  std::vector<float> got(kI);
  for (int u = 0; u < kU; ++u) {
    m->score(u, got);
    for (int i = 0; i < kI; ++i) {
      double want = 0;
      for (int j = 0; j < kI; ++j)
        if (kR[u][j] > 0) want += s[j][i];
      EXPECT_NEAR(got[i], want, 1e-5) << u << "," << i;
    }
  }
  auto sim = dynamic_cast<const ItemSimilarity&>(*m).similar_items(3, 5);
  ASSERT_FALSE(sim.empty());
  EXPECT_NEAR(sim[0].score, s[3][sim[0].item], 1e-6);
}

TEST(UserKnn, ScoresSumTheNeighboursRatingsWeightedBySimilarity) {
  const Interactions d = tiny();
  auto m = make_recommender("user_knn", {"k=3", "binary=false", "similarity=jaccard"});
  m->fit(d);
  std::vector<std::vector<double>> s(kU, std::vector<double>(kU, 0.0));
  for (int a = 0; a < kU; ++a) {
    std::vector<std::pair<double, int>> c;
    for (int b = 0; b < kU; ++b) {
      if (a == b) continue;
      int both = 0, either = 0;
      for (int i = 0; i < kI; ++i)
        both += kR[a][i] > 0 && kR[b][i] > 0, either += kR[a][i] > 0 || kR[b][i] > 0;
      if (both > 0) c.emplace_back(-static_cast<double>(both) / either, b);
    }
    std::sort(c.begin(), c.end());
    for (size_t q = 0; q < std::min<size_t>(3, c.size()); ++q) s[a][c[q].second] = -c[q].first;
  }
  std::vector<float> got(kI);
  for (int u = 0; u < kU; ++u) {
    m->score(u, got);
    for (int i = 0; i < kI; ++i) {
      double want = 0;
      for (int v = 0; v < kU; ++v) want += s[u][v] * kR[v][i];
      EXPECT_NEAR(got[i], want, 1e-5) << u << "," << i;  // + a popularity tie-break below 1e-6
    }
  }
}

}  // namespace
}  // namespace metarec
