// Implicit ALS: per-half-sweep Gram matrix, then exact (Cholesky) or conjugate-gradient row
// solves in parallel.
#include <metarec/algorithms/als/dense_kernels.h>
#include <metarec/algorithms/ials/ials.h>
#include <metarec/algorithms/mf/sgd_kernel.h>
#include <metarec/core/blas_threads.h>
#include <metarec/core/error.h>
#include <metarec/core/parallel.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <vector>

namespace metarec {

ParamSchema Ials::schema() {
  return {
      ParamSpec::integer("factors", 64, 1, 1024, "latent dimensions k").tune(8, 256, true),
      ParamSpec::real("reg", 50, 0, 1e6,
                      "L2 regularization lambda of both factor matrices (not scaled by counts, "
                      "so it grows with the data: ~50 suits 100K-1M interactions)",
                      true)
          .tune(0.1, 1000, true),
      ParamSpec::real("alpha", 2.0, 0, 1e6, "confidence slope: c = 1 + alpha * value")
          .tune(0.1, 100, true),
      ParamSpec::choice("confidence", "linear", {"linear", "log"},
                        "linear: c = 1 + alpha*v; log: c = 1 + alpha*log(1 + v/epsilon)")
          .tune({"linear", "log"}),
      ParamSpec::real("epsilon", 1.0, 0, 1e9, "scale of the log confidence", true),
      ParamSpec::integer("iterations", 15, 1, 1000, "alternating sweeps (users, then items)")
          .tune(3, 40),
      ParamSpec::choice("solver", "cg", {"cg", "cholesky"},
                        "cg: a few conjugate-gradient steps warm-started from the previous "
                        "factors; cholesky: the exact solve"),
      ParamSpec::integer("cg_steps", 3, 1, 1024, "conjugate-gradient steps per row and half-sweep")
          .tune(2, 6),
      ParamSpec::real("init_std", 0.01, 0, 10, "std of the random initial factors"),
  };
}

Ials::Ials(const Params& p)
    : FactorModel("ials", p),
      alpha_(p.get_float("alpha")),
      epsilon_(p.get_float("epsilon")),
      reg_(p.get_float("reg")),
      log_scaling_(p.get_string("confidence") == "log") {}

void Ials::confidence(float v, float& c_minus_1, float& c_times_p) const {
  if (!(v > 0)) {  // a zero (or negative) value is a non-preference with confidence 1
    c_minus_1 = 0;
    c_times_p = 0;
    return;
  }
  const double c1 = log_scaling_ ? alpha_ * std::log1p(v / epsilon_) : alpha_ * v;
  c_minus_1 = static_cast<float>(c1);
  c_times_p = static_cast<float>(1.0 + c1);
}

namespace {

using RowMajorF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// The rows being solved, each with its entries on the fixed side: the fixed row's index,
// c - 1 and c * p.
struct Side {
  int32_t rows;
  const int64_t* ptr;
  const int32_t* index;
  const float* c_minus_1;
  const float* c_times_p;
};

// G = Y^T Y + reg I (k x k, symmetric) for Y the n x k row-major `fixed` factors. Each of the
// `threads` threads multiplies its own contiguous block of rows with single-threaded BLAS, and the
// partial products are added in thread order, so a given thread count always gives the same G
// (one thread: one product, as before). OpenBLAS's own threads stay off: Debian's pthread
// OpenBLAS leaves its workers spinning after each call, competing with the OpenMP row solves.
void gram(const float* fixed, int64_t n, int k, double reg, int threads, std::vector<float>& g) {
  const ScopedBlasThreads serial(1);
  const size_t kk = static_cast<size_t>(k) * k;
  const int nt = static_cast<int>(std::clamp<int64_t>(n / 256, 1, resolve_threads(threads)));
  std::vector<float> partial(kk * static_cast<size_t>(nt - 1));
  g.assign(kk, 0.0f);
#pragma omp parallel for num_threads(nt) schedule(static, 1)
  for (int t = 0; t < nt; ++t) {
    const int64_t lo = n * t / nt, hi = n * (t + 1) / nt;
    Eigen::Map<const RowMajorF> y(fixed + lo * k, hi - lo, k);
    Eigen::Map<RowMajorF> out(t == 0 ? g.data() : partial.data() + kk * (t - 1), k, k);
    out.noalias() = y.transpose() * y;
  }
  for (int t = 1; t < nt; ++t) {
    const float* p = partial.data() + kk * (t - 1);
    for (size_t e = 0; e < kk; ++e) g[e] += p[e];
  }
  for (int f = 0; f < k; ++f) g[static_cast<size_t>(f) * k + f] += static_cast<float>(reg);
}

struct CgBuffers {
  float* r;
  float* p;
  float* ap;
};

// out += sum_e coef(e, <y_e, v>) y_e over entries [lo, hi) of the row, four entries at a time so
// that four independent dot products are in flight (the reductions are latency-bound otherwise)
// and `out` is read and written once per four rows.
template <typename Coef>
METAREC_KERNEL void accumulate_rows(const float* fixed, const int32_t* index, int64_t lo,
                                    int64_t hi, const float* v, float* out, int k, Coef coef) {
  int64_t e = lo;
  for (; e + 4 <= hi; e += 4) {
    const float* y0 = fixed + static_cast<size_t>(index[e]) * k;
    const float* y1 = fixed + static_cast<size_t>(index[e + 1]) * k;
    const float* y2 = fixed + static_cast<size_t>(index[e + 2]) * k;
    const float* y3 = fixed + static_cast<size_t>(index[e + 3]) * k;
    float d0 = 0, d1 = 0, d2 = 0, d3 = 0;
#pragma omp simd reduction(+ : d0, d1, d2, d3)
    for (int f = 0; f < k; ++f) {
      d0 += y0[f] * v[f];
      d1 += y1[f] * v[f];
      d2 += y2[f] * v[f];
      d3 += y3[f] * v[f];
    }
    const float c0 = coef(e, d0), c1 = coef(e + 1, d1), c2 = coef(e + 2, d2), c3 = coef(e + 3, d3);
#pragma omp simd
    for (int f = 0; f < k; ++f) out[f] += c0 * y0[f] + c1 * y1[f] + c2 * y2[f] + c3 * y3[f];
  }
  for (; e < hi; ++e) {
    const float* y = fixed + static_cast<size_t>(index[e]) * k;
    float d = 0;
#pragma omp simd reduction(+ : d)
    for (int f = 0; f < k; ++f) d += y[f] * v[f];
    const float c = coef(e, d);
#pragma omp simd
    for (int f = 0; f < k; ++f) out[f] += c * y[f];
  }
}

// out = scale * G v for the symmetric k x k G (row-major), four rows of G per pass over out.
METAREC_KERNEL void gram_times(const float* g, const float* v, float scale, float* out, int k) {
  std::fill(out, out + k, 0.0f);
  int r = 0;
  for (; r + 4 <= k; r += 4) {
    const float* g0 = g + static_cast<size_t>(r) * k;
    const float *g1 = g0 + k, *g2 = g1 + k, *g3 = g2 + k;
    const float v0 = scale * v[r], v1 = scale * v[r + 1], v2 = scale * v[r + 2],
                v3 = scale * v[r + 3];
#pragma omp simd
    for (int f = 0; f < k; ++f) out[f] += v0 * g0[f] + v1 * g1[f] + v2 * g2[f] + v3 * g3[f];
  }
  for (; r < k; ++r) detail::axpy_f(scale * v[r], g + static_cast<size_t>(r) * k, out, k);
}

// cg_steps of conjugate gradient on (G + Y_u^T (C_u - I) Y_u) x = Y_u^T C_u p_u from the current
// x, with the product computed on the fly (Takacs et al. 2011, Algorithm 3).
METAREC_SIMD_CLONES
void cg_row(const float* g, const float* fixed, const Side& s, int64_t row, int k, int steps,
            float* x, const CgBuffers& buf) {
  using detail::axpy_f;
  using detail::dot_f;
  const int64_t lo = s.ptr[row], hi = s.ptr[row + 1];
  const float* cm1 = s.c_minus_1;
  const float* cp = s.c_times_p;
  float* r = buf.r;
  float* p = buf.p;
  float* ap = buf.ap;
  // r = b - A x = sum_i (c p - (c - 1) <y_i, x>) y_i - G x.
  gram_times(g, x, -1.0f, r, k);
  accumulate_rows(fixed, s.index, lo, hi, x, r, k,
                  [&](int64_t e, float d) { return cp[e] - cm1[e] * d; });
  std::copy(r, r + k, p);
  float rs_old = dot_f(r, r, k);
  for (int it = 0; it < steps && rs_old > 1e-20f; ++it) {
    gram_times(g, p, 1.0f, ap, k);
    accumulate_rows(fixed, s.index, lo, hi, p, ap, k,
                    [&](int64_t e, float d) { return cm1[e] * d; });
    const float pap = dot_f(p, ap, k);
    if (!(pap > 0)) break;
    const float a = rs_old / pap;
    axpy_f(a, p, x, k);
    axpy_f(-a, ap, r, k);
    const float rs_new = dot_f(r, r, k);
    const float beta = rs_new / rs_old;
#pragma omp simd
    for (int f = 0; f < k; ++f) p[f] = r[f] + beta * p[f];
    rs_old = rs_new;
  }
}

// The exact solve: forms A = G + sum_i (c_i - 1) y_i y_i^T and b = sum_i c_i p_i y_i in double.
METAREC_SIMD_CLONES
void cholesky_row(const double* gd, const float* fixed, const Side& s, int64_t row, int k, float* x,
                  double* a, double* b) {
  const size_t kk = static_cast<size_t>(k) * k;
  std::copy(gd, gd + kk, a);
  std::fill(b, b + k, 0.0);
  detail::accumulate_normal_equations(
      a, b, k, s.ptr[row], s.ptr[row + 1],
      [&](int64_t e, int) { return fixed + static_cast<size_t>(s.index[e]) * k; },
      [&](int64_t e) { return static_cast<double>(s.c_minus_1[e]); },
      [&](int64_t e) { return static_cast<double>(s.c_times_p[e]); });
  METAREC_CHECK(detail::cholesky_in_place(a, k), "ials: normal equations not positive definite");
  detail::cholesky_solve(a, b, k);
  for (int f = 0; f < k; ++f) x[f] = static_cast<float>(b[f]);
}

// Solves every row of `solved` against `fixed` (n_fixed rows). Rows without entries get zeros.
void solve_side(const Side& s, const float* fixed, int64_t n_fixed, float* solved, int k,
                double reg, bool use_cg, int steps, int threads) {
  std::vector<float> g;
  gram(fixed, n_fixed, k, reg, threads, g);
  const int nt = resolve_threads(threads);
  // Per-thread scratch on padded strides, so threads never share a cache line.
  const size_t kk = padded_stride<double>(static_cast<size_t>(k) * k);
  const size_t kb = padded_stride<double>(static_cast<size_t>(k));
  const size_t kw = padded_stride<float>(static_cast<size_t>(3) * k);
  if (use_cg) {
    std::vector<float> work(kw * nt);
    parallel_for_tid(
        s.rows, nt,
        [&](int64_t row, int tid) {
          float* x = solved + row * k;
          if (s.ptr[row] == s.ptr[row + 1]) {
            std::fill(x, x + k, 0.0f);
            return;
          }
          float* w = work.data() + kw * tid;
          cg_row(g.data(), fixed, s, row, k, steps, x, {w, w + k, w + 2 * k});
        },
        32);
  } else {
    const std::vector<double> gd(g.begin(), g.end());
    std::vector<double> a(kk * nt), b(kb * nt);
    parallel_for_tid(
        s.rows, nt,
        [&](int64_t row, int tid) {
          float* x = solved + row * k;
          if (s.ptr[row] == s.ptr[row + 1]) {
            std::fill(x, x + k, 0.0f);
            return;
          }
          cholesky_row(gd.data(), fixed, s, row, k, x, a.data() + kk * tid, b.data() + kb * tid);
        },
        16);
  }
}

}  // namespace

void Ials::do_fit(const Interactions& train, const FitContext& ctx) {
  const int k = static_cast<int>(params().get_int("factors"));
  const int iterations = static_cast<int>(params().get_int("iterations"));
  const bool use_cg = params().get_string("solver") == "cg";
  const int steps = static_cast<int>(params().get_int("cg_steps"));
  init_factors(train, k, false);
  const float init_std = static_cast<float>(params().get_float("init_std"));
  detail::fill_normal(users_, init_std, Rng(ctx.seed).fork(1).next(), ctx.threads);
  detail::fill_normal(items_, init_std, Rng(ctx.seed).fork(2).next(), ctx.threads);

  const size_t nnz = static_cast<size_t>(train.nnz());
  std::vector<float> u_cm1(nnz), u_cp(nnz), i_cm1(nnz), i_cp(nnz);
  const auto uv = train.entry_values();
  const float* iv = train.item_values(0).data();  // the CSC values are contiguous
  for (size_t e = 0; e < nnz; ++e) {
    confidence(uv[e], u_cm1[e], u_cp[e]);
    confidence(iv[e], i_cm1[e], i_cp[e]);
  }
  const Side users{train.num_users(), train.user_ptr().data(), train.entry_items().data(),
                   u_cm1.data(), u_cp.data()};
  const Side items{train.num_items(), train.item_ptr().data(), train.item_users(0).data(),
                   i_cm1.data(), i_cp.data()};
  for (int it = 0; it < iterations; ++it) {
    ctx.check_cancel();
    solve_side(users, items_.data(), train.num_items(), users_.data(), k, reg_, use_cg, steps,
               ctx.threads);
    solve_side(items, users_.data(), train.num_users(), items_.data(), k, reg_, use_cg, steps,
               ctx.threads);
    ctx.report(static_cast<double>(it + 1) / iterations, "iALS sweep");
  }
}

void Ials::score_new_user(std::span<const int32_t> items, std::span<const float> values,
                          std::span<float> out) const {
  require_fitted();
  METAREC_CHECK(items.size() == values.size(), "ials: ", items.size(), " items but ", values.size(),
                " values");
  METAREC_CHECK(static_cast<int64_t>(out.size()) == num_items(), "ials: score buffer has size ",
                out.size(), ", expected ", num_items());
  const int k = k_;
  std::vector<float> cm1(items.size()), cp(items.size());
  for (size_t e = 0; e < items.size(); ++e) {
    METAREC_CHECK(items[e] >= 0 && items[e] < num_items(), "ials: item index ", items[e],
                  " out of range");
    confidence(values[e], cm1[e], cp[e]);
  }
  const int64_t ptr[2] = {0, static_cast<int64_t>(items.size())};
  const Side s{1, ptr, items.data(), cm1.data(), cp.data()};
  std::vector<float> g;
  gram(items_.data(), num_items(), k, reg_, 1, g);
  const std::vector<double> gd(g.begin(), g.end());
  std::vector<double> a(static_cast<size_t>(k) * k), b(static_cast<size_t>(k));
  std::vector<float> x(static_cast<size_t>(k), 0.0f);
  if (!items.empty()) cholesky_row(gd.data(), items_.data(), s, 0, k, x.data(), a.data(), b.data());
  for (int32_t i = 0; i < num_items(); ++i) out[i] = dot(x.data(), item_row(i), k);
}

}  // namespace metarec
