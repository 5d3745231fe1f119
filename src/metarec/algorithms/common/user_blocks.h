// The per-epoch user loop shared by the sampled SGD trainers (BPR, WARP, and the negative
// sampling of NCF and the deep CTR models): users split into a fixed number of contiguous blocks,
// each block with its own random stream, so that the work is spread over threads without the
// result depending on the thread count (one thread replays the same updates for a seed).
#pragma once

#include <metarec/core/parallel.h>
#include <metarec/core/rng.h>

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

namespace metarec {

/// Number of user blocks for `num_users` users: about 16 users each, between 1 and 1024.
inline int64_t user_block_count(int32_t num_users) {
  return std::clamp<int64_t>(num_users / 16, 1, 1024);
}

/// The threads for a Hogwild learner over users whose every step writes item rows (BPR, WARP):
/// `threads` (resolved) from 32,768 items up, else 1. On a small catalogue almost every item row
/// a step writes was last written by the other core, and two threads ran slower than one (2-core
/// VM, `synthetic:users=20000,items=N,per_user=50`, bpr 10 epochs, one / two threads: N = 3,700
/// 1.27 / 1.79 s, 20,000 1.53 / 1.87 s, 50,000 2.67-2.84 / 2.10-2.13 s; ML-1M pairs 5.5-7.0 /
/// 7.1-12.4 s; warp at N = 50,000, 5 epochs, 4.05 / 3.54 s).
inline int item_hogwild_threads(int threads, int32_t num_items) {
  constexpr int32_t kMinItems = 32768;
  return num_items < kMinItems ? 1 : resolve_threads(threads);
}

/// Calls fn(u, rng, tid) for every position of [0, num_users) in blocks of
/// user_block_count(num_users), in parallel over `threads`. Block b draws from
/// base.fork((epoch << 32) + 1 + b). With `order` non-empty, position q visits user order[q]
/// (a shuffled epoch), else user q.
template <typename Fn>
void for_each_user_block(int32_t num_users, int threads, const Rng& base, int epoch,
                         std::span<const int32_t> order, Fn&& fn) {
  const int64_t blocks = user_block_count(num_users);
  parallel_for_tid(
      blocks, threads,
      [&](int64_t b, int tid) {
        Rng rng = base.fork((static_cast<uint64_t>(epoch) << 32) + 1 + static_cast<uint64_t>(b));
        const auto lo = static_cast<int32_t>(num_users * b / blocks);
        const auto hi = static_cast<int32_t>(num_users * (b + 1) / blocks);
        for (int32_t q = lo; q < hi; ++q) fn(order.empty() ? q : order[q], rng, tid);
      },
      1);
}

/// Shuffles `order` (Fisher-Yates) with the epoch's stream base.fork(epoch << 32), the stream
/// for_each_user_block leaves free.
inline void shuffle_users(std::vector<int32_t>& order, const Rng& base, int epoch) {
  Rng shuffle = base.fork(static_cast<uint64_t>(epoch) << 32);
  for (auto q = static_cast<int32_t>(order.size()) - 1; q > 0; --q)
    std::swap(order[q], order[shuffle.uniform_int(static_cast<uint64_t>(q) + 1)]);
}

}  // namespace metarec
