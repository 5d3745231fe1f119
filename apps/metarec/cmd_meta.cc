// The meta-recommender's commands: `metarec meta-train` (evaluate the selectors leave-one-family-
// out and save the trained one), `metarec select DATA` (rank the algorithms for a dataset) and
// `metarec auto DATA` (select, verify on a subsample, tune, train on everything, save).
#include <metarec/algorithms/catalog.h>
#include <metarec/benchmark/job.h>
#include <metarec/core/error.h>
#include <metarec/core/model_file.h>
#include <metarec/meta/embed.h>
#include <metarec/meta/features.h>
#include <metarec/meta/selectors.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <limits>
#include <map>
#include <sstream>

#include "cli.h"

namespace metarec::cli {

namespace {

using Clock = std::chrono::steady_clock;

// `s` cut to `n` characters at a comma, with ",..." when anything was left out, and "(none)" when
// empty (tables only; JSON keeps everything).
std::string abbreviate(const std::string& s, size_t n) {
  if (s.empty()) return "(none)";
  if (s.size() <= n) return s;
  const size_t cut = s.rfind(',', n - 4);
  return s.substr(0, cut == std::string::npos ? n - 4 : cut) + ",...";
}

std::string repo_path(const std::string& rel) {
  return (std::filesystem::path(METAREC_SOURCE_DIR) / rel).string();
}

// Whether `p` lies inside the source tree (after resolving `..` and symbolic links).
bool inside_source_tree(const std::string& p) {
  const auto root = std::filesystem::weakly_canonical(METAREC_SOURCE_DIR);
  const auto abs = std::filesystem::weakly_canonical(std::filesystem::absolute(p));
  const auto [r, a] = std::mismatch(root.begin(), root.end(), abs.begin(), abs.end());
  return r == root.end();
}

// How a selector names the knowledge it was trained from: relative to the source tree when the
// file is inside it (so a clone anywhere finds it), else absolute. A `../` path would resolve to
// a different file, or none, from a clone at another depth.
std::string stored_path(const std::string& p) {
  if (inside_source_tree(p))
    return std::filesystem::relative(
               std::filesystem::weakly_canonical(std::filesystem::absolute(p)),
               std::filesystem::weakly_canonical(METAREC_SOURCE_DIR))
        .string();
  return std::filesystem::weakly_canonical(std::filesystem::absolute(p)).string();
}

const char* kResults = "experiments/kb-v1-results.csv";
const char* kFeatures = "experiments/kb-v1-datasets.csv";
const char* kSelector = "experiments/kb-v1-selector.safetensors";

// The catalog embeddings of the knowledge's algorithms, in its order.
nn::Matrix embeddings_for(const std::vector<std::string>& algorithms) {
  HashedTfIdfEncoder enc;
  const auto all = embed_catalog(enc);
  nn::Matrix m(static_cast<Eigen::Index>(algorithms.size()), enc.dim());
  for (size_t a = 0; a < algorithms.size(); ++a) {
    auto it = std::find_if(all.begin(), all.end(),
                           [&](const auto& e) { return e.name == algorithms[a]; });
    if (it == all.end())
      METAREC_THROW(InvalidArgument, "algorithm ", algorithms[a],
                    " of the knowledge base is not in the catalog");
    for (int c = 0; c < enc.dim(); ++c)
      m(static_cast<Eigen::Index>(a), c) = it->vector[static_cast<size_t>(c)];
  }
  return m;
}

nlohmann::json result_json(const SelectionResult& r) {
  auto opt = [](double x) { return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(); };
  return {{"selector", r.selector},
          {"families", r.families},
          {"datasets", r.datasets},
          {"top1", r.top1},
          {"top3", r.top3},
          {"distance", r.distance},
          {"distance_secondary", opt(r.distance_secondary)},
          {"spearman", r.spearman},
          {"regret", r.regret},
          {"auto_within_2pct", r.auto_within_2pct},
          {"auto5_within_2pct", r.auto5_within_2pct},
          {"within_2pct_by_candidates", r.within_2pct_by_candidates}};
}

// A trained selector and the knowledge it was trained from, as `select` and `auto` use it.
struct LoadedSelector {
  Knowledge knowledge;
  std::string default_name;  // the file's default; selector->name() is the one in use
  nlohmann::json evaluation;
  std::unique_ptr<AlgorithmSelector> selector;
  Standardizer z;  // over all knowledge datasets, for the nearest-datasets listing
  std::vector<double> novelty_scale;  // family_novelty of the knowledge, sorted
};

// The novelty lines of `select` and `auto`: the distance, its place on the knowledge base's own
// scale (floored, so 100% means beyond every known dataset), and a word when it lies beyond all.
// Leave-one-family-out showed no monotone trend in the choices' quality with novelty across the
// known range (docs/selection.md), so only novelty beyond it is worth the word.
std::string novelty_text(const LoadedSelector& s, double novelty) {
  const double share = novelty_share(s.novelty_scale, novelty);
  std::string t = "Novelty " + fmt(novelty, 2) +
                  " (z-score distance to the nearest known dataset): above that of " +
                  fmt(std::floor(100 * share), 0) +
                  "% of the known datasets, each measured to the other families.\n";
  if (!s.novelty_scale.empty() && novelty > s.novelty_scale.back())
    t += "No known dataset lies this far from the others, so how well the ranking holds here is "
         "unmeasured; verify candidates on the data itself (`metarec auto` does).\n";
  return t;
}

nlohmann::json novelty_json(const LoadedSelector& s, double novelty) {
  return {{"distance", novelty},
          {"share_of_known_nearer", novelty_share(s.novelty_scale, novelty)},
          {"beyond_known", !s.novelty_scale.empty() && novelty > s.novelty_scale.back()}};
}

// `name` (empty: the file's default) is the selector to rank with. Another than the default is
// loaded from the file's state where it holds it (a member of the default ensemble, the seed's
// network) and otherwise fitted on the whole knowledge base the file names, with `seed`.
LoadedSelector load_selector(const std::string& path, const std::string& name = "",
                             uint64_t seed = 42) {
  ModelReader r(path);
  LoadedSelector s;
  s.default_name = r.meta("default_selector");
  s.evaluation = nlohmann::json::parse(r.meta("evaluation"), nullptr, false);
  s.knowledge = load_knowledge(repo_path(r.meta("results_csv")), repo_path(r.meta("features_csv")),
                               r.meta("metric"));
  if (r.strings("algorithms") != s.knowledge.algorithms ||
      r.strings("feature_names") != s.knowledge.feature_names)
    throw FormatError(path, 0, "its algorithms or features differ from the knowledge base CSVs");
  if (s.knowledge.feature_names.size() != meta_feature_schema().size())
    throw FormatError(path, 0,
                      "trained on " + std::to_string(s.knowledge.feature_names.size()) +
                          " meta-features, this build computes " +
                          std::to_string(meta_feature_schema().size()));
  std::vector<size_t> all(s.knowledge.datasets.size());
  for (size_t d = 0; d < all.size(); ++d) all[d] = d;
  s.z.fit(s.knowledge, all);
  for (double x : family_novelty(s.knowledge))
    if (std::isfinite(x)) s.novelty_scale.push_back(x);
  std::sort(s.novelty_scale.begin(), s.novelty_scale.end());
  const std::string use = name.empty() ? s.default_name : name;
  if (use == "contrastive") {
    s.selector = std::make_unique<ContrastiveSelector>(ContrastiveSelector::load(r));
  } else {
    SelectorOptions o;
    o.network.seed = seed;
    s.selector = make_selector(use, o);  // InvalidArgument names the valid ones
    if (!s.selector->load_state(r)) {
      // Only a selector other than the default lacks state (or a file older than its state).
      // Fitted with the catalog's embeddings (0.4 s), which the network selectors need.
      o.embeddings = embeddings_for(s.knowledge.algorithms);
      s.selector = make_selector(use, o);
      s.selector->fit(s.knowledge, all);
    }
  }
  return s;
}

struct Ranked {
  std::string algorithm;
  double score;
  bool eligible;
};

// Algorithms ranked for `data` (ineligible ones last), and the nearest known datasets.
std::vector<Ranked> rank_algorithms(const LoadedSelector& s, const Interactions& data,
                                    const std::vector<double>& features) {
  const auto sc = s.selector->score(features);
  std::vector<Ranked> out;
  for (size_t a = 0; a < sc.size(); ++a) {
    const AlgorithmInfo* info = find_algorithm_or_null(s.knowledge.algorithms[a]);
    const bool ok = info && (data.feedback() == Feedback::kExplicit ? info->card.explicit_feedback
                                                                    : info->card.implicit_feedback);
    out.push_back({s.knowledge.algorithms[a], sc[a], ok});
  }
  std::stable_sort(out.begin(), out.end(), [](const Ranked& a, const Ranked& b) {
    if (a.eligible != b.eligible) return a.eligible;
    return a.score > b.score;
  });
  return out;
}

double parse_budget(const std::string& s) {
  if (s.empty()) METAREC_THROW(InvalidArgument, "--budget: empty");
  double mult = 1;
  std::string num = s;
  switch (s.back()) {
    case 's':
      num.pop_back();
      break;
    case 'm':
      mult = 60, num.pop_back();
      break;
    case 'h':
      mult = 3600, num.pop_back();
      break;
    default:
      break;
  }
  try {
    size_t used = 0;
    const double v = std::stod(num, &used);
    if (used == num.size() && v > 0) return v * mult;
  } catch (const std::exception&) {
  }
  METAREC_THROW(InvalidArgument, "--budget: \"", s, "\" is not a duration like 90s, 10m or 1h");
}

}  // namespace

void register_meta(CLI::App& app, Globals& g) {
  // ---- meta-train
  auto* train = app.add_subcommand(
      "meta-train",
      "Evaluate the selectors leave-one-family-out on the knowledge base and save the best");
  static std::string results = repo_path(kResults), features = repo_path(kFeatures),
                     out = repo_path(kSelector), metric = "ndcg@10", secondary = "precision@10";
  static int epochs = 300;
  static std::string which;
  train->add_option("--results", results, "Per-job CSV (metarec report --export)")
      ->capture_default_str();
  train
      ->add_option("--features", features,
                   "Per-dataset meta-features CSV (metarec report --dataset-features)")
      ->capture_default_str();
  train->add_option("--metric", metric, "What the best algorithm maximizes")->capture_default_str();
  train->add_option("--secondary", secondary, "A second metric for the distance column")
      ->capture_default_str();
  train->add_option("--epochs", epochs, "Contrastive network epochs")->capture_default_str();
  train->add_option("-o,--out", out, "Selector file to write")->capture_default_str();
  train->add_option("--selectors", which, "Comma-separated selectors to evaluate (default: all)");
  train->add_flag("-q,--quiet", g.quiet, "No progress bar");
  add_run_options(train, g);
  train->callback([&g] {
    const Knowledge k = load_knowledge(results, features, metric);
    const Knowledge k2 = load_knowledge(results, features, secondary);
    SelectorOptions o;
    o.network.epochs = epochs;
    o.network.seed = g.seed;
    o.embeddings = embeddings_for(k.algorithms);
    std::vector<SelectionResult> table;
    Progress bar("meta-train", !g.quiet);
    std::vector<std::string> names = selector_names();
    if (!which.empty()) {
      names.clear();
      std::stringstream ss(which);
      for (std::string x; std::getline(ss, x, ',');) {
        make_selector(x, o);  // validates the name
        names.push_back(x);
      }
    }
    for (size_t s = 0; s < names.size(); ++s) {
      bar.update(static_cast<double>(s) / static_cast<double>(names.size()), names[s]);
      table.push_back(evaluate_selection(k, names[s], o, &k2));
    }
    bar.done();
    // The default is the selector with the smallest mean distance from the best.
    size_t best = 0;
    for (size_t s = 1; s < table.size(); ++s)
      if (table[s].distance < table[best].distance) best = s;
    nlohmann::json eval = nlohmann::json::array();
    for (const auto& r : table) eval.push_back(result_json(r));
    // How much of a dataset's ranking its own family's other datasets tell: the scale for the
    // Spearman column (docs/selection.md).
    const SelectionResult oracle = evaluate_sibling_oracle(k, &k2);
    const double default_rho = mean_spearman_over(table[best], oracle);
    ModelWriter w;
    w.set_meta("kind", "selector");
    w.set_meta("metric", metric);
    w.set_meta("default_selector", table[best].selector);
    w.set_meta("evaluation", eval.dump());
    const std::string results_at = stored_path(results), features_at = stored_path(features);
    if (inside_source_tree(out) && (!inside_source_tree(results) || !inside_source_tree(features)))
      std::cerr << "metarec: warning: " << out << " is in the repository but its knowledge ("
                << results_at << ", " << features_at
                << ") is not; a clone of the repository will not find it\n";
    w.set_meta("results_csv", results_at);
    w.set_meta("features_csv", features_at);
    w.add_strings("algorithms", k.algorithms);
    w.add_strings("feature_names", k.feature_names);
    std::vector<size_t> all(k.datasets.size());
    for (size_t d = 0; d < all.size(); ++d) all[d] = d;
    ContrastiveSelector c(o);
    c.fit(k, all);
    c.save(w);
    // The default selector's own fitted state too (trees, ranker, ...), so `select` need not refit
    // it.
    if (table[best].selector != "contrastive") {
      auto chosen = make_selector(table[best].selector, o);
      chosen->fit(k, all);
      chosen->save_state(w);
    }
    w.write(out);
    // Whether the default's choices get worse as the held-out dataset gets less like the others.
    const auto bands = novelty_bands(table[best], family_novelty(k), 4);
    if (g.json) {
      nlohmann::json bj = nlohmann::json::array();
      for (const auto& b : bands)
        bj.push_back({{"novelty_from", b.lo},
                      {"novelty_to", b.hi},
                      {"datasets", b.datasets},
                      {"distance", b.distance},
                      {"within_2pct_verifying_3", b.within_at_3},
                      {"within_2pct_verifying_7", b.within_at_7}});
      return print_json(
          {{"evaluation", eval},
           {"default_by_novelty", bj},
           {"default", table[best].selector},
           {"sibling_oracle", oracle.families > 0 ? result_json(oracle) : nlohmann::json()},
           {"default_spearman_on_oracle_families", default_rho},
           {"out", out}});
    }
    std::cout << k.datasets.size() << " datasets in " << k.families().size() << " families, "
              << k.algorithms.size() << " algorithms, " << k.feature_names.size()
              << " meta-features; leave-one-family-out on " << metric << ":\n";
    Table t({"selector", "top-1", "best in top 3", "distance", "distance (" + secondary + ")",
             "Spearman", "regret", "auto within 2%", "(top 5)"});
    for (const auto& r : table)
      t.add({r.selector, fmt(r.top1, 3), fmt(r.top3, 3), fmt(r.distance, 3),
             fmt(r.distance_secondary, 3), fmt(r.spearman, 3), fmt(r.regret, 4),
             fmt(r.auto_within_2pct, 3), fmt(r.auto5_within_2pct, 3)});
    std::cout << t.str() << "Default selector: " << table[best].selector
              << "; within 2% of the best when verifying its top 1, 2, ... "
              << SelectionResult::kMaxVerified << " exactly:";
    for (double x : table[best].within_2pct_by_candidates) std::cout << " " << fmt(x, 3);
    if (oracle.families > 0)
      std::cout << "\nFor scale: on the " << oracle.families
                << " families with more than one dataset, reading each dataset's ranking off its "
                   "nearest sibling (which leave-one-family-out forbids) gives Spearman "
                << fmt(oracle.spearman, 3) << "; " << table[best].selector << " gives "
                << fmt(default_rho, 3) << " there.";
    std::cout << "\nThe default by novelty (distance in z-scores to the nearest dataset of another "
                 "family), per dataset:\n";
    Table nt({"novelty", "datasets", "distance", "within 2% verifying 3", "verifying 7"});
    for (const auto& b : bands)
      nt.add({fmt(b.lo, 2) + " - " + fmt(b.hi, 2), std::to_string(b.datasets), fmt(b.distance, 3),
              fmt(b.within_at_3, 3), fmt(b.within_at_7, 3)});
    std::cout << nt.str() << "Wrote " << out << "\n";
  });

  // ---- select
  auto* select = app.add_subcommand("select", "Rank the catalog's algorithms for a dataset");
  static std::string spec, selector_file = repo_path(kSelector), selector_name;
  static int top = 10;
  select->add_option("data", spec, "Dataset (see `metarec info`)")->required();
  select->add_option("--selector-file", selector_file, "Trained selector (metarec meta-train)")
      ->capture_default_str();
  select->add_option("--selector", selector_name,
                     "Rank with this selector instead of the file's default (one of meta-train's "
                     "table; fitted on the file's knowledge base when the file lacks its state)");
  select->add_option("--top", top, "Algorithms to list")->capture_default_str();
  add_data_options(select, g);
  add_run_options(select, g);
  select->callback([&g] {
    const LoadedDataset d = load(spec, g);
    const auto t0 = Clock::now();
    const LoadedSelector s = load_selector(selector_file, selector_name, g.seed);
    MetaFeatureOptions mo;
    mo.seed = g.seed;
    mo.threads = g.threads;
    const auto f = meta_features(d.data, mo);
    const auto ranked = rank_algorithms(s, d.data, f);
    const auto near = nearest_known_datasets(s.knowledge, s.z, f, 5);
    const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    const double gap = ranked.size() > 1 ? ranked[0].score - ranked[1].score : 0;
    nlohmann::json algs = nlohmann::json::array(), nn_json = nlohmann::json::array();
    for (const auto& r : ranked)
      algs.push_back({{"algorithm", r.algorithm},
                      {"score", r.score},
                      {"eligible", r.eligible},
                      {"params", Params(find_algorithm(r.algorithm).schema).to_string()}});
    for (const auto& [dist, i] : near) {
      const int b = s.knowledge.best(i);
      nn_json.push_back({{"dataset", s.knowledge.datasets[i].name},
                         {"distance", dist},
                         {"best", b >= 0 ? s.knowledge.algorithms[static_cast<size_t>(b)] : ""}});
    }
    const double novelty = near.empty() ? 0 : near[0].first;
    if (g.json)
      return print_json({{"selector", s.selector->name()},
                         {"algorithms", algs},
                         {"gap", gap},
                         {"novelty", novelty_json(s, novelty)},
                         {"nearest_datasets", nn_json},
                         {"seconds", seconds},
                         {"meta_features", meta_features_json(f)}});
    const std::string used = s.selector->name();
    std::cout << "Selector: " << used << " ("
              << (used == s.default_name ? "" : "the file's default is " + s.default_name + "; ")
              << "trained on " << s.knowledge.datasets.size() << " datasets); " << fmt(seconds, 3)
              << " s for features and selection\n";
    Table t({"rank", "algorithm", "score", "default parameters (--json: all)"});
    for (size_t i = 0; i < ranked.size() && static_cast<int>(i) < top; ++i)
      t.add({std::to_string(i + 1),
             ranked[i].algorithm + (ranked[i].eligible ? "" : " (cannot train on this feedback)"),
             fmt(ranked[i].score, 4), abbreviate(algs[i]["params"].get<std::string>(), 60)});
    std::cout << t.str() << "Gap between the first two: " << fmt(gap, 4)
              << "\nNearest known datasets:\n";
    Table n({"dataset", "distance", "best algorithm there"});
    for (const auto& x : nn_json)
      n.add({x["dataset"], fmt(x["distance"].get<double>(), 3), x["best"]});
    std::cout << n.str() << novelty_text(s, novelty);
  });

  // ---- auto
  auto* autocmd = app.add_subcommand(
      "auto",
      "Select, verify the top candidates on a subsample, tune the winner, train on all data, save");
  static std::string auto_spec = "synthetic", auto_out = "auto.model", budget = "10m";
  // 7 candidates: exact verification of the default selector's top 7 lands within 2% of the best
  // on 98.8% of the knowledge base's held-out datasets, of the top 5 on 94%, of the top 3 on 83%
  // (docs/selection.md); the budget caps the time either way.
  static int candidates = 7, verify_users = 2000;
  autocmd->add_option("data", auto_spec, "Dataset (default: the built-in synthetic data)")
      ->capture_default_str();
  autocmd->add_option("--budget", budget, "Time for verification and tuning (90s, 10m, 1h)")
      ->capture_default_str();
  autocmd
      ->add_option("--candidates", candidates,
                   "Top algorithms to verify (verification stops early once half the budget "
                   "is spent)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  autocmd->add_option("--verify-users", verify_users, "Users in the verification subsample")
      ->capture_default_str();
  autocmd->add_option("-o,--out", auto_out, "Where to save the trained model")
      ->capture_default_str();
  autocmd->add_option("--selector-file", selector_file, "Trained selector")->capture_default_str();
  autocmd->add_option("--selector", selector_name,
                      "Rank with this selector instead of the file's default (see select)");
  add_data_options(autocmd, g);
  add_run_options(autocmd, g);
  autocmd->callback([&g] {
    const double budget_s = parse_budget(budget);
    const auto t0 = Clock::now();
    auto left = [&] { return budget_s - std::chrono::duration<double>(Clock::now() - t0).count(); };
    LoadOptions lo;
    lo.data_root = g.data_root;
    DatasetCache cache(lo);
    const LoadedDataset& d = cache.get(auto_spec);
    const LoadedSelector s = load_selector(selector_file, selector_name, g.seed);
    MetaFeatureOptions mo;  // as select computes them, so both rank and measure novelty alike
    mo.seed = g.seed;
    mo.threads = g.threads;
    const auto f = meta_features(d.data, mo);
    const auto ranked = rank_algorithms(s, d.data, f);
    const auto nearest = nearest_known_datasets(s.knowledge, s.z, f, 1);
    const double novelty = nearest.empty() ? 0 : nearest[0].first;
    // Verify the top candidates with the knowledge base's protocol on a user subsample.
    const std::string sample =
        d.data.num_users() > verify_users
            ? auto_spec + "|users:n=" + std::to_string(verify_users) + ",by=uniform,seed=1"
            : auto_spec;
    nlohmann::json verified = nlohmann::json::array();
    std::string winner;
    double winner_score = -1;
    for (size_t i = 0, tried = 0; i < ranked.size() && static_cast<int>(tried) < candidates; ++i) {
      if (!ranked[i].eligible) continue;
      ++tried;
      JobSpec j;
      j.dataset = sample;
      j.split = "user_random:test=0.2";
      j.seed = g.seed;
      j.algorithm = ranked[i].algorithm;
      j.metrics = {"ndcg"};
      j.threads = g.threads;
      const JobRecord r = run_job(j, cache);
      const double v =
          r.status == "ok" ? r.metric("ndcg@10") : std::numeric_limits<double>::quiet_NaN();
      verified.push_back({{"algorithm", j.algorithm},
                          {"status", r.status},
                          {"ndcg@10", std::isnan(v) ? nlohmann::json() : nlohmann::json(v)},
                          {"seconds", r.wall_seconds}});
      if (!g.json && !g.quiet)
        std::cerr << "verified " << j.algorithm << ": "
                  << (r.status == "ok" ? "ndcg@10 " + fmt(v, 4) : r.status + " " + r.error) << "\n";
      if (!std::isnan(v) && v > winner_score) winner_score = v, winner = j.algorithm;
      if (left() < 0.5 * budget_s) break;
    }
    if (winner.empty()) METAREC_THROW(Error, "auto: none of the top candidates ran on ", auto_spec);
    // Tune the winner with successive halving in what is left of the budget (half of it at most).
    JobSpec tj;
    tj.dataset = sample;
    tj.split = "user_random:test=0.2";
    tj.seed = g.seed;
    tj.algorithm = winner;
    tj.metrics = {"ndcg"};
    tj.threads = g.threads;
    tj.tune = TuneSpec::parse("halving:trials=9,eta=3,metric=ndcg@10");
    tj.tune.budget_seconds = std::max(1.0, 0.5 * left());
    const JobRecord tuned = run_job(tj, cache);
    std::vector<std::string> params;
    double tuned_score = std::numeric_limits<double>::quiet_NaN();
    if (tuned.status == "ok" && tuned.tuning.contains("chosen")) {
      tuned_score = tuned.metric("ndcg@10");
      if (tuned_score > winner_score)
        params = tuned.tuning["chosen"].get<std::vector<std::string>>();
    }
    // Train on everything and save.
    auto model = make_recommender(winner, params);
    FitContext ctx;
    ctx.seed = g.seed;
    ctx.threads = g.threads;
    model->fit(d.data, ctx);
    model->save(auto_out);
    const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    nlohmann::json j = {
        {"selector", s.selector->name()},
        {"novelty", novelty_json(s, novelty)},
        {"verified", verified},
        {"winner", winner},
        {"verified_ndcg@10", winner_score},
        {"tuned_ndcg@10", std::isnan(tuned_score) ? nlohmann::json() : nlohmann::json(tuned_score)},
        {"params", model->params().to_string()},
        {"model", auto_out},
        {"seconds", seconds}};
    if (g.json) return print_json(j);
    std::cout << "Selector " << s.selector->name() << " ranked: ";
    for (size_t i = 0; i < std::min<size_t>(5, ranked.size()); ++i)
      std::cout << (i ? ", " : "") << ranked[i].algorithm;
    std::cout << "\n"
              << novelty_text(s, novelty) << "Verified on " << sample
              << " (user_random:test=0.2, ndcg@10):\n";
    Table t({"algorithm", "status", "ndcg@10", "seconds"});
    for (const auto& v : verified)
      t.add({v["algorithm"], v["status"],
             v["ndcg@10"].is_null() ? "" : fmt(v["ndcg@10"].get<double>(), 4),
             fmt(v["seconds"].get<double>(), 2)});
    std::cout << t.str() << "Chosen: " << winner << " with " << model->params().to_string()
              << (params.empty() ? " (defaults: tuning did not beat them)"
                                 : " (tuned: ndcg@10 " + fmt(tuned_score, 4) + ")")
              << "\nTrained on all " << human_count(d.data.nnz()) << " interactions and saved to "
              << auto_out << " in " << fmt(seconds, 1) << " s\n";
  });
}

}  // namespace metarec::cli
