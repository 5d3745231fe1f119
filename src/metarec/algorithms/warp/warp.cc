// WARP training: for each sampled positive, search for a margin-violating negative and take a
// rank-weighted hinge step.
#include <metarec/algorithms/bpr/user_item_mask.h>
#include <metarec/algorithms/common/user_blocks.h>
#include <metarec/algorithms/warp/warp.h>
#include <metarec/core/error.h>
#include <metarec/core/parallel.h>
#include <metarec/core/rng.h>
#include <metarec/data/negative_sampling.h>

#include <algorithm>
#include <cmath>

namespace metarec {

double warp_step_loss(const float* pu, const float* qi, const float* qj, float bi, float bj, int k,
                      float weight, float margin, const WarpRegularization& r) {
  double xi = bi, xj = bj, norms = 0;
  for (int f = 0; f < k; ++f) {
    xi += static_cast<double>(pu[f]) * qi[f];
    xj += static_cast<double>(pu[f]) * qj[f];
    norms += static_cast<double>(pu[f]) * pu[f] + static_cast<double>(qi[f]) * qi[f] +
             static_cast<double>(qj[f]) * qj[f];
  }
  return weight * (margin - xi + xj) + 0.5 * r.reg * norms +
         0.5 * r.reg_bias * (static_cast<double>(bi) * bi + static_cast<double>(bj) * bj);
}

namespace {
inline float dot_simd(const float* a, const float* b, int k) {
  float s = 0;
#pragma omp simd reduction(+ : s)
  for (int f = 0; f < k; ++f) s += a[f] * b[f];
  return s;
}
// Projects v onto the ball of radius c.
inline void clip_norm(float* v, int k, float c) {
  const float n2 = dot_simd(v, v, k);
  if (n2 > c * c) {
    const float scale = c / std::sqrt(n2);
    for (int f = 0; f < k; ++f) v[f] *= scale;
  }
}

}  // namespace

float warp_weight(int32_t n_items, int32_t trials) {
  const int64_t rank = (static_cast<int64_t>(n_items) - 1) / std::max(trials, 1);
  return rank >= 1 ? static_cast<float>(std::log(static_cast<double>(rank))) : 0.0f;
}

ParamSchema Warp::schema() {
  return {
      ParamSpec::integer("factors", 64, 1, 4096, "latent dimensions").tune(8, 256, true),
      ParamSpec::integer("epochs", 30, 1, 10000, "passes; each samples nnz positives")
          .tune(5, 100, true),
      ParamSpec::real("learning_rate", 0.002, 0, 10, "SGD step size", true)
          .tune(0.0005, 0.05, true),
      ParamSpec::real("reg", 0.005, 0, 100, "L2 regularization of the factors")
          .tune(1e-5, 0.1, true),
      ParamSpec::real("reg_bias", 0.0, 0, 100, "L2 regularization of the item biases")
          .tune(1e-5, 0.1, true),
      ParamSpec::real("margin", 1.0, 0, 100,
                      "hinge margin a negative must stay below the positive by")
          .tune(0.1, 2, true),
      ParamSpec::integer("max_trials", 100, 1, 100000,
                         "negatives drawn per positive before giving up on finding a violation")
          .tune(10, 500, true),
      ParamSpec::real("max_norm", 1.5, 0, 1e6,
                      "largest norm of a factor vector (WSABIE's constraint; 0 = unconstrained)")
          .tune(0.3, 10, true),
      ParamSpec::real("init_std", 0.1, 0, 10, "standard deviation of the initial factors")
          .tune(0.01, 0.3, true),
  };
}

void Warp::do_fit(const Interactions& train, const FitContext& ctx) {
  const Params& p = params();
  const int k = static_cast<int>(p.get_int("factors"));
  const int epochs = static_cast<int>(p.get_int("epochs"));
  const float lr = static_cast<float>(p.get_float("learning_rate"));
  const float margin = static_cast<float>(p.get_float("margin"));
  const int32_t max_trials = static_cast<int32_t>(p.get_int("max_trials"));
  const float max_norm = static_cast<float>(p.get_float("max_norm"));
  const WarpRegularization reg{static_cast<float>(p.get_float("reg")),
                               static_cast<float>(p.get_float("reg_bias"))};

  init_factors(train, k, /*biases=*/true);
  randomize(ctx.seed, static_cast<float>(p.get_float("init_std")));
  const NegativeSampler sampler(train, NegativeMode::kUniform);
  const int32_t nu = train.num_users(), ni = train.num_items();
  // As in BPR: users in a fresh random order each epoch, split into a fixed number of blocks
  // (independent of the thread count), each user taking as many positives as it has.
  const Rng base = Rng(ctx.seed).fork(0x3A6F);
  float* ib = item_bias_.data();
  const int threads = item_hogwild_threads(ctx.threads, ni);
  std::vector<UserItemMask> masks(static_cast<size_t>(threads), UserItemMask(ni));
  std::vector<int32_t> order(static_cast<size_t>(nu));
  for (int32_t u = 0; u < nu; ++u) order[u] = u;

  for (int e = 0; e < epochs; ++e) {
    ctx.check_cancel();
    shuffle_users(order, base, e);
    for_each_user_block(nu, threads, base, e, order, [&](int32_t u, Rng& rng, int tid) {
      const auto pos = train.user_items(u);
      const int64_t n = static_cast<int64_t>(pos.size());
      if (n == 0 || n >= ni) return;
      UserItemMask& seen = masks[static_cast<size_t>(tid)];
      seen.set(pos);
      auto fallback = [&] { return sampler.sample(u, rng); };
      float* pu = user_row(u);
      for (int64_t s = 0; s < n; ++s) {
        const int32_t i = pos[rng.uniform_int(static_cast<uint64_t>(n))];
        const float threshold = ib[i] + dot_simd(pu, item_row(i), k) - margin;
        for (int32_t t = 1; t <= max_trials; ++t) {
          const int32_t j = seen.sample(rng, fallback);
          if (ib[j] + dot_simd(pu, item_row(j), k) > threshold) {
            const float w = warp_weight(ni, t);
            if (w > 0) {
              warp_step(pu, item_row(i), item_row(j), ib + i, ib + j, k, lr, w, reg);
              if (max_norm > 0) {
                clip_norm(pu, k, max_norm);
                clip_norm(item_row(i), k, max_norm);
                clip_norm(item_row(j), k, max_norm);
              }
            }
            break;
          }
        }
      }
      seen.clear(pos);
    });
    ctx.report(static_cast<double>(e + 1) / epochs, "SGD epoch");
  }
  for (int32_t u = 0; u < train.num_users(); ++u)
    if (train.user_count(u) == 0) std::fill(user_row(u), user_row(u) + k, 0.0f);
}

}  // namespace metarec
