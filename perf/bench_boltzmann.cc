// Training speed of the Boltzmann family (rbm, explainable_rbm, cf_nade) on synthetic data shaped
// like MovieLens 100K (943 users, 1,682 items, ~100K ratings on a 1-5 scale): one epoch, by
// thread count. Items per second = training ratings / second.
//   build/bench_boltzmann --benchmark_filter='BM_BoltzmannEpoch/cf_nade'
#include <utility>

#include "one_epoch.h"

namespace {

// state.range(0) = threads.
void BM_BoltzmannEpoch(benchmark::State& state, const std::string& algo,
                       std::vector<std::string> params) {
  metarec::perf::one_epoch(state, algo, std::move(params));
}

}  // namespace

BENCHMARK_CAPTURE(BM_BoltzmannEpoch, rbm / h100, "rbm", {"hidden=100"})
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_BoltzmannEpoch, explainable_rbm / h100, "explainable_rbm", {"hidden=100"})
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_BoltzmannEpoch, cf_nade / h100, "cf_nade", {"hidden=100"})
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_BoltzmannEpoch, cf_nade / h500, "cf_nade", {"hidden=500"})
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
