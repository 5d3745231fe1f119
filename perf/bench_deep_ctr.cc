// Training speed of the deep CTR models (wide_deep, deepfm, nfm, xdeepfm) next to the SGD
// factorization machine, one epoch on synthetic ratings shaped like MovieLens 100K (943 users,
// 1,682 items, 100K ratings, with genres), by thread count. Items per second = ratings / second.
//   build/bench_deep_ctr --benchmark_filter='BM_DeepCtrEpoch/deepfm'
#include <utility>

#include "one_epoch.h"

namespace {

// state.range(0) = threads.
void BM_DeepCtrEpoch(benchmark::State& state, const std::string& algo,
                     std::vector<std::string> params) {
  metarec::perf::one_epoch(state, algo, std::move(params));
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
