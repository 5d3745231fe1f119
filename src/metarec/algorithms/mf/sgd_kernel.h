// The SGD engine shared by the rating factor models (funk_mf, svd, svdpp, timesvd, side_mf): the
// rating matrix cut into a grid of user blocks x item blocks, an epoch that hands threads blocks
// sharing no row or column so they update P and Q without locks (FPSGD: W.-S. Chin, Y. Zhuang,
// Y.-C. Juan, C.-J. Lin, "A Fast Parallel Stochastic Gradient Method for Matrix Factorization in
// Shared Memory Systems", ACM TIST 6(1), 2015), and the vector kernels of one update.
#pragma once

#include <metarec/algorithms/recommender.h>
#include <metarec/core/rng.h>
#include <metarec/data/interactions.h>
#include <omp.h>

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <utility>
#include <vector>

namespace metarec::detail {

/// One training rating as the SGD loop reads it (16 bytes, contiguous per block).
struct SgdEntry {
  int32_t user;
  int32_t item;
  float value;
  int32_t entry;  ///< the rating's entry id in the training Interactions (for per-entry data)
};

/// The training ratings cut into blocks x blocks cells: users and items are cut into contiguous
/// id bands of about equal rating counts (block rows and columns). Within a cell the ratings are
/// grouped by user, users in a seeded random order and each user's ratings in a seeded random
/// order, drawn once: p_u stays in cache across its ratings (3x faster per epoch on 10M ratings
/// than a full shuffle, and as accurate on ML-100K). Cells of one "free set" (no shared row or
/// column) touch disjoint rows of P and Q. Immutable; thread-safe to read.
class SgdGrid {
 public:
  /// What SgdEntry::user and SgdEntry::item hold.
  enum class Numbering {
    kIds,  ///< the training ids
    /// Slots: the ids renumbered so that every block row's users, and every block column's
    /// items, are consecutive (in id order within a band). Rows of P and Q stored by slot put a
    /// band in one stretch of memory, away from the bands another thread is updating. Stored by
    /// id, two threads' bands meet at every run of 16 ids, and the threads slow each other down
    /// although they never write the same line (presumably the CPU's adjacent-line and stream
    /// prefetchers fetching lines the other thread is writing): svd on ML-100K u1, k = 100,
    /// two threads took 41-43 ms by id and 32 ms by slot (one thread 40-47 ms). With one
    /// block, slot = id.
    kBandSlots,
  };

  /// `blocks` >= 1 per side (1 = a single cell, the sequential case). Entry ids must fit int32.
  /// Built on `threads` threads; the grid does not depend on their number.
  SgdGrid(const Interactions& train, int blocks, uint64_t seed,
          Numbering numbering = Numbering::kIds, int threads = 1);

  int blocks() const { return blocks_; }
  /// kBandSlots only: the slot of every user id and of every item id.
  std::span<const int32_t> user_slots() const { return user_slot_; }
  std::span<const int32_t> item_slots() const { return item_slot_; }
  int64_t nnz() const { return ptr_.back(); }
  /// The ratings of cell (row, col), in training order.
  std::span<const SgdEntry> cell(int row, int col) const {
    const size_t c = static_cast<size_t>(row) * blocks_ + col;
    return {entries_.get() + ptr_[c], static_cast<size_t>(ptr_[c + 1] - ptr_[c])};
  }

