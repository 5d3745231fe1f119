// Mixture-of-tastes MF: Hogwild Adagrad over sampled (user, positive, negative) triples.
#include <metarec/algorithms/mixture_mf/mixture_mf.h>

#include <algorithm>
#include <cmath>

#include <metarec/core/error.h>
#include <metarec/core/parallel.h>
#include <metarec/core/rng.h>
#include <metarec/data/negative_sampling.h>

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
      ParamSpec::real("learning_rate", 0.05, 0, 10, "Adagrad step size", true)
          .tune(0.005, 0.5, true),
      ParamSpec::real("reg", 1e-5, 0, 1e3, "L2 on the parameters touched by each update")
          .tune(1e-7, 1e-2, true),
      ParamSpec::real("init_std", 0.1, 0, 10, "std of the random initial vectors"),
  };
}

namespace {

// Adagrad step on n parameters with L2: g' = g + reg x; acc += g'^2; x -= lr g' / sqrt(acc).
inline void adagrad(float* x, float* acc, const float* g, int n, float lr, float reg) {
#pragma omp simd
  for (int f = 0; f < n; ++f) {
    const float gr = g[f] + reg * x[f];
    acc[f] += gr * gr;
    x[f] -= lr * gr / std::sqrt(acc[f]);
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
  const auto eu = train.entry_users();
  const auto ei = train.entry_items();
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
          float* gt = work.data() + per_thread * tid;
          float* ga = gt + mk;
          float* gp = ga + mk;
          float* gn = gp + k;
          float* scratch = gn + k;
          const int64_t end = std::min(cases, (b + 1) * kBlock);
          for (int64_t c = b * kBlock; c < end; ++c) {
            const int64_t e = static_cast<int64_t>(r.uniform_int(static_cast<uint64_t>(cases)));
            const int32_t u = eu[e], i = ei[e];
            const int32_t j = sampler.sample(u, r);
            std::fill(gt, scratch, 0.0f);
            float gbp = 0, gbn = 0;
            float* tu = tastes_.data() + u * mk;
            float* au = attention_.data() + u * mk;
            detail::mixture_case<float>(bpr, m, k, tu, au, item_row(i), item_bias_[i], item_row(j),
                                        item_bias_[j], gt, ga, gp, &gbp, gn, &gbn, scratch);
            adagrad(tu, acc_t.data() + u * mk, gt, static_cast<int>(mk), lr, reg);
            adagrad(au, acc_a.data() + u * mk, ga, static_cast<int>(mk), lr, reg);
            adagrad(item_row(i), acc_e.data() + static_cast<size_t>(i) * k, gp, k, lr, reg);
            adagrad(item_row(j), acc_e.data() + static_cast<size_t>(j) * k, gn, k, lr, reg);
            adagrad(&item_bias_[i], &acc_b[i], &gbp, 1, lr, reg);
            adagrad(&item_bias_[j], &acc_b[j], &gbn, 1, lr, reg);
          }
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
    out[i] = detail::mixture_score(tu, au, item_row(i), m_, k_, scratch.data(),
                                   scratch.data() + m_) +
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
