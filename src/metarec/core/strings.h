// Small string helpers shared by the command line, experiment files and job specs.
#pragma once

#include <sstream>
#include <string>
#include <vector>

namespace metarec {

/// The non-empty pieces of `s` between separators: split_list("a,,b,") == {"a", "b"}.
inline std::vector<std::string> split_list(const std::string& s, char sep = ',') {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string x; std::getline(ss, x, sep);)
    if (!x.empty()) out.push_back(x);
  return out;
}

}  // namespace metarec
