// The hybrid's own rules: member and weight parsing, weighted mixing of standardized scores
// against a direct computation from separately fitted members, switching by user activity,
// rating prediction as the weighted mean, and members kept inside the model file.
#include <gtest/gtest.h>
#include <metarec/algorithms/catalog.h>
#include <metarec/algorithms/hybrid/hybrid.h>
#include <metarec/core/error.h>
#include <metarec/data/synthetic.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "model_fixtures.h"
#include "planted_communities.h"

namespace metarec {
namespace {

// z-scores of a member's scores for one user, computed directly.
std::vector<double> standardized(const Recommender& m, int32_t user) {
  std::vector<float> s(static_cast<size_t>(m.num_items()));
  m.score(user, s);
  double mean = 0;
  for (float x : s) mean += x;
  mean /= static_cast<double>(s.size());
  double var = 0;
  for (float x : s) var += (x - mean) * (x - mean);
  const double sd = std::sqrt(var / static_cast<double>(s.size()));
  std::vector<double> z(s.size());
  for (size_t i = 0; i < s.size(); ++i) z[i] = (s[i] - mean) / sd;
  return z;
}

TEST(Hybrid, ParsesMembersWithTheirParameters) {
  const auto m = parse_hybrid_members("ease:lambda=200+item_knn:k=50:similarity=cosine+bias");
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0].algorithm, "ease");
  EXPECT_EQ(m[0].params, std::vector<std::string>{"lambda=200"});
  EXPECT_EQ(m[1].algorithm, "item_knn");
  EXPECT_EQ(m[1].params, (std::vector<std::string>{"k=50", "similarity=cosine"}));
  EXPECT_TRUE(m[2].params.empty());
  for (const char* bad : {"", "ease+", "+ease", "no_such_algorithm", "ease:lambda=abc",
                          "ease:no_such_param=1", "hybrid", "ease:lambda=200+hybrid:mode=weighted"})
    EXPECT_THROW(parse_hybrid_members(bad), InvalidArgument) << bad;
}

TEST(Hybrid, ParsesWeights) {
  EXPECT_EQ(parse_hybrid_weights("0.7+0.3", 2), (std::vector<double>{0.7, 0.3}));
  EXPECT_EQ(parse_hybrid_weights("", 3), (std::vector<double>{1, 1, 1}));
  for (const char* bad : {"0.7+x", "0+0", "-1+2", "1++2", "inf+1"})
    EXPECT_THROW(parse_hybrid_weights(bad, 0), InvalidArgument) << bad;
  EXPECT_THROW(parse_hybrid_weights("1+2+3", 2), InvalidArgument);
  EXPECT_THROW(make_recommender("hybrid", {"members=ease+item_knn", "weights=1+2+3"}),
               InvalidArgument);
  EXPECT_THROW(make_recommender("hybrid", {"mode=switching", "members=ease+item_knn+bias"}),
               InvalidArgument);
}

TEST(Hybrid, WeightedScoreIsTheWeightedSumOfStandardizedMemberScores) {
  const auto [train, held] = fixtures::planted_communities(5);
  auto hybrid = make_recommender(
      "hybrid", {"members=ease:lambda=10+item_knn:k=5+most_popular", "weights=0.6+0.3+0.1"});
  hybrid->fit(train);
  // The members are deterministic, so fitting them alone gives the hybrid's members.
  std::vector<std::unique_ptr<Recommender>> alone;
  alone.push_back(make_recommender("ease", {"lambda=10"}));
  alone.push_back(make_recommender("item_knn", {"k=5"}));
  alone.push_back(make_recommender("most_popular"));
  for (auto& m : alone) m->fit(train);
  const double w[3] = {0.6, 0.3, 0.1};
  std::vector<float> s(static_cast<size_t>(train.num_items()));
  for (int32_t u : {0, 7, 33}) {
    hybrid->score(u, s);
    std::vector<double> expected(s.size(), 0.0);
    for (int m = 0; m < 3; ++m) {
      const auto z = standardized(*alone[m], u);
      for (size_t i = 0; i < s.size(); ++i) expected[i] += w[m] * z[i];
    }
    for (size_t i = 0; i < s.size(); ++i) EXPECT_NEAR(s[i], expected[i], 1e-4) << u << " " << i;
  }
  // The mix still ranks the planted structure.
  EXPECT_GT(fixtures::held_out_auc(*hybrid, held), 0.95);
}

