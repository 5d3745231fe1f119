// FactorModel scoring, persistence and similar items.
#include <metarec/algorithms/common/factor_model.h>
#include <metarec/core/error.h>
#include <metarec/core/rng.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace metarec {

void FactorModel::init_factors(const Interactions& train, int k, bool biases, double mu) {
  METAREC_CHECK(k > 0, algorithm(), ": factors must be > 0");
  k_ = k;
  mu_ = mu;
  if (train.feedback() == Feedback::kExplicit && train.scale_min() < train.scale_max()) {
    lo_ = train.scale_min();
    hi_ = train.scale_max();
  } else {
    lo_ = hi_ = 0;
  }
  users_.assign(static_cast<size_t>(train.num_users()) * k, 0.0f);
  items_.assign(static_cast<size_t>(train.num_items()) * k, 0.0f);
  user_bias_.assign(biases ? static_cast<size_t>(train.num_users()) : 0, 0.0f);
  item_bias_.assign(biases ? static_cast<size_t>(train.num_items()) : 0, 0.0f);
}

void FactorModel::randomize(uint64_t seed, float stddev) {
  Rng rng(seed);
  for (auto& x : users_) x = static_cast<float>(rng.normal()) * stddev;
  for (auto& x : items_) x = static_cast<float>(rng.normal()) * stddev;
}

void FactorModel::effective_user(int32_t user, float* out) const {
  std::copy(user_row(user), user_row(user) + k_, out);
}

float FactorModel::raw(int32_t user, int32_t item) const {
  double s = mu_;
  const bool u_ok = user >= 0 && user < num_users();
  const bool i_ok = item >= 0 && item < num_items();
  if (!user_bias_.empty() && u_ok) s += user_bias_[user];
  if (!item_bias_.empty() && i_ok) s += item_bias_[item];
  if (u_ok && i_ok) {
    std::vector<float> pu(static_cast<size_t>(k_));
    effective_user(user, pu.data());
    s += dot(pu.data(), item_row(item), k_);
  }
  return static_cast<float>(s);
}

float FactorModel::predict(int32_t user, int32_t item) const {
  require_fitted();
  const float x = raw(user, item);
  return lo_ < hi_ ? std::clamp(x, lo_, hi_) : x;
}

void FactorModel::score(int32_t user, std::span<float> out) const {
  require_fitted();
  METAREC_CHECK(static_cast<int64_t>(out.size()) == num_items(), algorithm(),
                ": score buffer has size ", out.size(), ", expected ", num_items());
  std::vector<float> pu(static_cast<size_t>(k_), 0.0f);
  float base = static_cast<float>(mu_);
  if (user >= 0 && user < num_users()) {
    effective_user(user, pu.data());
    if (!user_bias_.empty()) base += user_bias_[user];
  }
  const int32_t n = num_items();
  for (int32_t i = 0; i < n; ++i) {
    float s = base + dot(pu.data(), item_row(i), k_);
    if (!item_bias_.empty()) s += item_bias_[i];
    out[i] = s;
  }
}

std::vector<ScoredItem> FactorModel::similar_items(int32_t item, int k) const {
  require_fitted();
  METAREC_CHECK(item >= 0 && item < num_items(), "item index ", item, " out of range");
  const int32_t n = num_items();
  std::vector<float> norms(static_cast<size_t>(n));
  for (int32_t i = 0; i < n; ++i) norms[i] = std::sqrt(dot(item_row(i), item_row(i), k_));
  std::vector<float> sims(static_cast<size_t>(n));
  const float* q = item_row(item);
  for (int32_t i = 0; i < n; ++i) {
    const float d = norms[i] * norms[item];
    sims[i] = d > 0 ? dot(q, item_row(i), k_) / d : 0.0f;
  }
  sims[item] = -std::numeric_limits<float>::infinity();
  return top_k(sims, k);
}

void FactorModel::do_save(ModelWriter& w) const {
  const double state[4] = {static_cast<double>(k_), mu_, lo_, hi_};
  w.add("factor.state", std::span<const double>(state, 4), {4});
  w.add_view("factor.users", std::span<const float>(users_), {num_users(), k_});
  w.add_view("factor.items", std::span<const float>(items_), {num_items(), k_});
  w.add_view("factor.user_bias", std::span<const float>(user_bias_),
             {static_cast<int64_t>(user_bias_.size())});
  w.add_view("factor.item_bias", std::span<const float>(item_bias_),
             {static_cast<int64_t>(item_bias_.size())});
  save_extra(w);
}

void FactorModel::do_load(const ModelReader& r) {
  auto state = r.f64("factor.state", {4});
  k_ = static_cast<int>(state[0]);
  if (k_ <= 0) throw FormatError(r.path(), 0, "bad factor count");
  mu_ = state[1];
  lo_ = static_cast<float>(state[2]);
  hi_ = static_cast<float>(state[3]);
  users_ = r.f32("factor.users", {num_users(), k_});
  items_ = r.f32("factor.items", {num_items(), k_});
  user_bias_ = r.f32("factor.user_bias");
  item_bias_ = r.f32("factor.item_bias");
  if ((!user_bias_.empty() && static_cast<int32_t>(user_bias_.size()) != num_users()) ||
      (!item_bias_.empty() && static_cast<int32_t>(item_bias_.size()) != num_items()))
    throw FormatError(r.path(), 0, "bias vectors do not match the model's dimensions");
  load_extra(r);
}

}  // namespace metarec
