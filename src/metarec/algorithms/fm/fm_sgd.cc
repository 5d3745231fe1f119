// Factorization machine learning by SGD (libFM's SGD; BPR or logistic loss for implicit data),
// plus the initialization and clean-up every learner shares.
#include <metarec/algorithms/fm/fm_train.h>
#include <metarec/core/error.h>
#include <metarec/core/parallel.h>
#include <metarec/core/rng.h>
#include <metarec/data/negative_sampling.h>

#include <algorithm>
#include <cmath>

namespace metarec {

void init_fm_weights(FmWeights& m, int32_t n, int k, float std, uint64_t seed) {
  m.k = k;
  m.w0 = 0;
  m.w.assign(static_cast<size_t>(n), 0.0f);
  m.v.resize(static_cast<size_t>(n) * k);
  Rng rng(seed);
  for (auto& x : m.v) x = static_cast<float>(rng.normal()) * std;
}

void clear_unused_features(FmWeights& m, const Interactions& train, const FmFeatureMap& map,
                           bool implicit) {
  std::vector<uint8_t> used(static_cast<size_t>(map.num_features()), 0);
  for (int32_t u = 0; u < train.num_users(); ++u)
    if (train.user_count(u) > 0)
      for (int32_t f : map.user_features(u)) used[f] = 1;
  // Implicit learners draw negatives from every item, so every item's features see data.
  for (int32_t i = 0; i < train.num_items(); ++i)
    if (implicit || train.item_count(i) > 0)
      for (int32_t f : map.item_features(i)) used[f] = 1;
  if (map.uses_time())
    for (int64_t t : train.entry_times()) used[map.time_feature(t)] = 1;
  for (int32_t f = 0; f < map.num_features(); ++f)
    if (!used[f]) {
      m.w[f] = 0.0f;
      std::fill(m.vrow(f), m.vrow(f) + m.k, 0.0f);
    }
}

namespace {

struct Scratch {
  std::vector<int32_t> ia, ib;
  std::vector<float> xa, xb, sa, sb;
};

inline float sigmoid(double x) { return static_cast<float>(1.0 / (1.0 + std::exp(-x))); }

}  // namespace

void train_fm_sgd(FmWeights& m, const Interactions& train, const FmFeatureMap& map,
                  const FmTrainConfig& c, const FitContext& ctx) {
  init_fm_weights(m, map.num_features(), c.k, c.init_std, ctx.seed);
  if (!c.implicit) m.w0 = train.global_mean();
  const int64_t nnz = train.nnz();
  const int32_t ni = train.num_items();
  // Blocks of a per-epoch permutation; the layout never depends on the thread count, so one
  // thread replays the same updates for a seed. More threads update Hogwild-style.
  const int64_t blocks = std::clamp<int64_t>(nnz / 2048, 1, 1024);
  const int threads = resolve_threads(ctx.threads);
  std::vector<Scratch> scratch(static_cast<size_t>(threads));
  for (auto& s : scratch) {
    s.sa.resize(static_cast<size_t>(c.k));
    s.sb.resize(static_cast<size_t>(c.k));
  }
  const NegativeSampler sampler(train, NegativeMode::kUniform);
  const auto users = train.entry_users();
  const auto items = train.entry_items();
  const auto values = train.entry_values();
  const auto times = train.entry_times();
  const Rng base = Rng(ctx.seed).fork(0xF5);
  std::vector<int64_t> order(static_cast<size_t>(nnz));
  for (int64_t e = 0; e < nnz; ++e) order[e] = e;
  const bool clip = c.lo < c.hi;

  for (int epoch = 0; epoch < c.epochs; ++epoch) {
    ctx.check_cancel();
    Rng shuffle = base.fork(static_cast<uint64_t>(epoch) << 32);
    for (int64_t q = nnz - 1; q > 0; --q)
      std::swap(order[q], order[shuffle.uniform_int(static_cast<uint64_t>(q) + 1)]);
    parallel_for_tid(
        blocks, ctx.threads,
        [&](int64_t b, int tid) {
          Rng rng = base.fork((static_cast<uint64_t>(epoch) << 32) + 1 + b);
          Scratch& s = scratch[static_cast<size_t>(tid)];
          // Every step writes w0: each block updates a private copy, merged at the block's end
          // (the shared line would otherwise bounce between cores on every step). Predictions
          // see the block's own w0: predict() adds (w0 - shared) to the shared value.
          const double shared = m.w0;
          double w0 = shared;
          auto predict = [&](const FmRow& row, float* sums) {
            return fm_predict(m, row, sums) + (w0 - shared);
          };
          for (int64_t q = nnz * b / blocks; q < nnz * (b + 1) / blocks; ++q) {
            const int64_t entry = order[q];
            const int32_t u = users[entry];
            const int32_t tf = map.uses_time() ? map.time_feature(times[entry]) : -1;
            s.ia.clear();
            s.xa.clear();
            map.append_row(u, items[entry], tf, s.ia, s.xa);
            const FmRow ra{s.ia, s.xa};
            double ya = predict(ra, s.sa.data());
            if (!c.implicit) {
              if (clip) ya = std::clamp(ya, static_cast<double>(c.lo), static_cast<double>(c.hi));
              fm_sgd_step(m, ra, s.sa.data(), ya - values[entry], {}, nullptr, 0, c.learning_rate,
                          c.reg, &w0);
              continue;
            }
            if (train.user_count(u) >= ni) continue;  // no negative exists
            if (!c.bpr)
              fm_sgd_step(m, ra, s.sa.data(), sigmoid(ya) - 1.0, {}, nullptr, 0, c.learning_rate,
                          c.reg, &w0);
            for (int n = 0; n < c.negatives; ++n) {
              const int32_t j = sampler.sample(u, rng);
              s.ib.clear();
              s.xb.clear();
              map.append_row(u, j, tf, s.ib, s.xb);
              const FmRow rb{s.ib, s.xb};
              const double yb = predict(rb, s.sb.data());
              if (c.bpr) {
                // -ln sigmoid(ya - yb): d/dya = sigmoid(ya - yb) - 1, d/dyb = its negative.
                if (n > 0) ya = predict(ra, s.sa.data());
                const double g = sigmoid(ya - yb) - 1.0;
                fm_sgd_step(m, ra, s.sa.data(), g, rb, s.sb.data(), -g, c.learning_rate, c.reg,
                            &w0);
              } else {
                fm_sgd_step(m, rb, s.sb.data(), sigmoid(yb), {}, nullptr, 0, c.learning_rate, c.reg,
                            &w0);
              }
            }
          }
#pragma omp atomic
          m.w0 += w0 - shared;
        },
        1);
    ctx.report(static_cast<double>(epoch + 1) / c.epochs, "SGD epoch");
  }
}

}  // namespace metarec
