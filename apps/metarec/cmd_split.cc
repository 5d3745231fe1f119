// `metarec split DATA --split SPEC -o DIR`: write train.tsv and test.tsv with external ids (and
// fold_in.tsv for a strong-generalization split).
#include <metarec/core/atomic_file.h>
#include <metarec/data/split.h>

#include <filesystem>
#include <iostream>
#include <sstream>

#include "cli.h"

namespace metarec::cli {

namespace {
std::string to_tsv(const Interactions& x) {
  std::ostringstream os;
  os << "user\titem\tvalue" << (x.has_timestamps() ? "\ttime" : "") << "\n";
  auto users = x.entry_users();
  auto items = x.entry_items();
  auto vals = x.entry_values();
  for (int64_t e = 0; e < x.nnz(); ++e) {
    os << x.user_ids().external(users[e]) << '\t' << x.item_ids().external(items[e]) << '\t'
       << vals[e];
    if (x.has_timestamps()) os << '\t' << x.entry_times()[e];
    os << '\n';
  }
  return os.str();
}
}  // namespace

void register_split(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("split", "Split a dataset into train and test files");
  static std::string spec, split = "random:test=0.2", out;
  cmd->add_option("data", spec, "Dataset (see `metarec info`)")->required();
  cmd->add_option("--split", split,
                  "random|user_random|leave_last|user_temporal|time_cutoff|kfold|given|strong"
                  "[:opts], e.g. leave_last:k=1, kfold:folds=5,fold=0 or "
                  "strong:users=600,fold_in=0.8 (opts: test, k, quantile, folds, fold, seed, "
                  "unseen=drop|keep, min_user, users, fold_in)")
      ->capture_default_str();
  cmd->add_option("-o,--out", out,
                  "Folder for train.tsv and test.tsv, and fold_in.tsv for a strong split (omit "
                  "to only print counts)");
  add_data_options(cmd, g);
  add_run_options(cmd, g);
  cmd->callback([&g] {
    LoadedDataset d = load(spec, g);
    SplitSpec s = SplitSpec::parse(split);
    if (split.find("seed=") == std::string::npos) s.seed = g.seed;
    Split sp = make_split(d.data, s, d.parts.empty() ? nullptr : &d.parts);
    if (!out.empty()) {
      std::filesystem::create_directories(out);
      write_file_atomic((std::filesystem::path(out) / "train.tsv").string(), to_tsv(sp.train));
      write_file_atomic((std::filesystem::path(out) / "test.tsv").string(), to_tsv(sp.test));
      if (sp.has_fold_in())
        write_file_atomic((std::filesystem::path(out) / "fold_in.tsv").string(),
                          to_tsv(sp.fold_in));
    }
    nlohmann::json j = {{"split", sp.description},
                        {"train", sp.train.nnz()},
                        {"test", sp.test.nnz()},
                        {"dropped_unseen_users", sp.dropped_unseen_users},
                        {"dropped_unseen_items", sp.dropped_unseen_items},
                        {"kept_unseen", sp.kept_unseen}};
    if (sp.has_fold_in()) j["fold_in"] = sp.fold_in.nnz();
    if (!out.empty()) j["out"] = out;
    if (g.json) return print_json(j);
    Table t({"split", "train", "test", "dropped (unseen user)", "dropped (unseen item)",
             "kept unseen"});
    t.add({sp.description, human_count(sp.train.nnz()), human_count(sp.test.nnz()),
           human_count(sp.dropped_unseen_users), human_count(sp.dropped_unseen_items),
           human_count(sp.kept_unseen)});
    std::cout << t.str();
    if (sp.has_fold_in())
      std::cout << "Fold-in (held-out users' input): " << human_count(sp.fold_in.nnz()) << "\n";
    if (!out.empty())
      std::cout << "Wrote " << out << "/train.tsv" << (sp.has_fold_in() ? ", fold_in.tsv" : "")
                << " and " << out << "/test.tsv\n";
  });
}

}  // namespace metarec::cli
