// The SGD grid: users and items spread over block rows and columns, ratings bucketed into cells.
#include <metarec/algorithms/mf/sgd_kernel.h>
#include <metarec/core/error.h>
#include <metarec/core/parallel.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace metarec::detail {

namespace {

// Band of every index: `b` sets of ids with about equal weight, so cells carry similar rating
// counts even under a steep popularity curve. The ids go to bands in runs of kRun consecutive ids
// taken in a seeded random order (as LIBMF shuffles its rows and columns): contiguous id bands
// cost RMSE (funk_mf on ML-100K u2-u5, 3x3 cells, mean of 8 runs: 0.9134 contiguous, 0.9127 in
// shuffled runs; one cell 0.9110), as ids correlate with popularity and age. Runs of 16 keep a
// band's bias values on cache lines of their own (a padded factor row is a whole line anyway):
// ids interleaved one by one made two threads slower than one through false sharing.
constexpr size_t kRun = 16;

std::vector<int32_t> bands(std::span<const int64_t> counts, int b, Rng& rng) {
  const size_t n = counts.size();
  const size_t runs = (n + kRun - 1) / kRun;
  std::vector<size_t> order(runs);
  for (size_t r = 0; r < runs; ++r) order[r] = r;
  for (size_t r = runs; r > 1; --r) std::swap(order[r - 1], order[rng.uniform_int(r)]);
  int64_t total = 0;
  for (int64_t c : counts) total += c;
  std::vector<int32_t> band(n, 0);
  int64_t before = 0;
  for (size_t r : order) {
    int64_t weight = 0;
    for (size_t x = r * kRun; x < std::min(n, (r + 1) * kRun); ++x) weight += counts[x];
    const int64_t mid2 = 2 * before + weight;  // twice the midpoint of the run
    const int32_t k =
        total > 0 ? static_cast<int32_t>(std::min<int64_t>(b - 1, mid2 * b / (2 * total))) : 0;
    for (size_t x = r * kRun; x < std::min(n, (r + 1) * kRun); ++x) band[x] = k;
    before += weight;
  }
  return band;
}

// Sizes `buf` for n zeroed floats starting on a 64-byte boundary and returns that start.
float* zeroed_aligned(std::vector<float>& buf, size_t n) {
  constexpr size_t kAlign = 64 / sizeof(float);
  buf.assign(n + kAlign, 0.0f);
  const auto addr = reinterpret_cast<uintptr_t>(buf.data());
  return buf.data() + ((64 - addr % 64) % 64) / sizeof(float);
}

}  // namespace

int sgd_isa_level() {
#if defined(__GNUC__) && defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq"))
    return 2;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return 1;
#endif
  return 0;
}

int sgd_grid_blocks(int threads) { return threads <= 1 ? 1 : threads + 1; }

namespace {

// Slots for kBandSlots: band 0's ids first, then band 1's, ..., in id order within a band.
std::vector<int32_t> band_slots(std::span<const int32_t> band, int blocks) {
  std::vector<int32_t> next(static_cast<size_t>(blocks) + 1, 0);
  for (int32_t b : band) ++next[static_cast<size_t>(b) + 1];
  for (int b = 0; b < blocks; ++b) next[b + 1] += next[b];
  std::vector<int32_t> slot(band.size());
  for (size_t x = 0; x < band.size(); ++x) slot[x] = next[band[x]]++;
  return slot;
}

}  // namespace

