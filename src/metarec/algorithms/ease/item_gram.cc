// Dense item Gram matrix from sparse interactions, and the in-place symmetric mirror.
#include <metarec/algorithms/ease/item_gram.h>
#include <metarec/core/error.h>
#include <metarec/core/parallel.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <limits>

namespace metarec {

size_t dense_item_matrix_bytes(int32_t n, const std::string& who) {
  const double bytes = static_cast<double>(n) * static_cast<double>(n) * sizeof(float);
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  const double physical = pages > 0 && page > 0
                              ? static_cast<double>(pages) * static_cast<double>(page)
                              : std::numeric_limits<double>::max();
  METAREC_CHECK(bytes < physical, who, ": a dense ", n, " x ", n, " float32 item matrix needs ",
                static_cast<int64_t>(bytes / (1 << 20)), " MiB but the machine has ",
                static_cast<int64_t>(physical / (1 << 20)),
                " MiB; use a sparse item-item model (rp3beta, item knn) on this catalogue");
  return static_cast<size_t>(bytes);
}

void advise_huge_pages(std::span<float> buffer) {
#ifdef MADV_HUGEPAGE
  const long page = sysconf(_SC_PAGE_SIZE);
  if (page <= 0 || buffer.empty()) return;
  const uintptr_t p = static_cast<uintptr_t>(page);
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(buffer.data()) + p - 1) / p * p;
  const uintptr_t end = reinterpret_cast<uintptr_t>(buffer.data() + buffer.size()) / p * p;
  // Advice only: failure leaves ordinary pages, which are correct, just slower.
  if (end > begin) (void)madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
#else
  (void)buffer;
#endif
}

void add_item_gram_lower(const Interactions& train, int threads, std::span<float> g) {
  const int64_t n = train.num_items();
  METAREC_CHECK(static_cast<int64_t>(g.size()) == n * n, "item gram: buffer has ", g.size(),
                " entries, need ", n * n);
  parallel_for(
      n, threads,
      [&](int64_t c) {
        float* col = g.data() + c * n;
        const int32_t item = static_cast<int32_t>(c);
        for (int32_t u : train.item_users(item)) {
          auto items = train.user_items(u);  // ascending, contains `item`
          const auto* first = std::lower_bound(items.data(), items.data() + items.size(), item);
          for (const auto* p = first; p != items.data() + items.size(); ++p) col[*p] += 1.0f;
        }
      },
      1);
}

void symmetrize_from_lower(int32_t n, std::span<float> a, int threads) {
  constexpr int64_t kBlock = 64;
  const int64_t nn = n;
  const int64_t blocks = (nn + kBlock - 1) / kBlock;
  // Block (bi, bj) with bi < bj of the upper triangle is copied from block (bj, bi) of the lower.
  parallel_for(
      blocks, threads,
      [&](int64_t bc) {
        float* p = a.data();
        const int64_t c0 = bc * kBlock, c1 = std::min(nn, c0 + kBlock);
        for (int64_t br = 0; br <= bc; ++br) {
          const int64_t r0 = br * kBlock, r1 = std::min(nn, r0 + kBlock);
          // Upper entries (r, c), r < c, live at c * n + r; their mirror (c, r) at r * n + c.
          for (int64_t c = c0; c < c1; ++c)
            for (int64_t r = r0; r < std::min(r1, c); ++r) p[c * nn + r] = p[r * nn + c];
        }
      },
      1);
}

}  // namespace metarec
