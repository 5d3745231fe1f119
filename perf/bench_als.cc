// Fit speed of the ALS family (als, ials with both solvers, bayesian_mf, mixture_mf) on synthetic
// data, by thread count. Items per second = training interactions x sweeps (or epochs) / second.
//   build/bench_als --benchmark_filter='BM_Fit/ials'
#include <benchmark/benchmark.h>
#include <metarec/algorithms/catalog.h>
#include <metarec/data/synthetic.h>

namespace {

const metarec::Interactions& data(bool implicit) {
  static const metarec::Interactions ex = metarec::generate_synthetic(
      metarec::parse_synthetic_spec("synthetic:users=6000,items=3700,per_user=130,seed=1"));
  static const metarec::Interactions im = metarec::generate_synthetic(metarec::parse_synthetic_spec(
      "synthetic:users=6000,items=3700,per_user=130,seed=1,feedback=implicit"));
  return implicit ? im : ex;
}

// state.range(0) = threads.
void BM_Fit(benchmark::State& state, const std::string& algo, std::vector<std::string> params,
            bool implicit, int sweeps) {
  const auto& d = data(implicit);
  metarec::FitContext ctx;
  ctx.threads = static_cast<int>(state.range(0));
  for (auto _ : state) {
    auto m = metarec::make_recommender(algo, params);
    m->fit(d, ctx);
    benchmark::DoNotOptimize(m.get());
  }
  state.SetItemsProcessed(state.iterations() * d.nnz() * sweeps);
}

}  // namespace

BENCHMARK_CAPTURE(BM_Fit, als / k32, "als", {"factors=32", "epochs=5"}, false, 5)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_Fit, ials / cg / k64, "ials", {"factors=64", "iterations=5"}, true, 5)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_Fit, ials / cholesky / k64, "ials",
                  {"factors=64", "iterations=2", "solver=cholesky"}, true, 2)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_Fit, bayesian_mf / d10, "bayesian_mf",
                  {"factors=10", "burn_in=5", "samples=5"}, false, 10)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_Fit, mixture_mf / k32m4, "mixture_mf", {"epochs=2"}, true, 2)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
