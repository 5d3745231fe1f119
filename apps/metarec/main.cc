// The metarec command-line tool: parses the subcommand, runs it, and turns exceptions into a
// one-line message and an exit code (2 for usage errors, 1 for runtime errors).
#include <metarec/core/error.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <string>

#include "cli.h"

namespace {

// Two settings only take effect when the process starts, so metarec sets them and re-executes
// itself once (same pid, same arguments):
// - Page faults are slow on the virtual machines metarec runs on (15-21 us per 4 KiB page here:
//   64 MiB first-touched in 250 ms, against 7.4 ms on transparent huge pages), and with the
//   kernel's THP mode "madvise" glibc's malloc only asks for huge pages when the tunable
//   glibc.malloc.hugetlb=1 is set. Measured: an EASE fit on ML-1M 3.2-3.6 s -> 2.4 s; the fixed
//   cost of an SGD fit on ML-100K 25 -> 14 ms. METAREC_THP=0 opts out.
// - Debian's pthread OpenBLAS starts one worker per core when the library loads, and the workers
//   spin (sched_yield) for about 0.1 s before they sleep, on the cores metarec's own threads need:
//   a one-thread KNN evaluation on ML-100K spent 0.14 s of system time on it, against 0.03 s with
//   OPENBLAS_NUM_THREADS=1. So metarec starts OpenBLAS with one thread unless the variable is set;
//   the few large products that gain from BLAS threads (EASE's inverse) raise the count for
//   themselves (ScopedBlasThreads), and OpenBLAS adds workers on demand.
void prepare_process(char** argv) {
  bool changed = false;
  const char* opt = std::getenv("METAREC_THP");
  if (opt == nullptr || std::string(opt) != "0") {
    const char* tun = std::getenv("GLIBC_TUNABLES");
    std::string tunables = tun != nullptr ? tun : "";
    if (tunables.find("glibc.malloc.hugetlb") == std::string::npos) {
      tunables += (tunables.empty() ? "" : ":") + std::string("glibc.malloc.hugetlb=1");
      changed |= setenv("GLIBC_TUNABLES", tunables.c_str(), 1) == 0;
    }
  }
  if (std::getenv("OPENBLAS_NUM_THREADS") == nullptr)
    changed |= setenv("OPENBLAS_NUM_THREADS", "1", 1) == 0;
  if (!changed) return;
  // Through the real path, so the process keeps its name ("exe" otherwise, in ps and top).
  char self[4096];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n <= 0) return;
  self[n] = '\0';
  execv(self, argv);  // returns only on failure: carry on with the settings of this process
}

}  // namespace

int main(int argc, char** argv) {
  using namespace metarec;
  prepare_process(argv);
  CLI::App app{"metarec: which recommendation algorithm should this dataset use? (v" METAREC_VERSION ")",
               "metarec"};
  app.require_subcommand(1);
  app.set_version_flag("--version", METAREC_VERSION);
  cli::Globals g;
  cli::register_algorithms(app, g);
  cli::register_info(app, g);
  cli::register_split(app, g);
  cli::register_fit(app, g);
  cli::register_evaluate(app, g);
  cli::register_recommend(app, g);
  cli::register_compare(app, g);
  cli::register_benchmark(app, g);
  cli::register_report(app, g);
  cli::register_features(app, g);
  cli::register_embed(app, g);
  cli::register_meta(app, g);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  } catch (const InvalidArgument& e) {
    std::cerr << "metarec: " << e.what() << "\n";
    return 2;
  } catch (const Error& e) {
    std::cerr << "metarec: " << e.what() << "\n";
    return 1;
  } catch (const std::bad_alloc&) {
    std::cerr << "metarec: out of memory\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "metarec: internal error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
