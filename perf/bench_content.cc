// Speed of the side-information models on synthetic data shaped like MovieLens 1M (6,040 users,
// 3,706 items, ~1M ratings, 18 genres): content-based fitting and per-user scoring (items per
// second = items scored), and one two-tower epoch (items per second = training entries).
//   build/bench_content --benchmark_filter='BM_ContentScore'
#include <benchmark/benchmark.h>
#include <metarec/algorithms/catalog.h>
#include <metarec/data/synthetic.h>

namespace {

const metarec::Interactions& data() {
  static const metarec::Interactions d = metarec::generate_synthetic(
      metarec::parse_synthetic_spec("synthetic:users=6040,items=3706,per_user=165,seed=1"));
  return d;
}

void BM_ContentFit(benchmark::State& state, const std::string& algo,
                   std::vector<std::string> params) {
  const auto& d = data();
  for (auto _ : state) {
    auto m = metarec::make_recommender(algo, params);
    m->fit(d);
    benchmark::DoNotOptimize(m.get());
  }
  state.SetItemsProcessed(state.iterations() * d.nnz());
}

void BM_ContentScore(benchmark::State& state, const std::string& algo,
                     std::vector<std::string> params) {
  const auto& d = data();
  auto m = metarec::make_recommender(algo, params);
  m->fit(d);
  std::vector<float> out(static_cast<size_t>(d.num_items()));
  int32_t u = 0;
  for (auto _ : state) {
    m->score(u, out);
    benchmark::DoNotOptimize(out.data());
    u = (u + 1) % d.num_users();
  }
  state.SetItemsProcessed(state.iterations() * d.num_items());
}

void BM_TwoTowerEpoch(benchmark::State& state, std::vector<std::string> params) {
  const auto& d = data();
  params.push_back("epochs=1");
  metarec::FitContext ctx;
  ctx.threads = 1;
  for (auto _ : state) {
    auto m = metarec::make_recommender("two_tower", params);
    m->fit(d, ctx);
    benchmark::DoNotOptimize(m.get());
  }
  state.SetItemsProcessed(state.iterations() * d.nnz());
}

}  // namespace

BENCHMARK_CAPTURE(BM_ContentFit, genres, "content_genres", {})->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_ContentFit, text_bm25, "content_text", {"weighting=bm25"})
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_ContentScore, genres, "content_genres", {})->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_ContentScore, genres_dot, "content_genres", {"scoring=dot"})
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_ContentScore, text, "content_text", {})->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_TwoTowerEpoch, ids_history, std::vector<std::string>{"side_info=false"})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);
BENCHMARK_CAPTURE(BM_TwoTowerEpoch, side_info_rating_head,
                  std::vector<std::string>{"rating_weight=0.5"})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);
