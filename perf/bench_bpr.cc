// Fit speed of the pairwise and pointwise implicit factor models (bpr, warp, logistic_mf) on
// synthetic data shaped like MovieLens 1M, by thread count. Items per second = training
// interactions x epochs (or iterations) / second.
//   build/bench_bpr --benchmark_filter='BM_Fit/bpr'
#include <benchmark/benchmark.h>
#include <metarec/algorithms/catalog.h>
#include <metarec/data/synthetic.h>

namespace {

const metarec::Interactions& data() {
  static const metarec::Interactions d = metarec::generate_synthetic(metarec::parse_synthetic_spec(
      "synthetic:users=6000,items=3700,per_user=130,seed=1,feedback=implicit"));
  return d;
}

// state.range(0) = threads.
void BM_Fit(benchmark::State& state, const std::string& algo, std::vector<std::string> params,
            int epochs) {
  const auto& d = data();
  metarec::FitContext ctx;
  ctx.threads = static_cast<int>(state.range(0));
  for (auto _ : state) {
    auto m = metarec::make_recommender(algo, params);
    m->fit(d, ctx);
    benchmark::DoNotOptimize(m.get());
  }
  state.SetItemsProcessed(state.iterations() * d.nnz() * epochs);
}

}  // namespace

BENCHMARK_CAPTURE(BM_Fit, bpr / k64, "bpr", {"factors=64", "epochs=5", "negative_candidates=1"}, 5)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_Fit, bpr / k64 / dns3, "bpr",
                  {"factors=64", "epochs=5", "negative_candidates=3"}, 5)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_Fit, warp / k64, "warp", {"factors=64", "epochs=3"}, 3)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_Fit, logistic_mf / k32, "logistic_mf", {"factors=32", "iterations=3"}, 3)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
