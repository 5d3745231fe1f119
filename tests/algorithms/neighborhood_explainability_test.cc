// Neighbourhood explainability scores against hand computation, including ratings whose dot
// products pass through zero.
#include <gtest/gtest.h>
#include <metarec/algorithms/common/neighborhood_explainability.h>
#include <metarec/core/error.h>

#include <vector>

namespace metarec {
namespace {

Interactions build(const std::vector<std::vector<std::pair<int, float>>>& rows, int items) {
  InteractionsBuilder b;
  for (size_t u = 0; u < rows.size(); ++u) b.users().intern_int(static_cast<int>(u));
  for (int i = 0; i < items; ++i) b.items().intern_int(i);
  for (size_t u = 0; u < rows.size(); ++u)
    for (const auto& [i, v] : rows[u]) b.add(static_cast<int32_t>(u), i, v);
  InteractionsBuilder::Options o;
  o.feedback = "explicit";
  o.scale_min = -10;
  o.scale_max = 10;
  return b.build(o);
}

TEST(NeighborhoodExplainability, SharesOfTheNearestUsersWhoRatedEachItem) {
  // u0 = (5, 5, 0, 0, 0), u1 = (5, 4, 0, 5, 0), u2 = (1, 0, 3, 0, 0), u3 = (0, 0, 0, 0, 2).
  // cos(u0, u1) = 45 / (sqrt 50 sqrt 66) = 0.783, cos(u0, u2) = 5 / (sqrt 50 sqrt 10) = 0.224;
  // u3 shares no item with anyone.
  const Interactions d =
      build({{{0, 5}, {1, 5}}, {{0, 5}, {1, 4}, {3, 5}}, {{0, 1}, {2, 3}}, {{4, 2}}}, 5);
  auto e = neighborhood_explainability(d, 1, 1);
  ASSERT_EQ(e.num_users(), 4);
  EXPECT_EQ(std::vector<int32_t>(e.user_items(0).begin(), e.user_items(0).end()),
            (std::vector<int32_t>{0, 1, 3}));  // u1 only
  e = neighborhood_explainability(d, 2, 2);
  EXPECT_EQ(std::vector<int32_t>(e.user_items(0).begin(), e.user_items(0).end()),
            (std::vector<int32_t>{0, 1, 2, 3}));
  EXPECT_EQ(std::vector<float>(e.user_values(0).begin(), e.user_values(0).end()),
            (std::vector<float>{1.0f, 0.5f, 0.5f, 0.5f}));  // item 0: both neighbours
  EXPECT_TRUE(e.user_items(3).empty());                     // no co-rater at all
  EXPECT_THROW(neighborhood_explainability(d, 0, 1), InvalidArgument);
}

TEST(NeighborhoodExplainability, ACoRaterWhoseDotProductReturnsToZeroCountsOnce) {
  // u1's partial dot product with u0 runs 1, 0, 1 over items 0, 1, 2: it must still be one
  // neighbour, so with two wanted and one found every share is 1/2 (a duplicate made it 1).
  const Interactions d = build({{{0, 1}, {1, 1}, {2, 1}}, {{0, 1}, {1, -1}, {2, 1}, {3, 2}}}, 4);
  const auto e = neighborhood_explainability(d, 2, 1);
  EXPECT_EQ(std::vector<float>(e.user_values(0).begin(), e.user_values(0).end()),
            (std::vector<float>{0.5f, 0.5f, 0.5f, 0.5f}));
}

}  // namespace
}  // namespace metarec