SgdGrid::SgdGrid(const Interactions& train, int blocks, uint64_t seed, Numbering numbering,
                 int threads)
    : blocks_(blocks) {
  METAREC_CHECK(blocks >= 1, "SGD grid: blocks must be >= 1, got ", blocks);
  METAREC_CHECK(train.nnz() < std::numeric_limits<int32_t>::max(),
                "SGD grid: more than 2^31 ratings are not supported, got ", train.nnz());
  Rng rng(seed);
  std::vector<int64_t> ucount(static_cast<size_t>(train.num_users()));
  std::vector<int64_t> icount(static_cast<size_t>(train.num_items()));
  for (int32_t u = 0; u < train.num_users(); ++u) ucount[u] = train.user_count(u);
  for (int32_t i = 0; i < train.num_items(); ++i) icount[i] = train.item_count(i);
  Rng band_rng = rng.fork(1);
  const std::vector<int32_t> urow = bands(ucount, blocks, band_rng);
  const std::vector<int32_t> icol = bands(icount, blocks, band_rng);

  if (numbering == Numbering::kBandSlots) {
    user_slot_ = band_slots(urow, blocks);
    item_slot_ = band_slots(icol, blocks);
  }
  const int32_t* uslot = user_slot_.empty() ? nullptr : user_slot_.data();
  const int32_t* islot = item_slot_.empty() ? nullptr : item_slot_.data();

  const auto users = train.entry_users();
  const auto items = train.entry_items();
  const auto values = train.entry_values();
  const auto uptr = train.user_ptr();
  const size_t cells = static_cast<size_t>(blocks) * blocks;
  // Users in a seeded random order, each user's ratings in a random order from the user's own
  // stream: a cell is a run of users, so p_u stays in cache across its ratings (the item rows are
  // the random reads). The users go in fixed chunks; each chunk counts its ratings per cell, and
  // from those counts each writes its part of every cell in parallel. The layout depends on the
  // seed only, never on `threads`.
  const int32_t nu = train.num_users();
  std::vector<int32_t> uorder(static_cast<size_t>(nu));
  for (int32_t u = 0; u < nu; ++u) uorder[u] = u;
  for (int32_t u = nu; u > 1; --u)
    std::swap(uorder[u - 1], uorder[rng.uniform_int(static_cast<uint64_t>(u))]);
  const Rng user_rngs = rng.fork(2);
  const int64_t chunks = std::clamp<int64_t>(nu / 512, 1, 256);
  auto chunk_users = [&](int64_t c) {
    return std::span<const int32_t>(uorder).subspan(
        static_cast<size_t>(nu * c / chunks),
        static_cast<size_t>(nu * (c + 1) / chunks - nu * c / chunks));
  };
  auto cell_of = [&](int64_t e) {
    return static_cast<size_t>(urow[users[e]]) * blocks + icol[items[e]];
  };
  // at[c * cells + cell]: where chunk c writes its first rating of `cell`.
  std::vector<int64_t> at(static_cast<size_t>(chunks) * cells, 0);
  parallel_for(
      chunks, threads,
      [&](int64_t c) {
        int64_t* n = at.data() + c * cells;
        for (int32_t u : chunk_users(c))
          for (int64_t e = uptr[u]; e < uptr[u + 1]; ++e) ++n[cell_of(e)];
      },
      1);
  ptr_.assign(cells + 1, 0);
  int64_t total = 0;
  for (size_t cell = 0; cell < cells; ++cell) {
    ptr_[cell] = total;
    for (int64_t c = 0; c < chunks; ++c) {
      const int64_t n = at[c * cells + cell];
      at[c * cells + cell] = total;
      total += n;
    }
  }
  ptr_[cells] = total;
  entries_.reset(new SgdEntry[static_cast<size_t>(train.nnz())]);
  parallel_for(
      chunks, threads,
      [&](int64_t c) {
        int64_t* fill = at.data() + c * cells;
        std::vector<int64_t> mine;
        for (int32_t u : chunk_users(c)) {
          Rng r = user_rngs.fork(static_cast<uint64_t>(u));
          mine.clear();
          for (int64_t e = uptr[u]; e < uptr[u + 1]; ++e) mine.push_back(e);
          for (size_t n = mine.size(); n > 1; --n) std::swap(mine[n - 1], mine[r.uniform_int(n)]);
          for (int64_t e : mine) {
            entries_[fill[cell_of(e)]++] = {uslot ? uslot[users[e]] : users[e],
                                            islot ? islot[items[e]] : items[e], values[e],
                                            static_cast<int32_t>(e)};
          }
        }
      },
      1);
}

SgdLoop::SgdLoop(const Interactions& train, const FitContext& ctx, SgdGrid::Numbering numbering)
    : ctx_(ctx),
      threads_(resolve_threads(ctx.threads)),
      seeds_(Rng(ctx.seed).fork(0x56d)),
      grid_(train, sgd_grid_blocks(threads_), seeds_.fork(0).next(), numbering, threads_) {}

