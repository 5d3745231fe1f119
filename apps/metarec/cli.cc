// Shared CLI helpers.
#include "cli.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <iostream>
#include <sstream>

namespace metarec::cli {

void add_data_options(CLI::App* cmd, Globals& g) {
  cmd->add_option("--data-root", g.data_root,
                  "Folder that dataset cards' paths are relative to (default: $METAREC_DATA, "
                  "else ../shared/data beside the source tree)");
  cmd->add_flag("--skip-bad-lines", g.skip_bad_lines,
                "Skip malformed lines (counted and reported) instead of stopping at the first");
  cmd->add_option("--duplicates", g.duplicates,
                  "Policy for repeated (user, item) pairs: last, first, mean, sum, max, error")
      ->check(CLI::IsMember({"last", "first", "mean", "sum", "max", "error"}));
  cmd->add_option("--feedback", g.feedback, "Override the detected feedback type")
      ->check(CLI::IsMember({"explicit", "implicit"}));
}

void add_run_options(CLI::App* cmd, Globals& g) {
  cmd->add_flag("--json", g.json, "Print JSON instead of a table");
  cmd->add_option("--threads", g.threads, "Threads (0 = all cores)")->check(CLI::NonNegativeNumber);
  cmd->add_option("--seed", g.seed, "Random seed");
}

LoadedDataset load(const std::string& spec, const Globals& g) {
  LoadOptions o;
  o.data_root = g.data_root;
  o.skip_bad_lines = g.skip_bad_lines;
  o.duplicates = g.duplicates;
  o.feedback = g.feedback;
  LoadedDataset d = load_dataset(spec, o);
  if (d.load.skipped > 0) {
    std::cerr << "metarec: skipped " << d.load.skipped << " bad line(s) of " << d.load.lines
              << "; first:\n";
    for (const auto& e : d.load.first_errors) std::cerr << "  " << e << "\n";
  }
  if (d.build.duplicate_rows > 0 && !g.quiet) {
    std::cerr << "metarec: merged " << d.build.duplicate_rows << " duplicate row(s) in "
              << d.build.duplicate_pairs << " (user, item) pair(s) by policy '"
              << to_string(d.build.policy) << "'\n";
  }
  return d;
}

Progress::Progress(std::string label, bool enabled)
    : label_(std::move(label)),
      enabled_(enabled && ::isatty(STDERR_FILENO)),
      start_(std::chrono::steady_clock::now()),
      last_(start_) {}

Progress::~Progress() { done(); }

void Progress::update(double fraction, const std::string& message) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  if (elapsed < 1.0 || std::chrono::duration<double>(now - last_).count() < 0.1) return;
  last_ = now;
  fraction = std::clamp(fraction, 0.0, 1.0);
  const int width = 30;
  const int filled = static_cast<int>(fraction * width);
  std::string bar(static_cast<size_t>(filled), '#');
  bar.resize(width, '-');
  const double eta = fraction > 0 ? elapsed * (1 - fraction) / fraction : 0;
  std::fprintf(stderr, "\r%s [%s] %3.0f%% %5.1fs eta %5.1fs %s\033[K", label_.c_str(), bar.c_str(),
               fraction * 100, elapsed, eta, message.c_str());
  drawn_ = true;
}

std::function<void(double, const std::string&)> Progress::callback() {
  return [this](double f, const std::string& m) { update(f, m); };
}

void Progress::done() {
  if (drawn_) std::fprintf(stderr, "\r\033[K");
  drawn_ = false;
}

std::string Table::str() const {
  std::vector<size_t> w(header_.size(), 0);
  for (size_t c = 0; c < header_.size(); ++c) w[c] = header_[c].size();
  for (const auto& r : rows_)
    for (size_t c = 0; c < r.size() && c < w.size(); ++c) w[c] = std::max(w[c], r[c].size());
  auto numeric = [](const std::string& s) {
    return !s.empty() && s.find_first_not_of("0123456789.-+e%,x ") == std::string::npos;
  };
  std::ostringstream os;
  auto line = [&](const std::vector<std::string>& r) {
    for (size_t c = 0; c < w.size(); ++c) {
      const std::string cell = c < r.size() ? r[c] : "";
      const size_t pad = w[c] - cell.size();
      if (c) os << "  ";
      if (numeric(cell) && c > 0)
        os << std::string(pad, ' ') << cell;
      else
        os << cell << (c + 1 < w.size() ? std::string(pad, ' ') : "");
    }
    os << "\n";
  };
  line(header_);
  size_t total = 0;
  for (size_t c = 0; c < w.size(); ++c) total += w[c] + (c ? 2 : 0);
  os << std::string(total, '-') << "\n";
  for (const auto& r : rows_) line(r);
  return os.str();
}

std::string fmt(double x, int precision) {
  if (std::isnan(x)) return "nan";
  std::ostringstream os;
  os.setf(std::ios::fixed);
  os.precision(precision);
  os << x;
  return os.str();
}

std::string human_count(int64_t n) {
  std::string s = std::to_string(n);
  for (int i = static_cast<int>(s.size()) - 3; i > (n < 0 ? 1 : 0); i -= 3)
    s.insert(static_cast<size_t>(i), ",");
  return s;
}

void print_json(const nlohmann::json& j) { std::cout << j.dump(2) << "\n"; }

}  // namespace metarec::cli
