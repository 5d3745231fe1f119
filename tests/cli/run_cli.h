// Runs the metarec binary (METAREC_CLI) in the tests and captures its output and exit code.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace metarec::testing {

struct CliRun {
  int code;         ///< exit status, -1 when the process did not exit normally
  std::string out;  ///< stdout, and stderr too when it was merged
};

/// `metarec ARGS` through the shell; with `merge_stderr` false, stderr is discarded so that JSON
/// on stdout parses cleanly.
inline CliRun run_cli(const std::string& args, bool merge_stderr = true) {
  const std::string cmd =
      std::string(METAREC_CLI) + " " + args + (merge_stderr ? " 2>&1" : " 2>/dev/null");
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return {-1, ""};
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  const int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

}  // namespace metarec::testing
