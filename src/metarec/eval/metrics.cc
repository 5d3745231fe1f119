// Implementation of the evaluation metrics declared in metrics.h.
#include "metarec/eval/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <numeric>
#include <utility>

#include "metarec/core/error.h"

namespace metarec {

namespace {

/// Throws unless `ids` is strictly increasing (sorted and duplicate-free). `name` names the
/// argument.
void check_sorted_unique(std::span<const int32_t> ids, const char* name) {
  for (std::size_t i = 1; i < ids.size(); ++i) {
    METAREC_CHECK(ids[i - 1] < ids[i], name, " must be sorted ascending and duplicate-free, but ",
                  name, "[", i - 1, "] = ", ids[i - 1], " is followed by ", ids[i]);
  }
}

/// Validates the shared ranking-metric arguments and returns the top-k prefix of `ranked`.
std::span<const int32_t> checked_top_k(std::span<const int32_t> ranked,
                                       std::span<const int32_t> relevant, int k) {
  METAREC_CHECK(k > 0, "k must be > 0, got ", k);
  check_sorted_unique(relevant, "relevant");
  const auto top = ranked.first(std::min(ranked.size(), static_cast<std::size_t>(k)));
  // A repeated item would be counted as a hit twice and push recall above 1.
  std::vector<int32_t> sorted(top.begin(), top.end());
  std::sort(sorted.begin(), sorted.end());
  const auto dup = std::adjacent_find(sorted.begin(), sorted.end());
  METAREC_CHECK(dup == sorted.end(), "ranked contains item ", dup == sorted.end() ? 0 : *dup,
                " more than once in its top ", k);
  return top;
}

bool is_relevant(std::span<const int32_t> relevant, int32_t item) {
  return std::binary_search(relevant.begin(), relevant.end(), item);
}

int64_t count_hits(std::span<const int32_t> top, std::span<const int32_t> relevant) {
  int64_t hits = 0;
  for (const int32_t item : top) hits += is_relevant(relevant, item) ? 1 : 0;
  return hits;
}

void check_same_nonempty(std::span<const float> predicted, std::span<const float> actual) {
  METAREC_CHECK(predicted.size() == actual.size(),
                "predicted and actual must have the same length, got ", predicted.size(), " and ",
                actual.size());
  METAREC_CHECK(!predicted.empty(), "predicted and actual must not be empty");
  for (std::size_t i = 0; i < predicted.size(); ++i) {
    METAREC_CHECK(std::isfinite(predicted[i]), "predicted[", i, "] = ", predicted[i],
                  " is not finite");
    METAREC_CHECK(std::isfinite(actual[i]), "actual[", i, "] = ", actual[i], " is not finite");
  }
}

void check_item_in_range(int32_t item, std::size_t num_items, std::size_t list, const char* what) {
  METAREC_CHECK(item >= 0 && static_cast<std::size_t>(item) < num_items, "lists[", list,
                "] contains item ", item, ", outside [0, ", num_items, ") of ", what);
}

/// Cosine similarity of two binary vectors given as sorted sets of their non-zero coordinates.
double binary_cosine(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
  if (a.empty() || b.empty()) return 0.0;
  std::size_t common = 0;
  for (std::size_t i = 0, j = 0; i < a.size() && j < b.size();) {
    if (a[i] < b[j]) {
      ++i;
    } else if (b[j] < a[i]) {
      ++j;
    } else {
      ++common;
      ++i;
      ++j;
    }
  }
  return static_cast<double>(common) /
         std::sqrt(static_cast<double>(a.size()) * static_cast<double>(b.size()));
}

}  // namespace

double precision_at_k(std::span<const int32_t> ranked, std::span<const int32_t> relevant, int k) {
  const auto top = checked_top_k(ranked, relevant, k);
  return static_cast<double>(count_hits(top, relevant)) / k;
}

int64_t hits_at_k(std::span<const int32_t> ranked, std::span<const int32_t> relevant, int k) {
  return count_hits(checked_top_k(ranked, relevant, k), relevant);
}

double recall_at_k(std::span<const int32_t> ranked, std::span<const int32_t> relevant, int k) {
  const auto top = checked_top_k(ranked, relevant, k);
  if (relevant.empty()) return 0.0;
  return static_cast<double>(count_hits(top, relevant)) / static_cast<double>(relevant.size());
}

double recall_capped_at_k(std::span<const int32_t> ranked, std::span<const int32_t> relevant,
                          int k) {
  const auto top = checked_top_k(ranked, relevant, k);
  if (relevant.empty()) return 0.0;
  return static_cast<double>(count_hits(top, relevant)) /
         static_cast<double>(std::min(relevant.size(), static_cast<std::size_t>(k)));
}

double hit_rate_at_k(std::span<const int32_t> ranked, std::span<const int32_t> relevant, int k) {
  const auto top = checked_top_k(ranked, relevant, k);
  return count_hits(top, relevant) > 0 ? 1.0 : 0.0;
}

double ndcg_at_k(std::span<const int32_t> ranked, std::span<const int32_t> relevant, int k) {
  const auto top = checked_top_k(ranked, relevant, k);
  if (relevant.empty()) return 0.0;
  double dcg = 0.0;
  for (std::size_t r = 0; r < top.size(); ++r) {
    if (is_relevant(relevant, top[r])) dcg += 1.0 / std::log2(static_cast<double>(r) + 2.0);
  }
  const std::size_t ideal_hits = std::min(relevant.size(), static_cast<std::size_t>(k));
  double idcg = 0.0;
  for (std::size_t r = 0; r < ideal_hits; ++r)
    idcg += 1.0 / std::log2(static_cast<double>(r) + 2.0);
  return dcg / idcg;
}

double average_precision_at_k(std::span<const int32_t> ranked, std::span<const int32_t> relevant,
                              int k) {
  const auto top = checked_top_k(ranked, relevant, k);
  if (relevant.empty()) return 0.0;
  double sum = 0.0;
  int64_t hits = 0;
  for (std::size_t r = 0; r < top.size(); ++r) {
    if (is_relevant(relevant, top[r])) {
      ++hits;
      sum += static_cast<double>(hits) / static_cast<double>(r + 1);
    }
  }
  return sum / static_cast<double>(std::min(relevant.size(), static_cast<std::size_t>(k)));
}

double reciprocal_rank_at_k(std::span<const int32_t> ranked, std::span<const int32_t> relevant,
                            int k) {
  const auto top = checked_top_k(ranked, relevant, k);
  for (std::size_t r = 0; r < top.size(); ++r) {
    if (is_relevant(relevant, top[r])) return 1.0 / static_cast<double>(r + 1);
  }
  return 0.0;
}

double auc(std::span<const float> scores, std::span<const int32_t> candidates,
           std::span<const int32_t> relevant) {
  METAREC_CHECK(scores.size() == candidates.size(),
                "scores and candidates must have the same length, got ", scores.size(), " and ",
                candidates.size());
  check_sorted_unique(relevant, "relevant");
  const std::size_t n = scores.size();
  for (std::size_t i = 0; i < n; ++i) {
    METAREC_CHECK(!std::isnan(scores[i]), "scores[", i, "] is NaN");
  }
  // Candidates in increasing order (the full protocol's) are unique without sorting.
  bool increasing = true;
  for (std::size_t i = 1; i < n && increasing; ++i) increasing = candidates[i - 1] < candidates[i];
  if (!increasing) {
    std::vector<int32_t> sorted(candidates.begin(), candidates.end());
    std::sort(sorted.begin(), sorted.end());
    const auto dup = std::adjacent_find(sorted.begin(), sorted.end());
    METAREC_CHECK(dup == sorted.end(), "candidates contains item ", dup == sorted.end() ? 0 : *dup,
                  " more than once");
  }

  // The positives are few and the negatives many (a whole catalog in the full protocol): sort
  // the positives' scores only, and place each negative among them by binary search, in
  // O(n log P) with no sort of all n scores.
  std::vector<float> pos_scores;
  for (std::size_t i = 0; i < n; ++i)
    if (is_relevant(relevant, candidates[i])) pos_scores.push_back(scores[i]);
  const int64_t num_pos = static_cast<int64_t>(pos_scores.size());
  const int64_t num_neg = static_cast<int64_t>(n) - num_pos;
  METAREC_CHECK(num_pos > 0, "auc is undefined: none of the ", n, " candidates is relevant");
  METAREC_CHECK(num_neg > 0, "auc is undefined: all ", n, " candidates are relevant");
  std::sort(pos_scores.begin(), pos_scores.end());

  // A positive beats every negative scored below it and ties with equal ones; counting in halves
  // keeps the sum an exact integer.
  int64_t twice_wins = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (is_relevant(relevant, candidates[i])) continue;
    const float x = scores[i];
    const auto lo = std::lower_bound(pos_scores.begin(), pos_scores.end(), x);
    const auto hi = std::upper_bound(lo, pos_scores.end(), x);
    twice_wins += 2 * (pos_scores.end() - hi) + (hi - lo);
  }
  return static_cast<double>(twice_wins) /
         (2.0 * static_cast<double>(num_pos) * static_cast<double>(num_neg));
}

