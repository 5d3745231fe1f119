// The main() of every Google Benchmark binary in perf/: the CLI's process settings first
// (core/process.h: huge pages for malloc, OpenBLAS started with one thread), so that a benchmark
// measures what `metarec` itself would do, then Google Benchmark's usual flags and run.
#include <benchmark/benchmark.h>
#include <metarec/core/process.h>

int main(int argc, char** argv) {
  metarec::prepare_process(argv);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
