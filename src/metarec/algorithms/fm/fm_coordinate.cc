// Coordinate-wise factorization machine learners on the materialized design matrix: ALS
// (exact minimization of the regularized squared error in one parameter at a time) and its
// Bayesian sibling, Gibbs sampling (MCMC) with hyperpriors per feature group, as in libFM.
#include <metarec/algorithms/fm/fm_train.h>
#include <metarec/core/error.h>
#include <metarec/core/parallel.h>
#include <metarec/core/rng.h>
#include <metarec/data/negative_sampling.h>

#include <algorithm>
#include <cmath>

namespace metarec {

FmDesign build_fm_design(const Interactions& train, const FmFeatureMap& map, const FmTrainConfig& c,
                         uint64_t seed) {
  FmDesign d;
  const NegativeSampler sampler(train, NegativeMode::kUniform);
  Rng rng = Rng(seed).fork(0xDE5);
  const auto users = train.entry_users();
  const auto items = train.entry_items();
  const auto values = train.entry_values();
  const auto times = train.entry_times();
  const int64_t per = c.implicit ? 1 + c.negatives : 1;
  d.target.reserve(static_cast<size_t>(train.nnz() * per));
  d.row_ptr.reserve(static_cast<size_t>(train.nnz() * per) + 1);
  auto add = [&](int32_t u, int32_t i, int32_t tf, float y) {
    map.append_row(u, i, tf, d.row_idx, d.row_val);
    d.row_ptr.push_back(static_cast<int64_t>(d.row_idx.size()));
    d.target.push_back(y);
  };
  for (int64_t e = 0; e < train.nnz(); ++e) {
    const int32_t u = users[e];
    const int32_t tf = map.uses_time() ? map.time_feature(times[e]) : -1;
    add(u, items[e], tf, c.implicit ? 1.0f : values[e]);
    if (c.implicit && train.user_count(u) < train.num_items())
      for (int n = 0; n < c.negatives; ++n) add(u, sampler.sample(u, rng), tf, 0.0f);
  }
  // The transpose, rows ascending within each feature.
  const int32_t nf = map.num_features();
  d.col_ptr.assign(static_cast<size_t>(nf) + 1, 0);
  for (int32_t f : d.row_idx) ++d.col_ptr[f + 1];
  for (int32_t f = 0; f < nf; ++f) d.col_ptr[f + 1] += d.col_ptr[f];
  d.col_row.resize(d.row_idx.size());
  d.col_val.resize(d.row_idx.size());
  std::vector<int64_t> next(d.col_ptr.begin(), d.col_ptr.end() - 1);
  for (int64_t r = 0; r < d.rows(); ++r)
    for (int64_t p = d.row_ptr[r]; p < d.row_ptr[r + 1]; ++p) {
      const int64_t at = next[d.row_idx[p]]++;
      d.col_row[at] = static_cast<int32_t>(r);
      d.col_val[at] = d.row_val[p];
    }
  return d;
}

double fm_als_objective(const FmWeights& m, const FmDesign& d, const FmRegularization& reg) {
  double loss = 0;
  std::vector<float> sums(static_cast<size_t>(m.k));
  for (int64_t r = 0; r < d.rows(); ++r) {
    const double e = fm_predict(m, d.row(r), sums.data()) - d.target[r];
    loss += e * e;
  }
  double w2 = 0, v2 = 0;
  for (float x : m.w) w2 += static_cast<double>(x) * x;
  for (float x : m.v) v2 += static_cast<double>(x) * x;
  return loss + reg.w0 * m.w0 * m.w0 + reg.w * w2 + reg.v * v2;
}

namespace {

// The state both coordinate learners keep: e_r = y(x_r) - target_r and, while factor f is
// being updated, q_r = sum_j v_jf x_rj.
struct Residuals {
  std::vector<double> e, q;
};

void compute_residuals(const FmWeights& m, const FmDesign& d, int threads, Residuals& s) {
  s.e.resize(static_cast<size_t>(d.rows()));
  s.q.resize(static_cast<size_t>(d.rows()));
  const int n = resolve_threads(threads);
  std::vector<std::vector<float>> sums(static_cast<size_t>(n),
                                       std::vector<float>(static_cast<size_t>(m.k)));
  parallel_for_tid(
      d.rows(), threads,
      [&](int64_t r, int tid) { s.e[r] = fm_predict(m, d.row(r), sums[tid].data()) - d.target[r]; },
      1024);
}

// The data side of one coordinate's conditional: with y_r linear in theta (slope h_r),
// num = sum_r (theta h_r - e_r) h_r and den = sum_r h_r^2. ALS sets theta = num / (den + reg);
// MCMC draws theta from N((alpha num + mu lambda) / prec, 1 / prec), prec = alpha den + lambda.
struct Moments {
  double num = 0, den = 0;
};

// Updates every feature in [begin, end) with `update(j, moments, theta) -> new theta`, where
// the slope of feature j in row r is slope(r, x_rj, theta). Features of the user-id and item-id
// groups touch disjoint rows (one user and one item per row), so those run in parallel with the
// same result as sequentially; other groups run in order.
template <typename Get, typename Slope, typename Update, typename After>
void update_features(const FmDesign& d, int32_t begin, int32_t end, bool disjoint, int threads,
                     Residuals& s, Get&& get, Slope&& slope, Update&& update, After&& after) {
  auto one = [&](int64_t jj) {
    const int32_t j = static_cast<int32_t>(jj);
    const double theta = get(j);
    Moments mo;
    for (int64_t p = d.col_ptr[j]; p < d.col_ptr[j + 1]; ++p) {
      const double h = slope(d.col_row[p], d.col_val[p], theta);
      mo.num += (theta * h - s.e[d.col_row[p]]) * h;
      mo.den += h * h;
    }
    const double next = update(j, mo, theta);
    const double delta = next - theta;
    if (delta == 0) return;
    for (int64_t p = d.col_ptr[j]; p < d.col_ptr[j + 1]; ++p) {
      const int32_t r = d.col_row[p];
      s.e[r] += delta * slope(r, d.col_val[p], theta);
      after(r, d.col_val[p], delta);
    }
  };
  if (disjoint) {
    parallel_for(
        end - begin, threads, [&](int64_t q) { one(begin + q); }, 64);
  } else {
    for (int32_t j = begin; j < end; ++j) one(j);
  }
}

bool disjoint_group(int g) {
  return g == static_cast<int>(FmGroup::kUser) || g == static_cast<int>(FmGroup::kItem);
}

// The per-parameter rule of one sweep: ALS's minimizer or MCMC's draw.
struct Rule {
  virtual ~Rule() = default;
  virtual double w0(const Moments& mo, double theta) = 0;
  virtual double w(int group, int32_t j, const Moments& mo, double theta) = 0;
  virtual double v(int group, int f, int32_t j, const Moments& mo, double theta) = 0;
};

// One sweep over w0, all w, then factor by factor all v (libFM's order). `before_factor(f)` runs
// before factor f's column is updated (MCMC draws the factor's hyperparameters there).
template <typename BeforeFactor>
void sweep(FmWeights& m, const FmFeatureMap& map, const FmDesign& d, int threads, Residuals& s,
           Rule& rule, BeforeFactor&& before_factor) {
  const int64_t rows = d.rows();
  {  // w0: slope 1 in every row.
    Moments mo;
    for (int64_t r = 0; r < rows; ++r) mo.num += m.w0 - s.e[r];
    mo.den = static_cast<double>(rows);
    const double next = rule.w0(mo, m.w0);
    const double delta = next - m.w0;
    m.w0 = next;
    parallel_for(
        rows, threads, [&](int64_t r) { s.e[r] += delta; }, 4096);
  }
  for (int g = 0; g < kFmGroups; ++g) {
    const auto grp = static_cast<FmGroup>(g);
    update_features(
        d, map.group_begin(grp), map.group_end(grp), disjoint_group(g), threads, s,
        [&](int32_t j) { return static_cast<double>(m.w[j]); },
        [](int32_t, float x, double) { return static_cast<double>(x); },
        [&](int32_t j, const Moments& mo, double theta) {
          m.w[j] = static_cast<float>(rule.w(g, j, mo, theta));
          return static_cast<double>(m.w[j]);
        },
        [](int32_t, float, double) {});
  }
  for (int f = 0; f < m.k; ++f) {
    before_factor(f);
    parallel_for(
        rows, threads,
        [&](int64_t r) {
          double q = 0;
          for (int64_t p = d.row_ptr[r]; p < d.row_ptr[r + 1]; ++p)
            q += static_cast<double>(m.vrow(d.row_idx[p])[f]) * d.row_val[p];
          s.q[r] = q;
        },
        4096);
    for (int g = 0; g < kFmGroups; ++g) {
      const auto grp = static_cast<FmGroup>(g);
      update_features(
          d, map.group_begin(grp), map.group_end(grp), disjoint_group(g), threads, s,
          [&](int32_t j) { return static_cast<double>(m.vrow(j)[f]); },
          [&](int32_t r, float x, double theta) { return x * (s.q[r] - theta * x); },
          [&](int32_t j, const Moments& mo, double theta) {
            m.vrow(j)[f] = static_cast<float>(rule.v(g, f, j, mo, theta));
            return static_cast<double>(m.vrow(j)[f]);
          },
          [&](int32_t r, float x, double delta) { s.q[r] += delta * x; });
    }
  }
}

struct AlsRule final : Rule {
  FmRegularization reg;
  static double solve(const Moments& mo, double lambda, double theta) {
    const double den = mo.den + lambda;
    return den > 0 ? mo.num / den : theta;
  }
  double w0(const Moments& mo, double theta) override { return solve(mo, reg.w0, theta); }
  double w(int, int32_t, const Moments& mo, double theta) override {
    return solve(mo, reg.w, theta);
  }
  double v(int, int, int32_t, const Moments& mo, double theta) override {
    return solve(mo, reg.v, theta);
  }
};

// Gamma(shape, rate) by Marsaglia and Tsang's method (shape < 1 boosted by U^(1/shape)).
double draw_gamma(Rng& rng, double shape, double rate) {
  if (shape < 1) return draw_gamma(rng, shape + 1, rate) * std::pow(rng.uniform(), 1.0 / shape);
  const double dd = shape - 1.0 / 3.0, cc = 1.0 / std::sqrt(9.0 * dd);
  for (;;) {
    double x, v;
    do {
      x = rng.normal();
      v = 1.0 + cc * x;
    } while (v <= 0);
    v = v * v * v;
    const double u = rng.uniform();
    if (u < 1.0 - 0.0331 * x * x * x * x) return dd * v / rate;
    if (std::log(u) < 0.5 * x * x + dd * (1.0 - v + std::log(v))) return dd * v / rate;
  }
}

// Hyperpriors as libFM's defaults: alpha ~ Gamma(1, 1); per group lambda ~ Gamma(1, 1) and
// mu ~ N(0, 1 / (gamma0 lambda)) with gamma0 = 1; w0 has a flat prior.
constexpr double kAlpha0 = 1, kBeta0 = 1, kAlphaLambda = 1, kBetaLambda = 1, kGamma0 = 1, kMu0 = 0;

struct McmcRule final : Rule {
  uint64_t seed = 0;
  int iteration = 0;
  Rng* main = nullptr;
  double alpha = 1;
  // Per group: mean and precision of w; per group and factor: of v (index g * k + f).
  std::vector<double> mu_w, lambda_w, mu_v, lambda_v;
  int k = 0;

