// Mixture-of-tastes MF: Hogwild Adagrad over sampled (user, positive, negative) triples.
#include <metarec/algorithms/als/dense_kernels.h>
#include <metarec/algorithms/mixture_mf/mixture_mf.h>
#include <metarec/core/error.h>
#include <metarec/core/parallel.h>
#include <metarec/core/rng.h>
#include <metarec/data/negative_sampling.h>

#include <algorithm>
#include <cmath>

namespace metarec {

ParamSchema MixtureMf::schema() {
  return {
      ParamSpec::integer("factors", 32, 1, 1024, "latent dimensions k").tune(8, 128, true),
      ParamSpec::integer("tastes", 4, 1, 64, "taste (and attention) vectors per user").tune(1, 8),
      ParamSpec::choice("loss", "bpr", {"bpr", "logistic"},
                        "bpr: -log sigmoid(s_ui - s_uj); logistic: positives vs sampled negatives")
          .tune({"bpr", "logistic"}),
      ParamSpec::integer("epochs", 30, 1, 10000, "passes; each draws nnz training triples")
          .tune(5, 100, true),
      ParamSpec::real("learning_rate", 0.1, 0, 10, "Adagrad step size", true)
          .tune(0.005, 0.5, true),
      ParamSpec::real("reg", 0.01, 0, 1e3, "L2 on the parameters touched by each update")
          .tune(1e-4, 0.1, true),
      ParamSpec::integer("negative_candidates", 3, 1, 100,
                         "uniform negatives drawn per case; the highest-scoring one is used "
                         "(more = harder negatives)")
          .tune(1, 5),
      ParamSpec::real("init_std", 0.1, 0, 10, "std of the random initial vectors"),
  };
}

namespace {

// Adagrad step on n parameters with L2: g' = g + reg x; acc += g'^2; x -= lr g' / sqrt(acc).
METAREC_KERNEL void adagrad(float* x, float* acc, const float* g, int n, float lr, float reg) {
#pragma omp simd
  for (int f = 0; f < n; ++f) {
    const float gr = g[f] + reg * x[f];
    acc[f] += gr * gr;
    x[f] -= lr * gr / std::sqrt(acc[f]);
  }
}

// Everything one block of SGD cases touches.
struct Trainer {
  float *tastes, *attention, *items, *bias;  // parameters
  float *acc_t, *acc_a, *acc_e, *acc_b;      // Adagrad accumulators, same shapes
  const int32_t *entry_user, *entry_item;
  int64_t cases;
  const NegativeSampler* sampler;
  int m, k, candidates;
  float lr, reg;
  bool bpr;
};

// Cases [begin, end) of an epoch: draw a training entry (u, i) and a negative j, take one
// Adagrad step on the case's loss. `work` holds 2mk + 2k + 4m floats.
METAREC_SIMD_CLONES
void run_block(const Trainer& t, int64_t begin, int64_t end, Rng& r, float* work) {
  const int m = t.m, k = t.k;
  const size_t mk = static_cast<size_t>(m) * k;
  float* gt = work;
  float* ga = gt + mk;
  float* gp = ga + mk;
  float* gn = gp + k;
  float* scratch = gn + k;
  for (int64_t c = begin; c < end; ++c) {
    const int64_t e = static_cast<int64_t>(r.uniform_int(static_cast<uint64_t>(t.cases)));
    const int32_t u = t.entry_user[e], i = t.entry_item[e];
    float* tu = t.tastes + u * mk;
    float* au = t.attention + u * mk;
    int32_t j = t.sampler->sample(u, r);
    if (t.candidates > 1) {
      float best = detail::mixture_score(tu, au, t.items + static_cast<size_t>(j) * k, m, k,
                                         scratch, scratch + m) +
                   t.bias[j];
      for (int q = 1; q < t.candidates; ++q) {
        const int32_t cand = t.sampler->sample(u, r);
        const float sc = detail::mixture_score(tu, au, t.items + static_cast<size_t>(cand) * k, m,
                                               k, scratch, scratch + m) +
                         t.bias[cand];
        if (sc > best) {
          best = sc;
          j = cand;
        }
      }
    }
    std::fill(gt, scratch, 0.0f);
    float gbp = 0, gbn = 0;
    float* ei = t.items + static_cast<size_t>(i) * k;
    float* ej = t.items + static_cast<size_t>(j) * k;
    detail::mixture_case<float>(t.bpr, m, k, tu, au, ei, t.bias[i], ej, t.bias[j], gt, ga, gp, &gbp,
                                gn, &gbn, scratch);
    adagrad(tu, t.acc_t + u * mk, gt, static_cast<int>(mk), t.lr, t.reg);
    adagrad(au, t.acc_a + u * mk, ga, static_cast<int>(mk), t.lr, t.reg);
    adagrad(ei, t.acc_e + static_cast<size_t>(i) * k, gp, k, t.lr, t.reg);
    adagrad(ej, t.acc_e + static_cast<size_t>(j) * k, gn, k, t.lr, t.reg);
    adagrad(&t.bias[i], &t.acc_b[i], &gbp, 1, t.lr, t.reg);
    adagrad(&t.bias[j], &t.acc_b[j], &gbn, 1, t.lr, t.reg);
  }
}

}  // namespace

void MixtureMf::do_fit(const Interactions& train, const FitContext& ctx) {
  const int k = static_cast<int>(params().get_int("factors"));
  const int m = static_cast<int>(params().get_int("tastes"));
  const bool bpr = params().get_string("loss") == "bpr";
  const int epochs = static_cast<int>(params().get_int("epochs"));
  const float lr = static_cast<float>(params().get_float("learning_rate"));
  const float reg = static_cast<float>(params().get_float("reg"));
  const float init_std = static_cast<float>(params().get_float("init_std"));
  const int32_t nu = train.num_users();
  init_factors(train, k, true);
  m_ = m;
  const size_t mk = static_cast<size_t>(m) * k;
  tastes_.assign(nu * mk, 0.0f);
  attention_.assign(nu * mk, 0.0f);
  Rng rng(ctx.seed);
  for (auto& x : tastes_) x = static_cast<float>(rng.normal()) * init_std;
  for (auto& x : attention_) x = static_cast<float>(rng.normal()) * init_std;
  for (auto& x : items_) x = static_cast<float>(rng.normal()) * init_std;
  // Adagrad accumulators start at 1 so that the first steps are at most lr (as in LightFM).
  std::vector<float> acc_t(tastes_.size(), 1.0f), acc_a(attention_.size(), 1.0f),
      acc_e(items_.size(), 1.0f), acc_b(item_bias_.size(), 1.0f);

  const NegativeSampler sampler(train, NegativeMode::kUniform);
  const Trainer t{tastes_.data(),
                  attention_.data(),
                  items_.data(),
                  item_bias_.data(),
                  acc_t.data(),
                  acc_a.data(),
                  acc_e.data(),
                  acc_b.data(),
                  train.entry_users().data(),
                  train.entry_items().data(),
                  train.nnz(),
                  &sampler,
                  m,
                  k,
                  static_cast<int>(params().get_int("negative_candidates")),
                  lr,
                  reg,
                  bpr};
  const int64_t cases = train.nnz();
  constexpr int64_t kBlock = 2048;
  const int64_t blocks = (cases + kBlock - 1) / kBlock;
  const int nt = resolve_threads(ctx.threads);
  const size_t per_thread = 2 * mk + 2 * static_cast<size_t>(k) + 4 * static_cast<size_t>(m);
  std::vector<float> work(per_thread * nt);
  const Rng base = rng.fork(1);
  for (int epoch = 0; epoch < epochs; ++epoch) {
    ctx.check_cancel();
    const Rng epoch_rng = base.fork(static_cast<uint64_t>(epoch));
    parallel_for_tid(
        blocks, nt,
        [&](int64_t b, int tid) {
          Rng r = epoch_rng.fork(static_cast<uint64_t>(b));
          run_block(t, b * kBlock, std::min(cases, (b + 1) * kBlock), r,
                    work.data() + per_thread * tid);
        },
        1);
    ctx.report(static_cast<double>(epoch + 1) / epochs, "mixture-of-tastes epoch");
  }
  for (int32_t u = 0; u < nu; ++u) {
    if (train.user_count(u) > 0) continue;
    std::fill_n(tastes_.data() + u * mk, mk, 0.0f);
    std::fill_n(attention_.data() + u * mk, mk, 0.0f);
  }
}

void MixtureMf::score(int32_t user, std::span<float> out) const {
  require_fitted();
  METAREC_CHECK(static_cast<int64_t>(out.size()) == num_items(), algorithm(),
                ": score buffer has size ", out.size(), ", expected ", num_items());
  const int32_t n = num_items();
  if (user < 0 || user >= num_users()) {
    std::copy(item_bias_.begin(), item_bias_.end(), out.begin());
    return;
  }
  const size_t mk = static_cast<size_t>(m_) * k_;
  const float* tu = tastes_.data() + user * mk;
  const float* au = attention_.data() + user * mk;
  std::vector<float> scratch(2 * static_cast<size_t>(m_));
  for (int32_t i = 0; i < n; ++i)
    out[i] =
        detail::mixture_score(tu, au, item_row(i), m_, k_, scratch.data(), scratch.data() + m_) +
        item_bias_[i];
}

float MixtureMf::predict(int32_t user, int32_t item) const {
  require_fitted();
  if (item < 0 || item >= num_items()) return 0.0f;
  if (user < 0 || user >= num_users()) return item_bias_[item];
  const size_t mk = static_cast<size_t>(m_) * k_;
  std::vector<float> scratch(2 * static_cast<size_t>(m_));
  return detail::mixture_score(tastes_.data() + user * mk, attention_.data() + user * mk,
                               item_row(item), m_, k_, scratch.data(), scratch.data() + m_) +
         item_bias_[item];
}

void MixtureMf::save_extra(ModelWriter& w) const {
  const std::vector<int64_t> shape = {num_users(), m_, k_};
  w.add("mixture.tastes", std::span<const float>(tastes_), shape);
  w.add("mixture.attention", std::span<const float>(attention_), shape);
}

void MixtureMf::load_extra(const ModelReader& r) {
  m_ = static_cast<int>(params().get_int("tastes"));
  tastes_ = r.f32("mixture.tastes", {num_users(), m_, k_});
  attention_ = r.f32("mixture.attention", {num_users(), m_, k_});
}

}  // namespace metarec
