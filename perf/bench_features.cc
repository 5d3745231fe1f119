// Speed of the dataset meta-features (with and without landmarkers) on 1M-interaction data:
// MovieLens 1M from the data root when present, and about 1M synthetic explicit ratings with
// timestamps. Items per second are interactions described per second.
#include <benchmark/benchmark.h>
#include <metarec/data/dataset.h>
#include <metarec/data/synthetic.h>
#include <metarec/meta/features.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>

namespace {

// nullptr when the dataset cannot be loaded (e.g. no ../shared/data on this machine).
const metarec::Interactions* dataset(const std::string& spec) {
  static std::map<std::string, std::unique_ptr<metarec::Interactions>> cache;
  auto it = cache.find(spec);
  if (it == cache.end()) {
    std::unique_ptr<metarec::Interactions> d;
    try {
      d = std::make_unique<metarec::Interactions>(metarec::load_dataset(spec).data);
    } catch (const std::exception&) {
    }
    it = cache.emplace(spec, std::move(d)).first;
  }
  return it->second.get();
}

void features(benchmark::State& state, const std::string& spec, bool landmarkers) {
  const metarec::Interactions* d = dataset(spec);
  if (!d) {
    state.SkipWithError(("cannot load " + spec).c_str());
    return;
  }
  metarec::MetaFeatureOptions o;
  o.landmarkers = landmarkers;
  o.threads = static_cast<int>(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(metarec::meta_features(*d, o));
  state.SetItemsProcessed(state.iterations() * d->nnz());
}

// 25,000 users x about 40 ratings: 964,585 explicit ratings over 4,000 items with two years of
// timestamps.
const std::string kSynthetic = "synthetic:users=25000,items=4000,per_user=40,seed=1";

}  // namespace

BENCHMARK_CAPTURE(features, ml1m, std::string("ml-1m"), true)
    ->Name("BM_MetaFeatures/ml-1m")
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(features, ml1m_no_landmarkers, std::string("ml-1m"), false)
    ->Name("BM_MetaFeatures/ml-1m/no_landmarkers")
    ->Arg(1)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(features, synthetic, kSynthetic, true)
    ->Name("BM_MetaFeatures/synthetic_1m_explicit")
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(features, synthetic_no_landmarkers, kSynthetic, false)
    ->Name("BM_MetaFeatures/synthetic_1m_explicit/no_landmarkers")
    ->Arg(1)
    ->Unit(benchmark::kMillisecond);
