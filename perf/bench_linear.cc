// Fit speed of the linear item-item models (EASE, SLIM, RP3beta, P3alpha) by thread count:
// BM_Fit/<algo>/threads:N, items per second = training interactions per second; the label names
// the data.
// Data: ML-1M's implicit pairs when the shared data directory has them (set METAREC_DATA or keep
// ../shared/data beside the source tree), else a synthetic set of similar shape.
#include <benchmark/benchmark.h>
#include <metarec/algorithms/catalog.h>
#include <metarec/data/dataset.h>
#include <metarec/data/synthetic.h>

#include <string>

namespace {

struct BenchData {
  std::string name;
  metarec::Interactions data;
};

const BenchData& bench_data() {
  static const BenchData d = [] {
    try {
      return BenchData{"ml-1m", metarec::load_dataset("ml-1m").data};
    } catch (const std::exception&) {
      return BenchData{"synthetic", metarec::generate_synthetic(metarec::parse_synthetic_spec(
                                        "synthetic:users=6000,items=3700,per_user=160,seed=1,"
                                        "feedback=implicit"))};
    }
  }();
  return d;
}

void BM_Fit(benchmark::State& state, const std::string& algo) {
  const auto& d = bench_data();
  metarec::FitContext ctx;
  ctx.threads = static_cast<int>(state.range(0));
  for (auto _ : state) {
    auto m = metarec::make_recommender(algo);
    m->fit(d.data, ctx);
    benchmark::DoNotOptimize(m.get());
  }
  state.SetItemsProcessed(state.iterations() * d.data.nnz());
  state.SetLabel(d.name);
}

}  // namespace

#define METAREC_BENCH_FIT(algo)          \
  BENCHMARK_CAPTURE(BM_Fit, algo, #algo) \
      ->ArgName("threads")               \
      ->Arg(1)                           \
      ->Arg(2)                           \
      ->Unit(benchmark::kMillisecond)    \
      ->UseRealTime()                    \
      ->MeasureProcessCPUTime()

METAREC_BENCH_FIT(ease);
METAREC_BENCH_FIT(slim);
METAREC_BENCH_FIT(rp3beta);
METAREC_BENCH_FIT(p3alpha);
