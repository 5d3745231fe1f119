// Factorization machine maths (prediction, gradient, SGD step), scoring and persistence.
#include <metarec/algorithms/fm/fm.h>
#include <metarec/algorithms/fm/fm_train.h>
#include <metarec/core/error.h>

#include <algorithm>
#include <cmath>

namespace metarec {

namespace {

inline float dot_simd(const float* a, const float* b, int k) {
  float s = 0;
#pragma omp simd reduction(+ : s)
  for (int f = 0; f < k; ++f) s += a[f] * b[f];
  return s;
}

// Adds x * v to sums and returns sum_f (v_f x)^2.
inline float accumulate(float* sums, const float* v, float x, int k) {
  float sq = 0;
#pragma omp simd reduction(+ : sq)
  for (int f = 0; f < k; ++f) {
    const float t = v[f] * x;
    sums[f] += t;
    sq += t * t;
  }
  return sq;
}

const char* solver_name(FmSolver s) {
  switch (s) {
    case FmSolver::kSgd:
      return "fm";
    case FmSolver::kAls:
      return "fm_als";
    case FmSolver::kMcmc:
      return "fm_mcmc";
  }
  return "fm";
}

}  // namespace

double fm_predict(const FmWeights& m, const FmRow& row, float* sums, const double* w0) {
  const int k = m.k;
  std::vector<float> local;
  if (sums == nullptr) {
    local.resize(static_cast<size_t>(k));
    sums = local.data();
  }
  std::fill(sums, sums + k, 0.0f);
  double y = w0 != nullptr ? *w0 : m.w0, sq = 0;
  for (size_t q = 0; q < row.idx.size(); ++q) {
    const int32_t j = row.idx[q];
    const float x = row.x[q];
    y += static_cast<double>(m.w[j]) * x;
    sq += accumulate(sums, m.vrow(j), x, k);
  }
  return y + 0.5 * (static_cast<double>(dot_simd(sums, sums, k)) - sq);
}

void fm_gradient(const FmWeights& m, const FmRow& row, const float* sums,
                 std::vector<double>& grad_w, std::vector<double>& grad_v) {
  const int k = m.k;
  grad_w.assign(row.idx.size(), 0.0);
  grad_v.assign(row.idx.size() * static_cast<size_t>(k), 0.0);
  for (size_t q = 0; q < row.idx.size(); ++q) {
    const double x = row.x[q];
    const float* v = m.vrow(row.idx[q]);
    grad_w[q] = x;
    for (int f = 0; f < k; ++f) grad_v[q * k + f] = x * (sums[f] - v[f] * x);
  }
}

void fm_sgd_step(FmWeights& m, const FmRow& a, const float* sums_a, double ga, const FmRow& b,
                 const float* sums_b, double gb, float lr, const FmRegularization& reg,
                 double* w0) {
  const int k = m.k;
  if (b.idx.empty()) {
    gb = 0;
    sums_b = sums_a;  // never weighted: every b coefficient below is 0
  }
  double& bias = w0 != nullptr ? *w0 : m.w0;
  bias -= lr * (ga + gb + reg.w0 * bias);
  const float fa = static_cast<float>(ga), fb = static_cast<float>(gb);
  size_t p = 0, q = 0;
  const size_t na = a.idx.size(), nb = b.idx.size();
  while (p < na || q < nb) {
    int32_t j;
    float xa = 0, xb = 0;
    if (q >= nb || (p < na && a.idx[p] < b.idx[q])) {
      j = a.idx[p];
      xa = a.x[p++];
    } else if (p >= na || b.idx[q] < a.idx[p]) {
      j = b.idx[q];
      xb = b.x[q++];
    } else {
      j = a.idx[p];
      xa = a.x[p++];
      xb = b.x[q++];
    }
    m.w[j] -= lr * (fa * xa + fb * xb + reg.w * m.w[j]);
    float* v = m.vrow(j);
    const float ca = fa * xa, cb = fb * xb;
#pragma omp simd
    for (int f = 0; f < k; ++f) {
      const float vf = v[f];
      const float g = ca * (sums_a[f] - vf * xa) + cb * (sums_b[f] - vf * xb);
      v[f] = vf - lr * (g + reg.v * vf);
    }
  }
}

// ---------------------------------------------------------------- the recommender

ParamSchema FactorizationMachine::schema(FmSolver solver) {
  // SGD starts from nearly zero factors; the coordinate learners need some spread to break the
  // symmetry of the factor columns.
  const double init_std = solver == FmSolver::kSgd ? 0.01 : 0.1;
  ParamSchema s = {
      ParamSpec::integer("factors", 8, 1, 1024, "latent dimensions of the pairwise interactions")
          .tune(2, 64, true),
      ParamSpec::choice("features", "ids+genres", FmFeatureSet::names(),
                        "feature groups besides user and item ids (used when the data has them): "
                        "genres (normalized per item), user attributes, time bins")
          .tune(FmFeatureSet::names()),
      ParamSpec::integer("time_bins", 8, 2, 1000, "equal-frequency bins of the timestamps")
          .tune(2, 32, true),
      ParamSpec::real("init_std", init_std, 0, 10, "standard deviation of the initial factors")
          .tune(0.001, 0.5, true),
      ParamSpec::integer("negatives", 1, 1, 1000, "implicit data: sampled negatives per positive")
          .tune(1, 8),
  };
  switch (solver) {
    case FmSolver::kSgd:
      s.push_back(ParamSpec::integer("epochs", 60, 1, 10000, "SGD passes over the training data")
                      .tune(5, 200, true));
      s.push_back(ParamSpec::real("learning_rate", 0.01, 0, 10, "SGD step size", true)
                      .tune(0.001, 0.1, true));
      s.push_back(ParamSpec::real("reg_w0", 0, 0, 1e3, "L2 regularization of the global bias")
                      .tune(1e-5, 1, true));
      s.push_back(ParamSpec::real("reg_w", 0.08, 0, 1e3, "L2 regularization of the linear weights")
                      .tune(1e-4, 1, true));
      s.push_back(ParamSpec::real("reg_v", 0.08, 0, 1e3, "L2 regularization of the factors")
                      .tune(1e-4, 1, true));
      s.push_back(ParamSpec::choice("implicit_loss", "bpr", {"bpr", "logistic"},
                                    "implicit data: pairwise BPR or pointwise logistic loss")
                      .tune({"bpr", "logistic"}));
      break;
    case FmSolver::kAls:
      s.push_back(ParamSpec::integer("iterations", 20, 1, 10000, "coordinate-descent sweeps")
                      .tune(3, 100, true));
      s.push_back(ParamSpec::real("reg_w0", 0, 0, 1e6, "L2 regularization of the global bias")
                      .tune(1e-3, 100, true));
      s.push_back(ParamSpec::real("reg_w", 5, 0, 1e6, "L2 regularization of the linear weights")
                      .tune(0.1, 100, true));
      s.push_back(ParamSpec::real("reg_v", 10, 0, 1e6, "L2 regularization of the factors")
                      .tune(0.1, 100, true));
      break;
    case FmSolver::kMcmc:
      s.push_back(ParamSpec::integer("iterations", 200, 1, 100000, "Gibbs sampling iterations")
                      .tune(50, 1000, true));
      s.push_back(ParamSpec::integer("burn_in", 20, 0, 100000,
                                     "first iterations left out of the posterior average")
                      .tune(0, 100));
      s.push_back(ParamSpec::integer("kept_samples", 100, 1, 100000,
                                     "posterior samples of the factors kept for prediction, "
                                     "evenly thinned (memory and scoring cost grow with them)")
                      .tune(10, 200, true));
      break;
  }
  return s;
}

FactorizationMachine::FactorizationMachine(FmSolver solver, const Params& p)
    : Recommender(solver_name(solver), p), solver_(solver) {}

void FactorizationMachine::do_fit(const Interactions& train, const FitContext& ctx) {
  const Params& p = params();
  FmTrainConfig c;
  c.k = static_cast<int>(p.get_int("factors"));
  c.init_std = static_cast<float>(p.get_float("init_std"));
  c.implicit = train.feedback() == Feedback::kImplicit;
  c.negatives = static_cast<int>(p.get_int("negatives"));
  if (!c.implicit && train.scale_min() < train.scale_max()) {
    c.lo = train.scale_min();
    c.hi = train.scale_max();
  }
  lo_ = c.lo;
  hi_ = c.hi;
  map_.build(train, FmFeatureSet::parse(p.get_string("features")),
             static_cast<int>(p.get_int("time_bins")));
  switch (solver_) {
    case FmSolver::kSgd:
      c.epochs = static_cast<int>(p.get_int("epochs"));
      c.learning_rate = static_cast<float>(p.get_float("learning_rate"));
      c.reg = {static_cast<float>(p.get_float("reg_w0")), static_cast<float>(p.get_float("reg_w")),
               static_cast<float>(p.get_float("reg_v"))};
      c.bpr = p.get_string("implicit_loss") == "bpr";
      train_fm_sgd(w_, train, map_, c, ctx);
      break;
    case FmSolver::kAls:
      c.epochs = static_cast<int>(p.get_int("iterations"));
      c.reg = {static_cast<float>(p.get_float("reg_w0")), static_cast<float>(p.get_float("reg_w")),
               static_cast<float>(p.get_float("reg_v"))};
      train_fm_als(w_, train, map_, c, ctx);
      break;
    case FmSolver::kMcmc:
      c.epochs = static_cast<int>(p.get_int("iterations"));
      c.burn_in = static_cast<int>(p.get_int("burn_in"));
      c.kept_samples = static_cast<int>(p.get_int("kept_samples"));
      METAREC_CHECK(c.burn_in < c.epochs, algorithm(), ": burn_in (", c.burn_in,
                    ") must be below iterations (", c.epochs, ")");
      train_fm_mcmc(w_, train, map_, c, ctx);
      break;
  }
  clear_unused_features(w_, train, map_, c.implicit);
  prepare();
}

double FactorizationMachine::user_part(int32_t user, float* sums) const {
  const int k = w_.k;
  std::fill(sums, sums + k, 0.0f);
  if (user < 0 || user >= num_users()) return w_.w0;
  double y = w_.w0, sq = 0;
  auto add = [&](int32_t j, float x) {
    y += static_cast<double>(w_.w[j]) * x;
    sq += accumulate(sums, w_.vrow(j), x, k);
  };
  const auto idx = map_.user_features(user);
  const auto val = map_.user_values(user);
  for (size_t q = 0; q < idx.size(); ++q) add(idx[q], val[q]);
  const int32_t tf = map_.prediction_time_feature(user);
  if (tf >= 0) add(tf, 1.0f);
  return y + 0.5 * (static_cast<double>(dot_simd(sums, sums, k)) - sq);
}

void FactorizationMachine::prepare() {
  const int k = w_.k;
  const int32_t ni = num_items();
  item_sums_.assign(static_cast<size_t>(ni) * k, 0.0f);
  item_const_.assign(static_cast<size_t>(ni), 0.0);
  for (int32_t i = 0; i < ni; ++i) {
    float* s = item_sums_.data() + static_cast<size_t>(i) * k;
    const auto idx = map_.item_features(i);
    const auto val = map_.item_values(i);
    double y = 0, sq = 0;
    for (size_t q = 0; q < idx.size(); ++q) {
      y += static_cast<double>(w_.w[idx[q]]) * val[q];
      sq += accumulate(s, w_.vrow(idx[q]), val[q], k);
    }
    item_const_[i] = y + 0.5 * (static_cast<double>(dot_simd(s, s, k)) - sq);
  }
}

void FactorizationMachine::score(int32_t user, std::span<float> out) const {
  require_fitted();
  METAREC_CHECK(static_cast<int64_t>(out.size()) == num_items(), algorithm(),
                ": score buffer has size ", out.size(), ", expected ", num_items());
  const int k = w_.k;
  std::vector<float> su(static_cast<size_t>(k));
  const double base = user_part(user, su.data());
  for (int32_t i = 0; i < num_items(); ++i)
    out[i] =
        static_cast<float>(base + item_const_[i] +
                           dot_simd(su.data(), item_sums_.data() + static_cast<size_t>(i) * k, k));
}

float FactorizationMachine::predict(int32_t user, int32_t item) const {
  require_fitted();
  const int k = w_.k;
  std::vector<float> su(static_cast<size_t>(k));
  double y = user_part(user, su.data());
  if (item >= 0 && item < num_items())
    y = y + item_const_[item] +
        dot_simd(su.data(), item_sums_.data() + static_cast<size_t>(item) * k, k);
  const float r = static_cast<float>(y);
  return lo_ < hi_ ? std::clamp(r, lo_, hi_) : r;
}

void FactorizationMachine::do_save(ModelWriter& w) const {
  const double state[4] = {static_cast<double>(w_.k), w_.w0, lo_, hi_};
  w.add("fm.state", std::span<const double>(state, 4), {4});
  w.add("fm.w", std::span<const float>(w_.w), {w_.n()});
  w.add("fm.v", std::span<const float>(w_.v), {w_.n(), w_.k});
  map_.save(w);
}

void FactorizationMachine::do_load(const ModelReader& r) {
  auto state = r.f64("fm.state", {4});
  if (!(state[0] >= 1 && state[0] <= 1e6))
    throw FormatError(r.path(), 0, "bad factor count in fm.state");
  map_.load(r, num_users(), num_items());
  w_.k = static_cast<int>(state[0]);
  w_.w0 = state[1];
  lo_ = static_cast<float>(state[2]);
  hi_ = static_cast<float>(state[3]);
  w_.w = r.f32("fm.w", {map_.num_features()});
  w_.v = r.f32("fm.v", {map_.num_features(), w_.k});
  prepare();
}

}  // namespace metarec
