// Baseline recommenders.
#include <metarec/algorithms/baselines/baselines.h>
#include <metarec/core/error.h>
#include <metarec/core/parallel.h>

#include <algorithm>
#include <cmath>

namespace metarec {

namespace {

// Clips to the training scale for explicit data; implicit values are left alone.
struct Clip {
  float lo = 0, hi = 0;
  static Clip of(const Interactions& d) {
    if (d.feedback() != Feedback::kExplicit || !(d.scale_min() < d.scale_max())) return {};
    return {d.scale_min(), d.scale_max()};
  }
};

inline float clip(double x, float lo, float hi) {
  if (lo < hi)
    return static_cast<float>(std::clamp(x, static_cast<double>(lo), static_cast<double>(hi)));
  return static_cast<float>(x);
}

inline uint64_t mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  return x ^ (x >> 33);
}

void save_scale(ModelWriter& w, double mu, float lo, float hi) {
  const double v[3] = {mu, lo, hi};
  w.add("scale", std::span<const double>(v, 3), {3});
}
void load_scale(const ModelReader& r, double& mu, float& lo, float& hi) {
  auto v = r.f64("scale", {3});
  mu = v[0];
  lo = static_cast<float>(v[1]);
  hi = static_cast<float>(v[2]);
}

}  // namespace

// ---------------------------------------------------------------- Random
ParamSchema RandomRecommender::schema() { return {}; }
RandomRecommender::RandomRecommender(const Params& p) : Recommender("random", p) {}

void RandomRecommender::do_fit(const Interactions& train, const FitContext& ctx) {
  seed_ = ctx.seed;
  double s = 0, s2 = 0;
  for (float v : train.entry_values()) {
    s += v;
    s2 += static_cast<double>(v) * v;
  }
  const double n = static_cast<double>(train.nnz());
  mean_ = s / n;
  std_ = std::sqrt(std::max(0.0, s2 / n - mean_ * mean_));
  const Clip c = Clip::of(train);
  lo_ = c.lo;
  hi_ = c.hi;
}

void RandomRecommender::score(int32_t user, std::span<float> out) const {
  require_fitted();
  const uint64_t base = mix(seed_ ^ (static_cast<uint64_t>(user) << 32));
  for (size_t i = 0; i < out.size(); ++i)
    out[i] = static_cast<float>(mix(base + i) >> 40) * 0x1.0p-24f;
}

float RandomRecommender::predict(int32_t user, int32_t item) const {
  // Box-Muller from two hashes of (seed, user, item): deterministic per pair.
  const uint64_t h =
      mix(seed_ ^ mix((static_cast<uint64_t>(user) << 32) | static_cast<uint32_t>(item)));
  const double u1 = (static_cast<double>(h >> 11) + 1.0) * 0x1.0p-53;
  const double u2 = static_cast<double>(mix(h) >> 11) * 0x1.0p-53;
  const double z = std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  return clip(mean_ + std_ * z, lo_, hi_);
}

void RandomRecommender::do_save(ModelWriter& w) const {
  const double v[5] = {static_cast<double>(seed_), mean_, std_, lo_, hi_};
  w.add("state", std::span<const double>(v, 5), {5});
}
void RandomRecommender::do_load(const ModelReader& r) {
  auto v = r.f64("state", {5});
  seed_ = static_cast<uint64_t>(v[0]);
  mean_ = v[1];
  std_ = v[2];
  lo_ = static_cast<float>(v[3]);
  hi_ = static_cast<float>(v[4]);
}

// ---------------------------------------------------------------- MostPopular
ParamSchema MostPopular::schema() { return {}; }

void MostPopular::do_fit(const Interactions& train, const FitContext&) {
  scores_.assign(static_cast<size_t>(train.num_items()), 0.0f);
  for (int32_t i = 0; i < train.num_items(); ++i)
    scores_[i] = static_cast<float>(train.item_count(i));
}
void MostPopular::score(int32_t, std::span<float> out) const {
  require_fitted();
  std::copy(scores_.begin(), scores_.end(), out.begin());
}
void MostPopular::do_save(ModelWriter& w) const {
  w.add("popularity", std::span<const float>(scores_), {static_cast<int64_t>(scores_.size())});
}
void MostPopular::do_load(const ModelReader& r) { scores_ = r.f32("popularity", {num_items()}); }

// ---------------------------------------------------------------- Mean predictors
namespace {
const char* mean_name(MeanPredictor::Kind k) {
  switch (k) {
    case MeanPredictor::Kind::kGlobal:
      return "global_mean";
    case MeanPredictor::Kind::kUser:
      return "user_mean";
    case MeanPredictor::Kind::kItem:
      return "item_mean";
  }
  return "?";
}
}  // namespace

ParamSchema MeanPredictor::schema(Kind kind) {
  if (kind == Kind::kGlobal) return {};
  return {ParamSpec::real("damping", 0, 0, 1e6,
                          "pseudo-ratings at the global mean added to each mean (shrinkage)")
              .tune(0, 50)};
}

MeanPredictor::MeanPredictor(Kind kind, const Params& p)
    : Recommender(mean_name(kind), p), kind_(kind) {}

