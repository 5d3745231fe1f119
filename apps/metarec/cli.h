// Shared pieces of the metarec command-line tool: global options, dataset loading with a
// progress line, table and JSON output, the progress bar.
#pragma once

#include <metarec/data/dataset.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace metarec::cli {

/// Options every subcommand shares.
struct Globals {
  std::string data_root;
  bool json = false;
  int threads = 0;
  uint64_t seed = 42;
  bool skip_bad_lines = false;
  std::string duplicates;
  std::string feedback;
  bool quiet = false;
};

/// Adds --data-root, --skip-bad-lines, --duplicates, --feedback to a subcommand that loads data.
void add_data_options(CLI::App* cmd, Globals& g);
/// Adds --json, --threads, --seed.
void add_run_options(CLI::App* cmd, Globals& g);

/// Loads a dataset, reporting skipped lines and merged duplicates on stderr.
LoadedDataset load(const std::string& spec, const Globals& g);

/// A progress bar on stderr, drawn only when stderr is a terminal and the work takes over a
/// second. Thread-safe update().
class Progress {
 public:
  explicit Progress(std::string label, bool enabled = true);
  ~Progress();
  void update(double fraction, const std::string& message = "");
  std::function<void(double, const std::string&)> callback();
  void done();

 private:
  std::string label_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_, last_;
};

/// A plain-text table with right-aligned numbers.
class Table {
 public:
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  std::string str() const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

std::string fmt(double x, int precision = 4);
std::string human_count(int64_t n);
void print_json(const nlohmann::json& j);

// Subcommands (one file each).
void register_algorithms(CLI::App& app, Globals& g);
void register_info(CLI::App& app, Globals& g);
void register_split(CLI::App& app, Globals& g);
void register_fit(CLI::App& app, Globals& g);
void register_evaluate(CLI::App& app, Globals& g);
void register_recommend(CLI::App& app, Globals& g);
void register_compare(CLI::App& app, Globals& g);
void register_benchmark(CLI::App& app, Globals& g);
void register_report(CLI::App& app, Globals& g);
void register_features(CLI::App& app, Globals& g);
void register_embed(CLI::App& app, Globals& g);
void register_meta(CLI::App& app, Globals& g);

}  // namespace metarec::cli
