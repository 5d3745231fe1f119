// `metarec report`: leaderboards from the knowledge base, the compact CSV export, and the HTML
// report with charts.
#include <metarec/benchmark/job.h>
#include <metarec/benchmark/report.h>
#include <metarec/core/atomic_file.h>
#include <metarec/core/error.h>
#include <metarec/meta/features.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include "cli.h"

namespace metarec::cli {

namespace {

void print_overall(const std::string& title, const std::vector<OverallRow>& rows) {
  std::cout << title << "\n";
  Table t({"algorithm", "mean rank", "wins", "distance", "datasets", "all failed", "fit s"});
  for (const auto& r : rows)
    t.add({r.algorithm, fmt(r.mean_rank, 2), std::to_string(r.wins), fmt(r.mean_distance, 3),
           std::to_string(r.datasets), std::to_string(r.failures), fmt(r.mean_fit_seconds, 3)});
  std::cout << t.str() << "\n";
}

// Meta-features of every distinct dataset of `jobs`, one CSV row each, loading each base
// dataset once (datasets are visited grouped by base).
void write_dataset_features(const std::vector<JobRecord>& jobs, const std::string& path,
                            const std::string& data_root, const Globals& g) {
  std::vector<std::string> names;
  std::set<std::string> seen;
  for (const auto& j : jobs)
    if (seen.insert(j.dataset).second) names.push_back(j.dataset);
  std::stable_sort(names.begin(), names.end(), [](const std::string& a, const std::string& b) {
    return a.substr(0, a.find('|')) < b.substr(0, b.find('|'));
  });
  LoadOptions lo;
  lo.data_root = data_root;
  DatasetCache cache(lo);
  std::ostringstream os;
  os << "dataset";
  for (const auto& f : meta_feature_schema()) os << ',' << f.name;
  os << '\n';
  Progress bar("meta-features", !g.quiet);
  MetaFeatureOptions mo;
  mo.threads = g.threads;
  int64_t done = 0, failed = 0;
  for (const auto& n : names) {
    bar.update(static_cast<double>(done) / static_cast<double>(names.size()), n);
    ++done;
    std::vector<double> v;
    try {
      v = meta_features(cache.get(n).data, mo);
    } catch (const Error& e) {
      std::cerr << "metarec: skipping " << n << ": " << e.what() << "\n";
      ++failed;
      continue;
    }
    os << (n.find_first_of(",\"") == std::string::npos ? n : "\"" + n + "\"");
    char buf[32];
    for (double x : v) {
      std::snprintf(buf, sizeof buf, "%.9g", x);
      os << ',' << buf;
    }
    os << '\n';
  }
  bar.done();
  write_file_atomic(path, os.str());
  std::cerr << "Wrote the meta-features of " << done - failed << " datasets to " << path
            << (failed ? " (" + std::to_string(failed) + " skipped)" : std::string()) << "\n";
}

}  // namespace

void register_report(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand(
      "report", "Leaderboards, CSV/JSON export and an HTML report from the knowledge base");
  static std::string db = "metarec-kb.sqlite", metric = "ndcg@10", out, export_path, features_path,
                     data_root;
  static bool failures = false;
  cmd->add_option("--db", db, "Knowledge base")->capture_default_str();
  cmd->add_option("--metric", metric, "Metric to rank by (rmse and mae: lower is better)")
      ->capture_default_str();
  cmd->add_option("-o,--out", out,
                  "Folder for leaderboard.csv, overall.csv, report.json, report.html");
  cmd->add_option("--export", export_path,
                  "Write one CSV row per job (the selector's training data)");
  cmd->add_flag("--failures", failures, "List the jobs that did not succeed");
  cmd->add_option("--dataset-features", features_path,
                  "Write the meta-features of every dataset in the knowledge base as CSV (the "
                  "selector's other training file; needs the datasets)");
  cmd->add_option("--data-root", data_root, "Where dataset cards' files live");
  add_run_options(cmd, g);
  cmd->callback([&g] {
    if (!std::filesystem::exists(db)) METAREC_THROW(IoError, "no knowledge base at ", db);
    ResultStore store(db);
    const std::vector<JobRecord> jobs = store.jobs();
    if (!export_path.empty()) {
      const auto parent = std::filesystem::path(export_path).parent_path();
      if (!parent.empty()) std::filesystem::create_directories(parent);
      write_file_atomic(export_path, export_csv(jobs));
    }
    if (!features_path.empty()) write_dataset_features(jobs, features_path, data_root, g);
    if (failures) {
      nlohmann::json a = nlohmann::json::array();
      Table t({"dataset", "algorithm", "seed", "status", "error"});
      for (const auto& j : jobs) {
        if (j.status == "ok" || j.status == "incompatible") continue;
        a.push_back({{"dataset", j.dataset},
                     {"algorithm", j.algorithm},
                     {"seed", j.seed},
                     {"status", j.status},
                     {"error", j.error}});
        t.add({j.dataset, j.algorithm, std::to_string(j.seed), j.status, j.error.substr(0, 80)});
      }
      if (g.json) return print_json(a);
      std::cout << t.str();
      return;
    }
    const Report rep = build_report(jobs, metric);
    std::vector<std::string> written;
    if (!out.empty()) written = write_report(rep, jobs, out);
    if (g.json) {
      nlohmann::json j = rep.to_json();
      j["written"] = written;
      return print_json(j);
    }
    std::map<std::string, int> status;
    for (const auto& j : jobs) ++status[j.status];
    std::cout << jobs.size() << " jobs in " << db << " (";
    bool first = true;
    for (const auto& [s, n] : status)
      std::cout << (first ? "" : ", ") << n << " " << s, first = false;
    std::cout << "), " << rep.datasets.size() << " datasets, ranked by " << metric << "\n\n";
    print_overall("Overall (all datasets):", rep.overall);
    print_overall("Overall (real datasets):", rep.overall_real);
    Table top({"real dataset", "1st", "2nd", "3rd"});
    for (const auto& d : rep.datasets) {
      if (d.find('|') != std::string::npos) continue;
      std::vector<std::string> row{d};
      const auto cs = rep.dataset_cells(d);
      for (size_t k = 0; k < 3; ++k)
        row.push_back(
            k < cs.size() && cs[k]->runs > 0 ? cs[k]->algorithm + " " + fmt(cs[k]->mean, 4) : "");
      top.add(row);
    }
    std::cout << "Top 3 per real dataset:\n" << top.str();
    if (!export_path.empty()) std::cout << "Wrote " << export_path << "\n";
    for (const auto& w : written) std::cout << "Wrote " << w << "\n";
  });
}

}  // namespace metarec::cli
