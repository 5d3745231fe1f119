// Unit tests for the evaluation metrics, checked against values computed by hand on tiny fixtures.
#include "metarec/eval/metrics.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "metarec/core/error.h"

namespace metarec {
namespace {

constexpr double kTol = 1e-12;
constexpr float kExcluded = -std::numeric_limits<float>::infinity();

using Ids = std::vector<int32_t>;
using Lists = std::vector<std::vector<int32_t>>;

// Shared ranking fixture: ranked {3, 1, 7, 4, 5}, relevant {1, 5, 7, 9}.
// Hits at 0-based ranks 1 (item 1), 2 (item 7) and 4 (item 5); item 9 is never recommended.
const Ids kRanked = {3, 1, 7, 4, 5};
const Ids kRelevant = {1, 5, 7, 9};

TEST(Metrics, PrecisionHandComputed) {
  // k=3: top {3,1,7} has 2 hits -> 2/3.  k=5: 3 hits -> 3/5.  k=1: {3} has no hit -> 0.
  EXPECT_NEAR(precision_at_k(kRanked, kRelevant, 3), 2.0 / 3.0, kTol);
  EXPECT_NEAR(precision_at_k(kRanked, kRelevant, 5), 3.0 / 5.0, kTol);
  EXPECT_EQ(precision_at_k(kRanked, kRelevant, 1), 0.0);
}

TEST(Metrics, PrecisionDividesByKWhenListIsShorter) {
  // k=10 > 5 items: still 3 hits, denominator k -> 3/10.
  EXPECT_NEAR(precision_at_k(kRanked, kRelevant, 10), 3.0 / 10.0, kTol);
}

TEST(Metrics, HitsAtKHandComputed) {
  // k=1: {3} -> 0.  k=3: {3,1,7} -> 2.  k=5 and k=10 (longer than the list): 3.
  EXPECT_EQ(hits_at_k(kRanked, kRelevant, 1), 0);
  EXPECT_EQ(hits_at_k(kRanked, kRelevant, 3), 2);
  EXPECT_EQ(hits_at_k(kRanked, kRelevant, 5), 3);
  EXPECT_EQ(hits_at_k(kRanked, kRelevant, 10), 3);
  EXPECT_EQ(hits_at_k(kRanked, Ids{}, 3), 0);
  EXPECT_THROW(hits_at_k(kRanked, kRelevant, 0), InvalidArgument);
}

TEST(Metrics, RecallHandComputed) {
  // |relevant| = 4.  k=3: 2/4.  k=5: 3/4.  k=10: still 3/4 (item 9 never recommended).  k=1: 0.
  EXPECT_NEAR(recall_at_k(kRanked, kRelevant, 3), 0.5, kTol);
  EXPECT_NEAR(recall_at_k(kRanked, kRelevant, 5), 0.75, kTol);
  EXPECT_NEAR(recall_at_k(kRanked, kRelevant, 10), 0.75, kTol);
  EXPECT_EQ(recall_at_k(kRanked, kRelevant, 1), 0.0);
}

TEST(Metrics, RecallCappedHandComputed) {
  // |relevant| = 4. k=1: 0 hits / min(1, 4).  k=3: 2 hits / min(3, 4) = 2/3 (recall: 2/4).
  // k=5: 3 / min(5, 4) = 3/4, as recall once k >= |relevant|.  k=10: 3/4.
  EXPECT_EQ(recall_capped_at_k(kRanked, kRelevant, 1), 0.0);
  EXPECT_NEAR(recall_capped_at_k(kRanked, kRelevant, 3), 2.0 / 3.0, kTol);
  EXPECT_NEAR(recall_capped_at_k(kRanked, kRelevant, 5), 0.75, kTol);
  EXPECT_NEAR(recall_capped_at_k(kRanked, kRelevant, 10), 0.75, kTol);
  // A top 2 that is all relevant scores 1 although 2 of the 4 relevant items are missed.
  EXPECT_EQ(recall_capped_at_k(Ids{7, 1, 3}, kRelevant, 2), 1.0);
  EXPECT_NEAR(recall_at_k(Ids{7, 1, 3}, kRelevant, 2), 0.5, kTol);
  EXPECT_EQ(recall_capped_at_k(kRanked, Ids{}, 3), 0.0);
  EXPECT_EQ(recall_capped_at_k(Ids{}, kRelevant, 3), 0.0);
  EXPECT_THROW(recall_capped_at_k(kRanked, kRelevant, 0), InvalidArgument);
  EXPECT_THROW(recall_capped_at_k(kRanked, Ids{5, 1}, 3), InvalidArgument);
  EXPECT_THROW(recall_capped_at_k(Ids{1, 1}, Ids{1}, 2), InvalidArgument);
}

TEST(Metrics, HitRateHandComputed) {
  // k=1: {3} misses -> 0.  k=2: {3,1} hits item 1 -> 1.
  EXPECT_EQ(hit_rate_at_k(kRanked, kRelevant, 1), 0.0);
  EXPECT_EQ(hit_rate_at_k(kRanked, kRelevant, 2), 1.0);
  EXPECT_EQ(hit_rate_at_k(kRanked, kRelevant, 10), 1.0);
}

TEST(Metrics, NdcgHandComputed) {
  // k=3: DCG = 1/log2(3) + 1/log2(4) = 0.63093 + 0.5 = 1.13093 (hits at ranks 1, 2).
  //      IDCG over min(4, 3) = 3 hits = 1/log2(2) + 1/log2(3) + 1/log2(4) = 2.13093.
  //      NDCG = 1.13093 / 2.13093 = 0.5307212739772434.
  EXPECT_NEAR(ndcg_at_k(kRanked, kRelevant, 3), 0.5307212739772434, 1e-12);
  // k=5: DCG = 1/log2(3) + 1/log2(4) + 1/log2(6);
  //      IDCG over min(4, 5) = 4 = 1 + 1/log2(3) + 1/log2(4) + 1/log2(5).
  //      NDCG = 1.51778 / 2.56161 = 0.592512031964586.
  EXPECT_NEAR(ndcg_at_k(kRanked, kRelevant, 5), 0.592512031964586, 1e-12);
  // k=10 > list length: the same hits and the same IDCG (min(4, 10) = 4) as k=5.
  EXPECT_NEAR(ndcg_at_k(kRanked, kRelevant, 10), 0.592512031964586, 1e-12);
  EXPECT_EQ(ndcg_at_k(kRanked, kRelevant, 1), 0.0);
}

TEST(Metrics, NdcgOfIdealRankingIsOne) {
  // ranked {7, 5, 1, 2}, relevant {1, 5, 7}: hits at ranks 0, 1, 2 = the ideal ordering.
  const Ids ranked = {7, 5, 1, 2};
  const Ids relevant = {1, 5, 7};
  EXPECT_NEAR(ndcg_at_k(ranked, relevant, 4), 1.0, kTol);
  // k=2: DCG = 1 + 1/log2(3); IDCG over min(3, 2) = 2 is the same -> 1.
  EXPECT_NEAR(ndcg_at_k(ranked, relevant, 2), 1.0, kTol);
}

TEST(Metrics, AveragePrecisionHandComputed) {
  // k=3: hits at ranks 1, 2 -> P@2 = 1/2, P@3 = 2/3; sum 7/6; / min(4, 3) = 3 -> 7/18.
  EXPECT_NEAR(average_precision_at_k(kRanked, kRelevant, 3), 7.0 / 18.0, kTol);
  // k=5: + hit at rank 4 -> P@5 = 3/5; sum 1/2 + 2/3 + 3/5 = 53/30; / min(4, 5) = 4 -> 53/120.
  EXPECT_NEAR(average_precision_at_k(kRanked, kRelevant, 5), 53.0 / 120.0, kTol);
  // k=10 > list length: same hits, same denominator 4.
  EXPECT_NEAR(average_precision_at_k(kRanked, kRelevant, 10), 53.0 / 120.0, kTol);
  EXPECT_EQ(average_precision_at_k(kRanked, kRelevant, 1), 0.0);
  // ranked {2, 8}, relevant {8}, k=2: hit at rank 1 -> P@2 = 1/2; / min(1, 2) = 1 -> 1/2.
  EXPECT_NEAR(average_precision_at_k(Ids{2, 8}, Ids{8}, 2), 0.5, kTol);
}

TEST(Metrics, ReciprocalRankHandComputed) {
  // First hit is item 1 at rank 1 -> 1/2; k=1 sees only item 3 -> 0.
  EXPECT_NEAR(reciprocal_rank_at_k(kRanked, kRelevant, 3), 0.5, kTol);
  EXPECT_NEAR(reciprocal_rank_at_k(kRanked, kRelevant, 10), 0.5, kTol);
  EXPECT_EQ(reciprocal_rank_at_k(kRanked, kRelevant, 1), 0.0);
  // ranked {4, 6, 9}, relevant {9}: first hit at rank 2 -> 1/3; at rank 0 -> 1.
  EXPECT_NEAR(reciprocal_rank_at_k(Ids{4, 6, 9}, Ids{9}, 3), 1.0 / 3.0, kTol);
  EXPECT_EQ(reciprocal_rank_at_k(Ids{9, 6, 4}, Ids{9}, 3), 1.0);
}

TEST(Metrics, RankingMetricsWithEmptyRelevantAreZero) {
  const Ids none;
  EXPECT_EQ(precision_at_k(kRanked, none, 3), 0.0);
  EXPECT_EQ(recall_at_k(kRanked, none, 3), 0.0);
  EXPECT_EQ(hit_rate_at_k(kRanked, none, 3), 0.0);
  EXPECT_EQ(ndcg_at_k(kRanked, none, 3), 0.0);
  EXPECT_EQ(average_precision_at_k(kRanked, none, 3), 0.0);
  EXPECT_EQ(reciprocal_rank_at_k(kRanked, none, 3), 0.0);
}

TEST(Metrics, RankingMetricsWithEmptyRankedAreZero) {
  const Ids none;
  EXPECT_EQ(precision_at_k(none, kRelevant, 3), 0.0);
  EXPECT_EQ(recall_at_k(none, kRelevant, 3), 0.0);
  EXPECT_EQ(hit_rate_at_k(none, kRelevant, 3), 0.0);
  EXPECT_EQ(ndcg_at_k(none, kRelevant, 3), 0.0);
  EXPECT_EQ(average_precision_at_k(none, kRelevant, 3), 0.0);
  EXPECT_EQ(reciprocal_rank_at_k(none, kRelevant, 3), 0.0);
}

TEST(Metrics, RankingMetricsRejectBadArguments) {
  for (const int k : {0, -1}) {
    EXPECT_THROW(precision_at_k(kRanked, kRelevant, k), InvalidArgument);
    EXPECT_THROW(recall_at_k(kRanked, kRelevant, k), InvalidArgument);
    EXPECT_THROW(hit_rate_at_k(kRanked, kRelevant, k), InvalidArgument);
    EXPECT_THROW(ndcg_at_k(kRanked, kRelevant, k), InvalidArgument);
    EXPECT_THROW(average_precision_at_k(kRanked, kRelevant, k), InvalidArgument);
    EXPECT_THROW(reciprocal_rank_at_k(kRanked, kRelevant, k), InvalidArgument);
  }
  // relevant must be sorted and duplicate-free.
  EXPECT_THROW(recall_at_k(kRanked, Ids{5, 1}, 3), InvalidArgument);
  EXPECT_THROW(ndcg_at_k(kRanked, Ids{1, 1, 5}, 3), InvalidArgument);
  // A repeated item in the top k would count twice.
  EXPECT_THROW(recall_at_k(Ids{1, 2, 1}, Ids{1}, 3), InvalidArgument);
  EXPECT_THROW(precision_at_k(Ids{1, 1}, Ids{1}, 2), InvalidArgument);
  // A repeat beyond the cut-off is not looked at.
  EXPECT_NEAR(recall_at_k(Ids{1, 2, 1}, Ids{1}, 2), 1.0, kTol);
}

TEST(Metrics, AucHandComputed) {
  // candidates {10..14} with scores 0.9 .. 0.5; relevant {11, 14}.
  // positive 11 (0.8) beats negatives 12 (0.7), 13 (0.6), loses to 10 (0.9) -> 2 wins;
  // positive 14 (0.5) loses to all three -> 0 wins.  AUC = 2 / (2 * 3) = 1/3.
  const std::vector<float> scores = {0.9f, 0.8f, 0.7f, 0.6f, 0.5f};
  const Ids candidates = {10, 11, 12, 13, 14};
  EXPECT_NEAR(auc(scores, candidates, Ids{11, 14}), 1.0 / 3.0, kTol);
  // Relevant items outside the candidate set (99) are ignored.
  EXPECT_NEAR(auc(scores, candidates, Ids{11, 14, 99}), 1.0 / 3.0, kTol);
  // Perfect and reversed orderings.
  EXPECT_EQ(auc(scores, candidates, Ids{10, 11}), 1.0);
  EXPECT_EQ(auc(scores, candidates, Ids{13, 14}), 0.0);
}

TEST(Metrics, AucCountsTiesAsHalf) {
  // candidates {1, 2, 3, 4} (unsorted order is fine) scores {0.5, 0.5, 0.2, 0.5}; relevant {1}.
  // positive 1 (0.5): ties 2 -> 1/2, beats 3 -> 1, ties 4 -> 1/2.  AUC = 2 / 3.
  const std::vector<float> scores = {0.5f, 0.5f, 0.2f, 0.5f};
  EXPECT_NEAR(auc(scores, Ids{1, 2, 3, 4}, Ids{1}), 2.0 / 3.0, kTol);
  EXPECT_NEAR(auc(scores, Ids{4, 2, 3, 1}, Ids{4}), 2.0 / 3.0, kTol);
  // Constant scores: every pair ties -> 1/2.
  const std::vector<float> constant = {1.0f, 1.0f, 1.0f, 1.0f, 1.0f};
  EXPECT_NEAR(auc(constant, Ids{0, 1, 2, 3, 4}, Ids{1, 3}), 0.5, kTol);
}

TEST(Metrics, AucMatchesPairCountOnTiedFixture) {
  // 60 candidates whose scores take only 7 distinct values (many ties), every third relevant.
  // Reference: the O(n^2) definition, counted directly here.
  std::vector<float> scores;
  Ids candidates;
  Ids relevant;
  for (int32_t i = 0; i < 60; ++i) {
    scores.push_back(static_cast<float>((i * 37) % 7));
    candidates.push_back(100 + (i * 13) % 60);  // a permutation of 100..159
  }
  for (int32_t i = 0; i < 60; i += 3) relevant.push_back(100 + (i * 13) % 60);
  std::sort(relevant.begin(), relevant.end());
  double wins = 0.0;
  double pairs = 0.0;
  for (int32_t p = 0; p < 60; p += 3) {
    for (int32_t q = 0; q < 60; ++q) {
      if (q % 3 == 0) continue;
      pairs += 1.0;
      if (scores[p] > scores[q]) wins += 1.0;
      if (scores[p] == scores[q]) wins += 0.5;
    }
  }
  ASSERT_EQ(pairs, 20.0 * 40.0);
  EXPECT_NEAR(auc(scores, candidates, relevant), wins / pairs, kTol);
}

TEST(Metrics, AucRejectsBadArguments) {
  const std::vector<float> scores = {0.3f, 0.2f, 0.1f};
  const Ids candidates = {0, 1, 2};
  EXPECT_THROW(auc(scores, Ids{0, 1}, Ids{0}), InvalidArgument);         // length mismatch
  EXPECT_THROW(auc(scores, candidates, Ids{}), InvalidArgument);         // no positive
  EXPECT_THROW(auc(scores, candidates, Ids{7}), InvalidArgument);        // no positive
  EXPECT_THROW(auc(scores, candidates, Ids{0, 1, 2}), InvalidArgument);  // no negative
  EXPECT_THROW(auc(scores, candidates, Ids{1, 0}), InvalidArgument);     // unsorted relevant
  EXPECT_THROW(auc(scores, Ids{0, 1, 0}, Ids{0}), InvalidArgument);      // duplicate candidate
  const std::vector<float> with_nan = {0.3f, std::nanf(""), 0.1f};
  EXPECT_THROW(auc(with_nan, candidates, Ids{0}), InvalidArgument);
}

TEST(Metrics, RankOfHandComputed) {
  // scores: [0]=0.1 [1]=0.9 [2]=0.5 [3]=0.5 [4]=-inf (excluded) [5]=0.3
  const std::vector<float> scores = {0.1f, 0.9f, 0.5f, 0.5f, kExcluded, 0.3f};
  EXPECT_EQ(rank_of(scores, 1), 0);  // nothing above 0.9
  EXPECT_EQ(rank_of(scores, 2), 2);  // 0.9 greater + [3] ties -> 1 + 1
  EXPECT_EQ(rank_of(scores, 3), 2);  // symmetric: 0.9 greater + [2] ties
  EXPECT_EQ(rank_of(scores, 5), 3);  // 0.9, 0.5, 0.5
  EXPECT_EQ(rank_of(scores, 0), 4);  // 0.9, 0.5, 0.5, 0.3; the -inf entry does not count
}

TEST(Metrics, RankOfResolvesTiesAgainstTarget) {
  // Constant scores: the 3 other entries all tie and all count -> rank 3, for any target.
  const std::vector<float> constant = {2.0f, 2.0f, 2.0f, 2.0f};
  EXPECT_EQ(rank_of(constant, 0), 3);
  EXPECT_EQ(rank_of(constant, 3), 3);
}

TEST(Metrics, RankOfSkipsExcludedEntries) {
  // Target at the lowest possible finite score: the two -inf entries are excluded, not below it.
  const float lowest = std::numeric_limits<float>::lowest();
  const std::vector<float> scores = {kExcluded, lowest, kExcluded, 1.0f};
  EXPECT_EQ(rank_of(scores, 1), 1);  // only 1.0 is above
  EXPECT_EQ(rank_of(scores, 3), 0);
  // +inf is an ordinary (very high) score.
  const std::vector<float> with_inf = {std::numeric_limits<float>::infinity(), 1.0f};
  EXPECT_EQ(rank_of(with_inf, 1), 1);
}

TEST(Metrics, RankOfRejectsBadArguments) {
  const std::vector<float> scores = {0.1f, kExcluded, 0.3f};
  EXPECT_THROW(rank_of(scores, -1), InvalidArgument);
  EXPECT_THROW(rank_of(scores, 3), InvalidArgument);
  EXPECT_THROW(rank_of(scores, 1), InvalidArgument);  // the target itself is excluded
  EXPECT_THROW(rank_of(std::vector<float>{}, 0), InvalidArgument);
  const std::vector<float> with_nan = {0.1f, std::nanf(""), 0.3f};
  EXPECT_THROW(rank_of(with_nan, 0), InvalidArgument);
}

TEST(Metrics, TopKCategoricalAccuracyHandComputed) {
  // Target 2 has rank 2 (see RankOfHandComputed): in the top 3, not in the top 2.
  const std::vector<float> scores = {0.1f, 0.9f, 0.5f, 0.5f, kExcluded, 0.3f};
  EXPECT_EQ(top_k_categorical_accuracy(scores, 2, 2), 0.0);
  EXPECT_EQ(top_k_categorical_accuracy(scores, 2, 3), 1.0);
  EXPECT_EQ(top_k_categorical_accuracy(scores, 1, 1), 1.0);
  // k larger than the number of scores: always a hit.
  EXPECT_EQ(top_k_categorical_accuracy(scores, 0, 100), 1.0);
  // Constant scores with 4 entries: rank 3, so only k >= 4 counts it.
  const std::vector<float> constant = {2.0f, 2.0f, 2.0f, 2.0f};
  EXPECT_EQ(top_k_categorical_accuracy(constant, 0, 3), 0.0);
  EXPECT_EQ(top_k_categorical_accuracy(constant, 0, 4), 1.0);
  EXPECT_THROW(top_k_categorical_accuracy(scores, 2, 0), InvalidArgument);
  EXPECT_THROW(top_k_categorical_accuracy(scores, 9, 3), InvalidArgument);
}

TEST(Metrics, RmseAndMaeHandComputed) {
  // errors: 1-2 = -1, 2-2 = 0, 3-5 = -2.
  // RMSE = sqrt((1 + 0 + 4) / 3) = sqrt(5/3) = 1.2909944487358056.  MAE = (1 + 0 + 2) / 3 = 1.
  const std::vector<float> predicted = {1.0f, 2.0f, 3.0f};
  const std::vector<float> actual = {2.0f, 2.0f, 5.0f};
  EXPECT_NEAR(rmse(predicted, actual), 1.2909944487358056, kTol);
  EXPECT_NEAR(mae(predicted, actual), 1.0, kTol);
  EXPECT_EQ(rmse(actual, actual), 0.0);
  EXPECT_EQ(mae(actual, actual), 0.0);
}

TEST(Metrics, RmseAndMaeRejectBadArguments) {
  const std::vector<float> three = {1.0f, 2.0f, 3.0f};
  const std::vector<float> two = {1.0f, 2.0f};
  const std::vector<float> empty;
  const std::vector<float> with_nan = {1.0f, std::nanf(""), 3.0f};
  EXPECT_THROW(rmse(three, two), InvalidArgument);
  EXPECT_THROW(mae(three, two), InvalidArgument);
  EXPECT_THROW(rmse(empty, empty), InvalidArgument);
  EXPECT_THROW(mae(empty, empty), InvalidArgument);
  EXPECT_THROW(rmse(three, with_nan), InvalidArgument);
  EXPECT_THROW(mae(with_nan, three), InvalidArgument);
}

TEST(Metrics, CatalogCoverageHandComputed) {
  // Distinct recommended items {0, 2, 3} out of 5 -> 3/5.
  EXPECT_NEAR(catalog_coverage(Lists{{0, 2}, {2, 3}, {}}, 5), 0.6, kTol);
  EXPECT_EQ(catalog_coverage(Lists{{}, {}}, 5), 0.0);
  EXPECT_EQ(catalog_coverage(Lists{}, 5), 0.0);
  EXPECT_EQ(catalog_coverage(Lists{{1, 0}, {2}}, 3), 1.0);
  EXPECT_THROW(catalog_coverage(Lists{{0, 5}}, 5), InvalidArgument);
  EXPECT_THROW(catalog_coverage(Lists{{-1}}, 5), InvalidArgument);
  EXPECT_THROW(catalog_coverage(Lists{{0}}, 0), InvalidArgument);
}

// Item features (genre ids): 0 {0,1}, 1 {1,2}, 2 {3}, 3 {0,1}, 4 {0,1,2,3}, 5 {} (no features).
const Lists kFeatures = {{0, 1}, {1, 2}, {3}, {0, 1}, {0, 1, 2, 3}, {}};

TEST(Metrics, IntraListDiversityHandComputed) {
  // List {0,1,2}: cos(0,1) = |{1}| / sqrt(2*2) = 1/2 -> distance 1/2; cos(0,2) = 0 -> 1;
  //               cos(1,2) = 0 -> 1.  Mean = (1/2 + 1 + 1) / 3 = 5/6.
  // List {0,3}:   identical features, cos = 2 / sqrt(2*2) = 1 -> distance 0.  Mean 0.
  // Lists {1} and {} have fewer than 2 items and are skipped.  ILD = (5/6 + 0) / 2 = 5/12.
  EXPECT_NEAR(intra_list_diversity(Lists{{0, 1, 2}, {0, 3}, {1}, {}}, kFeatures), 5.0 / 12.0, kTol);
}

TEST(Metrics, IntraListDiversityUsesCosineNotJaccard) {
  // Items 0 {0,1} and 4 {0,1,2,3}: cos = 2 / sqrt(2*4) = 1/sqrt(2); distance = 1 - 0.70711 =
  // 0.29289. (Jaccard distance would be 1 - 2/4 = 0.5.)
  EXPECT_NEAR(intra_list_diversity(Lists{{0, 4}}, kFeatures), 1.0 - 1.0 / std::sqrt(2.0), kTol);
}

TEST(Metrics, IntraListDiversityEdgeCases) {
  // An item without features is at distance 1 from everything, even an identical empty set.
  EXPECT_NEAR(intra_list_diversity(Lists{{5, 3}}, kFeatures), 1.0, kTol);
  // No list with 2 items -> 0.
  EXPECT_EQ(intra_list_diversity(Lists{{1}, {}}, kFeatures), 0.0);
  EXPECT_EQ(intra_list_diversity(Lists{}, kFeatures), 0.0);
  EXPECT_THROW(intra_list_diversity(Lists{{0, 6}}, kFeatures), InvalidArgument);
  EXPECT_THROW(intra_list_diversity(Lists{{-1, 0}}, kFeatures), InvalidArgument);
  EXPECT_THROW(intra_list_diversity(Lists{{0, 1}}, Lists{{1, 0}, {2}}), InvalidArgument);
}

TEST(Metrics, NoveltyHandComputed) {
  // popularity {10, 5, 0, 1}, 10 users.  Self-information -log2(pop / 10):
  // item 0: -log2(1) = 0; item 1: -log2(1/2) = 1; item 2: pop 0 -> 1 -> log2(10); item 3: log2(10).
  // Lists {0,1} and {2,3,1}: 0 + 1 + log2(10) + log2(10) + 1 over 5 items = (2 + 2 log2 10) / 5
  // = 1.7287712379549447.
  const std::vector<int64_t> popularity = {10, 5, 0, 1};
  EXPECT_NEAR(novelty(Lists{{0, 1}, {2, 3, 1}}, popularity, 10), 1.7287712379549447, kTol);
  EXPECT_EQ(novelty(Lists{{0}, {0, 0}}, popularity, 10), 0.0);
  EXPECT_EQ(novelty(Lists{{}, {}}, popularity, 10), 0.0);
}

TEST(Metrics, NoveltyRejectsBadArguments) {
  const std::vector<int64_t> popularity = {10, 5, 0, 1};
  EXPECT_THROW(novelty(Lists{{0}}, popularity, 0), InvalidArgument);
  EXPECT_THROW(novelty(Lists{{0}}, popularity, 9), InvalidArgument);  // popularity 10 > 9 users
  EXPECT_THROW(novelty(Lists{{4}}, popularity, 10), InvalidArgument);
  EXPECT_THROW(novelty(Lists{{-1}}, popularity, 10), InvalidArgument);
  const std::vector<int64_t> negative = {3, -1};
  EXPECT_THROW(novelty(Lists{{0}}, negative, 10), InvalidArgument);
}

TEST(Metrics, GiniHandComputed) {
  // Sorted formula G = sum_i (2i - n - 1) x_(i) / (n * sum x), i = 1..n.
  // {1,2,3,4}: (-3*1 - 1*2 + 1*3 + 3*4) / (4 * 10) = 10 / 40 = 0.25.
  // Cross-check by mean absolute difference: sum_{i<j} |xi - xj| = 1+2+3+1+2+1 = 10;
  // G = 2 * 10 / (2 * n^2 * mean) = 20 / (2 * 16 * 2.5) = 0.25.
  EXPECT_NEAR(gini({1.0, 2.0, 3.0, 4.0}), 0.25, kTol);
  EXPECT_NEAR(gini({4.0, 1.0, 3.0, 2.0}), 0.25, kTol);  // order does not matter
  // One non-zero among 4: (3 * 1) / (4 * 1) = 3/4 = (n - 1) / n.
  EXPECT_NEAR(gini({0.0, 0.0, 1.0, 0.0}), 0.75, kTol);
  EXPECT_EQ(gini({1.0, 1.0, 1.0}), 0.0);
  EXPECT_EQ(gini({0.0, 0.0, 0.0}), 0.0);
  EXPECT_EQ(gini({5.0}), 0.0);
}

TEST(Metrics, GiniRejectsBadArguments) {
  EXPECT_THROW(gini({}), InvalidArgument);
  EXPECT_THROW(gini({1.0, -0.5}), InvalidArgument);
  EXPECT_THROW(gini({1.0, std::nan("")}), InvalidArgument);
  EXPECT_THROW(gini({1.0, std::numeric_limits<double>::infinity()}), InvalidArgument);
}

TEST(Metrics, GiniOfExposureHandComputed) {
  // Lists {0,1}, {0,2}, {0} over 4 items -> exposure counts {3, 1, 1, 0}; sorted {0, 1, 1, 3},
  // sum 5. G = (-3*0 - 1*1 + 1*1 + 3*3) / (4 * 5) = 9 / 20 = 0.45.
  EXPECT_NEAR(gini_of_exposure(Lists{{0, 1}, {0, 2}, {0}}, 4), 0.45, kTol);
  // Every item shown once -> 0.  Nothing shown -> all-zero exposure -> 0.
  EXPECT_EQ(gini_of_exposure(Lists{{0, 1}, {2, 3}}, 4), 0.0);
  EXPECT_EQ(gini_of_exposure(Lists{{}, {}}, 4), 0.0);
  EXPECT_THROW(gini_of_exposure(Lists{{4}}, 4), InvalidArgument);
  EXPECT_THROW(gini_of_exposure(Lists{{0}}, 0), InvalidArgument);
}

}  // namespace
}  // namespace metarec

namespace metarec {
namespace {

TEST(Metrics, ExplainabilityAtKHandComputed) {
  const std::vector<int32_t> ranked = {4, 7, 1, 9};
  const std::vector<int32_t> explainable = {1, 4, 8};
  // Top 3: 4 (yes), 7 (no), 1 (yes).
  auto e = explainability_at_k(ranked, explainable, 3);
  EXPECT_DOUBLE_EQ(e.precision, 2.0 / 3);
  EXPECT_DOUBLE_EQ(e.recall, 2.0 / 3);
  e = explainability_at_k(ranked, explainable, 1);
  EXPECT_DOUBLE_EQ(e.precision, 1.0);
  EXPECT_DOUBLE_EQ(e.recall, 1.0 / 3);
  // A list shorter than k still divides by k, as precision@k does.
  e = explainability_at_k(std::vector<int32_t>{8}, explainable, 4);
  EXPECT_DOUBLE_EQ(e.precision, 0.25);
  EXPECT_TRUE(std::isnan(explainability_at_k(ranked, {}, 2).recall));
  EXPECT_THROW(explainability_at_k(ranked, explainable, 0), InvalidArgument);
}

}  // namespace
}  // namespace metarec
