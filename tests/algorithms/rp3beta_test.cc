// RP3beta / P3alpha against dense random-walk products on a tiny bipartite graph.
#include <gtest/gtest.h>
#include <metarec/algorithms/catalog.h>
#include <metarec/algorithms/rp3beta/rp3beta.h>
#include <metarec/core/error.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <vector>

namespace metarec {
namespace {

using Matrix = std::vector<std::vector<double>>;

// 5 users x 6 items; item 5 is reachable from everyone's neighbourhood.
const std::vector<std::vector<int>> kGraph = {
    {1, 1, 0, 0, 0, 1}, {0, 1, 1, 0, 0, 0}, {1, 0, 1, 1, 0, 0},
    {0, 0, 0, 1, 1, 1}, {1, 1, 0, 0, 1, 0},
};

Interactions graph() {
  InteractionsBuilder b;
  for (size_t u = 0; u < kGraph.size(); ++u) b.users().intern("u" + std::to_string(u));
  for (size_t i = 0; i < kGraph[0].size(); ++i) b.items().intern("i" + std::to_string(i));
  for (size_t u = 0; u < kGraph.size(); ++u)
    for (size_t i = 0; i < kGraph[u].size(); ++i)
      if (kGraph[u][i]) b.add(static_cast<int32_t>(u), static_cast<int32_t>(i), 1.0f);
  InteractionsBuilder::Options o;
  o.feedback = "implicit";
  return b.build(o);
}

Matrix product(const Matrix& a, const Matrix& b) {
  Matrix c(a.size(), std::vector<double>(b[0].size(), 0.0));
  for (size_t i = 0; i < a.size(); ++i)
    for (size_t k = 0; k < b.size(); ++k)
      for (size_t j = 0; j < b[0].size(); ++j) c[i][j] += a[i][k] * b[k][j];
  return c;
}

// Transition matrices of the walk, entries raised to `alpha`: users -> items and items -> users.
Matrix user_to_item(double alpha) {
  Matrix p(kGraph.size(), std::vector<double>(kGraph[0].size(), 0.0));
  for (size_t u = 0; u < kGraph.size(); ++u) {
    double deg = 0;
    for (int v : kGraph[u]) deg += v;
    for (size_t i = 0; i < kGraph[u].size(); ++i)
      p[u][i] = kGraph[u][i] ? std::pow(1.0 / deg, alpha) : 0.0;
  }
  return p;
}
Matrix item_to_user(double alpha) {
  Matrix p(kGraph[0].size(), std::vector<double>(kGraph.size(), 0.0));
  for (size_t i = 0; i < kGraph[0].size(); ++i) {
    double deg = 0;
    for (const auto& row : kGraph) deg += row[i];
    for (size_t u = 0; u < kGraph.size(); ++u)
      p[i][u] = kGraph[u][i] ? std::pow(1.0 / deg, alpha) : 0.0;
  }
  return p;
}
double item_degree(size_t j) {
  double d = 0;
  for (const auto& row : kGraph) d += row[j];
  return d;
}

Matrix dense(const SparseMatrix& w) {
  Matrix m(static_cast<size_t>(w.rows()), std::vector<double>(static_cast<size_t>(w.cols()), 0.0));
  for (int32_t i = 0; i < w.rows(); ++i) {
    auto idx = w.row_indices(i);
    auto val = w.row_values(i);
    for (size_t p = 0; p < idx.size(); ++p) m[i][idx[p]] = val[p];
  }
  return m;
}

std::unique_ptr<Rp3Beta> fit(bool with_beta, double alpha, double beta, int64_t topk,
                             int threads = 1, bool normalize = false) {
  std::map<std::string, ParamValue> p = {
      {"alpha", alpha}, {"topk", topk}, {"normalize", normalize}};
  if (with_beta) p["beta"] = beta;
  auto m = std::make_unique<Rp3Beta>(with_beta, Params(Rp3Beta::schema(with_beta), p));
  FitContext ctx;
  ctx.threads = threads;
  m->fit(graph(), ctx);
  return m;
}

TEST(Rp3Beta, WeightsAreTheTwoStepWalkWithPowersAndPopularityPenalty) {
  const double alpha = 0.7, beta = 0.4;
  auto m = fit(true, alpha, beta, 0);
  const Matrix two = product(item_to_user(alpha), user_to_item(alpha));
  const Matrix w = dense(m->weights());
  for (size_t i = 0; i < w.size(); ++i)
    for (size_t j = 0; j < w.size(); ++j) {
      const double want = i == j ? 0.0 : two[i][j] / std::pow(item_degree(j), beta);
      EXPECT_NEAR(w[i][j], want, 1e-6 * (1 + want)) << i << "," << j;
    }
}

TEST(Rp3Beta, P3AlphaOneRanksByThreeStepTransitionProbabilities) {
  // score(u, j) * P_ui (= 1/deg u) is the probability that a 3-step walk from u ends at j, for
  // every j the user has not seen (walks through j itself only exist for seen j).
  auto m = fit(false, 1.0, 0.0, 0);
  EXPECT_EQ(m->algorithm(), "p3alpha");
  const Matrix pui = user_to_item(1.0);
  const Matrix p3 = product(product(pui, item_to_user(1.0)), pui);
  for (size_t u = 0; u < kGraph.size(); ++u) {
    double deg = 0;
    for (int v : kGraph[u]) deg += v;
    std::vector<float> s(kGraph[0].size());
    m->score(static_cast<int32_t>(u), s);
    for (size_t j = 0; j < s.size(); ++j)
      if (!kGraph[u][j]) {
        EXPECT_NEAR(s[j] / deg, p3[u][j], 2e-6) << u << "," << j;
      }
  }
  // The probabilities of one walk sum to 1 over all destinations.
  for (const auto& row : p3) {
    double total = 0;
    for (double v : row) total += v;
    EXPECT_NEAR(total, 1.0, 1e-12);
  }
}

TEST(Rp3Beta, BetaDividesTheWalkByDestinationPopularity) {
  const double beta = 0.6;
  auto m = fit(true, 1.0, beta, 0);
  const Matrix pui = user_to_item(1.0);
  const Matrix p3 = product(product(pui, item_to_user(1.0)), pui);
  for (size_t u = 0; u < kGraph.size(); ++u) {
    double deg = 0;
    for (int v : kGraph[u]) deg += v;
    std::vector<float> s(kGraph[0].size());
    m->score(static_cast<int32_t>(u), s);
    for (size_t j = 0; j < s.size(); ++j)
      if (!kGraph[u][j]) {
        EXPECT_NEAR(s[j] / deg, p3[u][j] / std::pow(item_degree(j), beta), 2e-6);
      }
  }
}

TEST(Rp3Beta, TopKKeepsTheLargestOfEachRow) {
  auto all = fit(true, 0.8, 0.3, 0), top = fit(true, 0.8, 0.3, 2);
  const Matrix a = dense(all->weights()), t = dense(top->weights());
  for (size_t i = 0; i < a.size(); ++i) {
    std::vector<double> sorted = a[i];
    std::sort(sorted.rbegin(), sorted.rend());
    int kept = 0;
    for (size_t j = 0; j < a[i].size(); ++j)
      if (t[i][j] != 0) {
        ++kept;
        EXPECT_EQ(t[i][j], a[i][j]);
        EXPECT_GE(t[i][j], sorted[1]);
      }
    EXPECT_EQ(kept,
              std::min<int>(2, static_cast<int>(std::count_if(a[i].begin(), a[i].end(),
                                                              [](double v) { return v > 0; }))));
  }
}

TEST(Rp3Beta, NormalizedRowsAreTheKeptWeightsDividedByTheirSum) {
  const Matrix raw = dense(fit(true, 0.9, 0.5, 3).get()->weights());
  const Matrix norm = dense(fit(true, 0.9, 0.5, 3, 1, true).get()->weights());
  for (size_t i = 0; i < raw.size(); ++i) {
    double total = 0;
    for (double v : raw[i]) total += v;
    ASSERT_GT(total, 0);
    for (size_t j = 0; j < raw[i].size(); ++j) EXPECT_NEAR(norm[i][j], raw[i][j] / total, 1e-7);
  }
}

TEST(Rp3Beta, ResultDoesNotDependOnThreads) {
  auto a = fit(true, 0.5, 0.5, 3, 1), b = fit(true, 0.5, 0.5, 3, 2);
  EXPECT_EQ(dense(a->weights()), dense(b->weights()));
}

TEST(Rp3Beta, P3AlphaHasNoBeta) {
  EXPECT_THROW(make_recommender("p3alpha", {"beta=0.5"}), InvalidArgument);
  EXPECT_NO_THROW(make_recommender("rp3beta", {"beta=0.5"}));
}

}  // namespace
}  // namespace metarec
