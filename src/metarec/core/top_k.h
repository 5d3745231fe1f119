// Selection of the k best-scoring items, shared by recommend(), evaluation and similar-items.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace metarec {

struct ScoredItem {
  int32_t item;
  float score;
};

/// The k highest finite-or-+inf scores of `scores` in descending order; entries equal to -infinity
/// (excluded items) and NaN are never returned. Ties are broken by the smaller item index, so the
/// result is deterministic. O(n log k). Returns fewer than k items when fewer are eligible.
std::vector<ScoredItem> top_k(std::span<const float> scores, int k);

}  // namespace metarec
