// Heap-based top-k selection.
#include <metarec/core/error.h>
#include <metarec/core/top_k.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace metarec {

namespace {
// "a ranks before b": higher score first, then smaller item index.
inline bool better(const ScoredItem& a, const ScoredItem& b) {
  return a.score > b.score || (a.score == b.score && a.item < b.item);
}
}  // namespace

std::vector<ScoredItem> top_k(std::span<const float> scores, int k) {
  METAREC_CHECK(k > 0, "k must be > 0, got ", k);
  const int32_t n = static_cast<int32_t>(scores.size());
  const size_t cap = static_cast<size_t>(std::min<int64_t>(k, n));
  std::vector<ScoredItem> heap;  // min-heap by `better`: heap.front() is the worst kept
  heap.reserve(cap);
  auto worse_first = [](const ScoredItem& a, const ScoredItem& b) { return better(a, b); };
  constexpr float kExcluded = -std::numeric_limits<float>::infinity();
  for (int32_t i = 0; i < n; ++i) {
    const float s = scores[i];
    if (!(s > kExcluded)) continue;  // -inf or NaN
    if (heap.size() < cap) {
      heap.push_back({i, s});
      std::push_heap(heap.begin(), heap.end(), worse_first);
    } else if (s > heap.front().score) {  // equal score loses: larger index
      std::pop_heap(heap.begin(), heap.end(), worse_first);
      heap.back() = {i, s};
      std::push_heap(heap.begin(), heap.end(), worse_first);
    }
  }
  std::sort(heap.begin(), heap.end(), better);
  return heap;
}

}  // namespace metarec
