// NMF by alternating regularized multiplicative updates, parallel over users then items.
#include <metarec/algorithms/mf/nmf.h>
#include <metarec/algorithms/mf/sgd_kernel.h>
#include <metarec/core/parallel.h>
#include <metarec/core/rng.h>

#include <algorithm>
#include <cmath>

namespace metarec {

ParamSchema Nmf::schema() {
  // Defaults tuned on ML-100K 5-fold CV; multiplicative updates converge slowly, so more sweeps
  // (and factors) than Surprise's 15 factors x 50 epochs pay off (0.970 -> 0.933 RMSE).
  return {
      ParamSpec::integer("factors", 30, 1, 4096, "latent dimensions").tune(4, 128, true),
      ParamSpec::integer("epochs", 100, 1, 10000, "alternating multiplicative sweeps")
          .tune(20, 400, true),
      ParamSpec::real("reg_p", 0.1, 0, 100, "L2 regularization of the user factors")
          .tune(1e-3, 1, true),
      ParamSpec::real("reg_q", 0.1, 0, 100, "L2 regularization of the item factors")
          .tune(1e-3, 1, true),
      ParamSpec::boolean("biased", false, "add mu + b_u + b_i (biases learned by SGD)"),
      ParamSpec::real("lr_bias", 0.005, 0, 1, "SGD learning rate of the biases (biased only)", true)
          .tune(1e-3, 0.05, true),
      ParamSpec::real("reg_bias", 0.02, 0, 100, "L2 regularization of the biases (biased only)")
          .tune(1e-3, 1, true),
      ParamSpec::real("init_high", 0, 0, 100,
                      "initial factors are uniform in [0, init_high]; 0 = 2 sqrt(mean / factors), "
                      "so the initial <p, q> averages the mean (shifted) rating")
          .tune(0.1, 2, true),
  };
}

void Nmf::do_fit(const Interactions& train, const FitContext& ctx) {
  const Params& p = params();
  const int k = static_cast<int>(p.get_int("factors"));
  const int epochs = static_cast<int>(p.get_int("epochs"));
  const float reg_p = static_cast<float>(p.get_float("reg_p"));
  const float reg_q = static_cast<float>(p.get_float("reg_q"));
  const bool biased = p.get_bool("biased");
  const float lr_b = static_cast<float>(p.get_float("lr_bias"));
  const float reg_b = static_cast<float>(p.get_float("reg_bias"));
  float high = static_cast<float>(p.get_float("init_high"));

  float lowest = 0;
  for (float v : train.entry_values()) lowest = std::min(lowest, v);
  const float shift = -lowest;  // >= 0: training values are r + shift >= 0
  const double mean = train.global_mean() + shift;
  init_factors(train, k, biased, (biased ? mean : 0.0) - shift);
  if (high == 0) high = static_cast<float>(2 * std::sqrt(std::max(mean, 1e-3) / k));
  Rng rng(ctx.seed);
  for (auto& x : users_) x = static_cast<float>(rng.uniform()) * high;
  for (auto& x : items_) x = static_cast<float>(rng.uniform()) * high;
  detail::zero_unrated_rows(train, users_, items_, k);

  const int threads = resolve_threads(ctx.threads);
  const size_t kk = static_cast<size_t>(k);
  const size_t stride = padded_stride<float>(2 * kk);
  std::vector<float> scratch(static_cast<size_t>(threads) * stride);
  const float mu = static_cast<float>(biased ? mean : 0.0);
  float* bu = biased ? user_bias_.data() : nullptr;
  float* bi = biased ? item_bias_.data() : nullptr;

  // One half-sweep: row r of `self` (with ratings against rows of `other`) is multiplied by
  // num / den; `self_bias` takes SGD steps when biased.
  auto half_sweep = [&](int64_t rows, auto&& others_of, auto&& values_of, float* self,
                        const float* other, float* self_bias, const float* other_bias, float reg) {
    parallel_for_tid(
        rows, threads,
        [&](int64_t r, int tid) {
          const auto idx = others_of(static_cast<int32_t>(r));
          if (idx.empty()) return;
          const auto vals = values_of(static_cast<int32_t>(r));
          float* num = scratch.data() + static_cast<size_t>(tid) * stride;
          float* den = num + kk;
          std::fill_n(num, 2 * kk, 0.0f);
          float* x = self + r * kk;
          for (size_t t = 0; t < idx.size(); ++t) {
            const float* y = other + idx[t] * kk;
            float est = detail::sgd_dot(x, y, k);
            const float v = vals[t] + shift;
            if (self_bias) {
              est += mu + self_bias[r] + other_bias[idx[t]];
              self_bias[r] += lr_b * (v - est - reg_b * self_bias[r]);
            }
#pragma omp simd
            for (int f = 0; f < k; ++f) {
              num[f] += y[f] * v;
              den[f] += y[f] * est;
            }
          }
          const float n = static_cast<float>(idx.size());
          for (int f = 0; f < k; ++f) {
            const float d = den[f] + n * reg * x[f];
            if (d > 0 && num[f] >= 0) x[f] *= num[f] / d;
          }
        },
        32);
  };
  for (int e = 0; e < epochs; ++e) {
    ctx.check_cancel();
    half_sweep(
        train.num_users(), [&](int32_t u) { return train.user_items(u); },
        [&](int32_t u) { return train.user_values(u); }, users_.data(), items_.data(), bu, bi,
        reg_p);
    half_sweep(
        train.num_items(), [&](int32_t i) { return train.item_users(i); },
        [&](int32_t i) { return train.item_values(i); }, items_.data(), users_.data(), bi, bu,
        reg_q);
    ctx.report(static_cast<double>(e + 1) / epochs, "multiplicative sweep");
  }
}

}  // namespace metarec
