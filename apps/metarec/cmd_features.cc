// `metarec features DATA`: the dataset's meta-features (docs/meta-features.md), as a table or JSON.
#include <metarec/core/error.h>
#include <metarec/meta/features.h>

#include <chrono>
#include <iostream>
#include <sstream>

#include "cli.h"

namespace metarec::cli {

namespace {

// Six significant digits: densities of 1e-5 and counts of 6040 both stay readable.
std::string general(double x) {
  std::ostringstream os;
  os.precision(6);
  os << x;
  return os.str();
}

}  // namespace

void register_features(CLI::App& app, Globals& g) {
  auto* cmd =
      app.add_subcommand("features", "The meta-features of a dataset (docs/meta-features.md)");
  static std::string spec;
  static bool no_landmarkers = false, schema_only = false;
  static MetaFeatureOptions opts;
  cmd->add_option("data", spec,
                  "A built-in dataset name (ml-1m), NAME:SPLIT, a card .json, a delimited file, or "
                  "synthetic:key=value,...");
  add_data_options(cmd, g);
  cmd->add_flag("--json", g.json, "Print JSON: {dataset, seconds, features: {name: value}}");
  cmd->add_flag("--no-landmarkers", no_landmarkers,
                "Skip the landmarker models (their features are then 0)");
  cmd->add_flag("--schema", schema_only,
                "Print every feature's name, family, unit and definition instead (no DATA)");
  cmd->add_option("--threads", opts.threads, "Threads for the landmarkers (0 = all cores)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--seed", opts.seed, "Seed of the landmarkers' subsample and holdout")
      ->capture_default_str();
  cmd->add_option("--landmark-users", opts.max_landmark_users,
                  "Users in the landmarkers' subsample at most")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->callback([&g] {
    const auto& schema = meta_feature_schema();
    if (schema_only) {
      if (g.json) {
        nlohmann::ordered_json j = nlohmann::ordered_json::array();
        for (const auto& f : schema)
          j.push_back({{"name", f.name},
                       {"family", f.family},
                       {"unit", f.unit},
                       {"definition", f.definition}});
        std::cout << j.dump(2) << "\n";
        return;
      }
      Table t({"feature", "family", "unit", "definition"});
      for (const auto& f : schema) t.add({f.name, f.family, f.unit, f.definition});
      std::cout << t.str();
      return;
    }
    if (spec.empty()) throw InvalidArgument("features: DATA is required (or --schema)");
    const LoadedDataset d = load(spec, g);
    opts.landmarkers = !no_landmarkers;
    const auto start = std::chrono::steady_clock::now();
    const std::vector<double> values = meta_features(d.data, opts);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (g.json) {
      nlohmann::ordered_json j = {{"dataset", spec}, {"seconds", seconds}};
      j["features"] = meta_features_json(values);
      std::cout << j.dump(2) << "\n";
      return;
    }
    Table t({"feature", "value", "unit", "family"});
    for (size_t k = 0; k < values.size(); ++k)
      t.add({schema[k].name, general(values[k]), schema[k].unit, schema[k].family});
    std::cout << t.str() << "\n"
              << values.size() << " meta-features of " << spec << " in " << fmt(seconds, 3)
              << " s (after loading)\n";
  });
}

}  // namespace metarec::cli
