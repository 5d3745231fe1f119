// The dense item x item Gram matrix G = X^T X of the binarized interaction matrix (co-occurrence
// counts), built straight from the sparse data; shared by EASE (its closed form) and SLIM (its
// coordinate descent).
#pragma once

#include <metarec/data/interactions.h>

#include <cstdint>
#include <span>
#include <string>

namespace metarec {

/// Bytes of one dense n x n float32 matrix. Throws InvalidArgument naming `who` when that exceeds
/// the machine's physical memory, so a catalogue too large for a dense model fails at once with
/// a clear message instead of swapping or dying in the allocator.
size_t dense_item_matrix_bytes(int32_t n, const std::string& who);

/// Asks the kernel to back the pages of `buffer` with transparent huge pages (a no-op where that
/// is unavailable). Call before the first touch: an items x items matrix then costs a few hundred
/// page faults instead of tens of thousands, and the dense kernels fewer TLB misses.
void advise_huge_pages(std::span<float> buffer);

/// Adds the co-occurrence counts of `train` (every interaction counts 1, values are ignored) to
/// the lower triangle of `g` (n x n column-major, n = train.num_items(), entries (r, c) with
/// r >= c at g[c * n + r]); the strict upper triangle is not touched. Equivalently, row c of the
/// row-major upper triangle. Counts are exact in float32 up to 2^24 users.
/// Parallel over items on `threads` threads (0 = all cores): item c owns column c, so no two
/// threads write the same memory and the result does not depend on the thread count.
/// Cost: sum over users of count(u)^2 / 2 increments, each into a column that stays in cache.
void add_item_gram_lower(const Interactions& train, int threads, std::span<float> g);

/// Copies the lower triangle of the n x n column-major `a` onto its upper triangle, making it
/// symmetric (so row-major and column-major reads agree). Blocked for cache, parallel over blocks.
void symmetrize_from_lower(int32_t n, std::span<float> a, int threads);

}  // namespace metarec
