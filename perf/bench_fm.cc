// Fit speed of the factorization machines (fm by SGD, fm_als, fm_mcmc) on synthetic ratings
// shaped like MovieLens 100K with genres and timestamps, by thread count, with ids only and with
// side features; plus 1M-entry cases (explicit, and implicit with BPR). Items per second = training
// ratings x epochs (sweeps, iterations) / second.
//   build/bench_fm --benchmark_filter='BM_Fit/fm_als'
#include <benchmark/benchmark.h>
#include <metarec/algorithms/catalog.h>
#include <metarec/data/synthetic.h>

namespace {

const metarec::Interactions& data() {
  static const metarec::Interactions d = metarec::generate_synthetic(
      metarec::parse_synthetic_spec("synthetic:users=943,items=1682,per_user=85,seed=1"));
  return d;
}

// ML-1M's shape: 1M ratings.
const metarec::Interactions& large() {
  static const metarec::Interactions d = metarec::generate_synthetic(
      metarec::parse_synthetic_spec("synthetic:users=6040,items=3706,per_user=165,seed=1"));
  return d;
}

// ML-1M pairs' shape, implicit, with genres (BPR FM).
const metarec::Interactions& pairs() {
  static const metarec::Interactions d = metarec::generate_synthetic(metarec::parse_synthetic_spec(
      "synthetic:users=6040,items=3706,per_user=165,feedback=implicit,seed=1"));
  return d;
}

enum class Data { kSmall, kLarge, kPairs };

// state.range(0) = threads.
void BM_Fit(benchmark::State& state, const std::string& algo, std::vector<std::string> params,
            int epochs, Data which = Data::kSmall) {
  const auto& d = which == Data::kLarge ? large() : which == Data::kPairs ? pairs() : data();
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

BENCHMARK_CAPTURE(BM_Fit, fm / k8 / ids, "fm", {"epochs=10"}, 10)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_Fit, fm / k8 / all, "fm", {"epochs=10", "features=all"}, 10)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_Fit, fm / k8 / ids / 1M, "fm", {"epochs=5"}, 5, Data::kLarge)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_Fit, fm / k8 / bpr / 1M, "fm", {"epochs=3"}, 3, Data::kPairs)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_Fit, fm_als / k8 / ids, "fm_als", {"iterations=10"}, 10)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_Fit, fm_als / k8 / all, "fm_als", {"iterations=10", "features=all"}, 10)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_Fit, fm_mcmc / k8 / ids, "fm_mcmc", {"iterations=20", "burn_in=10"}, 20)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