 private:
  int blocks_ = 1;
  std::vector<int64_t> ptr_;
  // Not value-initialized: every entry is written once, in parallel (a zero fill first would
  // take the pages' first touch onto one thread).
  std::unique_ptr<SgdEntry[]> entries_;
  std::vector<int32_t> user_slot_, item_slot_;
};

/// The grid side for `threads` workers: 1 when sequential, else threads + 1, the fewest FPSGD
/// allows (a finishing worker must find a free cell). More cells shorten the idle tail of an
/// epoch but cost accuracy: funk_mf on ML-100K u2-u5 (mean of 16 runs) 0.9120 with 3x3 cells,
/// 0.9139 with 5x5, about 0.9110 in one cell.
int sgd_grid_blocks(int threads);

/// Rounds of a parallel epoch: each cell is cut into this many consecutive slices, listed for the
/// scheduler round by round (every cell's first slice, then every cell's second, ...). There is no
/// barrier between rounds: a worker takes the first free part of the list, so rounds overlap, but
/// a cell's slices still run in order. One pass over whole cells feeds each item band its ratings
/// in grid-side bursts, one user band at a time, and that cost two threads 0.0012 RMSE against
/// LIBMF (funk_mf, ML-100K u1, k 64, 16 runs each: 0.9218 against 0.9206); the rounds spread the
/// bursts out (docs/zoo-results.md, session 10).
inline constexpr int kSgdRounds = 4;

/// Runs one epoch: fn(std::span<const SgdEntry> part, int thread) over every rating exactly once.
/// With threads == 1 (or one cell) each cell is one part, visited in a random order drawn from
/// `order_seed` (fully deterministic). With more threads each cell is cut into kSgdRounds slices,
/// the parts are listed round by round (each round in its own random cell order), and each worker
/// takes the first part in that list that is not done and whose block row and column no running
/// part holds: two concurrent parts never share a user block or an item block, and a cell's
/// slices run in order. fn must not throw.
template <typename Fn>
void sgd_epoch(const SgdGrid& grid, int threads, uint64_t order_seed, Fn&& fn);

/// Calls step(x, thread) on every rating of `cell` in order, through a copy of the loop compiled
/// for the widest vector instructions the CPU has (AVX-512, AVX2 + FMA, else the build's
/// baseline), so the step, inlined whole (flatten), is vectorized for the machine without
/// -march=native. The choice depends only on the CPU, so one machine always takes the same path.
template <typename Step>
void for_each_rating(std::span<const SgdEntry> cell, int thread, Step& step);

/// As for_each_rating, over four interleaved quarters of the cell: cell[0], cell[h], cell[2h],
/// cell[3h], cell[1], cell[h+1], ... (h = a quarter of the cell; the last size % 4 ratings
/// follow in order). Ratings go by twos, (cell[t], cell[t+h]) and (cell[t+2h], cell[t+3h]):
/// pair(a, b, thread) when the two share neither user nor item, else one(a) then one(b). pair(a,
/// b) must equal one(a) then one(b) (true when they share no parameter), so this is sequential SGD
/// in the interleaved order; it only lets the CPU overlap independent dependency chains (a step is
/// latency-bound: dot, reduce, update, and the next step of the same user reads the row just
/// written). Two streams made an epoch 1.4-1.7x faster on ML-100K at 64-112 factors than one;
/// four streams a further 1.12-1.25x (svd k100 41 -> 36 ms, funk_mf k64 26 -> 21 ms per fit on
/// one thread); eight were no faster than four.
template <typename One, typename Pair>
void for_each_rating_pair(std::span<const SgdEntry> cell, int thread, One& one, Pair& pair);

/// The per-fit part of every SGD model's training loop: the thread count, the grid, and each
/// epoch's seed and cancellation check. Seeds derive from ctx.seed only.
class SgdLoop {
 public:
  SgdLoop(const Interactions& train, const FitContext& ctx,
          SgdGrid::Numbering numbering = SgdGrid::Numbering::kIds);
  int threads() const { return threads_; }
  const SgdGrid& grid() const { return grid_; }
  /// Epoch `e` (0-based): checks cancellation, then calls fn(const SgdEntry&, int thread) on
  /// every rating (sgd_epoch + for_each_rating).
  template <typename Fn>
  void run(int e, Fn&& fn) {
    ctx_.check_cancel();
    sgd_epoch(grid_, threads_, seeds_.fork(static_cast<uint64_t>(e) + 1).next(),
              [&](std::span<const SgdEntry> cell, int tid) { for_each_rating(cell, tid, fn); });
  }
  /// As run, through for_each_rating_pair: one(x, thread) and pair(a, b, thread).
  template <typename One, typename Pair>
  void run_pair(int e, One&& one, Pair&& pair) {
    ctx_.check_cancel();
    sgd_epoch(grid_, threads_, seeds_.fork(static_cast<uint64_t>(e) + 1).next(),
              [&](std::span<const SgdEntry> cell, int tid) {
                for_each_rating_pair(cell, tid, one, pair);
              });
  }

