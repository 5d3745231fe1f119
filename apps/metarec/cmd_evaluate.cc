// `metarec evaluate ALGO DATA`: cross-validated (or single-split) metrics of one algorithm, and
// `metarec compare DATA`: several algorithms side by side.
#include <metarec/algorithms/catalog.h>
#include <metarec/core/error.h>
#include <metarec/core/strings.h>
#include <metarec/data/ncf.h>
#include <metarec/eval/experiment.h>

#include <iostream>
#include <optional>
#include <sstream>

#include "cli.h"

namespace metarec::cli {

namespace {

// The split of a run for the header: the first fold's spec names fold=0, which misleads when
// every fold ran ("5 folds of kfold:folds=5,seed=42", not "...,fold=0,...").
std::string split_of_run(const ExperimentResult& r) {
  std::string s = r.folds.front().split;
  if (r.folds.size() < 2) return s;
  const auto at = s.find("fold=");
  if (at == std::string::npos || (at > 0 && s[at - 1] != ',' && s[at - 1] != ':')) return s;
  auto end = s.find(',', at);
  return end == std::string::npos ? s.substr(0, at > 0 ? at - 1 : 0) : s.erase(at, end - at + 1);
}

struct EvalArgs {
  std::string split = "kfold:folds=5";
  std::string metrics;
  std::string ks = "10";
  std::string protocol = "full";
  int negatives = 99;
  std::string negative_mode = "uniform";
  std::string negatives_file;
  double relevant_min = std::numeric_limits<double>::quiet_NaN();
  int explain_neighbors = 10;
  double explain_threshold = 0;
};

void add_eval_options(CLI::App* cmd, EvalArgs& a) {
  cmd->add_option("--split", a.split,
                  "kfold:folds=5 runs every fold (cross-validation); any other split runs once: "
                  "random:test=0.2, user_random, leave_last:k=1, user_temporal, time_cutoff, "
                  "given (with DATA as NAME:SPLIT, e.g. ml-100k:u1), "
                  "strong:users=600,fold_in=0.8 (held-out users scored by fold-in)")
      ->capture_default_str();
  cmd->add_option("--metrics", a.metrics,
                  "Comma-separated: rmse,mae,precision,precision_capped,recall,recall_capped,hr,"
                  "ndcg,map,mrr,auc,topk_acc,topk_acc_all,coverage,diversity,novelty,gini,mep,mer "
                  "(default: chosen from the data and model; mep/mer: the share of the list, and "
                  "of the user's explainable items, that the user's nearest neighbours rated)");
  cmd->add_option("-k,--ks", a.ks, "Cut-offs, comma-separated")->capture_default_str();
  cmd->add_option("--protocol", a.protocol,
                  "full: rank all items but the user's training items; "
                  "sampled: each test item against N sampled negatives")
      ->check(CLI::IsMember({"full", "sampled"}))
      ->capture_default_str();
  cmd->add_option("--negatives", a.negatives, "Sampled protocol: negatives per test item")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--negative-sampling", a.negative_mode, "uniform or popularity")
      ->check(CLI::IsMember({"uniform", "popularity"}))
      ->capture_default_str();
  cmd->add_option("--negatives-file", a.negatives_file,
                  "Sampled protocol: read the negatives from an NCF .test.negative file");
  cmd->add_option("--relevant-min", a.relevant_min,
                  "Ranking metrics count only test items rated at least this (default: all)");
  cmd->add_option("--explain-neighbors", a.explain_neighbors,
                  "mep/mer: nearest users (cosine) whose training items count as explainable")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--explain-threshold", a.explain_threshold,
                  "mep/mer: an item is explainable when more than this share of the neighbours "
                  "rated it")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
}

ExperimentSpec make_spec(const EvalArgs& a, const Globals& g, const LoadedDataset& d,
                         std::vector<SampledCase>& cases) {
  ExperimentSpec s;
  s.split = a.split;
  if (!d.parts.empty() && a.split == "kfold:folds=5") s.split = "given";
  s.seed = g.seed;
  s.threads = g.threads;
  s.eval.metrics = split_list(a.metrics);
  s.eval.ks.clear();
  for (const auto& k : split_list(a.ks)) {
    try {
      s.eval.ks.push_back(std::stoi(k));
    } catch (const std::exception&) {
      METAREC_THROW(InvalidArgument, "-k: \"", k, "\" is not an integer");
    }
  }
  s.eval.protocol = a.protocol;
  s.eval.negatives = a.negatives;
  s.eval.negative_mode =
      a.negative_mode == "popularity" ? NegativeMode::kPopularity : NegativeMode::kUniform;
  s.eval.relevance_threshold = static_cast<float>(a.relevant_min);
  s.eval.explain_neighbors = a.explain_neighbors;
  s.eval.explain_threshold = static_cast<float>(a.explain_threshold);
  if (!a.negatives_file.empty()) {
    METAREC_CHECK(a.protocol == "sampled", "--negatives-file needs --protocol sampled");
    cases = read_ncf_negatives(a.negatives_file, d.data.user_ids(), d.data.item_ids());
    s.eval.given_cases = &cases;
  }
  return s;
}

// A given split is fitted and evaluated from its train and test parts alone, so they are made
// first and the full data is released: `evaluate funk_mf` on a 9.7M-rating given split peaked at
// 643 MB before, 568 MB after. Empty when the experiment's split is not the dataset's given one.
std::optional<Split> release_into_given_split(LoadedDataset& d, const ExperimentSpec& s,
                                              std::string& name) {
  if (d.parts.empty()) return std::nullopt;
  SplitSpec ss = SplitSpec::parse(s.split);
  if (ss.method != "given") return std::nullopt;
  if (s.split.find("seed=") == std::string::npos) ss.seed = s.seed;
  std::optional<Split> sp = make_split(d.data, ss, &d.parts);
  name = ss.to_string();
  d.data = Interactions();
  std::vector<uint8_t>().swap(d.parts);
  return sp;
}

nlohmann::json result_json(const ExperimentResult& r) {
  nlohmann::json folds = nlohmann::json::array();
  for (const auto& f : r.folds) {
    nlohmann::json m;
    for (const auto& [k, v] : f.eval.metrics) m[k] = v;
    folds.push_back({{"split", f.split},
                     {"train", f.train_nnz},
                     {"test", f.test_nnz},
                     {"fit_seconds", f.fit_seconds},
                     {"eval_seconds", f.eval.seconds},
                     {"metrics", m}});
  }
  nlohmann::json mean, sd;
  for (const auto& [k, v] : r.mean) mean[k] = v;
  for (const auto& [k, v] : r.stddev) sd[k] = v;
  return {{"algorithm", r.algorithm},
          {"params", r.params},
          {"protocol", r.protocol},
          {"mean", mean},
          {"stddev", sd},
          {"fit_seconds", r.fit_seconds},
          {"eval_seconds", r.eval_seconds},
          {"folds", folds}};
}

}  // namespace