void MeanPredictor::do_fit(const Interactions& train, const FitContext&) {
  mu_ = train.global_mean();
  const Clip c = Clip::of(train);
  lo_ = c.lo;
  hi_ = c.hi;
  const double damping = kind_ == Kind::kGlobal ? 0.0 : params().get_float("damping");
  auto damped = [&](std::span<const float> v) {
    double s = 0;
    for (float x : v) s += x;
    return static_cast<float>((s + damping * mu_) / (static_cast<double>(v.size()) + damping));
  };
  user_mean_.assign(static_cast<size_t>(train.num_users()), static_cast<float>(mu_));
  item_mean_.assign(static_cast<size_t>(train.num_items()), static_cast<float>(mu_));
  for (int32_t u = 0; u < train.num_users(); ++u)
    if (train.user_count(u) > 0) user_mean_[u] = damped(train.user_values(u));
  for (int32_t i = 0; i < train.num_items(); ++i)
    if (train.item_count(i) > 0) item_mean_[i] = damped(train.item_values(i));
}

float MeanPredictor::predict(int32_t user, int32_t item) const {
  require_fitted();
  double x = mu_;
  if (kind_ == Kind::kUser && user >= 0 && user < num_users()) x = user_mean_[user];
  if (kind_ == Kind::kItem && item >= 0 && item < num_items()) x = item_mean_[item];
  return clip(x, lo_, hi_);
}

void MeanPredictor::score(int32_t, std::span<float> out) const {
  require_fitted();
  std::copy(item_mean_.begin(), item_mean_.end(), out.begin());
}

void MeanPredictor::do_save(ModelWriter& w) const {
  save_scale(w, mu_, lo_, hi_);
  w.add("user_mean", std::span<const float>(user_mean_), {static_cast<int64_t>(user_mean_.size())});
  w.add("item_mean", std::span<const float>(item_mean_), {static_cast<int64_t>(item_mean_.size())});
}
void MeanPredictor::do_load(const ModelReader& r) {
  load_scale(r, mu_, lo_, hi_);
  user_mean_ = r.f32("user_mean", {num_users()});
  item_mean_ = r.f32("item_mean", {num_items()});
}

// ---------------------------------------------------------------- Bias baseline
ParamSchema BiasBaseline::schema() {
  return {
      ParamSpec::real("reg_user", 5, 0, 1e6, "regularization of user biases (pseudo-counts)")
          .tune(0.1, 100, true),
      ParamSpec::real("reg_item", 10, 0, 1e6, "regularization of item biases (pseudo-counts)")
          .tune(0.1, 100, true),
      ParamSpec::integer("epochs", 15, 1, 1000, "alternating least-squares sweeps").tune(2, 50),
  };
}

void BiasBaseline::do_fit(const Interactions& train, const FitContext& ctx) {
  mu_ = train.global_mean();
  const Clip c = Clip::of(train);
  lo_ = c.lo;
  hi_ = c.hi;
  const double reg_u = params().get_float("reg_user"), reg_i = params().get_float("reg_item");
  const int epochs = static_cast<int>(params().get_int("epochs"));
  bu_.assign(static_cast<size_t>(train.num_users()), 0.0f);
  bi_.assign(static_cast<size_t>(train.num_items()), 0.0f);
  // One half-sweep: each bias of `own` is the regularized mean residual of its ratings given the
  // other side's biases `other` (items then users; the two are the same solve mirrored).
  const auto solve = [&](int64_t n, std::vector<float>& own, const std::vector<float>& other,
                         double reg, auto ids_of, auto vals_of) {
    parallel_for(
        n, ctx.threads,
        [&](int64_t x) {
          const auto ids = ids_of(static_cast<int32_t>(x));
          const auto vals = vals_of(static_cast<int32_t>(x));
          double s = 0;
          for (size_t k = 0; k < ids.size(); ++k) s += vals[k] - mu_ - other[ids[k]];
          own[x] =
              ids.empty() ? 0.0f : static_cast<float>(s / (reg + static_cast<double>(ids.size())));
        },
        256);
  };
  for (int e = 0; e < epochs; ++e) {
    ctx.check_cancel();
    solve(
        train.num_items(), bi_, bu_, reg_i, [&](int32_t i) { return train.item_users(i); },
        [&](int32_t i) { return train.item_values(i); });
    solve(
        train.num_users(), bu_, bi_, reg_u, [&](int32_t u) { return train.user_items(u); },
        [&](int32_t u) { return train.user_values(u); });
    ctx.report(static_cast<double>(e + 1) / epochs, "ALS sweep");
  }
}

float BiasBaseline::predict(int32_t user, int32_t item) const {
  require_fitted();
  double x = mu_;
  if (user >= 0 && user < num_users()) x += bu_[user];
  if (item >= 0 && item < num_items()) x += bi_[item];
  return clip(x, lo_, hi_);
}

void BiasBaseline::score(int32_t user, std::span<float> out) const {
  require_fitted();
  const float b = static_cast<float>(mu_) + (user >= 0 && user < num_users() ? bu_[user] : 0.0f);
  for (size_t i = 0; i < out.size(); ++i) out[i] = b + bi_[i];
}

void BiasBaseline::do_save(ModelWriter& w) const {
  save_scale(w, mu_, lo_, hi_);
  w.add("user_bias", std::span<const float>(bu_), {static_cast<int64_t>(bu_.size())});
  w.add("item_bias", std::span<const float>(bi_), {static_cast<int64_t>(bi_.size())});
}
void BiasBaseline::do_load(const ModelReader& r) {
  load_scale(r, mu_, lo_, hi_);
  bu_ = r.f32("user_bias", {num_users()});
  bi_ = r.f32("item_bias", {num_items()});
}

}  // namespace metarec
