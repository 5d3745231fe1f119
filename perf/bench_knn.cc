// Fit speed of the neighbourhood family (item/user KNN, the Surprise-style KNN rating predictors,
// Slope One, co-clustering) on synthetic ratings, in training interactions per second.
#include <benchmark/benchmark.h>
#include <metarec/algorithms/catalog.h>
#include <metarec/algorithms/recommender.h>
#include <metarec/data/synthetic.h>

namespace {

// About the shape of MovieLens 100K: 1,000 users, 1,700 items, 100 ratings per user.
const metarec::Interactions& data() {
  static const metarec::Interactions d = metarec::generate_synthetic(
      metarec::parse_synthetic_spec("synthetic:users=1000,items=1700,per_user=100,seed=1"));
  return d;
}

void fit(benchmark::State& state, const std::string& algo, const std::vector<std::string>& params) {
  const auto& d = data();
  metarec::FitContext ctx;
  ctx.threads = static_cast<int>(state.range(0));
  for (auto _ : state) {
    auto m = metarec::make_recommender(algo, params);
    m->fit(d, ctx);
    benchmark::DoNotOptimize(m.get());
  }
  state.SetItemsProcessed(state.iterations() * d.nnz());
}

// Fit then predict every training rating once (the KNN predictors' other hot path).
void fit_predict(benchmark::State& state, const std::string& algo,
                 const std::vector<std::string>& params) {
  const auto& d = data();
  metarec::FitContext ctx;
  ctx.threads = 1;
  auto m = metarec::make_recommender(algo, params);
  m->fit(d, ctx);
  const auto& p = dynamic_cast<const metarec::RatingPredictor&>(*m);
  for (auto _ : state) {
    double s = 0;
    for (int64_t e = 0; e < d.nnz(); ++e) s += p.predict(d.entry_users()[e], d.entry_items()[e]);
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations() * d.nnz());
}

}  // namespace

BENCHMARK_CAPTURE(fit, item_knn, std::string("item_knn"), std::vector<std::string>{})
    ->Name("BM_Fit/item_knn")
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(fit, item_knn_bm25, std::string("item_knn"),
                  std::vector<std::string>{"similarity=bm25"})
    ->Name("BM_Fit/item_knn_bm25")
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(fit, user_knn, std::string("user_knn"), std::vector<std::string>{})
    ->Name("BM_Fit/user_knn")
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(fit, knn_baseline_item, std::string("knn_baseline"),
                  std::vector<std::string>{"user_based=false"})
    ->Name("BM_Fit/knn_baseline/item")
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(fit, knn_baseline_user, std::string("knn_baseline"),
                  std::vector<std::string>{"user_based=true"})
    ->Name("BM_Fit/knn_baseline/user")
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(fit, knn_means_msd, std::string("knn_means"),
                  std::vector<std::string>{"similarity=msd"})
    ->Name("BM_Fit/knn_means/msd")
    ->Arg(1)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(fit, slope_one, std::string("slope_one"), std::vector<std::string>{})
    ->Name("BM_Fit/slope_one")
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(fit, co_clustering, std::string("co_clustering"), std::vector<std::string>{})
    ->Name("BM_Fit/co_clustering")
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(fit_predict, knn_baseline_item, std::string("knn_baseline"),
                  std::vector<std::string>{"user_based=false"})
    ->Name("BM_Predict/knn_baseline/item")
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(fit_predict, knn_baseline_user, std::string("knn_baseline"),
                  std::vector<std::string>{"user_based=true"})
    ->Name("BM_Predict/knn_baseline/user")
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(fit_predict, slope_one, std::string("slope_one"), std::vector<std::string>{})
    ->Name("BM_Predict/slope_one")
    ->Unit(benchmark::kMillisecond);
