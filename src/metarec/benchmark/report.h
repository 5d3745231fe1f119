// Reports from the knowledge base: leaderboards per dataset and overall, the compact CSV export
// the selector trains from, and a self-contained HTML page with charts drawn by gnuplot.
//
// Scoring rules (docs/benchmark.md):
// - A (dataset, algorithm) cell is the mean of the metric over the seeds whose job succeeded.
// - Ranks are per dataset, 1 = best, ties share the mean of their ranks. An algorithm whose jobs
//   on a dataset all failed (timeout, out_of_memory, crashed, failed) is ranked last there; one
//   that cannot train on the dataset's feedback ("incompatible") is left out of that dataset.
// - Normalized distance from the best on a dataset: |best - score| / |best - worst| in [0, 1]
//   (0 when all scores tie); failed cells count 1.
#pragma once

#include <metarec/benchmark/store.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace metarec {

struct LeaderboardCell {
  std::string dataset, algorithm;
  double mean = 0, stddev = 0;  ///< of the metric over successful seeds (NaN when none)
  int runs = 0, failures = 0;   ///< successful and failed jobs
  double rank = 0;              ///< within the dataset, 1 = best (ties share their mean rank)
  bool first = false;           ///< best on the dataset, alone or tied
  double distance = 0;          ///< normalized distance from the dataset's best
  double fit_seconds = 0;       ///< mean over successful jobs
};

struct OverallRow {
  std::string algorithm;
  int datasets = 0;  ///< datasets where it was ranked
  int wins = 0;      ///< datasets where it ranked first (shared firsts count)
  double mean_rank = 0, mean_distance = 0, mean_fit_seconds = 0;
  int failures = 0;  ///< (dataset, algorithm) cells where every job failed
};

struct Report {
  std::string metric;
  bool lower_is_better = false;
  std::vector<std::string> datasets;   ///< in first-recorded order
  std::vector<LeaderboardCell> cells;  ///< grouped by dataset, best first
  std::vector<OverallRow> overall;     ///< best mean rank first
  /// The same over the datasets that are not derived (names without '|').
  std::vector<OverallRow> overall_real;

  nlohmann::json to_json() const;
  /// Cells of one dataset, best first.
  std::vector<const LeaderboardCell*> dataset_cells(const std::string& dataset) const;
};

/// Builds the leaderboards for `metric` (e.g. "ndcg@10", "rmse").
Report build_report(const std::vector<JobRecord>& jobs, const std::string& metric);

/// One CSV row per job: dataset meta-information, algorithm, parameters, status, times and one
/// column per metric seen (empty when absent). RFC 4180 quoting. Jobs that were "incompatible"
/// (the algorithm cannot train on the data's feedback) are left out: they hold no result, and a
/// missing (dataset, algorithm) pair reads the same.
std::string export_csv(const std::vector<JobRecord>& jobs);

/// Writes leaderboard.csv, overall.csv, report.json and report.html into `dir` (created), and the
/// charts' gnuplot scripts and data into dir/charts. Charts
/// need gnuplot on the PATH; without it the page holds the tables and says charts were skipped.
/// Returns the paths written.
std::vector<std::string> write_report(const Report& report, const std::vector<JobRecord>& jobs,
                                      const std::string& dir);

}  // namespace metarec
