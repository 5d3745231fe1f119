// Scoped control of OpenBLAS's own thread pool, shared by every caller of BLAS in metarec.
#pragma once

namespace metarec {

/// Sets OpenBLAS's thread count to `threads` (>= 1) for the lifetime of the object, then
/// restores the previous count. Small products next to OpenMP's threads (mini-batches, the
/// selector network, iALS's Gram matrix) run best with one BLAS thread: Debian's pthread OpenBLAS
/// otherwise oversubscribes the cores and leaves its workers spinning after each call. A no-op
/// when the BLAS linked is not OpenBLAS.
class ScopedBlasThreads {
 public:
  explicit ScopedBlasThreads(int threads = 1);
  ~ScopedBlasThreads();
  ScopedBlasThreads(const ScopedBlasThreads&) = delete;
  ScopedBlasThreads& operator=(const ScopedBlasThreads&) = delete;

 private:
  int previous_ = 0;
};

}  // namespace metarec