 private:
  const FitContext& ctx_;
  int threads_;
  Rng seeds_;
  SgdGrid grid_;
};

/// Fills `v` with N(0, stddev^2) draws: chunks of 16384 floats, each from its own stream of
/// `seed`, two values per polar-method pair, in parallel; the values do not depend on `threads`.
/// (FactorModel::randomize draws one pair per value on one thread; see BM_InitNormal.)
void fill_normal(std::span<float> v, float stddev, uint64_t seed, int threads);

/// A copy of n row-major rows of k floats with each row widened to sgd_padded(k) floats, zero
/// beyond k, 64-byte aligned: the SGD kernels then run on whole lane blocks with no tail, and no
/// row straddles a cache line it shares with another (k = 100 ran 1.3x slower unpadded).
class PaddedRows {
 public:
  /// With `slots` (SgdGrid::user_slots or item_slots), row r is stored at row slots[r].
  PaddedRows(std::span<const float> rows, int k, std::span<const int32_t> slots = {});
  int stride() const { return stride_; }
  float* data() { return base_; }
  /// Writes the first k columns of every row back to `rows` (n * k floats).
  void copy_to(std::span<float> rows) const;

 private:
  int k_, stride_;
  size_t n_;
  std::vector<float> buf_;
  float* base_;
  std::vector<int32_t> slots_;
};

/// A 64-byte-aligned copy of a float array (biases), written back by copy_to(). The grid bands
/// ids in runs of 16 consecutive ids, one cache line of floats; only when the array starts on a
/// line does each run own its line. Unaligned, the runs of two bands share the line at every run
/// boundary, and two threads updating item biases at random collide on hundreds of lines (svd
/// on 1.8M ratings was no faster on two threads than on one). Stored by band slot
/// (SgdGrid::Numbering::kBandSlots), each band's values are one stretch of memory.
class AlignedFloats {
 public:
  /// With `slots`, v[j] is stored at slots[j] (as in PaddedRows).
  explicit AlignedFloats(std::span<const float> v, std::span<const int32_t> slots = {});
  float* data() { return base_; }
  void copy_to(std::span<float> v) const;

