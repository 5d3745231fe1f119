// The seed notes' collaborative filtering (squared and logistic loss) by full-batch Adam or GD.
#include <metarec/algorithms/mf/seed_cf.h>
#include <metarec/algorithms/mf/sgd_kernel.h>
#include <metarec/core/error.h>
#include <metarec/core/parallel.h>
#include <metarec/core/rng.h>
#include <metarec/data/negative_sampling.h>

#include <algorithm>
#include <cmath>

namespace metarec {

namespace {

ParamSchema common_schema(bool binary) {
  return {
      ParamSpec::integer("factors", binary ? 32 : 16, 1, 4096, "features per user and item")
          .tune(4, 256, true),
      ParamSpec::integer("iterations", binary ? 100 : 100, 1, 100000, "full-batch steps")
          .tune(20, 1000, true),
      ParamSpec::choice("optimizer", "adam", {"adam", "gd"},
                        "adam, or plain gradient descent (needs a far smaller lr, e.g. 1e-4)")
          .tune(std::vector<std::string>{"adam"}),
      ParamSpec::real("lr", binary ? 0.05 : 0.05, 0, 10, "step size", true).tune(1e-3, 0.5, true),
      ParamSpec::real("lambda", binary ? 5 : 15, 0, 1e6, "L2 weight on w and x (summed loss)")
          .tune(0.01, 100, true),
      ParamSpec::boolean("mean_normalize", true,
                         "offset every item by its mean (its logit positive rate when binary)"),
      ParamSpec::real("init_std", 0.1, 0, 10, "standard deviation of the initial w and x")
          .tune(0.01, 1, true),
  };
}

// Gaussian initial W and X; rows of users and items without data stay zero (their exact
// minimizer, so they keep w = 0 and x = 0).
void init_model(detail::SeedCfModel& m, const detail::SeedCfData& d, int k, float stddev,
                uint64_t seed) {
  const size_t kk = static_cast<size_t>(k);
  m.k = k;
  m.W.assign(static_cast<size_t>(d.num_users) * kk, 0.0f);
  m.b.assign(static_cast<size_t>(d.num_users), 0.0f);
  m.X.assign(static_cast<size_t>(d.num_items) * kk, 0.0f);
  Rng rng(seed);
  for (int32_t u = 0; u < d.num_users; ++u) {
    const bool has = d.user_ptr[u + 1] > d.user_ptr[u];
    for (size_t f = 0; f < kk; ++f) {
      const float v = static_cast<float>(rng.normal()) * stddev;
      if (has) m.W[u * kk + f] = v;
    }
  }
  for (int32_t i = 0; i < d.num_items; ++i) {
    const bool has = d.item_ptr[i + 1] > d.item_ptr[i];
    for (size_t f = 0; f < kk; ++f) {
      const float v = static_cast<float>(rng.normal()) * stddev;
      if (has) m.X[i * kk + f] = v;
    }
  }
}

inline double sigmoid(double z) { return 1.0 / (1.0 + std::exp(-z)); }

}  // namespace

// ---------------------------------------------------------------- shared maths

namespace detail {

SeedCfData SeedCfData::build(int32_t num_users, int32_t num_items, std::vector<int64_t> user_ptr,
                             std::vector<int32_t> items, std::vector<float> labels) {
  SeedCfData d;
  d.num_users = num_users;
  d.num_items = num_items;
  d.user_ptr = std::move(user_ptr);
  d.items = std::move(items);
  d.labels = std::move(labels);
  d.item_ptr.assign(static_cast<size_t>(num_items) + 1, 0);
  for (int32_t i : d.items) ++d.item_ptr[i + 1];
  for (int32_t i = 0; i < num_items; ++i) d.item_ptr[i + 1] += d.item_ptr[i];
  std::vector<int64_t> fill(d.item_ptr.begin(), d.item_ptr.end() - 1);
  d.item_users.resize(d.items.size());
  d.item_entry.resize(d.items.size());
  for (int32_t u = 0; u < num_users; ++u) {
    for (int64_t e = d.user_ptr[u]; e < d.user_ptr[u + 1]; ++e) {
      const int64_t pos = fill[d.items[e]]++;
      d.item_users[pos] = u;
      d.item_entry[pos] = e;
    }
  }
  return d;
}

double seed_cf_gradient(const SeedCfData& d, const SeedCfModel& m, double lambda, SeedCfLoss loss,
                        int threads, std::vector<float>& gW, std::vector<float>& gb,
                        std::vector<float>& gX, bool with_objective) {
  const int k = m.k;
  const size_t kk = static_cast<size_t>(k);
  const float lam = static_cast<float>(lambda);
  gW.resize(m.W.size());
  gb.resize(m.b.size());
  gX.resize(m.X.size());
  std::vector<float> resid(d.items.size());
  std::vector<double> user_loss(static_cast<size_t>(d.num_users), 0.0);
  // Users: residuals d loss / d z per entry, gradient of w_j and b_j.
  parallel_for(
      d.num_users, threads,
      [&](int64_t u) {
        const float* w = m.W.data() + u * kk;
        float* g = gW.data() + u * kk;
        double gbu = 0, lu = 0;
        for (size_t f = 0; f < kk; ++f) g[f] = lam * w[f];
        for (int64_t e = d.user_ptr[u]; e < d.user_ptr[u + 1]; ++e) {
          const int32_t i = d.items[e];
          const float* x = m.X.data() + i * kk;
          const double z = static_cast<double>(sgd_dot(w, x, k)) + m.b[u] + m.mu[i];
          const double y = d.labels[e];
          double r;
          if (loss == SeedCfLoss::kSquared) {
            r = z - y;
            lu += 0.5 * r * r;
          } else {
            r = sigmoid(z) - y;
            if (with_objective) {
              // -log sigmoid(z) = log(1 + e^-z), computed stably; -log(1 - sigmoid(z)) = that + z.
              const double l1 = z > 0 ? std::log1p(std::exp(-z)) : -z + std::log1p(std::exp(z));
              lu += y * l1 + (1 - y) * (l1 + z);
            }
          }
          resid[e] = static_cast<float>(r);
          gbu += r;
          const float rf = static_cast<float>(r);
#pragma omp simd
          for (int f = 0; f < k; ++f) g[f] += rf * x[f];
        }
        gb[u] = static_cast<float>(gbu);
        user_loss[u] = lu;
      },
      64);
  // Items: gradient of x_i from the residuals of its users.
  parallel_for(
      d.num_items, threads,
      [&](int64_t i) {
        const float* x = m.X.data() + i * kk;
        float* g = gX.data() + i * kk;
        for (size_t f = 0; f < kk; ++f) g[f] = lam * x[f];
        for (int64_t pos = d.item_ptr[i]; pos < d.item_ptr[i + 1]; ++pos) {
          const float r = resid[d.item_entry[pos]];
          const float* w = m.W.data() + static_cast<size_t>(d.item_users[pos]) * kk;
#pragma omp simd
          for (int f = 0; f < k; ++f) g[f] += r * w[f];
        }
      },
      64);
  if (!with_objective) return 0;
  double j = 0, reg = 0;
  for (double l : user_loss) j += l;
  for (float v : m.W) reg += static_cast<double>(v) * v;
  for (float v : m.X) reg += static_cast<double>(v) * v;
  return j + 0.5 * lambda * reg;
}

double seed_cf_objective(const SeedCfData& d, const SeedCfModel& m, double lambda,
                         SeedCfLoss loss) {
  const size_t kk = static_cast<size_t>(m.k);
  double j = 0;
  for (int32_t u = 0; u < d.num_users; ++u) {
    for (int64_t e = d.user_ptr[u]; e < d.user_ptr[u + 1]; ++e) {
      const int32_t i = d.items[e];
      double z = static_cast<double>(m.b[u]) + m.mu[i];
      for (size_t f = 0; f < kk; ++f)
        z += static_cast<double>(m.W[u * kk + f]) * m.X[static_cast<size_t>(i) * kk + f];
      const double y = d.labels[e];
      if (loss == SeedCfLoss::kSquared) {
        j += 0.5 * (z - y) * (z - y);
      } else {
        const double p = sigmoid(z);
        j += -y * std::log(p) - (1 - y) * std::log(1 - p);
      }
    }
  }
  double reg = 0;
  for (float v : m.W) reg += static_cast<double>(v) * v;
  for (float v : m.X) reg += static_cast<double>(v) * v;
  return j + 0.5 * lambda * reg;
}

void seed_cf_train(const SeedCfData& d, SeedCfModel& m, double lambda, SeedCfLoss loss, bool adam,
                   double lr, int iterations, const FitContext& ctx) {
  const int threads = resolve_threads(ctx.threads);
  std::vector<float> gW, gb, gX;
  // Adam moments for [W | b | X] (Kingma & Ba 2015; beta1 0.9, beta2 0.999, eps 1e-7 as Keras).
  constexpr double b1 = 0.9, b2 = 0.999, eps = 1e-7;
  std::vector<float> m1(adam ? m.W.size() + m.b.size() + m.X.size() : 0), m2(m1.size());
  auto step = [&](std::vector<float>& theta, const std::vector<float>& g, size_t off, int t) {
    const int64_t n = static_cast<int64_t>(theta.size());
    if (!adam) {
      const float a = static_cast<float>(lr);
      parallel_for(
          n, threads, [&](int64_t j) { theta[j] -= a * g[j]; }, 4096);
      return;
    }
    const double c1 = 1 - std::pow(b1, t), c2 = 1 - std::pow(b2, t);
    const float a = static_cast<float>(lr * std::sqrt(c2) / c1);
    const float e = static_cast<float>(eps * std::sqrt(c2));
    float* M1 = m1.data() + off;
    float* M2 = m2.data() + off;
    parallel_for(
        n, threads,
        [&](int64_t j) {
          M1[j] = static_cast<float>(b1) * M1[j] + static_cast<float>(1 - b1) * g[j];
          M2[j] = static_cast<float>(b2) * M2[j] + static_cast<float>(1 - b2) * g[j] * g[j];
          theta[j] -= a * M1[j] / (std::sqrt(M2[j]) + e);
        },
        4096);
  };
  for (int it = 1; it <= iterations; ++it) {
    ctx.check_cancel();
    seed_cf_gradient(d, m, lambda, loss, threads, gW, gb, gX, false);
    step(m.W, gW, 0, it);
    step(m.b, gb, m.W.size(), it);
    step(m.X, gX, m.W.size() + m.b.size(), it);
    ctx.report(static_cast<double>(it) / iterations, "full-batch step");
  }
}

}  // namespace detail

// ---------------------------------------------------------------- SeedCf

ParamSchema SeedCf::schema() { return common_schema(false); }

void SeedCf::do_fit(const Interactions& train, const FitContext& ctx) {
  const Params& p = params();
  const int k = static_cast<int>(p.get_int("factors"));
  const bool normalize = p.get_bool("mean_normalize");
  const int32_t nu = train.num_users(), ni = train.num_items();
  auto v = train.entry_values();
  detail::SeedCfData d = detail::SeedCfData::build(
      nu, ni, {train.user_ptr().begin(), train.user_ptr().end()},
      {train.entry_items().begin(), train.entry_items().end()}, {v.begin(), v.end()});
  detail::SeedCfModel m;
  m.mu.assign(static_cast<size_t>(ni), normalize ? static_cast<float>(train.global_mean()) : 0.0f);
  if (!normalize) std::fill(m.mu.begin(), m.mu.end(), 0.0f);
  for (int32_t i = 0; normalize && i < ni; ++i) {
    const auto vals = train.item_values(i);
    if (vals.empty()) continue;
    double s = 0;
    for (float x : vals) s += x;
    m.mu[i] = static_cast<float>(s / static_cast<double>(vals.size()));
  }
  init_model(m, d, k, static_cast<float>(p.get_float("init_std")), ctx.seed);
  detail::seed_cf_train(d, m, p.get_float("lambda"), detail::SeedCfLoss::kSquared,
                        p.get_string("optimizer") == "adam", p.get_float("lr"),
                        static_cast<int>(p.get_int("iterations")), ctx);
  init_factors(train, k, true, 0.0);
  users_ = std::move(m.W);
  items_ = std::move(m.X);
  user_bias_ = std::move(m.b);
  item_bias_ = std::move(m.mu);
}

// ---------------------------------------------------------------- SeedCfBinary

ParamSchema SeedCfBinary::schema() {
  ParamSchema s = common_schema(true);
  s.push_back(ParamSpec::real("threshold", 4, -1e6, 1e6,
                              "explicit ratings >= threshold are positive labels, others 0")
                  .tune(3, 5));
  s.push_back(ParamSpec::integer("negatives", 3, 0, 1000,
                                 "unrated items per rated one added as label 0 (0: rated pairs "
                                 "only, as in the notes)")
                  .tune(0, 8));
  return s;
}

void SeedCfBinary::do_fit(const Interactions& train, const FitContext& ctx) {
  const Params& p = params();
  k_ = static_cast<int>(p.get_int("factors"));
  const bool normalize = p.get_bool("mean_normalize");
  const float threshold = static_cast<float>(p.get_float("threshold"));
  const int negatives = static_cast<int>(p.get_int("negatives"));
  const bool explicit_data = train.feedback() == Feedback::kExplicit;
  const int32_t nu = train.num_users(), ni = train.num_items();

  // Labelled pairs: the rated ones, then the sampled unrated ones, per user.
  std::vector<std::vector<int32_t>> neg(static_cast<size_t>(nu));
  if (negatives > 0) {
    const NegativeSampler sampler(train, NegativeMode::kUniform);
    const Rng base = Rng(ctx.seed).fork(0x4e6);
    parallel_for(
        nu, ctx.threads,
        [&](int64_t u) {
          const int64_t n = train.user_count(static_cast<int32_t>(u));
          const int64_t want = std::min<int64_t>(n * negatives, ni - n);
          if (want <= 0) return;
          Rng rng = base.fork(static_cast<uint64_t>(u));
          sampler.sample_distinct(static_cast<int32_t>(u), static_cast<int32_t>(want), rng, neg[u]);
        },
        64);
  }
  std::vector<int64_t> ptr(static_cast<size_t>(nu) + 1, 0);
  std::vector<int32_t> items;
  std::vector<float> labels;
  for (int32_t u = 0; u < nu; ++u) {
    const auto it = train.user_items(u);
    const auto vals = train.user_values(u);
    for (size_t t = 0; t < it.size(); ++t) {
      items.push_back(it[t]);
      labels.push_back(!explicit_data || vals[t] >= threshold ? 1.0f : 0.0f);
    }
    for (int32_t j : neg[u]) {
      items.push_back(j);
      labels.push_back(0.0f);
    }
    ptr[u + 1] = static_cast<int64_t>(items.size());
  }
  detail::SeedCfData d =
      detail::SeedCfData::build(nu, ni, std::move(ptr), std::move(items), std::move(labels));
  detail::SeedCfModel m;
  m.mu.assign(static_cast<size_t>(ni), 0.0f);
  if (normalize) {
    double pos = 0;
    for (float y : d.labels) pos += y;
    const double rate = (pos + 1) / (static_cast<double>(d.labels.size()) + 2);
    for (int32_t i = 0; i < ni; ++i) {
      double pi = 0;
      for (int64_t q = d.item_ptr[i]; q < d.item_ptr[i + 1]; ++q) pi += d.labels[d.item_entry[q]];
      const double n = static_cast<double>(d.item_ptr[i + 1] - d.item_ptr[i]);
      const double r = (pi + 2 * rate) / (n + 2);
      m.mu[i] = static_cast<float>(std::log(r / (1 - r)));
    }
  }
  init_model(m, d, k_, static_cast<float>(p.get_float("init_std")), ctx.seed);
  detail::seed_cf_train(d, m, p.get_float("lambda"), detail::SeedCfLoss::kLogistic,
                        p.get_string("optimizer") == "adam", p.get_float("lr"),
                        static_cast<int>(p.get_int("iterations")), ctx);
  w_ = std::move(m.W);
  b_ = std::move(m.b);
  x_ = std::move(m.X);
  mu_ = std::move(m.mu);
}

float SeedCfBinary::logit(int32_t user, int32_t item) const {
  if (item < 0 || item >= num_items()) return 0.0f;
  float z = mu_[item];
  if (user >= 0 && user < num_users()) {
    const size_t kk = static_cast<size_t>(k_);
    z += b_[user] + detail::sgd_dot(w_.data() + user * kk, x_.data() + item * kk, k_);
  }
  return z;
}

float SeedCfBinary::probability(int32_t user, int32_t item) const {
  require_fitted();
  return static_cast<float>(sigmoid(logit(user, item)));
}

void SeedCfBinary::score(int32_t user, std::span<float> out) const {
  require_fitted();
  METAREC_CHECK(static_cast<int64_t>(out.size()) == num_items(), algorithm(),
                ": score buffer has size ", out.size(), ", expected ", num_items());
  for (int32_t i = 0; i < num_items(); ++i) out[i] = static_cast<float>(sigmoid(logit(user, i)));
}

void SeedCfBinary::do_save(ModelWriter& w) const {
  const int32_t k = k_;
  w.add("seed_cf.k", std::span<const int32_t>(&k, 1), {1});
  w.add("seed_cf.w", std::span<const float>(w_), {num_users(), k_});
  w.add("seed_cf.b", std::span<const float>(b_), {num_users()});
  w.add("seed_cf.x", std::span<const float>(x_), {num_items(), k_});
  w.add("seed_cf.mu", std::span<const float>(mu_), {num_items()});
}

void SeedCfBinary::do_load(const ModelReader& r) {
  k_ = r.i32("seed_cf.k", {1})[0];
  if (k_ <= 0) throw FormatError(r.path(), 0, "seed_cf_binary: bad factor count");
  w_ = r.f32("seed_cf.w", {num_users(), k_});
  b_ = r.f32("seed_cf.b", {num_users()});
  x_ = r.f32("seed_cf.x", {num_items(), k_});
  mu_ = r.f32("seed_cf.mu", {num_items()});
}

}  // namespace metarec