int64_t rank_of(std::span<const float> scores, int32_t target) {
  METAREC_CHECK(target >= 0 && static_cast<std::size_t>(target) < scores.size(), "target ", target,
                " is outside [0, ", scores.size(), ")");
  const float t = scores[static_cast<std::size_t>(target)];
  METAREC_CHECK(t != -std::numeric_limits<float>::infinity(), "target ", target,
                " has score -infinity, which marks an excluded item");
  int64_t rank = 0;
  for (std::size_t j = 0; j < scores.size(); ++j) {
    METAREC_CHECK(!std::isnan(scores[j]), "scores[", j, "] is NaN");
    // t > -inf, so excluded (-inf) entries never satisfy this.
    if (j != static_cast<std::size_t>(target) && scores[j] >= t) ++rank;
  }
  return rank;
}

double top_k_categorical_accuracy(std::span<const float> scores, int32_t target, int k) {
  METAREC_CHECK(k > 0, "k must be > 0, got ", k);
  return rank_of(scores, target) < k ? 1.0 : 0.0;
}

double rmse(std::span<const float> predicted, std::span<const float> actual) {
  check_same_nonempty(predicted, actual);
  double sum = 0.0;
  for (std::size_t i = 0; i < predicted.size(); ++i) {
    const double d = static_cast<double>(predicted[i]) - static_cast<double>(actual[i]);
    sum += d * d;
  }
  return std::sqrt(sum / static_cast<double>(predicted.size()));
}

