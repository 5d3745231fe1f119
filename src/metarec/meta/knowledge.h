// What the selector learns from: per dataset of the knowledge base, its meta-features, its family
// and each algorithm's score, read from the two committed CSV exports (per-job results and
// per-dataset meta-features) so that a fresh clone can train without the datasets themselves.
#pragma once

#include <string>
#include <vector>

namespace metarec {

struct KnowledgeDataset {
  std::string name;              ///< dataset spec or derived recipe
  std::string family;            ///< the real dataset it comes from (text before the first '|')
  std::vector<double> features;  ///< in Knowledge::feature_names order
  /// Per algorithm (Knowledge::algorithms order): mean metric over successful seeds; NaN when
  /// every job failed or the algorithm is incompatible with the data.
  std::vector<double> scores;
  /// Per algorithm: the algorithm was compatible (ran, even if it failed).
  std::vector<bool> eligible;
};

struct Knowledge {
  std::string metric;
  bool lower_is_better = false;
  std::vector<std::string> feature_names, algorithms;
  std::vector<KnowledgeDataset> datasets;

  /// Index of the best algorithm on dataset d (-1 when none succeeded).
  int best(size_t d) const;
  /// Normalized distance of algorithm a from the best on dataset d: |best - s| / |best - worst|
  /// over the successful ones; 1 for a failed (eligible) algorithm; NaN when not eligible.
  double distance(size_t d, int a) const;
  /// Index of each family's datasets.
  std::vector<std::pair<std::string, std::vector<size_t>>> families() const;
  /// Per dataset (all of them, 0 outside `train`): 1 / the number of `train` datasets of its
  /// family, so that every family weighs the same when the selectors learn, as in their
  /// evaluation and as for a dataset of an unseen family.
  std::vector<double> family_weights(const std::vector<size_t>& train) const;
};

/// A CSV file (RFC 4180 quoting, one record per line) as a header and rows. Throws FormatError
/// naming the file and line for a row whose field count differs from the header's.
struct CsvTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<long> lines;                    ///< file line of each row
  int column(const std::string& name) const;  ///< -1 when absent
};
CsvTable read_csv(const std::string& path);

/// Joins per-job `results_csv` (metarec report --export) with per-dataset `features_csv`
/// (metarec report --dataset-features: dataset, then one column per feature), scoring by `metric`.
/// Datasets without features or without any successful job are left out.
Knowledge load_knowledge(const std::string& results_csv, const std::string& features_csv,
                         const std::string& metric = "ndcg@10");

}  // namespace metarec
