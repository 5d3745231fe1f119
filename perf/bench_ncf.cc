// Training speed of the NCF models (gmf, ncf_mlp, neumf without pretraining: one network) on
// synthetic data shaped like MovieLens 1M (6,040 users, 3,706 items, ~1M positives), one epoch
// with 4 negatives per positive, by thread count. Items per second = training pairs / second
// (positives x 5). Compare with perf/ncf_torch.py on the real ML-1M split.
//   build/bench_ncf --benchmark_filter='BM_NcfEpoch/neumf'
#include <benchmark/benchmark.h>
#include <metarec/algorithms/catalog.h>
#include <metarec/core/blas_threads.h>
#include <metarec/core/rng.h>
#include <metarec/data/synthetic.h>
#include <metarec/nn/layers.h>

#include <algorithm>
#include <numeric>
#include <span>

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

// Scoring with a trained NeuMF (32 factors, one epoch): every item for one user (the full
// protocol, recommend) against the 100 items of one NCF sampled case (SubsetScorer). One thread;
// items per second = (user, item) pairs scored.
const metarec::Recommender& trained_neumf() {
  static const auto m = [] {
    auto r = metarec::make_recommender("neumf", {"factors=32", "pretrain=false", "epochs=1"});
    metarec::FitContext ctx;
    ctx.threads = 1;
    r->fit(data(), ctx);
    return r;
  }();
  return *m;
}

void BM_NeumfScoreAll(benchmark::State& state) {
  const auto& m = trained_neumf();
  std::vector<float> out(static_cast<size_t>(m.num_items()));
  int32_t u = 0;
  for (auto _ : state) {
    m.score(u, out);
    u = (u + 1) % m.num_users();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * m.num_items());
}

void BM_NeumfScoreHundred(benchmark::State& state) {
  const auto& m = trained_neumf();
  const auto& subset = dynamic_cast<const metarec::SubsetScorer&>(m);
  std::vector<int32_t> items(100);
  std::iota(items.begin(), items.end(), 0);
  for (int32_t& i : items) i = (i * 37) % m.num_items();
  std::vector<float> out(items.size());
  int32_t u = 0;
  for (auto _ : state) {
    subset.score_items(u, items, out);
    u = (u + 1) % m.num_users();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(items.size()));
}

// One tower layer at scoring time (a block of 256 items, 128 -> 64, ReLU input with about half
// its entries zero), without BLAS: nn::affine_rows against Eigen's coefficient-wise lazyProduct,
// which NCF's score() used before.
struct LayerBlock {
  metarec::nn::Matrix x, w, b, out;
  LayerBlock() {
    metarec::Rng rng(3);
    x.resize(256, 128);
    w.resize(128, 64);
    b.resize(1, 64);
    for (float& v : std::span(x.data(), static_cast<size_t>(x.size())))
      v = std::max(0.0f, static_cast<float>(rng.normal()));
    for (float& v : std::span(w.data(), static_cast<size_t>(w.size())))
      v = static_cast<float>(rng.normal()) * 0.1f;
    b.setConstant(0.01f);
  }
};

void BM_TowerLayerAffineRows(benchmark::State& state) {
  LayerBlock l;
  for (auto _ : state) {
    metarec::nn::affine_rows(l.x, l.w, l.b, true, l.out);
    benchmark::DoNotOptimize(l.out.data());
  }
  state.SetItemsProcessed(state.iterations() * l.x.rows());
}

void BM_TowerLayerLazyProduct(benchmark::State& state) {
  LayerBlock l;
  for (auto _ : state) {
    l.out.noalias() = l.x.lazyProduct(l.w);
    l.out.rowwise() += l.b.row(0);
    l.out = l.out.cwiseMax(0.0f);
    benchmark::DoNotOptimize(l.out.data());
  }
  state.SetItemsProcessed(state.iterations() * l.x.rows());
}

// The same layer as training runs it: Eigen's product, which goes to OpenBLAS.
void BM_TowerLayerBlas(benchmark::State& state) {
  LayerBlock l;
  const metarec::ScopedBlasThreads serial(1);
  for (auto _ : state) {
    l.out.noalias() = l.x * l.w;
    l.out.rowwise() += l.b.row(0);
    l.out = l.out.cwiseMax(0.0f);
    benchmark::DoNotOptimize(l.out.data());
  }
  state.SetItemsProcessed(state.iterations() * l.x.rows());
}

}  // namespace

BENCHMARK(BM_NeumfScoreAll)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_NeumfScoreHundred)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_TowerLayerAffineRows)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_TowerLayerLazyProduct)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_TowerLayerBlas)->Unit(benchmark::kMicrosecond);

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
BENCHMARK_CAPTURE(BM_NcfEpoch, neumf / f32 / lazy, "neumf",
                  {"factors=32", "pretrain=false", "embedding_adam=lazy"})
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
// Lazy Adam caught up to dense Adam on the embeddings (embedding_adam=catchup).
BENCHMARK_CAPTURE(BM_NcfEpoch, neumf / f32 / catchup, "neumf",
                  {"factors=32", "pretrain=false", "embedding_adam=catchup"})
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_NcfEpoch, neumf / f32 / early_stopping, "neumf",
                  {"factors=32", "pretrain=false", "early_stopping=1"})
    ->Arg(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
