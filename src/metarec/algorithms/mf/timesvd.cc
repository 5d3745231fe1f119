// timeSVD trained by block SGD; the time terms are looked up per rating from precomputed arrays.
#include <metarec/algorithms/mf/sgd_kernel.h>
#include <metarec/algorithms/mf/svd.h>
#include <metarec/algorithms/mf/timesvd.h>
#include <metarec/core/error.h>

#include <algorithm>
#include <cmath>
#include <optional>

namespace metarec {

namespace {
constexpr double kSecondsPerDay = 86400.0;
}

ParamSchema TimeSvd::schema() {
  // Factor defaults as svd's. On ML-100K (7 months of ratings, most users active for a day) the
  // time terms carry little signal: sparsely filled item-bin biases only fit noise unless heavily
  // regularized, hence few bins and a large reg_bin (Koren used 30 bins on Netflix's 6 years).
  return {
      ParamSpec::integer("factors", 64, 1, 4096, "latent dimensions").tune(8, 256, true),
      ParamSpec::integer("epochs", 20, 1, 10000, "passes over the ratings").tune(5, 100, true),
      ParamSpec::real("lr", 0.03, 0, 1, "SGD learning rate of the factors", true)
          .tune(1e-3, 0.1, true),
      ParamSpec::real("reg", 0.07, 0, 100, "L2 regularization of the factors").tune(1e-3, 1, true),
      ParamSpec::real("lr_bias", 0.01, 0, 1, "SGD learning rate of b_u, b_i and b_{i,bin}", true)
          .tune(1e-3, 0.1, true),
      ParamSpec::real("reg_bias", 0.02, 0, 100, "L2 regularization of b_u, b_i and b_{i,bin}")
          .tune(1e-3, 1, true),
      ParamSpec::integer("bins", 8, 1, 100000, "equal-width time bins of the item bias")
          .tune(2, 100, true),
      ParamSpec::real("reg_bin", 5, 0, 100, "L2 regularization of the bin biases b_{i,bin}")
          .tune(1e-3, 10, true),
      ParamSpec::real("beta", 0.4, 0, 2, "exponent of the user drift |t - t_u|^beta").tune(0.1, 1),
      ParamSpec::real("lr_alpha", 1e-4, 0, 1, "SGD learning rate of the drift alpha_u", true)
          .tune(1e-6, 1e-2, true),
      ParamSpec::real("reg_alpha", 0.1, 0, 1000, "L2 regularization of alpha_u")
          .tune(1e-3, 100, true),
      ParamSpec::real("lr_decay", 0.95, 0, 1, "learning-rate factor applied after every epoch",
                      true)
          .tune(0.8, 1),
      ParamSpec::real("init_std", 0.02, 0, 10, "standard deviation of the initial factors")
          .tune(0.005, 0.3, true),
      ParamSpec::choice("predict_at", "user_mean", {"user_mean", "latest"},
                        "time of a prediction: the user's mean rating time or the end of training")
          .tune(std::vector<std::string>{"user_mean", "latest"}),
  };
}

void TimeSvd::do_fit(const Interactions& train, const FitContext& ctx) {
  const Params& p = params();
  const int k = static_cast<int>(p.get_int("factors"));
  const int epochs = static_cast<int>(p.get_int("epochs"));
  detail::TimeSvdRates h;
  h.lr = static_cast<float>(p.get_float("lr"));
  h.reg = static_cast<float>(p.get_float("reg"));
  h.lr_bias = static_cast<float>(p.get_float("lr_bias"));
  h.reg_bias = static_cast<float>(p.get_float("reg_bias"));
  h.lr_alpha = static_cast<float>(p.get_float("lr_alpha"));
  h.reg_alpha = static_cast<float>(p.get_float("reg_alpha"));
  h.reg_bin = static_cast<float>(p.get_float("reg_bin"));
  const float decay = static_cast<float>(p.get_float("lr_decay"));
  const double beta = p.get_float("beta");
  const bool latest = p.get_string("predict_at") == "latest";

  init_factors(train, k, true, train.global_mean());
  const float init_std = static_cast<float>(p.get_float("init_std"));
  detail::fill_normal(users_, init_std, Rng(ctx.seed).fork(1).next(), ctx.threads);
  detail::fill_normal(items_, init_std, Rng(ctx.seed).fork(2).next(), ctx.threads);
  detail::zero_unrated_rows(train, users_, items_, k);
  const int32_t nu = train.num_users(), ni = train.num_items();

  // Time features: each rating's bin and drift, each user's mean day and prediction-time terms.
  bins_ = train.has_timestamps() ? static_cast<int>(p.get_int("bins")) : 0;
  std::vector<int32_t> entry_bin;
  std::vector<float> entry_dev;
  alpha_.assign(bins_ ? static_cast<size_t>(nu) : 0, 0.0f);
  bin_bias_.assign(static_cast<size_t>(ni) * bins_, 0.0f);
  user_bin_.assign(bins_ ? static_cast<size_t>(nu) : 0, bins_ - 1);
  user_dev_.assign(bins_ ? static_cast<size_t>(nu) : 0, 0.0f);
  if (bins_) {
    const auto times = train.entry_times();
    const auto [lo, hi] = std::minmax_element(times.begin(), times.end());
    const double t0 = static_cast<double>(*lo), span = static_cast<double>(*hi - *lo);
    auto bin_of = [&](double t) {
      if (span <= 0) return 0;
      return std::clamp(static_cast<int>((t - t0) / span * bins_), 0, bins_ - 1);
    };
    entry_bin.resize(times.size());
    entry_dev.resize(times.size());
    for (int32_t u = 0; u < nu; ++u) {
      const auto ut = train.user_times(u);
      if (ut.empty()) continue;
      double mean = 0;
      for (int64_t t : ut) mean += static_cast<double>(t);
      mean /= static_cast<double>(ut.size());
      const int64_t first = train.user_ptr()[u];
      for (size_t r = 0; r < ut.size(); ++r) {
        entry_bin[first + r] = bin_of(static_cast<double>(ut[r]));
        entry_dev[first + r] = static_cast<float>(detail::timesvd_dev(
            static_cast<double>(ut[r]) / kSecondsPerDay, mean / kSecondsPerDay, beta));
      }
      user_bin_[u] = latest ? bins_ - 1 : bin_of(mean);
      user_dev_[u] =
          latest ? static_cast<float>(detail::timesvd_dev(static_cast<double>(*hi) / kSecondsPerDay,
                                                          mean / kSecondsPerDay, beta))
                 : 0.0f;
    }
  }

  detail::SgdLoop loop(train, ctx, detail::SgdGrid::Numbering::kBandSlots);
  const auto uslots = loop.grid().user_slots(), islots = loop.grid().item_slots();
  // Train on copies stored by band slot (sgd_kernel.h): padded, aligned factor rows and bin
  // rows, aligned biases; written back by id at the end.
  detail::PaddedRows padded_p(users_, k, uslots), padded_q(items_, k, islots);
  std::optional<detail::PaddedRows> padded_b;
  if (bins_) padded_b.emplace(bin_bias_, bins_, islots);
  detail::AlignedFloats aligned_bu(user_bias_, uslots), aligned_bi(item_bias_, islots),
      aligned_a(alpha_, bins_ ? uslots : std::span<const int32_t>());
  float *P = padded_p.data(), *Q = padded_q.data(), *bu = aligned_bu.data(),
        *bi = aligned_bi.data();
  float *B = bins_ ? padded_b->data() : nullptr, *A = aligned_a.data();
  const float mu = static_cast<float>(mu_);
  const int kp = padded_p.stride();
  const size_t kk = static_cast<size_t>(kp);
  const size_t nb = bins_ ? static_cast<size_t>(padded_b->stride()) : 0;
  for (int e = 0; e < epochs; ++e) {
    // Both branches visit the ratings in the paired loop's order, so without time bins the
    // model is svd step for step (its pairs share the svd_step_pair arithmetic).
    if (bins_) {
      auto one = [&](const detail::SgdEntry& x, int) {
        const detail::TimeSvdRating t{P + x.user * kk,
                                      Q + x.item * kk,
                                      bu + x.user,
                                      bi + x.item,
                                      B + x.item * nb + entry_bin[x.entry],
                                      A + x.user,
                                      entry_dev[x.entry]};
        detail::timesvd_step(t, kp, mu, x.value, h);
      };
      loop.run_pair(e, one, [&](const detail::SgdEntry& a, const detail::SgdEntry& b, int tid) {
        one(a, tid);
        one(b, tid);
      });
    } else {
      const detail::SvdRates s{h.lr, h.reg, h.lr_bias, h.reg_bias};
      loop.run_pair(
          e,
          [&](const detail::SgdEntry& x, int) {
            detail::svd_step(P + x.user * kk, Q + x.item * kk, bu + x.user, bi + x.item, kp, mu,
                             x.value, s);
          },
          [&](const detail::SgdEntry& a, const detail::SgdEntry& b, int) {
            detail::svd_step_pair(P + a.user * kk, Q + a.item * kk, bu + a.user, bi + a.item,
                                  P + b.user * kk, Q + b.item * kk, bu + b.user, bi + b.item, kp,
                                  mu, a.value, b.value, s);
          });
    }
    h.lr *= decay;
    h.lr_bias *= decay;
    h.lr_alpha *= decay;
    ctx.report(static_cast<double>(e + 1) / epochs, "SGD epoch");
  }
  padded_p.copy_to(users_);
  padded_q.copy_to(items_);
  if (bins_) padded_b->copy_to(bin_bias_);
  aligned_bu.copy_to(user_bias_);
  aligned_bi.copy_to(item_bias_);
  aligned_a.copy_to(alpha_);
}

float TimeSvd::time_terms(int32_t user, int32_t item) const {
  if (!bins_ || item < 0 || item >= num_items()) return 0.0f;
  const bool known = user >= 0 && user < num_users();
  const int bin = known ? user_bin_[user] : bins_ - 1;
  float t = bin_bias_[static_cast<size_t>(item) * bins_ + bin];
  if (known) t += alpha_[user] * user_dev_[user];
  return t;
}

void TimeSvd::score(int32_t user, std::span<float> out) const {
  FactorModel::score(user, out);
  if (!bins_) return;
  for (int32_t i = 0; i < num_items(); ++i) out[i] += time_terms(user, i);
}

float TimeSvd::predict(int32_t user, int32_t item) const {
  require_fitted();
  const float x = raw(user, item) + time_terms(user, item);
  return lo_ < hi_ ? std::clamp(x, lo_, hi_) : x;
}

void TimeSvd::save_extra(ModelWriter& w) const {
  const int32_t b = bins_;
  w.add("timesvd.bins", std::span<const int32_t>(&b, 1), {1});
  w.add("timesvd.bin_bias", std::span<const float>(bin_bias_), {num_items(), bins_});
  w.add("timesvd.alpha", std::span<const float>(alpha_), {static_cast<int64_t>(alpha_.size())});
  w.add("timesvd.user_bin", std::span<const int32_t>(user_bin_),
        {static_cast<int64_t>(user_bin_.size())});
  w.add("timesvd.user_dev", std::span<const float>(user_dev_),
        {static_cast<int64_t>(user_dev_.size())});
}

void TimeSvd::load_extra(const ModelReader& r) {
  const auto b = r.i32("timesvd.bins", {1});
  bins_ = b[0];
  if (bins_ < 0) throw FormatError(r.path(), 0, "timesvd: negative bin count");
  const int64_t per_user = bins_ ? num_users() : 0;
  bin_bias_ = r.f32("timesvd.bin_bias", {num_items(), bins_});
  alpha_ = r.f32("timesvd.alpha", {per_user});
  user_bin_ = r.i32("timesvd.user_bin", {per_user});
  user_dev_ = r.f32("timesvd.user_dev", {per_user});
  for (int32_t x : user_bin_)
    if (x < 0 || x >= bins_) throw FormatError(r.path(), 0, "timesvd: user bin out of range");
}

namespace detail {

double timesvd_dev(double t_days, double tu_days, double beta) {
  const double d = t_days - tu_days;
  if (d == 0) return 0;
  return (d > 0 ? 1.0 : -1.0) * std::pow(std::abs(d), beta);
}

double timesvd_rating_loss(const TimeSvdRating& x, int k, double mu, double r,
                           const TimeSvdRates& h) {
  double d = 0, pp = 0, qq = 0;
  for (int f = 0; f < k; ++f) {
    d += static_cast<double>(x.p[f]) * x.q[f];
    pp += static_cast<double>(x.p[f]) * x.p[f];
    qq += static_cast<double>(x.q[f]) * x.q[f];
  }
  const double bu = *x.bu, bi = *x.bi, bit = *x.bit, a = *x.alpha;
  const double e = r - (mu + bu + a * x.dev + bi + bit + d);
  return 0.5 * e * e + 0.5 * h.reg * (pp + qq) + 0.5 * h.reg_bias * (bu * bu + bi * bi) +
         0.5 * h.reg_bin * bit * bit + 0.5 * h.reg_alpha * a * a;
}

}  // namespace detail
}  // namespace metarec
