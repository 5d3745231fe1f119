// Training speed of the deep CTR models (wide_deep, deepfm, nfm, xdeepfm) next to the SGD
// factorization machine, one epoch on synthetic ratings shaped like MovieLens 100K (943 users,
// 1,682 items, 100K ratings, with genres), by thread count. Items per second = ratings / second.
//   build/bench_deep_ctr --benchmark_filter='BM_DeepCtrEpoch/deepfm'
#include <benchmark/benchmark.h>
#include <metarec/algorithms/catalog.h>
#include <metarec/data/synthetic.h>

namespace {

const metarec::Interactions& data() {
  static const metarec::Interactions d = metarec::generate_synthetic(
      metarec::parse_synthetic_spec("synthetic:users=943,items=1682,per_user=106,seed=1"));
  return d;
}

// state.range(0) = threads.
void BM_DeepCtrEpoch(benchmark::State& state, const std::string& algo,
                     std::vector<std::string> params) {
  const auto& d = data();
  metarec::FitContext ctx;
  ctx.threads = static_cast<int>(state.range(0));
  params.push_back("epochs=1");
  for (auto _ : state) {
    auto m = metarec::make_recommender(algo, params);
    m->fit(d, ctx);
    benchmark::DoNotOptimize(m.get());
  }
  state.SetItemsProcessed(state.iterations() * d.nnz());
}

}  // namespace

BENCHMARK_CAPTURE(BM_DeepCtrEpoch, fm, "fm", {})
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_DeepCtrEpoch, wide_deep, "wide_deep", {})
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_DeepCtrEpoch, deepfm, "deepfm", {})
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_DeepCtrEpoch, nfm, "nfm", {})
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_DeepCtrEpoch, xdeepfm, "xdeepfm", {})
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

BENCHMARK_MAIN();
