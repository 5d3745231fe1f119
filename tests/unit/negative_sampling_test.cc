// Unit tests for NegativeSampler: negatives are never positives or excluded items, distinct
// sampling, popularity weighting (checked statistically against weights computed here), the
// one-eligible-item edge case and determinism by seed.
#include "metarec/data/negative_sampling.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <set>
#include <vector>

#include "metarec/core/error.h"
#include "metarec/core/rng.h"

namespace metarec {
namespace {

constexpr int32_t kItems = 10;

// 60 users, 10 items:
//   user 0: items {1, 3, 5}
//   user 1: every item except 6
//   user 2: every item
//   users 10..59: item 0 (50 users); users 10..29 also item 2 (20 users)
// Item counts: item 0 = 50 + 2 = 52 (users 1, 2 too), item 2 = 20 + 2 = 22, item 6 = 1 (user 2),
// items 1, 3, 5 = 3 (users 0, 1, 2), items 4, 7, 8, 9 = 2 (users 1, 2).
Interactions fixture() {
  InteractionsBuilder b;
  for (int u = 0; u < 60; ++u) b.users().intern_int(u);
  for (int i = 0; i < kItems; ++i) b.items().intern_int(i);
  for (int i : {1, 3, 5}) b.add(0, i, 1.0f);
  for (int i = 0; i < kItems; ++i)
    if (i != 6) b.add(1, i, 1.0f);
  for (int i = 0; i < kItems; ++i) b.add(2, i, 1.0f);
  for (int u = 10; u < 60; ++u) b.add(u, 0, 1.0f);
  for (int u = 10; u < 30; ++u) b.add(u, 2, 1.0f);
  return b.build({});
}

const Interactions& data() {
  static const Interactions d = fixture();
  return d;
}

TEST(NegativeSampler, FixtureCountsAsDocumented) {
  const std::vector<int64_t> counts = {52, 3, 22, 3, 2, 3, 1, 2, 2, 2};
  for (int32_t i = 0; i < kItems; ++i) EXPECT_EQ(data().item_count(i), counts[i]) << i;
}

TEST(NegativeSampler, NeverReturnsAPositiveOrAnExcludedItem) {
  const std::vector<int32_t> extra = {2, 7};  // sorted
  for (NegativeMode mode : {NegativeMode::kUniform, NegativeMode::kPopularity}) {
    const NegativeSampler s(data(), mode);
    Rng rng(1);
    std::set<int32_t> seen;
    for (int k = 0; k < 2000; ++k) {
      const int32_t i = s.sample(0, rng, extra);
      ASSERT_GE(i, 0);
      ASSERT_LT(i, kItems);
      EXPECT_TRUE(i != 1 && i != 3 && i != 5) << "positive " << i;
      EXPECT_TRUE(i != 2 && i != 7) << "excluded " << i;
      seen.insert(i);
    }
    // Every eligible item shows up: {0, 4, 6, 8, 9}.
    EXPECT_EQ(seen, (std::set<int32_t>{0, 4, 6, 8, 9}));
  }
}

TEST(NegativeSampler, SampleDistinctReturnsDistinctEligibleItems) {
  for (NegativeMode mode : {NegativeMode::kUniform, NegativeMode::kPopularity}) {
    const NegativeSampler s(data(), mode);
    Rng rng(2);
    for (int rep = 0; rep < 50; ++rep) {
      std::vector<int32_t> out = {99};  // appended to, not replaced
      s.sample_distinct(0, 4, rng, out, std::vector<int32_t>{9});
      ASSERT_EQ(out.size(), 5u);
      EXPECT_EQ(out[0], 99);
      const std::set<int32_t> got(out.begin() + 1, out.end());
      EXPECT_EQ(got.size(), 4u) << "repeats";
      for (int32_t i : got) EXPECT_TRUE(i == 0 || i == 2 || i == 4 || i == 6 || i == 7 || i == 8);
    }
    // Asking for all six eligible items returns exactly them.
    std::vector<int32_t> all;
    s.sample_distinct(0, 6, rng, all, std::vector<int32_t>{9});
    EXPECT_EQ(std::set<int32_t>(all.begin(), all.end()), (std::set<int32_t>{0, 2, 4, 6, 7, 8}));
    // Seven is more than there are.
    std::vector<int32_t> too_many;
    EXPECT_THROW(s.sample_distinct(0, 7, rng, too_many, std::vector<int32_t>{9}), InvalidArgument);
  }
}

TEST(NegativeSampler, UnsortedExtraExclusionsInSampleDistinct) {
  // sample_distinct sorts its exclusions itself. User 0 without {9, 0, 6, 4} leaves {2, 7, 8}.
  const NegativeSampler s(data(), NegativeMode::kUniform);
  Rng rng(3);
  for (int rep = 0; rep < 50; ++rep) {
    std::vector<int32_t> out;
    s.sample_distinct(0, 2, rng, out, std::vector<int32_t>{9, 0, 6, 4});
    ASSERT_EQ(out.size(), 2u);
    EXPECT_NE(out[0], out[1]);
    for (int32_t i : out) EXPECT_TRUE(i == 2 || i == 7 || i == 8) << i;
  }
}

TEST(NegativeSampler, OnlyOneItemLeftIsAlwaysReturned) {
  for (NegativeMode mode : {NegativeMode::kUniform, NegativeMode::kPopularity}) {
    const NegativeSampler s(data(), mode);
    Rng rng(4);
    for (int k = 0; k < 200; ++k) EXPECT_EQ(s.sample(1, rng), 6);
    std::vector<int32_t> out;
    s.sample_distinct(1, 1, rng, out);
    EXPECT_EQ(out, (std::vector<int32_t>{6}));
    std::vector<int32_t> two;
    EXPECT_THROW(s.sample_distinct(1, 2, rng, two), InvalidArgument);
  }
}

TEST(NegativeSampler, UserWithEveryItemThrows) {
  for (NegativeMode mode : {NegativeMode::kUniform, NegativeMode::kPopularity}) {
    const NegativeSampler s(data(), mode);
    Rng rng(5);
    EXPECT_THROW(s.sample(2, rng), InvalidArgument);
    // User 1 with its last item excluded too.
    EXPECT_THROW(s.sample(1, rng, std::vector<int32_t>{6}), InvalidArgument);
  }
}

TEST(NegativeSampler, UniformIsRoughlyUniform) {
  // User 3 has no positives: each of the 10 items has probability 0.1.
  const NegativeSampler s(data(), NegativeMode::kUniform);
  Rng rng(6);
  const int n = 20000;
  std::vector<int> hits(kItems, 0);
  for (int k = 0; k < n; ++k) ++hits[s.sample(3, rng)];
  for (int32_t i = 0; i < kItems; ++i) EXPECT_NEAR(hits[i] / double(n), 0.1, 0.015) << i;
}

TEST(NegativeSampler, PopularityFollowsSmoothedCounts) {
  // Expected P(i) proportional to (count(i) + 1)^0.75 for user 3 (no positives).
  const std::vector<int64_t> counts = {52, 3, 22, 3, 2, 3, 1, 2, 2, 2};
  std::vector<double> w(kItems);
  double total = 0;
  for (int32_t i = 0; i < kItems; ++i) total += w[i] = std::pow(counts[i] + 1.0, 0.75);
  const NegativeSampler s(data(), NegativeMode::kPopularity, 0.75);
  Rng rng(7);
  const int n = 20000;
  std::vector<int> hits(kItems, 0);
  for (int k = 0; k < n; ++k) ++hits[s.sample(3, rng)];
  for (int32_t i = 0; i < kItems; ++i)
    EXPECT_NEAR(hits[i] / double(n), w[i] / total, 0.015) << "item " << i;
  // The most popular item is drawn far more often than under uniform sampling (0.1).
  EXPECT_GT(hits[0] / double(n), 0.3);
}

TEST(NegativeSampler, PopularityPrefersPopularItemsAmongEligible) {
  // User 0 excludes 1, 3, 5: item 0 (count 52) must beat item 6 (count 1) by a wide margin.
  const NegativeSampler pop(data(), NegativeMode::kPopularity);
  const NegativeSampler uni(data(), NegativeMode::kUniform);
  Rng r1(8), r2(8);
  int pop0 = 0, pop6 = 0, uni0 = 0;
  for (int k = 0; k < 5000; ++k) {
    const int32_t a = pop.sample(0, r1);
    pop0 += a == 0;
    pop6 += a == 6;
    uni0 += uni.sample(0, r2) == 0;
  }
  EXPECT_GT(pop0, 5 * pop6);
  EXPECT_GT(pop0, 2 * uni0);
}

TEST(NegativeSampler, ExponentZeroIsUniform) {
  const NegativeSampler s(data(), NegativeMode::kPopularity, 0.0);
  Rng rng(9);
  const int n = 20000;
  std::vector<int> hits(kItems, 0);
  for (int k = 0; k < n; ++k) ++hits[s.sample(3, rng)];
  for (int32_t i = 0; i < kItems; ++i) EXPECT_NEAR(hits[i] / double(n), 0.1, 0.015) << i;
}

TEST(NegativeSampler, DeterministicBySeed) {
  for (NegativeMode mode : {NegativeMode::kUniform, NegativeMode::kPopularity}) {
    const NegativeSampler s(data(), mode);
    auto draw = [&](uint64_t seed) {
      Rng rng(seed);
      std::vector<int32_t> out;
      for (int k = 0; k < 100; ++k) out.push_back(s.sample(3, rng));
      s.sample_distinct(0, 5, rng, out);
      return out;
    };
    EXPECT_EQ(draw(11), draw(11));
    EXPECT_NE(draw(11), draw(12));
  }
}

}  // namespace
}  // namespace metarec
