// A bitmap of one user's training items for O(1) rejection in uniform negative sampling, shared
// by the pairwise SGD models (BPR, WARP). The shared NegativeSampler rejects by binary search in
// the user's item list, which costs as much as the SGD update itself in these hot loops.
#pragma once

#include <metarec/core/rng.h>

#include <cstdint>
#include <span>
#include <vector>

namespace metarec {

/// One bitmap of num_items bits. Give each thread its own; set() a user's items before sampling
/// for that user and clear() them afterwards (O(items of the user) each).
class UserItemMask {
 public:
  explicit UserItemMask(int32_t num_items)
      : n_(num_items), bits_((static_cast<size_t>(num_items) + 63) / 64, 0) {}

  void set(std::span<const int32_t> items) {
    for (int32_t i : items) bits_[static_cast<size_t>(i) >> 6] |= uint64_t{1} << (i & 63);
  }
  void clear(std::span<const int32_t> items) {
    for (int32_t i : items) bits_[static_cast<size_t>(i) >> 6] = 0;
  }
  bool contains(int32_t i) const { return bits_[static_cast<size_t>(i) >> 6] >> (i & 63) & 1; }

  /// A uniform item outside the mask by rejection; after 32 rejections (a user who has seen most
  /// of the catalogue) returns fallback(), e.g. NegativeSampler::sample, which scans.
  template <typename Fallback>
  int32_t sample(Rng& rng, Fallback&& fallback) const {
    for (int attempt = 0; attempt < 32; ++attempt) {
      const int32_t j = static_cast<int32_t>(rng.uniform_int(static_cast<uint64_t>(n_)));
      if (!contains(j)) return j;
    }
    return fallback();
  }

 private:
  int32_t n_;
  std::vector<uint64_t> bits_;
};

}  // namespace metarec
