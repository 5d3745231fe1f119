// BPR-MF training: Hogwild SGD over blocks of sampled (user, positive, negative) triples.
#include <metarec/algorithms/bpr/bpr.h>
#include <metarec/algorithms/bpr/user_item_mask.h>
#include <metarec/algorithms/common/user_blocks.h>
#include <metarec/core/error.h>
#include <metarec/core/parallel.h>
#include <metarec/core/rng.h>
#include <metarec/data/negative_sampling.h>

#include <algorithm>
#include <cmath>

namespace metarec {

double bpr_triple_loss(const float* pu, const float* qi, const float* qj, float bi, float bj, int k,
                       const BprRegularization& r) {
  double x = static_cast<double>(bi) - bj, norms = 0;
  for (int f = 0; f < k; ++f) {
    x += static_cast<double>(pu[f]) * (static_cast<double>(qi[f]) - qj[f]);
    norms += static_cast<double>(pu[f]) * pu[f] + static_cast<double>(qi[f]) * qi[f] +
             static_cast<double>(qj[f]) * qj[f];
  }
  // -ln sigmoid(x) = ln(1 + e^-x), written to stay finite for large |x|.
  const double nll = x > 0 ? std::log1p(std::exp(-x)) : -x + std::log1p(std::exp(x));
  return nll + 0.5 * r.reg * norms +
         0.5 * r.reg_bias * (static_cast<double>(bi) * bi + static_cast<double>(bj) * bj);
}

namespace {
inline float dot_simd(const float* a, const float* b, int k) {
  float s = 0;
#pragma omp simd reduction(+ : s)
  for (int f = 0; f < k; ++f) s += a[f] * b[f];
  return s;
}
}  // namespace

ParamSchema Bpr::schema() {
  return {
      ParamSpec::integer("factors", 64, 1, 4096, "latent dimensions").tune(8, 256, true),
      ParamSpec::integer("epochs", 40, 1, 10000, "passes; each draws nnz triples")
          .tune(10, 200, true),
      ParamSpec::real("learning_rate", 0.02, 0, 10, "SGD step size", true).tune(0.005, 0.5, true),
      ParamSpec::real("reg", 0.02, 0, 100, "L2 regularization of the factors")
          .tune(1e-5, 0.1, true),
      ParamSpec::real("reg_bias", 0.0, 0, 100, "L2 regularization of the item biases")
          .tune(1e-5, 0.1, true),
      ParamSpec::real("init_std", 0.1, 0, 10, "standard deviation of the initial factors")
          .tune(0.01, 0.3, true),
      ParamSpec::choice("negatives", "uniform", {"uniform", "popularity"},
                        "how negatives are drawn among the user's unobserved items")
          .tune({"uniform", "popularity"}),
      ParamSpec::integer("negative_candidates", 3, 1, 1000,
                         "negatives drawn per triple, the highest-scored one used (1 = plain BPR; "
                         "more = dynamic negative sampling, Zhang et al. SIGIR 2013)")
          .tune(1, 8),
  };
}

void Bpr::do_fit(const Interactions& train, const FitContext& ctx) {
  const Params& p = params();
  const int k = static_cast<int>(p.get_int("factors"));
  const int epochs = static_cast<int>(p.get_int("epochs"));
  const float lr = static_cast<float>(p.get_float("learning_rate"));
  const BprRegularization reg{static_cast<float>(p.get_float("reg")),
                              static_cast<float>(p.get_float("reg_bias"))};
  const int candidates = static_cast<int>(p.get_int("negative_candidates"));
  const NegativeMode mode = p.get_string("negatives") == "popularity" ? NegativeMode::kPopularity
                                                                      : NegativeMode::kUniform;

  init_factors(train, k, /*biases=*/true);
  randomize(ctx.seed, static_cast<float>(p.get_float("init_std")));
  const NegativeSampler sampler(train, mode);
  const int32_t nu = train.num_users();
  // Users are visited in a fresh random order each epoch, in a fixed number of blocks (never
  // dependent on the thread count, so one thread replays the same updates for a seed). Each user
  // takes as many triples as it has positives: the user's factors and item list stay in cache.
  const Rng base = Rng(ctx.seed).fork(0xB9B);
  float* ib = item_bias_.data();
  const int32_t ni = train.num_items();
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
      if (n == 0 || n >= ni) return;  // nothing to learn, or no negative exists
      UserItemMask& seen = masks[static_cast<size_t>(tid)];
      seen.set(pos);
      // Uniform negatives by rejection against the user's bitmap; the shared sampler serves
      // popularity sampling and users who have seen most of the catalogue.
      auto fallback = [&] { return sampler.sample(u, rng); };
      auto negative = [&]() -> int32_t {
        return mode == NegativeMode::kUniform ? seen.sample(rng, fallback) : fallback();
      };
      float* pu = user_row(u);
      for (int64_t s = 0; s < n; ++s) {
        const int32_t i = pos[rng.uniform_int(static_cast<uint64_t>(n))];
        int32_t j = negative();
        if (candidates > 1) {  // dynamic negative sampling: the best-scored candidate
          float best = ib[j] + dot_simd(pu, item_row(j), k);
          for (int c = 1; c < candidates; ++c) {
            const int32_t jc = negative();
            const float x = ib[jc] + dot_simd(pu, item_row(jc), k);
            if (x > best) best = x, j = jc;
          }
        }
        bpr_step(pu, item_row(i), item_row(j), ib + i, ib + j, k, lr, reg);
      }
      seen.clear(pos);
    });
    ctx.report(static_cast<double>(e + 1) / epochs, "SGD epoch");
  }
  // Users without training data keep no random factors: they rank by item bias alone.
  for (int32_t u = 0; u < train.num_users(); ++u)
    if (train.user_count(u) == 0) std::fill(user_row(u), user_row(u) + k, 0.0f);
}

}  // namespace metarec