double mae(std::span<const float> predicted, std::span<const float> actual) {
  check_same_nonempty(predicted, actual);
  double sum = 0.0;
  for (std::size_t i = 0; i < predicted.size(); ++i) {
    sum += std::abs(static_cast<double>(predicted[i]) - static_cast<double>(actual[i]));
  }
  return sum / static_cast<double>(predicted.size());
}

ExplainabilityAtK explainability_at_k(std::span<const int32_t> ranked,
                                      std::span<const int32_t> explainable, int k) {
  METAREC_CHECK(k >= 1, "explainability@k: k must be >= 1, got ", k);
  const size_t n = std::min(ranked.size(), static_cast<size_t>(k));
  int64_t hits = 0;
  for (size_t r = 0; r < n; ++r)
    hits += std::binary_search(explainable.begin(), explainable.end(), ranked[r]) ? 1 : 0;
  ExplainabilityAtK out;
  out.precision = static_cast<double>(hits) / k;
  out.recall = explainable.empty()
                   ? std::numeric_limits<double>::quiet_NaN()
                   : static_cast<double>(hits) / static_cast<double>(explainable.size());
  return out;
}

double catalog_coverage(const std::vector<std::vector<int32_t>>& lists, int32_t num_items) {
  METAREC_CHECK(num_items > 0, "num_items must be > 0, got ", num_items);
  const auto n = static_cast<std::size_t>(num_items);
  std::vector<char> seen(n, 0);
  int64_t distinct = 0;
  for (std::size_t u = 0; u < lists.size(); ++u) {
    for (const int32_t item : lists[u]) {
      check_item_in_range(item, n, u, "num_items");
      if (!seen[static_cast<std::size_t>(item)]) {
        seen[static_cast<std::size_t>(item)] = 1;
        ++distinct;
      }
    }
  }
  return static_cast<double>(distinct) / static_cast<double>(num_items);
}