TEST(Hybrid, SwitchingSendsUsersWithFewRatingsToTheSecondMember) {
  const auto [full, held] = fixtures::planted_communities(6);
  // User 0 keeps 2 training items, everyone else keeps 12.
  std::vector<int64_t> keep;
  for (int64_t e = 0; e < full.nnz(); ++e)
    if (e >= full.user_ptr()[1] || e < full.user_ptr()[0] + 2) keep.push_back(e);
  const Interactions train = full.subset(keep);
  auto h = make_recommender(
      "hybrid", {"mode=switching", "members=ease:lambda=10+most_popular", "min_ratings=3"});
  h->fit(train);
  const auto& hybrid = dynamic_cast<const Hybrid&>(*h);
  EXPECT_EQ(hybrid.member_for(0), 1);
  EXPECT_EQ(hybrid.member_for(1), 0);
  std::vector<float> got(static_cast<size_t>(train.num_items())), want(got.size());
  for (int32_t u : {0, 1}) {
    h->score(u, got);
    hybrid.member(static_cast<size_t>(hybrid.member_for(u))).score(u, want);
    EXPECT_EQ(got, want) << u;
  }
}

TEST(Hybrid, PredictsTheWeightedMeanRatingWhenEveryMemberPredictsRatings) {
  const Interactions data =
      generate_synthetic(parse_synthetic_spec("synthetic:users=40,items=30,per_user=8,seed=3"));
  auto h = make_recommender("hybrid", {"members=user_mean+item_mean", "weights=3+1"});
  const auto* rp = dynamic_cast<const RatingPredictor*>(h.get());
  ASSERT_NE(rp, nullptr);
  h->fit(data);
  auto um = make_recommender("user_mean"), im = make_recommender("item_mean");
  um->fit(data);
  im->fit(data);
  for (int32_t u : {0, 5, 39})
    for (int32_t i : {0, 11, 29}) {
      const double want = (3.0 * dynamic_cast<const RatingPredictor&>(*um).predict(u, i) +
                           dynamic_cast<const RatingPredictor&>(*im).predict(u, i)) /
                          4.0;
      EXPECT_NEAR(rp->predict(u, i), want, 1e-5);
    }
  // A member that cannot predict ratings makes the hybrid a ranker only.
  EXPECT_EQ(dynamic_cast<const RatingPredictor*>(
                make_recommender("hybrid", {"members=user_mean+most_popular"}).get()),
            nullptr);
}

TEST(Hybrid, MembersTravelInsideTheModelFile) {
  const auto [train, held] = fixtures::planted_communities(8);
  for (const std::vector<std::string>& params :
       {std::vector<std::string>{"members=ease:lambda=20+bpr:epochs=3", "weights=2+1"},
        std::vector<std::string>{"mode=switching", "members=item_knn+most_popular"}}) {
    auto h = make_recommender("hybrid", params);
    h->fit(train);
    auto back = fixtures::saved_and_loaded(*h);
    ASSERT_EQ(back->algorithm(), "hybrid");
    std::vector<float> a(static_cast<size_t>(train.num_items())), b(a.size());
    for (int32_t u = 0; u < train.num_users(); u += 9) {
      h->score(u, a);
      back->score(u, b);
      EXPECT_EQ(a, b) << params[0] << " user " << u;
    }
  }
}

}  // namespace
}  // namespace metarec
