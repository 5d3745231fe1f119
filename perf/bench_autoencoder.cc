// Training speed of the autoencoders: one epoch of Mult-VAE / Mult-DAE / CDAE / SVAE on
// synthetic data shaped like the ML-1M strong-generalization training set
// (5,440 users, 3,696 items, ~165 items per user), and one epoch of I-AutoRec /
// U-AutoRec / DeepRec on data shaped like ML-100K, by thread count. Items per
// second = training users (rows) per second for Mult-VAE/DAE, CDAE and SVAE, ratings
// for AutoRec and DeepRec.
// Compare with perf/multvae_torch.py on the real split (docs/neural.md).
//   build/bench_autoencoder --benchmark_filter='BM_Epoch/(mult_vae|cdae)'
#include <benchmark/benchmark.h>
#include <metarec/algorithms/catalog.h>
#include <metarec/data/synthetic.h>

#include <string>
#include <vector>

namespace {

const metarec::Interactions& ml1m_like() {
  static const metarec::Interactions d = metarec::generate_synthetic(
      metarec::parse_synthetic_spec("synthetic:users=5440,items=3696,per_user="
                                    "165,seed=1,feedback=implicit"));
  return d;
}

const metarec::Interactions& ml100k_like() {
  static const metarec::Interactions d = metarec::generate_synthetic(
      metarec::parse_synthetic_spec("synthetic:users=943,items=1682,per_user=85,seed=1"));
  return d;
}

// state.range(0) = threads. `params` are added to epochs=1.
void BM_Epoch(benchmark::State& state, const std::string& algo, bool users,
              std::vector<std::string> params = {}) {
  const auto& d = users ? ml1m_like() : ml100k_like();
  metarec::FitContext ctx;
  ctx.threads = static_cast<int>(state.range(0));
  for (auto _ : state) {
    std::vector<std::string> p = params;
    p.push_back("epochs=1");
    auto m = metarec::make_recommender(algo, p);
    m->fit(d, ctx);
    benchmark::DoNotOptimize(m.get());
  }
  state.SetItemsProcessed(state.iterations() * (users ? d.num_users() : d.nnz()));
}

}  // namespace

BENCHMARK_CAPTURE(BM_Epoch, mult_vae, "mult_vae", true)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_Epoch, mult_dae, "mult_dae", true)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
// One epoch on 90% of the users, plus the held-out 10% scored twice (NDCG@100) and the weights
// copied: what early stopping adds per epoch, against the row above.
BENCHMARK_CAPTURE(BM_Epoch, mult_dae / early_stopping, "mult_dae", true,
                  {"early_stopping=1", "refit=false"})
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_Epoch, svae, "svae", true)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_Epoch, cdae, "cdae", true)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_Epoch, i_autorec, "i_autorec", false)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_Epoch, u_autorec, "u_autorec", false)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_Epoch, deeprec_ae, "deeprec_ae", false)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
