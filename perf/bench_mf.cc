// Training speed of the rating factor models (mf/): ratings x epochs processed per second on a
// 100K-rating synthetic set shaped like ML-100K (and svd on 1.8M ratings), at 1 and 2 threads.
//   build-x/bench_mf --benchmark_filter=BM_Fit/svd
#include <benchmark/benchmark.h>
#include <metarec/algorithms/catalog.h>
#include <metarec/algorithms/mf/sgd_kernel.h>
#include <metarec/core/rng.h>
#include <metarec/data/synthetic.h>

#include <string>
#include <vector>

namespace {

const metarec::Interactions& data() {
  static const metarec::Interactions d = metarec::generate_synthetic(
      metarec::parse_synthetic_spec("synthetic:users=1000,items=1700,per_user=100,seed=3"));
  return d;
}

// About 1.8M ratings: cells of the SGD grid large enough that scheduling costs little.
const metarec::Interactions& large() {
  static const metarec::Interactions d = metarec::generate_synthetic(
      metarec::parse_synthetic_spec("synthetic:users=20000,items=8000,per_user=100,seed=3"));
  return d;
}

// One fit of `algo` with `params`; `passes` = how many times the fit touches every rating.
void fit(benchmark::State& state, const std::string& algo, std::vector<std::string> params,
         int passes, const metarec::Interactions& (*dataset)() = data) {
  const auto& d = dataset();
  metarec::FitContext ctx;
  ctx.threads = static_cast<int>(state.range(0));
  for (auto _ : state) {
    auto m = metarec::make_recommender(algo, params);
    m->fit(d, ctx);
    benchmark::DoNotOptimize(m.get());
  }
  state.SetItemsProcessed(state.iterations() * d.nnz() * passes);
  state.counters["ratings"] = static_cast<double>(d.nnz());
}

}  // namespace

// BM_Fit/<algo>/<factors>/threads:N
#define MF_BENCH(tag, name, algo, passes, ...)                                           \
  static void BM_Fit_##tag(benchmark::State& s) { fit(s, algo, {__VA_ARGS__}, passes); } \
  BENCHMARK(BM_Fit_##tag)                                                                \
      ->Name("BM_Fit/" name)                                                             \
      ->Arg(1)                                                                           \
      ->Arg(2)                                                                           \
      ->ArgName("threads")                                                               \
      ->Unit(benchmark::kMillisecond)                                                    \
      ->UseRealTime()

MF_BENCH(funk_mf_k64, "funk_mf/k64", "funk_mf", 20, "factors=64", "epochs=20");
// The same SGD on 1.8M ratings (5 epochs): two-thread scaling where cells are large.
static void BM_Fit_svd_k64_large(benchmark::State& s) {
  fit(s, "svd", {"factors=64", "epochs=5"}, 5, large);
}
BENCHMARK(BM_Fit_svd_k64_large)
    ->Name("BM_Fit/svd/k64/1.8M")
    ->Arg(1)
    ->Arg(2)
    ->ArgName("threads")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
MF_BENCH(svd_k64, "svd/k64", "svd", 20, "factors=64", "epochs=20");
MF_BENCH(svd_k100, "svd/k100", "svd", 20, "factors=100", "epochs=20");
MF_BENCH(svdpp_k20, "svdpp/k20", "svdpp", 20, "factors=20", "epochs=20");
MF_BENCH(nmf_k15, "nmf/k15", "nmf", 50, "factors=15", "epochs=50");
MF_BENCH(timesvd_k64, "timesvd/k64", "timesvd", 20, "factors=64", "epochs=20");
MF_BENCH(side_mf_k64, "side_mf/k64", "side_mf", 20, "factors=64", "epochs=20");
MF_BENCH(seed_cf_k16, "seed_cf/k16", "seed_cf", 100, "factors=16", "iterations=100");
MF_BENCH(seed_cf_binary_k32, "seed_cf_binary/k32", "seed_cf_binary", 200, "factors=32",
         "iterations=100");

// Initialization of 120,000 x 64 factors (the 10M-rating synthetic set's P and Q): the shared
// FactorModel::randomize path (one Box-Muller pair per value) against detail::fill_normal.
static void BM_InitNormal(benchmark::State& state) {
  std::vector<float> v(static_cast<size_t>(120000) * 64);
  for (auto _ : state) {
    if (state.range(0) == 0) {
      metarec::Rng rng(1);
      for (auto& x : v) x = static_cast<float>(rng.normal()) * 0.02f;
    } else {
      metarec::detail::fill_normal(v, 0.02f, 1, static_cast<int>(state.range(1)));
    }
    benchmark::DoNotOptimize(v.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(v.size()));
}
BENCHMARK(BM_InitNormal)
    ->Args({0, 1})
    ->Args({1, 1})
    ->Args({1, 2})
    ->ArgNames({"fill_normal", "threads"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// Building the SGD grid of the 1.8M-rating set (3 x 3 cells, band slots), on 1 and 2 threads.
static void BM_Grid(benchmark::State& state) {
  const auto& d = large();
  for (auto _ : state) {
    metarec::detail::SgdGrid g(d, 3, 7, metarec::detail::SgdGrid::Numbering::kBandSlots,
                               static_cast<int>(state.range(0)));
    benchmark::DoNotOptimize(g.cell(0, 0).data());
  }
  state.SetItemsProcessed(state.iterations() * d.nnz());
}
BENCHMARK(BM_Grid)
    ->Name("BM_Grid/1.8M")
    ->Arg(1)
    ->Arg(2)
    ->ArgName("threads")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