  // Parallel draws take a stream named by (iteration, factor, feature): thread-independent.
  double normal_for(int f, int32_t j) {
    Rng r = Rng(seed).fork((static_cast<uint64_t>(iteration) << 40) ^
                           (static_cast<uint64_t>(f + 1) << 32) ^ static_cast<uint32_t>(j));
    return r.normal();
  }
  double draw(const Moments& mo, double mu, double lambda, double z) const {
    const double prec = alpha * mo.den + lambda;
    return (alpha * mo.num + mu * lambda) / prec + z / std::sqrt(prec);
  }
  double w0(const Moments& mo, double) override { return draw(mo, 0, 0, main->normal()); }
  double w(int g, int32_t j, const Moments& mo, double) override {
    return draw(mo, mu_w[g], lambda_w[g], normal_for(-1, j));
  }
  double v(int g, int f, int32_t j, const Moments& mo, double) override {
    return draw(mo, mu_v[g * k + f], lambda_v[g * k + f], normal_for(f, j));
  }
};

// Draws (lambda, mu) of one group of parameters values(j), j in [begin, end).
template <typename Value>
void draw_hyper(Rng& rng, int32_t begin, int32_t end, Value&& value, double& mu, double& lambda) {
  const int32_t n = end - begin;
  if (n <= 0) return;
  double sum = 0, sq = 0;
  for (int32_t j = begin; j < end; ++j) {
    const double t = value(j);
    sum += t;
    sq += (t - mu) * (t - mu);
  }
  lambda = draw_gamma(rng, (kAlphaLambda + n + 1) / 2.0,
                      (kBetaLambda + sq + kGamma0 * (mu - kMu0) * (mu - kMu0)) / 2.0);
  const double prec = (n + kGamma0) * lambda;
  mu = (sum + kGamma0 * kMu0) / (n + kGamma0) + rng.normal() / std::sqrt(prec);
}

// Threads for the sweeps. A sweep opens 2 + 3k short parallel regions; below a few hundred
// thousand rows each region is too small to pay for waking the team (and on a busy machine a
// descheduled thread stalls every region), so small problems run on one thread.
int sweep_threads(const FmDesign& d, int threads) { return d.rows() >= 200000 ? threads : 1; }

}  // namespace

void train_fm_als(FmWeights& m, const Interactions& train, const FmFeatureMap& map,
                  const FmTrainConfig& c, const FitContext& ctx) {
  init_fm_weights(m, map.num_features(), c.k, c.init_std, ctx.seed);
  const FmDesign d = build_fm_design(train, map, c, ctx.seed);
  const int threads = sweep_threads(d, ctx.threads);
  Residuals s;
  compute_residuals(m, d, threads, s);
  AlsRule rule;
  rule.reg = c.reg;
  for (int it = 0; it < c.epochs; ++it) {
    ctx.check_cancel();
    sweep(m, map, d, threads, s, rule, [](int) {});
    // Float parameters drift from the double residuals; refresh them now and then.
    if ((it + 1) % 8 == 0) compute_residuals(m, d, threads, s);
    ctx.report(static_cast<double>(it + 1) / c.epochs, "ALS sweep");
  }
}

void train_fm_mcmc(FmWeights& m, const Interactions& train, const FmFeatureMap& map,
                   const FmTrainConfig& c, const FitContext& ctx) {
  init_fm_weights(m, map.num_features(), c.k, c.init_std, ctx.seed);
  const FmDesign d = build_fm_design(train, map, c, ctx.seed);
  const int threads = sweep_threads(d, ctx.threads);
  Residuals s;
  compute_residuals(m, d, threads, s);
  const int k = c.k;
  Rng main = Rng(ctx.seed).fork(0x3C3C);
  McmcRule rule;
  rule.seed = ctx.seed ^ 0x5EED;
  rule.main = &main;
  rule.k = k;
  rule.mu_w.assign(kFmGroups, 0.0);
  rule.lambda_w.assign(kFmGroups, 1.0);
  rule.mu_v.assign(static_cast<size_t>(kFmGroups) * k, 0.0);
  rule.lambda_v.assign(static_cast<size_t>(kFmGroups) * k, 1.0);

  const int32_t n = m.n();
  double w0_sum = 0;
  std::vector<double> w_sum(static_cast<size_t>(n), 0.0);
  std::vector<std::vector<float>> samples;
  int linear_samples = 0;
  // Keep at most c.kept_samples factor samples, evenly spaced (the linear part, cheap to store,
  // averages every post-burn-in sample).
  const int total = c.epochs - c.burn_in;
  const int stride = std::max(1, (total + c.kept_samples - 1) / std::max(c.kept_samples, 1));
  for (int it = 0; it < c.epochs; ++it) {
    ctx.check_cancel();
    rule.iteration = it;
    double se = 0;
    for (double e : s.e) se += e * e;
    rule.alpha =
        draw_gamma(main, (kAlpha0 + static_cast<double>(d.rows())) / 2.0, (kBeta0 + se) / 2.0);
    for (int g = 0; g < kFmGroups; ++g) {
      const auto grp = static_cast<FmGroup>(g);
      draw_hyper(
          main, map.group_begin(grp), map.group_end(grp), [&](int32_t j) { return m.w[j]; },
          rule.mu_w[g], rule.lambda_w[g]);
    }
    sweep(m, map, d, threads, s, rule, [&](int f) {
      for (int g = 0; g < kFmGroups; ++g) {
        const auto grp = static_cast<FmGroup>(g);
        draw_hyper(
            main, map.group_begin(grp), map.group_end(grp), [&](int32_t j) { return m.vrow(j)[f]; },
            rule.mu_v[static_cast<size_t>(g) * k + f],
            rule.lambda_v[static_cast<size_t>(g) * k + f]);
      }
    });
    if ((it + 1) % 8 == 0) compute_residuals(m, d, threads, s);
    if (it >= c.burn_in) {
      w0_sum += m.w0;
      for (int32_t j = 0; j < n; ++j) w_sum[j] += m.w[j];
      ++linear_samples;
      if ((it - c.burn_in) % stride == 0) samples.push_back(m.v);
    }
    ctx.report(static_cast<double>(it + 1) / c.epochs, "Gibbs sampling");
  }
  m = fm_posterior_mean(w0_sum / linear_samples, w_sum, linear_samples, samples, k);
}

FmWeights fm_posterior_mean(double w0, const std::vector<double>& w_sum, int linear_samples,
                            const std::vector<std::vector<float>>& factor_samples, int k) {
  const int kept = static_cast<int>(factor_samples.size());
  METAREC_CHECK(kept > 0 && linear_samples > 0, "fm_posterior_mean: no samples");
  const int32_t n = static_cast<int32_t>(w_sum.size());
  // Side by side and scaled by 1/sqrt(kept), the samples' dot products average their pairwise
  // terms: <[a1..aS], [b1..bS]> / S = mean_s <a_s, b_s>.
  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(kept)));
  FmWeights out;
  out.k = k * kept;
  out.w0 = w0;
  out.w.resize(static_cast<size_t>(n));
  for (int32_t j = 0; j < n; ++j) out.w[j] = static_cast<float>(w_sum[j] / linear_samples);
  out.v.resize(static_cast<size_t>(n) * out.k);
  for (int32_t j = 0; j < n; ++j)
    for (int sidx = 0; sidx < kept; ++sidx)
      for (int f = 0; f < k; ++f)
        out.v[static_cast<size_t>(j) * out.k + static_cast<size_t>(sidx) * k + f] =
            factor_samples[sidx][static_cast<size_t>(j) * k + f] * scale;
  return out;
}

}  // namespace metarec