double intra_list_diversity(const std::vector<std::vector<int32_t>>& lists,
                            const std::vector<std::vector<int32_t>>& item_features) {
  for (std::size_t i = 0; i < item_features.size(); ++i) {
    const auto& f = item_features[i];
    for (std::size_t j = 1; j < f.size(); ++j) {
      METAREC_CHECK(f[j - 1] < f[j], "item_features[", i,
                    "] must be sorted ascending and duplicate-free, but has ", f[j - 1],
                    " followed by ", f[j]);
    }
  }
  double total = 0.0;
  int64_t counted_lists = 0;
  for (std::size_t u = 0; u < lists.size(); ++u) {
    const auto& list = lists[u];
    for (const int32_t item : list)
      check_item_in_range(item, item_features.size(), u, "item_features");
    if (list.size() < 2) continue;
    double sum = 0.0;
    for (std::size_t a = 0; a < list.size(); ++a) {
      for (std::size_t b = a + 1; b < list.size(); ++b) {
        sum += 1.0 - binary_cosine(item_features[static_cast<std::size_t>(list[a])],
                                   item_features[static_cast<std::size_t>(list[b])]);
      }
    }
    const double pairs =
        static_cast<double>(list.size()) * static_cast<double>(list.size() - 1) / 2.0;
    total += sum / pairs;
    ++counted_lists;
  }
  return counted_lists == 0 ? 0.0 : total / static_cast<double>(counted_lists);
}

double novelty(const std::vector<std::vector<int32_t>>& lists, std::span<const int64_t> popularity,
               int64_t num_users) {
  METAREC_CHECK(num_users > 0, "num_users must be > 0, got ", num_users);
  for (std::size_t i = 0; i < popularity.size(); ++i) {
    METAREC_CHECK(popularity[i] >= 0 && popularity[i] <= num_users, "popularity[", i,
                  "] = ", popularity[i], " is outside [0, num_users = ", num_users, "]");
  }
  double sum = 0.0;
  int64_t count = 0;
  for (std::size_t u = 0; u < lists.size(); ++u) {
    for (const int32_t item : lists[u]) {
      check_item_in_range(item, popularity.size(), u, "popularity");
      const int64_t pop = std::max<int64_t>(popularity[static_cast<std::size_t>(item)], 1);
      sum -= std::log2(static_cast<double>(pop) / static_cast<double>(num_users));
      ++count;
    }
  }
  return count == 0 ? 0.0 : sum / static_cast<double>(count);
}

double gini_of_exposure(const std::vector<std::vector<int32_t>>& lists, int32_t num_items) {
  METAREC_CHECK(num_items > 0, "num_items must be > 0, got ", num_items);
  const auto n = static_cast<std::size_t>(num_items);
  std::vector<double> exposure(n, 0.0);
  for (std::size_t u = 0; u < lists.size(); ++u) {
    for (const int32_t item : lists[u]) {
      check_item_in_range(item, n, u, "num_items");
      exposure[static_cast<std::size_t>(item)] += 1.0;
    }
  }
  return gini(std::move(exposure));
}

double gini(std::vector<double> values) {
  METAREC_CHECK(!values.empty(), "gini needs at least one value");
  double total = 0.0;
  for (std::size_t i = 0; i < values.size(); ++i) {
    METAREC_CHECK(std::isfinite(values[i]) && values[i] >= 0.0, "values[", i, "] = ", values[i],
                  " must be finite and >= 0");
    total += values[i];
  }
  if (total == 0.0) return 0.0;
  std::sort(values.begin(), values.end());
  const double n = static_cast<double>(values.size());
  double weighted = 0.0;
  for (std::size_t i = 0; i < values.size(); ++i) {
    // 1-based position i + 1 gives the coefficient 2(i + 1) - n - 1.
    weighted += (2.0 * static_cast<double>(i + 1) - n - 1.0) * values[i];
  }
  return weighted / (n * total);
}

}  // namespace metarec
