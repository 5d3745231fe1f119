// prepare_process(): the THP malloc tunable and OpenBLAS's thread count, then one re-exec.
#include <metarec/core/process.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace metarec {

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

}  // namespace metarec
