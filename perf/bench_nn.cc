// Speed of the neural core's sparse optimizers on an embedding table shaped like NCF's on
// MovieLens 1M (6,040 rows of 32 factors): steps of 256 coalesced rows drawn with a
// popularity skew, with and without catch-up (nn::LazyAdam). "early" runs the first 8,000
// steps of a fresh optimizer (bias corrections still below 1); "late" starts after 20,000.
//   build/bench_nn --benchmark_filter=LazyAdam
#include <benchmark/benchmark.h>
#include <metarec/core/rng.h>
#include <metarec/nn/embedding.h>
#include <metarec/nn/optim.h>

#include <algorithm>
#include <vector>

namespace {

constexpr int kRows = 6040, kDim = 32, kBatch = 256, kStepsPerIteration = 1000;

// A pool of gradients reused round-robin, so drawing them stays out of the timing.
std::vector<metarec::nn::SparseGrad> gradients() {
  metarec::Rng rng(7);
  std::vector<metarec::nn::SparseGrad> pool(64);
  for (auto& g : pool) {
    g.ids.resize(kBatch);
    for (auto& id : g.ids) {
      const double u = rng.uniform();
      id = static_cast<int32_t>(kRows * u * u);  // the lower ids are the popular ones
    }
    g.values = metarec::nn::Matrix::Random(kBatch, kDim) * 0.01f;
    g.coalesce();
  }
  return pool;
}

// state.range(0): 1 = catch_up; state.range(1): steps taken before timing.
void BM_LazyAdam(benchmark::State& state) {
  metarec::Rng rng(1);
  metarec::nn::Embedding table(kRows, kDim, metarec::nn::EmbeddingInit::kNormal, 0.01f, rng,
                               "bench");
  metarec::nn::LazyAdam adam(table, 1e-3f, 0.9f, 0.999f, 1e-8f, 0, state.range(0) == 1);
  const auto pool = gradients();
  size_t next = 0;
  for (int64_t s = 0; s < state.range(1); ++s) adam.step(pool[next++ % pool.size()]);
  int64_t rows = 0;
  for (auto _ : state) {
    for (int s = 0; s < kStepsPerIteration; ++s) {
      const auto& g = pool[next++ % pool.size()];
      adam.step(g);
      rows += static_cast<int64_t>(g.ids.size());
    }
  }
  adam.catch_up();
  benchmark::DoNotOptimize(table.table.value.data());
  state.SetItemsProcessed(rows);  // row updates per second
}

}  // namespace

BENCHMARK(BM_LazyAdam)
    ->ArgNames({"catch_up", "warm"})
    ->Args({0, 0})
    ->Args({1, 0})
    ->Args({0, 20000})
    ->Args({1, 20000})
    ->Iterations(8)
    ->Unit(benchmark::kMillisecond);
