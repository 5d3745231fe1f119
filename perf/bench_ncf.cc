// Training speed of the NCF models (gmf, ncf_mlp, neumf without pretraining: one network) on
// synthetic data shaped like MovieLens 1M (6,040 users, 3,706 items, ~1M positives), one epoch
// with 4 negatives per positive, by thread count. Items per second = training pairs / second
// (positives x 5). Compare with perf/ncf_torch.py on the real ML-1M split.
//   build/bench_ncf --benchmark_filter='BM_NcfEpoch/neumf'
#include <benchmark/benchmark.h>
#include <metarec/algorithms/catalog.h>
#include <metarec/data/synthetic.h>

namespace {

const metarec::Interactions& data() {
  static const metarec::Interactions d = metarec::generate_synthetic(metarec::parse_synthetic_spec(
      "synthetic:users=6040,items=3706,per_user=165,seed=1,feedback=implicit"));
  return d;
}

// state.range(0) = threads.
void BM_NcfEpoch(benchmark::State& state, const std::string& algo,
                 std::vector<std::string> params) {
  const auto& d = data();
  metarec::FitContext ctx;
  ctx.threads = static_cast<int>(state.range(0));
  params.push_back("epochs=1");
  params.push_back("diversity_alpha=0");
  for (auto _ : state) {
    auto m = metarec::make_recommender(algo, params);
    m->fit(d, ctx);
    benchmark::DoNotOptimize(m.get());
  }
  state.SetItemsProcessed(state.iterations() * d.nnz() * 5);
}

}  // namespace

BENCHMARK_CAPTURE(BM_NcfEpoch, gmf / f8, "gmf", {"factors=8"})
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_NcfEpoch, ncf_mlp / f8, "ncf_mlp", {"factors=8"})
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_NcfEpoch, neumf / f8, "neumf", {"factors=8", "pretrain=false"})
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_NcfEpoch, neumf / f64, "neumf", {"factors=64", "pretrain=false"})
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
// 32 factors with and without early stopping: the difference is the validation split and the
// held-out positive of every user ranked among 99 negatives twice (before and after the epoch).
BENCHMARK_CAPTURE(BM_NcfEpoch, neumf / f32, "neumf", {"factors=32", "pretrain=false"})
    ->Arg(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_NcfEpoch, neumf / f32 / early_stopping, "neumf",
                  {"factors=32", "pretrain=false", "early_stopping=1"})
    ->Arg(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
