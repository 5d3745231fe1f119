// OpenBLAS's thread control, declared weak so that a build against another BLAS still links.
#include <metarec/core/blas_threads.h>
#include <metarec/core/error.h>

extern "C" {
void openblas_set_num_threads(int n) __attribute__((weak));
int openblas_get_num_threads() __attribute__((weak));
}

namespace metarec {

ScopedBlasThreads::ScopedBlasThreads(int threads) {
  METAREC_CHECK(threads >= 1, "ScopedBlasThreads: threads must be >= 1, got ", threads);
  if (openblas_set_num_threads == nullptr || openblas_get_num_threads == nullptr) return;
  previous_ = openblas_get_num_threads();
  openblas_set_num_threads(threads);
}

ScopedBlasThreads::~ScopedBlasThreads() {
  if (previous_ > 0) openblas_set_num_threads(previous_);
}

}  // namespace metarec
