// BPMF: Gibbs sampling of factors and Gaussian-Wishart hyperparameters, prediction averaged
// over the kept samples.
#include <metarec/algorithms/als/dense_kernels.h>
#include <metarec/algorithms/bayesian_mf/bayesian_mf.h>
#include <metarec/core/error.h>
#include <metarec/core/parallel.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace metarec {

ParamSchema BayesianMf::schema() {
  return {
      ParamSpec::integer("factors", 10, 1, 256, "latent dimensions D").tune(2, 64, true),
      ParamSpec::integer("burn_in", 40, 0, 100000, "Gibbs iterations discarded before averaging")
          .tune(10, 100),
      ParamSpec::integer("samples", 80, 1, 100000,
                         "Gibbs iterations averaged for the prediction (scoring costs D*samples "
                         "per item)")
          .tune(20, 200, true),
      ParamSpec::real("alpha", 1.5, 0, 1e6, "precision of the ratings around the prediction", true)
          .tune(0.5, 8, true),
      ParamSpec::real("beta0", 2.0, 0, 1e6,
                      "prior strength of the hyper-mean (Gaussian-Wishart beta0)", true),
      ParamSpec::real("init_std", 0.1, 0, 10, "std of the random initial factors"),
  };
}

namespace detail {

double sample_gamma(Rng& rng, double shape) {
  METAREC_CHECK(shape > 0, "gamma shape must be > 0, got ", shape);
  if (shape < 1) {
    const double u = std::max(rng.uniform(), 1e-300);
    return sample_gamma(rng, shape + 1) * std::pow(u, 1.0 / shape);
  }
  const double d = shape - 1.0 / 3.0, c = 1.0 / std::sqrt(9.0 * d);
  for (;;) {
    double x, v;
    do {
      x = rng.normal();
      v = 1.0 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const double u = rng.uniform();
    if (u < 1.0 - 0.0331 * x * x * x * x) return d * v;
    if (std::log(std::max(u, 1e-300)) < 0.5 * x * x + d * (1.0 - v + std::log(v))) return d * v;
  }
}

void sample_wishart(Rng& rng, std::span<const double> scale_chol, int d, double dof,
                    std::span<double> out) {
  METAREC_CHECK(dof > d - 1, "Wishart degrees of freedom ", dof, " must exceed ", d - 1);
  const size_t dd = static_cast<size_t>(d) * d;
  // Bartlett: A lower triangular, A_ii = sqrt(chi2(dof - i)), A_ij ~ N(0, 1) below the diagonal.
  std::vector<double> a(dd, 0.0), b(dd, 0.0);
  for (int i = 0; i < d; ++i) {
    a[static_cast<size_t>(i) * d + i] = std::sqrt(2.0 * sample_gamma(rng, 0.5 * (dof - i)));
    for (int j = 0; j < i; ++j) a[static_cast<size_t>(i) * d + j] = rng.normal();
  }
  // B = L A (both lower triangular), draw = B B^T.
  for (int i = 0; i < d; ++i)
    for (int j = 0; j <= i; ++j) {
      double s = 0;
      for (int p = j; p <= i; ++p)
        s += scale_chol[static_cast<size_t>(i) * d + p] * a[static_cast<size_t>(p) * d + j];
      b[static_cast<size_t>(i) * d + j] = s;
    }
  for (int i = 0; i < d; ++i)
    for (int j = 0; j <= i; ++j) {
      const double s = dot_d(b.data() + static_cast<size_t>(i) * d,
                             b.data() + static_cast<size_t>(j) * d, j + 1);
      out[static_cast<size_t>(i) * d + j] = s;
      out[static_cast<size_t>(j) * d + i] = s;
    }
}

void sample_gaussian_wishart(Rng& rng, std::span<const float> x, int64_t n, int d, double beta0,
                             std::vector<double>& out_mean, std::vector<double>& out_precision) {
  const size_t dd = static_cast<size_t>(d) * d;
  std::vector<double> mean(d, 0.0), cov(dd, 0.0);
  for (int64_t r = 0; r < n; ++r)
    for (int f = 0; f < d; ++f) mean[f] += x[static_cast<size_t>(r) * d + f];
  for (int f = 0; f < d; ++f) mean[f] /= static_cast<double>(n);
  std::vector<double> c(d);
  for (int64_t r = 0; r < n; ++r) {
    for (int f = 0; f < d; ++f) c[f] = x[static_cast<size_t>(r) * d + f] - mean[f];
    for (int i = 0; i < d; ++i)
      for (int j = 0; j <= i; ++j) cov[static_cast<size_t>(i) * d + j] += c[i] * c[j];
  }
  const double nn = static_cast<double>(n), beta = beta0 + nn, nu = d + nn;
  // W*^-1 = W0^-1 + N S + beta0 N / (beta0 + N) (mu0 - xbar)(mu0 - xbar)^T, with N S = cov.
  std::vector<double> winv(dd, 0.0);
  for (int i = 0; i < d; ++i)
    for (int j = 0; j <= i; ++j)
      winv[static_cast<size_t>(i) * d + j] = (i == j ? 1.0 : 0.0) +
                                             cov[static_cast<size_t>(i) * d + j] +
                                             beta0 * nn / beta * mean[i] * mean[j];
  METAREC_CHECK(cholesky_in_place(winv.data(), d), "bayesian_mf: bad Wishart scale");
  std::vector<double> w(dd), col(d);
  for (int j = 0; j < d; ++j) {
    std::fill(col.begin(), col.end(), 0.0);
    col[j] = 1.0;
    cholesky_solve(winv.data(), col.data(), d);
    for (int i = 0; i < d; ++i) w[static_cast<size_t>(i) * d + j] = col[i];
  }
  METAREC_CHECK(cholesky_in_place(w.data(), d), "bayesian_mf: bad Wishart scale");
  for (int i = 0; i < d; ++i)
    for (int j = i + 1; j < d; ++j) w[static_cast<size_t>(i) * d + j] = 0;  // keep L only
  out_precision.assign(dd, 0.0);
  sample_wishart(rng, w, d, nu, out_precision);
  // mu ~ N(mu*, (beta Lambda)^-1), mu* = N xbar / beta; with beta Lambda = L L^T, mu = mu* + L^-T
  // z.
  std::vector<double> bl(dd);
  for (size_t e = 0; e < dd; ++e) bl[e] = beta * out_precision[e];
  METAREC_CHECK(cholesky_in_place(bl.data(), d), "bayesian_mf: bad hyper precision");
  out_mean.assign(d, 0.0);
  for (int f = 0; f < d; ++f) out_mean[f] = rng.normal();
  lower_transposed_solve(bl.data(), out_mean.data(), d);
  for (int f = 0; f < d; ++f) out_mean[f] += nn * mean[f] / beta;
}

bool sample_gaussian(Rng& rng, double* precision, double* h, double* z, int d) {
  if (!cholesky_in_place(precision, d)) return false;
  cholesky_solve(precision, h, d);
  // With P = L L^T, L^-T z has covariance L^-T L^-1 = P^-1.
  for (int f = 0; f < d; ++f) z[f] = rng.normal();
  lower_transposed_solve(precision, z, d);
  for (int f = 0; f < d; ++f) h[f] += z[f];
  return true;
}

}  // namespace detail

namespace {

// The hyperparameters of one side: mean and precision (row-major D x D).
struct Hyper {
  std::vector<double> mean, precision;
};

struct Side {
  int32_t rows;
  const int64_t* ptr;
  const int32_t* index;
  const float* value;
};

// Draws one row from N(mean*, Lambda*^-1) with Lambda* = Lambda + alpha sum_j v_j v_j^T and
// Lambda* mean* = alpha sum_j (r_j - mu) v_j + Lambda mu_h (eq. 12-13 of the paper).
METAREC_SIMD_CLONES
void sample_row(const Side& s, int64_t r, const float* fixed, const Hyper& h, const double* lam_mu,
                double alpha, double mu, int d, Rng& rng, double* a, double* b, double* z,
                float* out) {
  std::copy(h.precision.begin(), h.precision.end(), a);
  std::copy(lam_mu, lam_mu + d, b);
  detail::accumulate_normal_equations(
      a, b, d, s.ptr[r], s.ptr[r + 1],
      [&](int64_t e, int) { return fixed + static_cast<size_t>(s.index[e]) * d; },
      [&](int64_t) { return alpha; }, [&](int64_t e) { return alpha * (s.value[e] - mu); });
  METAREC_CHECK(detail::sample_gaussian(rng, a, b, z, d),
                "bayesian_mf: row precision not positive definite");
  for (int f = 0; f < d; ++f) out[f] = static_cast<float>(b[f]);
}

// Draws every row of `out` given the other side's `fixed` rows (OpenMP over rows; row r draws
// from stream.fork(r)).
void sample_rows(const Side& s, const std::vector<float>& fixed, const Hyper& h, double alpha,
                 double mu, int d, const Rng& stream, int threads, std::vector<float>& out) {
  const size_t dd = static_cast<size_t>(d) * d;
  std::vector<double> lam_mu(d, 0.0);
  for (int i = 0; i < d; ++i)
    lam_mu[i] = detail::dot_d(h.precision.data() + static_cast<size_t>(i) * d, h.mean.data(), d);
  const int nt = resolve_threads(threads);
  const size_t per_thread = dd + 2 * static_cast<size_t>(d);
  std::vector<double> work(per_thread * nt);
  parallel_for_tid(
      s.rows, nt,
      [&](int64_t r, int tid) {
        double* a = work.data() + per_thread * tid;
        Rng rng = stream.fork(static_cast<uint64_t>(r));
        sample_row(s, r, fixed.data(), h, lam_mu.data(), alpha, mu, d, rng, a, a + dd, a + dd + d,
                   out.data() + static_cast<size_t>(r) * d);
      },
      64);
}

}  // namespace

void BayesianMf::do_fit(const Interactions& train, const FitContext& ctx) {
  const int d = static_cast<int>(params().get_int("factors"));
  const int burn_in = static_cast<int>(params().get_int("burn_in"));
  const int samples = static_cast<int>(params().get_int("samples"));
  const double alpha = params().get_float("alpha");
  const double beta0 = params().get_float("beta0");
  const float init_std = static_cast<float>(params().get_float("init_std"));
  METAREC_CHECK(static_cast<int64_t>(d) * samples <= 65536,
                "bayesian_mf: factors * samples = ", static_cast<int64_t>(d) * samples,
                " exceeds 65536 (the stored model's width)");
  const int32_t nu = train.num_users(), ni = train.num_items();
  init_factors(train, d * samples, false, train.global_mean());

  Rng rng(ctx.seed);
  std::vector<float> u(static_cast<size_t>(nu) * d), v(static_cast<size_t>(ni) * d);
  for (auto& x : u) x = static_cast<float>(rng.normal()) * init_std;
  for (auto& x : v) x = static_cast<float>(rng.normal()) * init_std;
  const Rng streams = rng.fork(1);
  Rng hyper_rng = rng.fork(2);
  Hyper hu, hv;
  const Side users{nu, train.user_ptr().data(), train.entry_items().data(),
                   train.entry_values().data()};
  const Side items{ni, train.item_ptr().data(), train.item_users(0).data(),
                   train.item_values(0).data()};
  const int total = burn_in + samples;
  const size_t width = static_cast<size_t>(d) * samples;
  for (int it = 0; it < total; ++it) {
    ctx.check_cancel();
    detail::sample_gaussian_wishart(hyper_rng, u, nu, d, beta0, hu.mean, hu.precision);
    detail::sample_gaussian_wishart(hyper_rng, v, ni, d, beta0, hv.mean, hv.precision);
    sample_rows(users, v, hu, alpha, mu_, d, streams.fork(2 * static_cast<uint64_t>(it)),
                ctx.threads, u);
    sample_rows(items, u, hv, alpha, mu_, d, streams.fork(2 * static_cast<uint64_t>(it) + 1),
                ctx.threads, v);
    if (it >= burn_in) {
      const size_t off = static_cast<size_t>(it - burn_in) * d;
      for (int32_t r = 0; r < nu; ++r)
        std::copy_n(u.data() + static_cast<size_t>(r) * d, d, users_.data() + r * width + off);
      for (int32_t r = 0; r < ni; ++r)
        std::copy_n(v.data() + static_cast<size_t>(r) * d, d, items_.data() + r * width + off);
    }
    ctx.report(static_cast<double>(it + 1) / total,
               it < burn_in ? "Gibbs burn-in" : "Gibbs sampling");
  }
  const float inv = 1.0f / static_cast<float>(samples);
  for (auto& x : users_) x *= inv;
}

}  // namespace metarec
