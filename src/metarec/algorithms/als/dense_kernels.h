// Small dense kernels shared by the ALS family (als/, ials/, bayesian_mf/): the k x k Cholesky
// factorization and triangular solves behind every per-user and per-item least-squares step,
// and the float vector operations of the conjugate-gradient solver.
//
// Why not Eigen's LLT: the library is built with EIGEN_USE_BLAS, which routes LLT's inner
// products (gemv, trsm, syrk) to OpenBLAS. These solves run thousands of times per sweep inside
// OpenMP regions, where many tiny BLAS calls from many threads cost more than the arithmetic and
// can oversubscribe the cores. The few loops here are contiguous and vectorize with `omp simd`.
#pragma once

#include <cmath>
#include <cstdint>

// The per-row solvers that use these kernels are compiled twice, for x86-64-v3 (AVX2 + FMA)
// and for baseline x86-64, and the loader picks the clone the CPU supports (GCC function
// multiversioning). The kernels are always inlined so that they take the caller's target.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(METAREC_NO_CLONES)
#define METAREC_SIMD_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define METAREC_SIMD_CLONES
#endif
#define METAREC_KERNEL [[gnu::always_inline]] inline

namespace metarec::detail {

/// Dot product of two double vectors of length n.
METAREC_KERNEL double dot_d(const double* a, const double* b, int n) {
  double s = 0;
#pragma omp simd reduction(+ : s)
  for (int f = 0; f < n; ++f) s += a[f] * b[f];
  return s;
}

/// Dot product of two float vectors of length n (vectorized; the lanes are summed at the end).
METAREC_KERNEL float dot_f(const float* a, const float* b, int n) {
  float s = 0;
#pragma omp simd reduction(+ : s)
  for (int f = 0; f < n; ++f) s += a[f] * b[f];
  return s;
}

/// y += a * x for float vectors of length n.
METAREC_KERNEL void axpy_f(float a, const float* x, float* y, int n) {
#pragma omp simd
  for (int f = 0; f < n; ++f) y[f] += a * x[f];
}

/// Adds w * x x^T to the lower triangle of the row-major n x n matrix `a` (double).
METAREC_KERNEL void add_outer_lower(double* a, const float* x, double w, int n) {
  for (int r = 0; r < n; ++r) {
    const double wx = w * x[r];
    double* row = a + static_cast<long>(r) * n;
#pragma omp simd
    for (int c = 0; c <= r; ++c) row[c] += wx * x[c];
  }
}

/// Adds sum_j w[j] * x_j x_j^T for four vectors x[0..3] to the lower triangle of `a`: one pass
/// over `a` per four outer products.
METAREC_KERNEL void add_outer4_lower(double* a, const float* const* x, const double* w, int n) {
  const float *x0 = x[0], *x1 = x[1], *x2 = x[2], *x3 = x[3];
  for (int r = 0; r < n; ++r) {
    const double w0 = w[0] * x0[r], w1 = w[1] * x1[r], w2 = w[2] * x2[r], w3 = w[3] * x3[r];
    double* row = a + static_cast<long>(r) * n;
#pragma omp simd
    for (int c = 0; c <= r; ++c) row[c] += w0 * x0[c] + w1 * x1[c] + w2 * x2[c] + w3 * x3[c];
  }
}

/// Accumulates the normal equations of one row over its entries e in [lo, hi):
///   a (lower triangle, n x n) += wa(e) x_e x_e^T,   b += wb(e) x_e,
/// where row(e, slot) returns x_e (n floats; `slot` in [0, 4) names a scratch buffer the callee
/// may fill). Four entries per pass over `a`.
template <typename Row, typename Wa, typename Wb>
METAREC_KERNEL void accumulate_normal_equations(double* a, double* b, int n, int64_t lo, int64_t hi,
                                                Row row, Wa wa, Wb wb) {
  int64_t e = lo;
  for (; e + 4 <= hi; e += 4) {
    const float* x[4] = {row(e, 0), row(e + 1, 1), row(e + 2, 2), row(e + 3, 3)};
    const double w[4] = {wa(e), wa(e + 1), wa(e + 2), wa(e + 3)};
    add_outer4_lower(a, x, w, n);
    const double t0 = wb(e), t1 = wb(e + 1), t2 = wb(e + 2), t3 = wb(e + 3);
#pragma omp simd
    for (int f = 0; f < n; ++f) b[f] += t0 * x[0][f] + t1 * x[1][f] + t2 * x[2][f] + t3 * x[3][f];
  }
  for (; e < hi; ++e) {
    const float* x = row(e, 0);
    add_outer_lower(a, x, wa(e), n);
    const double t = wb(e);
#pragma omp simd
    for (int f = 0; f < n; ++f) b[f] += t * x[f];
  }
}

/// In-place Cholesky factorization of the symmetric positive definite n x n matrix `a`
/// (row-major; only the lower triangle is read). On success the lower triangle holds L with
/// a = L L^T and the function returns true; it returns false when a pivot is not positive.
METAREC_KERNEL bool cholesky_in_place(double* a, int n) {
  for (int j = 0; j < n; ++j) {
    double* lj = a + static_cast<long>(j) * n;
    const double s = lj[j] - dot_d(lj, lj, j);
    if (!(s > 0)) return false;
    const double d = std::sqrt(s);
    lj[j] = d;
    const double inv = 1.0 / d;
    for (int i = j + 1; i < n; ++i) {
      double* li = a + static_cast<long>(i) * n;
      li[j] = (li[j] - dot_d(li, lj, j)) * inv;
    }
  }
  return true;
}

/// b := L^{-1} b (forward substitution) with L the lower triangle of row-major `l`.
METAREC_KERNEL void lower_solve(const double* l, double* b, int n) {
  for (int i = 0; i < n; ++i) {
    const double* li = l + static_cast<long>(i) * n;
    b[i] = (b[i] - dot_d(li, b, i)) / li[i];
  }
}

/// b := L^{-T} b (back substitution, column-oriented so that it reads rows of L).
METAREC_KERNEL void lower_transposed_solve(const double* l, double* b, int n) {
  for (int i = n - 1; i >= 0; --i) {
    const double* li = l + static_cast<long>(i) * n;
    const double x = b[i] / li[i];
    b[i] = x;
#pragma omp simd
    for (int p = 0; p < i; ++p) b[p] -= x * li[p];
  }
}

/// b := (L L^T)^{-1} b with L from cholesky_in_place.
METAREC_KERNEL void cholesky_solve(const double* l, double* b, int n) {
  lower_solve(l, b, n);
  lower_transposed_solve(l, b, n);
}

}  // namespace metarec::detail
