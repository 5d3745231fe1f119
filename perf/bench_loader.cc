// Loader speed and memory on a large ratings CSV (MovieLens-20M layout), for the side-by-side
// comparison with pandas in perf/loader_vs_pandas.sh.
//   bench_loader --write PATH [--rows N] [--seed S]   write a synthetic ratings.csv
//   bench_loader PATH                                  load it, print JSON with time and memory
#include <metarec/core/error.h>
#include <metarec/core/process.h>
#include <metarec/core/rng.h>
#include <metarec/data/delimited.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>

namespace {

double peak_rss_mib() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;
}

int write_csv(const std::string& path, int64_t rows, uint64_t seed) {
  // 138,493 users and 26,744 movies as in ML-20M; half-star ratings; increasing timestamps.
  metarec::Rng rng(seed);
  FILE* f = std::fopen(path.c_str(), "w");
  if (!f) {
    std::perror(path.c_str());
    return 1;
  }
  std::fputs("userId,movieId,rating,timestamp\n", f);
  const int64_t users = 138493, movies = 26744;
  int64_t t = 789652004;
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t u = 1 + r * users / rows;  // sorted by user, as the original
    // Popular movies more often: the square of a uniform skews towards small ids.
    const double x = rng.uniform();
    const int64_t m = 1 + static_cast<int64_t>(x * x * movies);
    const int half = 1 + static_cast<int>(rng.uniform_int(10));
    t += static_cast<int64_t>(rng.uniform_int(60));
    std::fprintf(f, "%lld,%lld,%.1f,%lld\n", static_cast<long long>(u), static_cast<long long>(m),
                 half / 2.0, static_cast<long long>(t));
  }
  return std::fclose(f) == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  metarec::prepare_process(argv);  // the CLI's malloc and BLAS settings (core/process.h)
  if (argc >= 3 && std::strcmp(argv[1], "--write") == 0) {
    int64_t rows = 20'000'000;
    uint64_t seed = 1;
    for (int a = 3; a + 1 < argc; a += 2) {
      if (std::strcmp(argv[a], "--rows") == 0) rows = std::stoll(argv[a + 1]);
      if (std::strcmp(argv[a], "--seed") == 0) seed = std::stoull(argv[a + 1]);
    }
    return write_csv(argv[2], rows, seed);
  }
  if (argc != 2) {
    std::cerr << "usage: bench_loader PATH | bench_loader --write PATH [--rows N] [--seed S]\n";
    return 2;
  }
  try {
    const double rss_before = peak_rss_mib();
    const auto t0 = std::chrono::steady_clock::now();
    metarec::DelimitedFormat fmt;
    fmt.header = true;
    fmt.user = metarec::ColumnRef::named("userId");
    fmt.item = metarec::ColumnRef::named("movieId");
    fmt.rating = metarec::ColumnRef::named("rating");
    fmt.time = metarec::ColumnRef::named("timestamp");
    metarec::InteractionsBuilder b;
    metarec::LoadReport rep;
    metarec::read_delimited(argv[1], fmt, b, rep);
    const auto t1 = std::chrono::steady_clock::now();
    metarec::InteractionsBuilder::Options o;
    o.name = argv[1];
    metarec::Interactions x = b.build(o);
    const auto t2 = std::chrono::steady_clock::now();
    // The final arrays: CSR items, values, times, entry users; CSC users and values; pointers.
    const double n = static_cast<double>(x.nnz());
    const double arrays =
        (n * (4 + 4 + 8 + 4 + 4 + 4) + 8.0 * (x.num_users() + 1 + x.num_items() + 1)) /
        (1024.0 * 1024.0);
    std::printf(
        "{\"rows\": %lld, \"users\": %d, \"items\": %d, \"parse_seconds\": %.3f, "
        "\"build_seconds\": %.3f, \"total_seconds\": %.3f, \"final_arrays_mib\": %.1f, "
        "\"peak_rss_mib\": %.1f, \"rss_before_mib\": %.1f, \"peak_over_arrays\": %.3f}\n",
        static_cast<long long>(x.nnz()), x.num_users(), x.num_items(),
        std::chrono::duration<double>(t1 - t0).count(),
        std::chrono::duration<double>(t2 - t1).count(),
        std::chrono::duration<double>(t2 - t0).count(), arrays, peak_rss_mib(), rss_before,
        peak_rss_mib() / arrays);
  } catch (const metarec::Error& e) {
    std::cerr << "bench_loader: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