void register_evaluate(CLI::App& app, Globals& g) {
  auto* cmd =
      app.add_subcommand("evaluate", "Evaluate an algorithm on a dataset (5-fold CV by default)");
  static std::string algo, spec;
  static std::vector<std::string> params;
  static EvalArgs args;
  cmd->add_option("algorithm", algo, "Algorithm (see `metarec algorithms`)")->required();
  cmd->add_option("data", spec, "Dataset (see `metarec info`)")->required();
  cmd->add_option("-p,--param", params, "Parameter key=value (repeatable)");
  add_eval_options(cmd, args);
  add_data_options(cmd, g);
  add_run_options(cmd, g);
  cmd->callback([&g] {
    make_recommender(algo, params);  // validate the parameters before loading data
    LoadedDataset d = load(spec, g);
    std::vector<SampledCase> cases;
    ExperimentSpec s = make_spec(args, g, d, cases);
    Progress bar("evaluate " + algo, !g.quiet);
    s.progress = bar.callback();
    std::string split_name;
    const std::optional<Split> given = release_into_given_split(d, s, split_name);
    ExperimentResult r =
        given ? run_experiment(algo, params, *given, split_name, s)
              : run_experiment(algo, params, d.data, s, d.parts.empty() ? nullptr : &d.parts);
    bar.done();
    if (g.json) {
      nlohmann::json j = result_json(r);
      j["dataset"] = d.spec;
      return print_json(j);
    }
    std::cout << algo << " (" << (r.params.empty() ? "no parameters" : r.params) << ") on "
              << d.spec << ", " << r.folds.size() << (r.folds.size() > 1 ? " folds of " : " split ")
              << split_of_run(r) << ", protocol " << r.protocol << "\n\n";
    std::vector<std::string> header = {"metric"};
    if (r.folds.size() > 1)
      for (size_t f = 0; f < r.folds.size(); ++f) header.push_back("fold " + std::to_string(f + 1));
    header.push_back("mean");
    if (r.folds.size() > 1) header.push_back("std");
    Table t(header);
    for (size_t m = 0; m < r.mean.size(); ++m) {
      std::vector<std::string> row = {r.mean[m].first};
      if (r.folds.size() > 1)
        for (const auto& f : r.folds) row.push_back(fmt(f.eval.metrics[m].second));
      row.push_back(fmt(r.mean[m].second));
      if (r.folds.size() > 1) row.push_back(fmt(r.stddev[m].second));
      t.add(row);
    }
    std::vector<std::string> fit = {"fit seconds"};
    if (r.folds.size() > 1)
      for (const auto& f : r.folds) fit.push_back(fmt(f.fit_seconds, 3));
    fit.push_back(fmt(r.fit_seconds / static_cast<double>(r.folds.size()), 3));
    t.add(fit);
    std::cout << t.str();
  });
}

