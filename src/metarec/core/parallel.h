// Thread-count resolution and an OpenMP loop that carries exceptions out of the parallel region.
#pragma once

#include <omp.h>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <mutex>

namespace metarec {

/// 0 means "all cores"; otherwise the given count (>= 1).
inline int resolve_threads(int threads) { return threads > 0 ? threads : omp_get_max_threads(); }

/// The stride, in elements of T, of per-thread scratch blocks of n elements laid end to end:
/// whole 64-byte cache lines plus a spare one, so no two threads ever write to one line (false
/// sharing) whatever the buffer's alignment.
template <typename T>
constexpr size_t padded_stride(size_t n) {
  constexpr size_t per_line = 64 / sizeof(T);
  return (n + per_line - 1) / per_line * per_line + per_line;
}

/// Calls fn(i) for i in [0, n) on `threads` threads with dynamic scheduling in chunks of `chunk`.
/// The first exception thrown by any fn is rethrown after the loop; the remaining iterations are
/// skipped once one has failed.
template <typename Fn>
void parallel_for(int64_t n, int threads, Fn&& fn, int64_t chunk = 16) {
  std::exception_ptr error;
  std::mutex mu;
  bool failed = false;
#pragma omp parallel for num_threads(resolve_threads(threads)) schedule(dynamic, chunk)
  for (int64_t i = 0; i < n; ++i) {
    bool skip;
#pragma omp atomic read
    skip = failed;
    if (skip) continue;
    try {
      fn(i);
    } catch (...) {
      std::lock_guard<std::mutex> lock(mu);
      if (!error) error = std::current_exception();
#pragma omp atomic write
      failed = true;
    }
  }
  if (error) std::rethrow_exception(error);
}

/// Like parallel_for but fn(i, thread_id) also gets the executing thread's index in [0, threads).
template <typename Fn>
void parallel_for_tid(int64_t n, int threads, Fn&& fn, int64_t chunk = 16) {
  parallel_for(
      n, threads, [&](int64_t i) { fn(i, omp_get_thread_num()); }, chunk);
}

}  // namespace metarec
