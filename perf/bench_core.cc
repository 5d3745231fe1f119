// Speed of the shared hot paths: top-k selection and the synthetic generator.
#include <benchmark/benchmark.h>
#include <metarec/core/rng.h>
#include <metarec/core/top_k.h>
#include <metarec/data/synthetic.h>

static void BM_TopK(benchmark::State& state) {
  metarec::Rng rng(1);
  std::vector<float> scores(static_cast<size_t>(state.range(0)));
  for (auto& s : scores) s = static_cast<float>(rng.uniform());
  for (auto _ : state) benchmark::DoNotOptimize(metarec::top_k(scores, 10));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_TopK)->Arg(4000)->Arg(100000);

static void BM_Synthetic(benchmark::State& state) {
  for (auto _ : state) {
    auto d = metarec::generate_synthetic(
        metarec::parse_synthetic_spec("synthetic:users=2000,items=2000,seed=1"));
    benchmark::DoNotOptimize(d.nnz());
  }
}
BENCHMARK(BM_Synthetic)->Unit(benchmark::kMillisecond);
