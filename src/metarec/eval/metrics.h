// Evaluation metrics: per-user ranking accuracy, rating error, and beyond-accuracy measures.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace metarec {

// ---------------------------------------------------------------------------------------------
// Ranking metrics for one user. Shared contract:
//   `ranked`   item ids in rank order, best first; only the first k count. Its top k must be
//              duplicate-free. It may be shorter than k.
//   `relevant` the user's held-out relevant items, sorted ascending and duplicate-free.
//   `k`        cut-off, > 0.
// Violations throw metarec::InvalidArgument. All functions are pure and thread-safe.
// ---------------------------------------------------------------------------------------------

/// Precision@k = hits in the top k / k. The denominator is k even when `ranked` is shorter, so a
/// short list is not rewarded for recommending fewer items.
double precision_at_k(std::span<const int32_t> ranked, std::span<const int32_t> relevant, int k);

/// Hits@k: how many of the top k are relevant. The per-user numerator of precision@k, recall@k
/// and of precision_capped@k, which the evaluator micro-averages as
///   sum over users of hits_at_k / sum over users of min(k, |relevant|)
/// (the "precision" of implicit's ranking_metrics_at_k). That ratio equals precision@k when every
/// user has at least k relevant items, and does not penalise users with fewer than k.
int64_t hits_at_k(std::span<const int32_t> ranked, std::span<const int32_t> relevant, int k);

/// Recall@k = hits in the top k / |relevant|; 0 when `relevant` is empty.
double recall_at_k(std::span<const int32_t> ranked, std::span<const int32_t> relevant, int k);

/// Capped recall@k = hits in the top k / min(k, |relevant|); 0 when `relevant` is empty. This is
/// the Recall@k of Liang et al. 2018 (Mult-VAE), averaged over users by the evaluator: it reaches
/// 1 when the top k is all relevant, even for a user with more than k relevant items. Not to be
/// confused with precision_capped, which divides sums over users (a ratio of sums).
double recall_capped_at_k(std::span<const int32_t> ranked, std::span<const int32_t> relevant,
                          int k);

/// Hit rate@k: 1 if any of the top k is relevant, else 0.
double hit_rate_at_k(std::span<const int32_t> ranked, std::span<const int32_t> relevant, int k);

/// NDCG@k with binary gains: DCG = sum over hits at 0-based rank r < k of 1 / log2(r + 2), divided
/// by the ideal DCG of min(|relevant|, k) hits at ranks 0, 1, ...; 0 when `relevant` is empty.
double ndcg_at_k(std::span<const int32_t> ranked, std::span<const int32_t> relevant, int k);

/// Average precision@k (the per-user term of MAP@k): sum over hits at 0-based rank r < k of
/// precision@(r + 1), divided by min(|relevant|, k); 0 when `relevant` is empty.
double average_precision_at_k(std::span<const int32_t> ranked, std::span<const int32_t> relevant,
                              int k);

/// Reciprocal rank@k: 1 / (r + 1) for the 0-based rank r of the first hit within the top k, else 0.
double reciprocal_rank_at_k(std::span<const int32_t> ranked, std::span<const int32_t> relevant,
                            int k);

// ---------------------------------------------------------------------------------------------
// Score-based metrics for one user.
// ---------------------------------------------------------------------------------------------

/// AUC over a candidate set: the fraction of (relevant, non-relevant) candidate pairs in which the
/// relevant one scores higher; ties count 1/2. `scores` and `candidates` have the same length n;
/// `scores[i]` is the score of item `candidates[i]`; candidates are duplicate-free, in any order.
/// `relevant` is sorted and duplicate-free; relevant items that are not candidates are ignored.
/// Throws InvalidArgument when the candidates contain no relevant or no non-relevant item (AUC is
/// undefined there; callers skip such users) or when a score is NaN. O(n log n) time, O(n) memory.
double auc(std::span<const float> scores, std::span<const int32_t> candidates,
           std::span<const int32_t> relevant);

