// Explicit ALS: exact per-user and per-item ridge solves, alternated.
#include <metarec/algorithms/als/als.h>
#include <metarec/algorithms/als/dense_kernels.h>
#include <metarec/core/error.h>
#include <metarec/core/parallel.h>

#include <algorithm>
#include <vector>

namespace metarec {

ParamSchema Als::schema() {
  return {
      ParamSpec::integer("factors", 32, 1, 1024, "latent dimensions k").tune(4, 128, true),
      ParamSpec::real("reg", 0.12, 0, 1e3,
                      "lambda; each row's penalty is lambda times its rating count (weighted)",
                      true)
          .tune(0.005, 0.5, true),
      ParamSpec::integer("epochs", 15, 1, 1000, "alternating sweeps (users, then items)")
          .tune(3, 40),
      ParamSpec::boolean("biases", true,
                         "learn user and item biases around the global mean (each solve then has "
                         "k+1 unknowns)"),
      ParamSpec::boolean("weighted", true,
                         "weighted-lambda regularization: scale lambda by the row's count"),
      ParamSpec::real("init_std", 0.1, 0, 10, "std of the random initial factors")
          .tune(0.01, 0.5, true),
  };
}

namespace {

// One side of the problem: the rows being solved, each with its entries on the fixed side.
struct Side {
  int32_t rows;
  std::span<const int64_t> ptr;
  std::span<const int32_t> index;
  std::span<const float> value;
};

// The exact solve of one row: [x; c] = (X^T X + lambda I)^-1 X^T t with X's rows [y_j, 1] (the
// 1 only with biases) and t_j = r_j - mu - b_j. `buf` holds 4 * dim floats.
METAREC_SIMD_CLONES
void solve_row(const Side& side, int64_t r, const float* fixed, const float* fixed_bias, float* out,
               float* out_bias, int k, double mu, double reg, bool weighted, double* a, double* b,
               float* buf) {
  const bool biases = out_bias != nullptr;
  const int dim = k + (biases ? 1 : 0);
  const int64_t lo = side.ptr[r], hi = side.ptr[r + 1];
  std::fill(a, a + static_cast<size_t>(dim) * dim, 0.0);
  std::fill(b, b + dim, 0.0);
  auto row = [&](int64_t e, int slot) -> const float* {
    const float* q = fixed + static_cast<size_t>(side.index[e]) * k;
    if (!biases) return q;
    float* x = buf + static_cast<size_t>(slot) * dim;
    std::copy(q, q + k, x);
    x[k] = 1.0f;
    return x;
  };
  detail::accumulate_normal_equations(
      a, b, dim, lo, hi, row, [](int64_t) { return 1.0; },
      [&](int64_t e) {
        return side.value[e] - mu - (biases ? static_cast<double>(fixed_bias[side.index[e]]) : 0.0);
      });
  const double lambda = reg * (weighted ? static_cast<double>(hi - lo) : 1.0);
  for (int f = 0; f < dim; ++f) a[static_cast<size_t>(f) * dim + f] += lambda;
  METAREC_CHECK(detail::cholesky_in_place(a, dim),
                "als: normal equations not positive definite (reg=", reg, ")");
  detail::cholesky_solve(a, b, dim);
  for (int f = 0; f < k; ++f) out[f] = static_cast<float>(b[f]);
  if (biases) *out_bias = static_cast<float>(b[k]);
}

// Solves every row's (k + biases) normal equations against the fixed factors (and biases).
// Rows without entries get zero factors and bias (the minimizer of the penalty alone).
void solve_side(const Side& side, const float* fixed, const float* fixed_bias, float* solved,
                float* solved_bias, int k, double mu, double reg, bool weighted, int threads) {
  const bool biases = solved_bias != nullptr;
  const int dim = k + (biases ? 1 : 0);
  const int nt = resolve_threads(threads);
  // Per-thread scratch on padded strides: b and the row buffer are written for every entry, and
  // sharing a cache line between threads cost more than the second thread gained (1 -> 2
  // threads went 591 -> 697 ms in bench_als).
  const size_t dd = padded_stride<double>(static_cast<size_t>(dim) * dim);
  const size_t db = padded_stride<double>(static_cast<size_t>(dim));
  const size_t dx = padded_stride<float>(static_cast<size_t>(4) * dim);
  std::vector<double> a_all(dd * nt), b_all(db * nt);
  std::vector<float> x_all(dx * nt);
  parallel_for_tid(
      side.rows, nt,
      [&](int64_t r, int tid) {
        float* out = solved + r * k;
        if (side.ptr[r] == side.ptr[r + 1]) {
          std::fill(out, out + k, 0.0f);
          if (biases) solved_bias[r] = 0;
          return;
        }
        solve_row(side, r, fixed, fixed_bias, out, biases ? solved_bias + r : nullptr, k, mu, reg,
                  weighted, a_all.data() + dd * tid, b_all.data() + db * tid,
                  x_all.data() + dx * tid);
      },
      64);
}

}  // namespace

void Als::do_fit(const Interactions& train, const FitContext& ctx) {
  const int k = static_cast<int>(params().get_int("factors"));
  const double reg = params().get_float("reg");
  const int epochs = static_cast<int>(params().get_int("epochs"));
  const bool biases = params().get_bool("biases");
  const bool weighted = params().get_bool("weighted");
  init_factors(train, k, biases, biases ? train.global_mean() : 0.0);
  randomize(ctx.seed, static_cast<float>(params().get_float("init_std")));
  const Side users{train.num_users(), train.user_ptr(), train.entry_items(), train.entry_values()};
  // The CSC arrays are contiguous: item i's users start at item_ptr[i].
  const Side items{train.num_items(),
                   train.item_ptr(),
                   {train.item_users(0).data(), static_cast<size_t>(train.nnz())},
                   {train.item_values(0).data(), static_cast<size_t>(train.nnz())}};
  float* ub = biases ? user_bias_.data() : nullptr;
  float* ib = biases ? item_bias_.data() : nullptr;
  for (int e = 0; e < epochs; ++e) {
    ctx.check_cancel();
    solve_side(users, items_.data(), ib, users_.data(), ub, k, mu_, reg, weighted, ctx.threads);
    solve_side(items, users_.data(), ub, items_.data(), ib, k, mu_, reg, weighted, ctx.threads);
    ctx.report(static_cast<double>(e + 1) / epochs, "ALS sweep");
  }
}

}  // namespace metarec