void register_compare(CLI::App& app, Globals& g) {
  auto* cmd =
      app.add_subcommand("compare", "Evaluate several algorithms on one dataset, side by side");
  static std::string spec = "synthetic";
  static std::string algos;
  static EvalArgs args;
  cmd->add_option("data", spec, "Dataset (default: the built-in synthetic data)")
      ->capture_default_str();
  cmd->add_option(
      "-a,--algorithms", algos,
      "Comma-separated algorithms (default: every trivial or cheap one that fits the data)");
  add_eval_options(cmd, args);
  add_data_options(cmd, g);
  add_run_options(cmd, g);
  cmd->callback([&g] {
    std::vector<std::string> names = split_list(algos);
    for (const auto& n : names) find_algorithm(n);
    LoadedDataset d = load(spec, g);
    if (names.empty()) {
      // Default: every trivial or cheap algorithm that accepts the data's feedback, so the
      // main job stays a quick look; name others with -a.
      for (const auto& a : catalog()) {
        const bool ok = d.data.feedback() == Feedback::kExplicit ? a.card.explicit_feedback
                                                                 : a.card.implicit_feedback;
        if (ok && (a.card.cost == "trivial" || a.card.cost == "cheap")) names.push_back(a.name);
      }
    }
    std::vector<SampledCase> cases;
    ExperimentSpec s = make_spec(args, g, d, cases);
    std::ostringstream about;  // said after the table, of the data as loaded
    about << d.spec << ": " << human_count(d.data.num_users()) << " users, "
          << human_count(d.data.num_items()) << " items, " << human_count(d.data.nnz()) << " "
          << to_string(d.data.feedback()) << " interactions; ";
    // One given split serves every algorithm.
    std::string split_name;
    const std::optional<Split> given = release_into_given_split(d, s, split_name);
    std::vector<ExperimentResult> results;
    for (size_t q = 0; q < names.size(); ++q) {
      Progress bar(
          "[" + std::to_string(q + 1) + "/" + std::to_string(names.size()) + "] " + names[q],
          !g.json);
      s.progress = bar.callback();
      results.push_back(
          given ? run_experiment(names[q], {}, *given, split_name, s)
                : run_experiment(names[q], {}, d.data, s, d.parts.empty() ? nullptr : &d.parts));
    }
    if (g.json) {
      nlohmann::json j = nlohmann::json::array();
      for (const auto& r : results) j.push_back(result_json(r));
      return print_json({{"dataset", d.spec}, {"results", j}});
    }
    // Union of metric names in first-seen order (rating metrics only exist for some models).
    std::vector<std::string> metric_names;
    for (const auto& r : results)
      for (const auto& [k, v] : r.mean)
        if (std::find(metric_names.begin(), metric_names.end(), k) == metric_names.end())
          metric_names.push_back(k);
    std::vector<std::string> header = {"algorithm"};
    header.insert(header.end(), metric_names.begin(), metric_names.end());
    header.push_back("fit s");
    Table t(header);
    for (const auto& r : results) {
      std::vector<std::string> row = {r.algorithm};
      for (const auto& m : metric_names) {
        std::string cell = "-";
        for (const auto& [k, v] : r.mean)
          if (k == m) cell = fmt(v);
        row.push_back(cell);
      }
      row.push_back(fmt(r.fit_seconds / static_cast<double>(r.folds.size()), 3));
      t.add(row);
    }
    std::cout << about.str() << results.front().folds.size() << " fold(s) of "
              << split_of_run(results.front()) << ", protocol " << results.front().protocol
              << "\n\n"
              << t.str();
  });
}

}  // namespace metarec::cli