/// 0-based rank of `scores[target]` among `scores` (one score per item, indexed by item id):
/// the number of entries strictly greater plus the number of other entries equal to it. Ties are
/// resolved against the target so that constant scores never look good. Entries equal to
/// -infinity are excluded candidates (e.g. already-seen items) and never count; the target itself
/// must not be excluded. Throws InvalidArgument on NaN scores or a target outside [0, n). O(n).
int64_t rank_of(std::span<const float> scores, int32_t target);

/// Top-k categorical accuracy for one test interaction, as TensorFlow Recommenders' FactorizedTopK
/// reports it: 1 if rank_of(scores, target) < k, else 0. k > 0.
double top_k_categorical_accuracy(std::span<const float> scores, int32_t target, int k);

// ---------------------------------------------------------------------------------------------
// Rating-prediction error. `predicted` and `actual` have the same non-zero length and finite
// values.
// ---------------------------------------------------------------------------------------------

/// Root mean squared error: sqrt(mean((predicted[i] - actual[i])^2)).
double rmse(std::span<const float> predicted, std::span<const float> actual);

/// Mean absolute error: mean(|predicted[i] - actual[i]|).
double mae(std::span<const float> predicted, std::span<const float> actual);

/// Explainability precision and recall of one list (Abdollahi & Nasraoui's MEP and MER, averaged
/// over users by the evaluator): hits = how many of the top k are in `explainable` (the user's
/// explainable items that can be recommended, sorted ascending); precision = hits / k, recall =
/// hits / |explainable| (NaN when `explainable` is empty). k >= 1.
struct ExplainabilityAtK {
  double precision = 0, recall = 0;
};
ExplainabilityAtK explainability_at_k(std::span<const int32_t> ranked,
                                      std::span<const int32_t> explainable, int k);

// ---------------------------------------------------------------------------------------------
// Beyond-accuracy metrics over all users' lists. `lists[u]` is the ranked list of user u (possibly
// empty); every item id must be a valid index for the item-indexed argument of the function.
// ---------------------------------------------------------------------------------------------

/// Catalog coverage: number of distinct items recommended in any list / num_items. num_items > 0,
/// item ids in [0, num_items).
double catalog_coverage(const std::vector<std::vector<int32_t>>& lists, int32_t num_items);

/// Intra-list diversity: the mean, over lists with at least 2 items, of the mean pairwise distance
/// 1 - cosine(v_a, v_b) between the binary feature vectors of the list's items at positions a < b.
/// `item_features[i]` is the sorted, duplicate-free set of feature ids (e.g. genres) of item i;
/// item ids index into it. An item with no features has an undefined cosine; it is treated as
/// dissimilar to everything (distance 1). Returns 0 when no list has 2 items.
/// O(sum over lists of L^2 * features per item).
double intra_list_diversity(const std::vector<std::vector<int32_t>>& lists,
                            const std::vector<std::vector<int32_t>>& item_features);

/// Novelty: mean self-information -log2(popularity[i] / num_users) over every recommended item of
/// every list. `popularity[i]` is the number of training users who interacted with item i, in
/// [0, num_users]; items with popularity 0 use 1 so the value stays finite. num_users > 0; item ids
/// index into `popularity`. Returns 0 when all lists are empty.
double novelty(const std::vector<std::vector<int32_t>>& lists, std::span<const int64_t> popularity,
               int64_t num_users);

/// Gini coefficient of exposure: gini() of how often each of the num_items items appears across
/// all lists. 0 = every item shown equally often; tends to 1 as exposure concentrates on one item.
/// num_items > 0, item ids in [0, num_items).
double gini_of_exposure(const std::vector<std::vector<int32_t>>& lists, int32_t num_items);

/// Gini coefficient of non-empty, finite, non-negative values, by the sorted formula
/// sum_i (2i - n - 1) x_(i) / (n * sum x) with x_(1) <= ... <= x_(n). All zeros give 0; one
/// non-zero among n gives (n - 1) / n. Takes `values` by value because it sorts them.
double gini(std::vector<double> values);

}  // namespace metarec
