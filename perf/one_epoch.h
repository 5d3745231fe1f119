// The shared body of the per-family "one training epoch" benchmarks: fits a catalog model with
// epochs=1 on synthetic data shaped like MovieLens 100K (943 users, 1,682 items, ~100K ratings
// on a 1-5 scale, with genres), threads = state.range(0). Items per second = training ratings
// per second.
#pragma once

#include <benchmark/benchmark.h>
#include <metarec/algorithms/catalog.h>
#include <metarec/data/synthetic.h>

#include <string>
#include <vector>

namespace metarec::perf {

inline const Interactions& ml100k_shaped() {
  static const Interactions d = generate_synthetic(
      parse_synthetic_spec("synthetic:users=943,items=1682,per_user=106,seed=1"));
  return d;
}

inline void one_epoch(benchmark::State& state, const std::string& algo,
                      std::vector<std::string> params) {
  const Interactions& d = ml100k_shaped();
  FitContext ctx;
  ctx.threads = static_cast<int>(state.range(0));
  params.push_back("epochs=1");
  for (auto _ : state) {
    auto m = make_recommender(algo, params);
    m->fit(d, ctx);
    benchmark::DoNotOptimize(m.get());
  }
  state.SetItemsProcessed(state.iterations() * d.nnz());
}

}  // namespace metarec::perf
