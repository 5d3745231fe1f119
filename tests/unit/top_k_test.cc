// top_k: order, ties, exclusions.
#include <gtest/gtest.h>
#include <metarec/core/error.h>
#include <metarec/core/top_k.h>

#include <cmath>
#include <limits>

namespace metarec {
namespace {

TEST(TopK, OrderTiesAndExclusions) {
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<float> s = {0.5f, 2.0f, -inf, 2.0f, NAN, 1.0f, -3.0f};
  auto t = top_k(s, 4);
  ASSERT_EQ(t.size(), 4u);
  EXPECT_EQ(t[0].item, 1);  // 2.0, smaller index first
  EXPECT_EQ(t[1].item, 3);
  EXPECT_EQ(t[2].item, 5);
  EXPECT_EQ(t[3].item, 0);
  auto all = top_k(s, 100);  // -inf and NaN are never returned
  EXPECT_EQ(all.size(), 5u);
  EXPECT_EQ(all.back().item, 6);
  EXPECT_THROW(top_k(s, 0), InvalidArgument);
}

TEST(TopK, MatchesFullSortOnRandomData) {
  std::vector<float> s(1000);
  for (size_t i = 0; i < s.size(); ++i) s[i] = static_cast<float>((i * 7919) % 211);  // many ties
  auto t = top_k(s, 50);
  std::vector<int32_t> idx(s.size());
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = static_cast<int32_t>(i);
  std::stable_sort(idx.begin(), idx.end(), [&](int32_t a, int32_t b) { return s[a] > s[b]; });
  for (size_t r = 0; r < t.size(); ++r) EXPECT_EQ(t[r].item, idx[r]) << r;
}

}  // namespace
}  // namespace metarec