void fill_normal(std::span<float> v, float stddev, uint64_t seed, int threads) {
  constexpr int64_t kChunk = 16384;
  const int64_t n = static_cast<int64_t>(v.size());
  const Rng base(seed);
  parallel_for((n + kChunk - 1) / kChunk, threads,
               [&](int64_t c) {
                 Rng rng = base.fork(static_cast<uint64_t>(c));
                 const int64_t end = std::min(n, (c + 1) * kChunk);
                 // Marsaglia's polar method: a point uniform in the unit disc gives two
                 // normals with one log and one square root (no sin/cos: Box-Muller took
                 // longer than a 100-factor SGD epoch on ML-100K).
                 for (int64_t j = c * kChunk; j < end; j += 2) {
                   double x, y, s;
                   do {
                     x = 2.0 * rng.uniform() - 1.0;
                     y = 2.0 * rng.uniform() - 1.0;
                     s = x * x + y * y;
                   } while (s >= 1.0 || s == 0.0);
                   const double r = std::sqrt(-2.0 * std::log(s) / s) * stddev;
                   v[j] = static_cast<float>(r * x);
                   if (j + 1 < end) v[j + 1] = static_cast<float>(r * y);
                 }
               },
               1);
}

namespace {

// Checks that `slots` is empty or a permutation of 0..n-1 and returns a copy.
std::vector<int32_t> checked_slots(std::span<const int32_t> slots, size_t n, const char* who) {
  if (slots.empty()) return {};
  METAREC_CHECK(slots.size() == n, who, ": ", slots.size(), " slots for ", n, " rows");
  std::vector<char> used(n, 0);
  for (int32_t s : slots) {
    METAREC_CHECK(s >= 0 && static_cast<size_t>(s) < n && !used[s], who,
                  ": slots are not a permutation");
    used[s] = 1;
  }
  return {slots.begin(), slots.end()};
}

}  // namespace

PaddedRows::PaddedRows(std::span<const float> rows, int k, std::span<const int32_t> slots)
    : k_(k), stride_(sgd_padded(k)), n_(k > 0 ? rows.size() / static_cast<size_t>(k) : 0) {
  METAREC_CHECK(k > 0 && rows.size() == n_ * static_cast<size_t>(k), "PaddedRows: ", rows.size(),
                " floats are not whole rows of ", k);
  slots_ = checked_slots(slots, n_, "PaddedRows");
  base_ = zeroed_aligned(buf_, n_ * static_cast<size_t>(stride_));
  for (size_t r = 0; r < n_; ++r) {
    const size_t at = slots_.empty() ? r : static_cast<size_t>(slots_[r]);
    std::copy_n(rows.data() + r * k_, k_, base_ + at * static_cast<size_t>(stride_));
  }
}

void PaddedRows::copy_to(std::span<float> rows) const {
  METAREC_CHECK(rows.size() == n_ * static_cast<size_t>(k_), "PaddedRows: wrong output size");
  for (size_t r = 0; r < n_; ++r) {
    const size_t at = slots_.empty() ? r : static_cast<size_t>(slots_[r]);
    std::copy_n(base_ + at * static_cast<size_t>(stride_), k_, rows.data() + r * k_);
  }
}

AlignedFloats::AlignedFloats(std::span<const float> v, std::span<const int32_t> slots)
    : n_(v.size()) {
  slots_ = checked_slots(slots, n_, "AlignedFloats");
  base_ = zeroed_aligned(buf_, n_);
  for (size_t j = 0; j < n_; ++j) base_[slots_.empty() ? j : static_cast<size_t>(slots_[j])] = v[j];
}

void AlignedFloats::copy_to(std::span<float> v) const {
  METAREC_CHECK(v.size() == n_, "AlignedFloats: ", v.size(), " floats to write, holds ", n_);
  for (size_t j = 0; j < n_; ++j) v[j] = base_[slots_.empty() ? j : static_cast<size_t>(slots_[j])];
}

void zero_unrated_rows(const Interactions& train, std::span<float> users, std::span<float> items,
                       int k) {
  const size_t kk = static_cast<size_t>(k);
  for (int32_t u = 0; u < train.num_users(); ++u)
    if (train.user_count(u) == 0) std::fill_n(users.begin() + u * kk, kk, 0.0f);
  for (int32_t i = 0; i < train.num_items(); ++i)
    if (train.item_count(i) == 0) std::fill_n(items.begin() + i * kk, kk, 0.0f);
}

}  // namespace metarec::detail
