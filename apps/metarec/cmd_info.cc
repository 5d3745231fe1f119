// `metarec info DATA`: what a dataset holds, and the built-in datasets when DATA is omitted.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>

#include "cli.h"

namespace metarec::cli {

namespace {

nlohmann::json stats(const LoadedDataset& d) {
  const Interactions& x = d.data;
  const double density =
      static_cast<double>(x.nnz()) / (static_cast<double>(x.num_users()) * x.num_items());
  std::vector<int64_t> uc(static_cast<size_t>(x.num_users())),
      ic(static_cast<size_t>(x.num_items()));
  for (int32_t u = 0; u < x.num_users(); ++u) uc[u] = x.user_count(u);
  for (int32_t i = 0; i < x.num_items(); ++i) ic[i] = x.item_count(i);
  auto median = [](std::vector<int64_t> v) {
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
    return v[v.size() / 2];
  };
  nlohmann::json j = {
      {"dataset", d.spec},
      {"users", x.num_users()},
      {"items", x.num_items()},
      {"interactions", x.nnz()},
      {"density", density},
      {"feedback", to_string(x.feedback())},
      {"value_min", x.scale_min()},
      {"value_max", x.scale_max()},
      {"mean_value", x.global_mean()},
      {"timestamps", x.has_timestamps()},
      {"median_per_user", median(uc)},
      {"max_per_user", *std::max_element(uc.begin(), uc.end())},
      {"median_per_item", median(ic)},
      {"max_per_item", *std::max_element(ic.begin(), ic.end())},
      {"input_rows", d.build.input_rows},
      {"duplicate_rows_merged", d.build.duplicate_rows},
      {"duplicate_policy", to_string(d.build.policy)},
      {"bad_lines_skipped", d.load.skipped},
  };
  if (x.has_timestamps()) {
    auto t = x.entry_times();
    auto [lo, hi] = std::minmax_element(t.begin(), t.end());
    j["time_span_days"] = static_cast<double>(*hi - *lo) / 86400.0;
  }
  if (const ItemMeta* m = x.item_meta()) {
    int64_t with_title = 0, with_genres = 0, with_text = 0;
    for (const auto& s : m->titles) with_title += !s.empty();
    for (const auto& g : m->genres) with_genres += !g.empty();
    for (const auto& s : m->texts) with_text += !s.empty();
    j["item_meta"] = {{"titles", with_title},
                      {"with_genres", with_genres},
                      {"genres", m->genre_names.size()},
                      {"with_text", with_text},
                      {"unmatched_rows", m->unmatched_rows}};
  }
  if (const UserMeta* m = x.user_meta()) j["user_attributes"] = m->attribute_names;
  return j;
}

}  // namespace

void register_info(CLI::App& app, Globals& g) {
  auto* cmd =
      app.add_subcommand("info", "Statistics of a dataset (no DATA: list the built-in datasets)");
  static std::string spec;
  cmd->add_option("data", spec,
                  "A built-in dataset name (ml-100k), NAME:SPLIT, a card .json, a delimited file, "
                  "or synthetic:key=value,...");
  add_data_options(cmd, g);
  cmd->add_flag("--json", g.json, "Print JSON");
  cmd->callback([&g] {
    if (spec.empty()) {
      const std::string root = g.data_root.empty() ? default_data_root() : g.data_root;
      if (g.json) {
        nlohmann::json j = nlohmann::json::array();
        for (const auto& c : builtin_cards())
          j.push_back({{"name", c.name},
                       {"title", c.json.value("title", "")},
                       {"splits", c.split_names()}});
        return print_json(j);
      }
      Table t({"dataset", "title", "given splits", "present"});
      for (const auto& c : builtin_cards()) {
        std::string splits;
        for (const auto& s : c.split_names()) splits += (splits.empty() ? "" : " ") + s;
        const auto& p = c.json["interactions"]["path"];
        const std::string first = p.is_string() ? p.get<std::string>() : p.at(0).get<std::string>();
        const bool present = std::filesystem::exists(std::filesystem::path(root) / first);
        t.add({c.name, c.json.value("title", ""), splits.empty() ? "-" : splits,
               present ? "yes" : "no"});
      }
      std::cout
          << t.str() << "\nData root: " << root
          << "\nAlso: synthetic:users=6000,items=4000,... (built in), or any delimited file.\n";
      return;
    }
    LoadedDataset d = load(spec, g);
    nlohmann::json j = stats(d);
    if (g.json) return print_json(j);
    Table t({"statistic", "value"});
    auto text = [](const std::string& key, const nlohmann::json& v) -> std::string {
      if (v.is_number_float()) return fmt(v.get<double>(), key == "density" ? 6 : 3);
      if (v.is_number_integer()) return human_count(v.get<int64_t>());
      if (v.is_string()) return v.get<std::string>();
      if (v.is_array()) {
        std::string s;
        for (const auto& x : v)
          s += (s.empty() ? "" : ", ") + (x.is_string() ? x.get<std::string>() : x.dump());
        return s;
      }
      return v.dump();
    };
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (it->is_object()) {
        for (auto sub = it->begin(); sub != it->end(); ++sub)
          t.add({it.key() + "." + sub.key(), text(sub.key(), sub.value())});
      } else {
        t.add({it.key(), text(it.key(), it.value())});
      }
    }
    std::cout << t.str();
  });
}

}  // namespace metarec::cli