 private:
  size_t n_;
  std::vector<float> buf_;
  float* base_;
  std::vector<int32_t> slots_;
};

/// Zeroes the rows of users and items without training ratings in row-major `users` and `items`
/// (k columns): such rows get no gradient, so random initial values would only add noise to
/// their scores.
void zero_unrated_rows(const Interactions& train, std::span<float> users, std::span<float> items,
                       int k);

// ------------------------------------------------------------------ vector kernels

/// Floats per SGD vector lane block: 16 (one AVX-512 register, two AVX2 registers).
constexpr int kSgdBlock = 16;

/// k rounded up to a whole number of lane blocks: the row stride of padded training arrays, whose
/// extra columns stay zero (a zero column gets a zero gradient), so the kernels need no tail.
inline int sgd_padded(int k) { return (k + kSgdBlock - 1) / kSgdBlock * kSgdBlock; }

/// <a, b> over k floats: 16 partial sums over whole blocks, summed as a tree, then the tail (none
/// when k is padded). The order is fixed, so results are deterministic. (A plain `omp simd`
/// reduction compiled to 16 dependent scalar adds of a spilled register: 1.3x slower per step.)
inline float sgd_dot(const float* __restrict a, const float* __restrict b, int k) {
  float acc[kSgdBlock] = {};
  int f = 0;
  for (; f + kSgdBlock <= k; f += kSgdBlock) {
#pragma omp simd
    for (int j = 0; j < kSgdBlock; ++j) acc[j] += a[f + j] * b[f + j];
  }
#pragma omp simd
  for (int j = 0; j < 8; ++j) acc[j] += acc[j + 8];
#pragma omp simd
  for (int j = 0; j < 4; ++j) acc[j] += acc[j + 4];
  float s = (acc[0] + acc[2]) + (acc[1] + acc[3]);
  for (; f < k; ++f) s += a[f] * b[f];
  return s;
}

/// One SGD step on 1/2 e^2 + reg_p/2 |p|^2 + reg_q/2 |q|^2 with e = r - (... + <p, q>):
///   p += lr (e q - reg_p p),  q += lr (e p - reg_q q), both from the old values,
/// computed as p' = (1 - lr reg_p) p + (lr e) q: one multiply and one fused multiply-add per
/// element and factor (three before: svd at 100 factors on ML-100K u1, one thread, 42-44 ->
/// 39-40 ms per fit; RMSE unchanged to four digits).
inline void sgd_step_pq(float* __restrict p, float* __restrict q, int k, float e, float lr,
                        float reg_p, float reg_q) {
  const float keep_p = 1.0f - lr * reg_p, keep_q = 1.0f - lr * reg_q, step = lr * e;
#pragma omp simd
  for (int f = 0; f < k; ++f) {
    const float pf = p[f], qf = q[f];
    p[f] = keep_p * pf + step * qf;
    q[f] = keep_q * qf + step * pf;
  }
}

/// out = a + b (k floats).
inline void sgd_add(const float* __restrict a, const float* __restrict b, float* __restrict out,
                    int k) {
#pragma omp simd
  for (int f = 0; f < k; ++f) out[f] = a[f] + b[f];
}

// ------------------------------------------------------------------ implementation

template <typename Fn>
void sgd_epoch(const SgdGrid& grid, int threads, uint64_t order_seed, Fn&& fn) {
  const int b = grid.blocks();
  const int cells = b * b;
  Rng rng(order_seed);
  auto shuffled_cells = [&] {
    std::vector<int> order(static_cast<size_t>(cells));
    for (int c = 0; c < cells; ++c) order[c] = c;
    for (int c = cells - 1; c > 0; --c)
      std::swap(order[c], order[rng.uniform_int(static_cast<uint64_t>(c) + 1)]);
    return order;
  };
  if (threads <= 1 || b == 1) {
    for (int c : shuffled_cells()) fn(grid.cell(c / b, c % b), 0);
    return;
  }
  // Parts: (round, cell), round by round. Slice r of a cell of n ratings is [r n / R, (r+1) n / R).
  constexpr int R = kSgdRounds;
  std::vector<int> parts;
  parts.reserve(static_cast<size_t>(R) * cells);
  for (int r = 0; r < R; ++r)
    for (int c : shuffled_cells()) parts.push_back(r * cells + c);
  auto part_span = [&](int part) {
    const int r = part / cells, c = part % cells;
    const auto cell = grid.cell(c / b, c % b);
    const size_t n = cell.size();
    return cell.subspan(n * static_cast<size_t>(r) / R,
                        n * static_cast<size_t>(r + 1) / R - n * static_cast<size_t>(r) / R);
  };
  // FPSGD's scheduler over the parts: a worker takes the first part (in list order) that is not
  // taken and whose row and column no running part holds; it waits when none is free. A cell's
  // slice r + 1 comes after its slice r in the list and is free exactly when slice r is, so a
  // cell's slices run in order.
  std::mutex mu;
  std::condition_variable freed;
  std::vector<char> row_busy(static_cast<size_t>(b), 0), col_busy(static_cast<size_t>(b), 0);
  std::vector<char> taken(parts.size(), 0);
  size_t untaken = parts.size(), first = 0;  // parts before `first` are all taken
#pragma omp parallel num_threads(threads)
  {
    const int tid = omp_get_thread_num();
    std::unique_lock<std::mutex> lock(mu);
    while (untaken > 0) {
      while (first < parts.size() && taken[first]) ++first;
      size_t pick = parts.size();
      for (size_t q = first; q < parts.size(); ++q) {
        const int c = parts[q] % cells;
        if (!taken[q] && !row_busy[c / b] && !col_busy[c % b]) {
          pick = q;
          break;
        }
      }
      if (pick == parts.size()) {
        freed.wait(lock);
        continue;
      }
      taken[pick] = 1;
      --untaken;
      const int c = parts[pick] % cells;
      row_busy[c / b] = col_busy[c % b] = 1;
      lock.unlock();
      fn(part_span(parts[pick]), tid);
      lock.lock();
      row_busy[c / b] = col_busy[c % b] = 0;
      freed.notify_all();
    }
    freed.notify_all();
  }
}

/// The vector instruction set for_each_rating uses: 2 = AVX-512, 1 = AVX2 + FMA, 0 = baseline.
int sgd_isa_level();

#if defined(__GNUC__) && defined(__x86_64__)
#define METAREC_SGD_MULTIVERSION 1
template <typename Step>
__attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma"), flatten)) void
for_each_rating_avx512(std::span<const SgdEntry> cell, int thread, Step& step) {
  for (const SgdEntry& x : cell) step(x, thread);
}
template <typename Step>
__attribute__((target("avx2,fma"), flatten)) void for_each_rating_avx2(
    std::span<const SgdEntry> cell, int thread, Step& step) {
  for (const SgdEntry& x : cell) step(x, thread);
}
#endif

template <typename Step>
void for_each_rating(std::span<const SgdEntry> cell, int thread, Step& step) {
#ifdef METAREC_SGD_MULTIVERSION
  static const int isa = sgd_isa_level();
  if (isa == 2) return for_each_rating_avx512(cell, thread, step);
  if (isa == 1) return for_each_rating_avx2(cell, thread, step);
#endif
  for (const SgdEntry& x : cell) step(x, thread);
}

template <typename One, typename Pair>
inline void for_each_rating_pair_body(std::span<const SgdEntry> cell, int thread, One& one,
                                      Pair& pair) {
  const size_t h = cell.size() / 4;
  auto two = [&](const SgdEntry& a, const SgdEntry& b) {
    if (a.user != b.user && a.item != b.item) {
      pair(a, b, thread);
    } else {
      one(a, thread);
      one(b, thread);
    }
  };
  for (size_t t = 0; t < h; ++t) {
    two(cell[t], cell[t + h]);
    two(cell[t + 2 * h], cell[t + 3 * h]);
  }
  for (size_t t = 4 * h; t < cell.size(); ++t) one(cell[t], thread);
}

#ifdef METAREC_SGD_MULTIVERSION
template <typename One, typename Pair>
__attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma"), flatten)) void
for_each_rating_pair_avx512(std::span<const SgdEntry> cell, int thread, One& one, Pair& pair) {
  for_each_rating_pair_body(cell, thread, one, pair);
}
template <typename One, typename Pair>
__attribute__((target("avx2,fma"), flatten)) void for_each_rating_pair_avx2(
    std::span<const SgdEntry> cell, int thread, One& one, Pair& pair) {
  for_each_rating_pair_body(cell, thread, one, pair);
}
#endif

template <typename One, typename Pair>
void for_each_rating_pair(std::span<const SgdEntry> cell, int thread, One& one, Pair& pair) {
#ifdef METAREC_SGD_MULTIVERSION
  static const int isa = sgd_isa_level();
  if (isa == 2) return for_each_rating_pair_avx512(cell, thread, one, pair);
  if (isa == 1) return for_each_rating_pair_avx2(cell, thread, one, pair);
#endif
  for_each_rating_pair_body(cell, thread, one, pair);
}

}  // namespace metarec::detail
