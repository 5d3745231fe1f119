// Protocol loops: per-user parallel scoring, metric accumulation in double, fixed output order.
#include <metarec/algorithms/common/neighborhood_explainability.h>
#include <metarec/algorithms/history_fold_in.h>
#include <metarec/core/error.h>
#include <metarec/core/parallel.h>
#include <metarec/core/top_k.h>
#include <metarec/eval/evaluator.h>
#include <metarec/eval/metrics.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>
#include <set>

namespace metarec {

double EvalResult::get(const std::string& name) const {
  for (const auto& [n, v] : metrics)
    if (n == name) return v;
  METAREC_THROW(InvalidArgument, "no metric \"", name, "\" in the result");
}

bool EvalResult::has(const std::string& name) const {
  for (const auto& [n, v] : metrics)
    if (n == name) return true;
  return false;
}

namespace {

const std::set<std::string> kRating = {"rmse", "mae"};
const std::set<std::string> kRanking = {
    "precision", "precision_capped", "recall",      "recall_capped", "hr", "ndcg", "map", "mrr",
    "auc",       "topk_acc",         "topk_acc_all"};
const std::set<std::string> kBeyond = {"coverage", "diversity", "novelty", "gini", "mep", "mer"};
const std::set<std::string> kSampledOk = {"hr", "ndcg", "mrr", "auc", "rmse", "mae"};

bool wants(const std::vector<std::string>& m, const std::string& name) {
  return std::find(m.begin(), m.end(), name) != m.end();
}

// Relevant test items of user u, sorted.
void relevant_items(const Interactions& test, int32_t u, float threshold,
                    std::vector<int32_t>& out) {
  out.clear();
  auto items = test.user_items(u);
  auto vals = test.user_values(u);
  for (size_t k = 0; k < items.size(); ++k)
    if (std::isnan(threshold) || vals[k] >= threshold) out.push_back(items[k]);
}

// Pessimistic 0-based rank of `target_score` in `sorted_desc`: strictly greater + other equal.
int64_t rank_in_sorted(const std::vector<float>& sorted_desc, float target_score) {
  auto [lo, hi] =
      std::equal_range(sorted_desc.begin(), sorted_desc.end(), target_score, std::greater<float>());
  return (lo - sorted_desc.begin()) + std::max<int64_t>(0, (hi - lo) - 1);
}

// Per user, the items with neighbourhood explainability above opts.explain_threshold that the
// user has not rated in training (the only ones a full-ranking list can hold), ascending.
std::vector<std::vector<int32_t>> explainable_items(const Interactions& train,
                                                    const EvalOptions& opts, int threads) {
  const NeighborhoodExplainability e =
      neighborhood_explainability(train, opts.explain_neighbors, threads);
  std::vector<std::vector<int32_t>> out(static_cast<size_t>(train.num_users()));
  for (int32_t u = 0; u < train.num_users(); ++u) {
    auto items = e.user_items(u);
    auto values = e.user_values(u);
    auto seen = train.user_items(u);
    for (size_t q = 0; q < items.size(); ++q)
      if (values[q] > opts.explain_threshold &&
          !std::binary_search(seen.begin(), seen.end(), items[q]))
        out[u].push_back(items[q]);
  }
  return out;
}

}  // namespace

std::vector<std::string> default_metrics(const Recommender& model, const Interactions& train) {
  std::vector<std::string> m;
  if (train.feedback() == Feedback::kExplicit && dynamic_cast<const RatingPredictor*>(&model)) {
    m = {"rmse", "mae"};
  }
  for (const char* r : {"precision", "recall", "ndcg", "map", "mrr", "hr", "auc"}) m.push_back(r);
  for (const char* b : {"coverage", "novelty", "gini"}) m.push_back(b);
  if (train.item_meta() && train.item_meta()->has_genres()) m.push_back("diversity");
  return m;
}

namespace {

// evaluate(), or evaluate_fold_in() when `fold_in` is given.
EvalResult evaluate_impl(const Recommender& model, const Interactions& train,
                         const Interactions& test, const EvalOptions& opts,
                         const Interactions* fold_in) {
  const auto t0 = std::chrono::steady_clock::now();
  METAREC_CHECK(model.fitted(), model.algorithm(), ": evaluate needs a fitted model");
  METAREC_CHECK(train.num_users() == test.num_users() && train.num_items() == test.num_items() &&
                    model.num_items() == train.num_items(),
                "evaluate: train, test and model must share one index space");
  METAREC_CHECK(!opts.ks.empty(), "evaluate: no k given");
  for (int k : opts.ks) METAREC_CHECK(k > 0, "evaluate: k must be > 0, got ", k);
  METAREC_CHECK(opts.protocol == "full" || opts.protocol == "sampled",
                "evaluate: protocol must be full or sampled, got \"", opts.protocol, "\"");
  const FoldIn* folder = nullptr;
  const HistoryFoldIn* history_folder = nullptr;
  if (fold_in) {
    folder = dynamic_cast<const FoldIn*>(&model);
    // Sequential models read a held-out user's items in time order when the data has times.
    if (fold_in->has_timestamps()) history_folder = dynamic_cast<const HistoryFoldIn*>(&model);
    METAREC_CHECK(folder, model.algorithm(),
                  " cannot score users it was not trained on (it does not implement fold-in), "
                  "which strong generalization needs");
    METAREC_CHECK(
        fold_in->num_users() == test.num_users() && fold_in->num_items() == test.num_items(),
        "evaluate: fold-in and test must share one index space");
    METAREC_CHECK(opts.protocol == "full",
                  "strong generalization (fold-in) supports only the full protocol, got ",
                  opts.protocol);
  }
  std::vector<std::string> metrics =
      opts.metrics.empty() ? default_metrics(model, train) : opts.metrics;
  if (fold_in && opts.metrics.empty())
    std::erase_if(metrics, [](const std::string& m) { return kRating.count(m) > 0; });
  // The sampled protocol's default: the default metrics it defines (hr, ndcg, mrr, auc).
  if (opts.protocol == "sampled" && opts.metrics.empty())
    std::erase_if(metrics, [](const std::string& m) { return kSampledOk.count(m) == 0; });
  for (const auto& m : metrics) {
    METAREC_CHECK(kRating.count(m) || kRanking.count(m) || kBeyond.count(m), "unknown metric \"", m,
                  "\"; valid: rmse, mae, precision, precision_capped, recall, recall_capped, hr, "
                  "ndcg, map, mrr, auc, topk_acc, topk_acc_all, coverage, diversity, novelty, "
                  "gini, mep, mer");
    METAREC_CHECK(opts.protocol == "full" || kSampledOk.count(m), "metric ", m,
                  " is not defined for the sampled protocol (use hr, ndcg, mrr, auc)");
    METAREC_CHECK(!fold_in || (m != "mep" && m != "mer"), "metric ", m,
                  " needs the users' neighbours in the training data, which held-out (fold-in) "
                  "users do not have");
    METAREC_CHECK(!fold_in || !kRating.count(m), "metric ", m,
                  " is not defined for strong generalization (fold-in scores rank, they do not "
                  "predict ratings)");
  }
  const auto* predictor = dynamic_cast<const RatingPredictor*>(&model);
  EvalResult res;
  res.protocol = opts.protocol;
  const int threads = resolve_threads(opts.threads);
  const int32_t nu = train.num_users(), ni = train.num_items();

  // Rating metrics over every test entry.
  if (wants(metrics, "rmse") || wants(metrics, "mae")) {
    METAREC_CHECK(predictor, model.algorithm(), " does not predict ratings; drop rmse/mae");
    std::vector<float> pred(static_cast<size_t>(test.nnz())),
        actual(test.entry_values().begin(), test.entry_values().end());
    auto users = test.entry_users();
    auto items = test.entry_items();
    parallel_for(
        test.nnz(), threads, [&](int64_t e) { pred[e] = predictor->predict(users[e], items[e]); },
        4096);
    if (wants(metrics, "rmse")) res.metrics.emplace_back("rmse", rmse(pred, actual));
    if (wants(metrics, "mae")) res.metrics.emplace_back("mae", mae(pred, actual));
    res.test_entries = test.nnz();
  }

  std::vector<std::string> ranking;
  for (const auto& m : metrics)
    if (kRanking.count(m) || kBeyond.count(m)) ranking.push_back(m);
  if (ranking.empty()) {
    res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (res.protocol == "full") res.protocol = "rating";
    return res;
  }
  const int kmax = *std::max_element(opts.ks.begin(), opts.ks.end());
  const size_t nk = opts.ks.size();
  // Per-thread sums: [metric][k] for per-user metrics.
  // precision_capped sums hits here and min(k, |relevant|) in capped_denoms: a ratio of sums.
  const std::vector<std::string> per_k = {
      "precision", "precision_capped", "recall", "recall_capped", "hr", "ndcg", "map",
      "mrr",       "topk_acc"};
  struct Acc {
    std::vector<double> sums;  // per_k.size() * nk
    double auc = 0;
    int64_t users = 0, auc_users = 0, cases = 0, topk_cases = 0;
    std::vector<double> topk_hits;      // nk
    std::vector<double> topk_all_hits;  // nk: topk_acc_all, training items not excluded
    std::vector<double> capped_denoms;  // nk: sum of min(k, |relevant|) for precision_capped
  };
  std::vector<Acc> acc(static_cast<size_t>(threads));
  for (auto& a : acc) {
    a.sums.assign(per_k.size() * nk, 0.0);
    a.topk_hits.assign(nk, 0.0);
    a.topk_all_hits.assign(nk, 0.0);
    a.capped_denoms.assign(nk, 0.0);
  }
  const bool need_lists = std::any_of(ranking.begin(), ranking.end(),
                                      [](const std::string& m) { return kBeyond.count(m) > 0; });
  std::vector<std::vector<int32_t>> lists(need_lists ? static_cast<size_t>(nu) : 0);
  constexpr float kExcluded = -std::numeric_limits<float>::infinity();
  auto idx = [&](const std::string& m) {
    return static_cast<size_t>(std::find(per_k.begin(), per_k.end(), m) - per_k.begin());
  };

  if (opts.protocol == "full") {
    std::vector<int32_t> users;
    for (int32_t u = 0; u < nu; ++u)
      if (test.user_count(u) > 0) users.push_back(u);
    std::vector<std::vector<float>> scores(static_cast<size_t>(threads),
                                           std::vector<float>(static_cast<size_t>(ni)));
    std::vector<std::vector<float>> sorted(static_cast<size_t>(threads)),
        unexcluded(static_cast<size_t>(threads));
    const bool want_all = wants(ranking, "topk_acc_all");
    std::vector<std::vector<int32_t>> rel(static_cast<size_t>(threads)),
        ranked(static_cast<size_t>(threads)), cand(static_cast<size_t>(threads));
    std::vector<std::vector<float>> cand_scores(static_cast<size_t>(threads));
    std::atomic<int64_t> done{0};
    parallel_for_tid(
        static_cast<int64_t>(users.size()), threads,
        [&](int64_t j, int tid) {
          const int32_t u = users[j];
          auto& s = scores[tid];
          if (fold_in) {
            if (history_folder) {
              history_folder->score_new_history(fold_in->user_items(u), fold_in->user_values(u),
                                                fold_in->user_times(u), s);
            } else {
              folder->score_new_user(fold_in->user_items(u), fold_in->user_values(u), s);
            }
            if (want_all) unexcluded[tid].assign(s.begin(), s.end());
            for (int32_t i : fold_in->user_items(u)) s[i] = kExcluded;
          } else {
            model.score(u, s);
            if (want_all) unexcluded[tid].assign(s.begin(), s.end());
            for (int32_t i : train.user_items(u)) s[i] = kExcluded;
          }
          relevant_items(test, u, opts.relevance_threshold, rel[tid]);
          Acc& a = acc[tid];
          auto top = top_k(s, kmax);
          auto& r = ranked[tid];
          r.clear();
          for (const auto& t : top) r.push_back(t.item);
          if (need_lists) lists[u] = r;
          if (!rel[tid].empty()) {
            ++a.users;
            for (size_t q = 0; q < nk; ++q) {
              const int k = opts.ks[q];
              if (wants(ranking, "precision"))
                a.sums[idx("precision") * nk + q] += precision_at_k(r, rel[tid], k);
              if (wants(ranking, "precision_capped")) {
                a.sums[idx("precision_capped") * nk + q] +=
                    static_cast<double>(hits_at_k(r, rel[tid], k));
                a.capped_denoms[q] +=
                    static_cast<double>(std::min<size_t>(rel[tid].size(), static_cast<size_t>(k)));
              }
              if (wants(ranking, "recall"))
                a.sums[idx("recall") * nk + q] += recall_at_k(r, rel[tid], k);
              if (wants(ranking, "recall_capped"))
                a.sums[idx("recall_capped") * nk + q] += recall_capped_at_k(r, rel[tid], k);
              if (wants(ranking, "hr")) a.sums[idx("hr") * nk + q] += hit_rate_at_k(r, rel[tid], k);
              if (wants(ranking, "ndcg")) a.sums[idx("ndcg") * nk + q] += ndcg_at_k(r, rel[tid], k);
              if (wants(ranking, "map"))
                a.sums[idx("map") * nk + q] += average_precision_at_k(r, rel[tid], k);
              if (wants(ranking, "mrr"))
                a.sums[idx("mrr") * nk + q] += reciprocal_rank_at_k(r, rel[tid], k);
            }
            if (wants(ranking, "auc")) {
              auto& c = cand[tid];
              auto& cs = cand_scores[tid];
              c.clear();
              cs.clear();
              for (int32_t i = 0; i < ni; ++i)
                if (s[i] > kExcluded) {
                  c.push_back(i);
                  cs.push_back(s[i]);
                }
              if (c.size() > rel[tid].size()) {
                a.auc += auc(cs, c, rel[tid]);
                ++a.auc_users;
              }
            }
            if (wants(ranking, "topk_acc")) {
              auto& sd = sorted[tid];
              sd.clear();
              for (float x : s)
                if (x > kExcluded) sd.push_back(x);
              std::sort(sd.begin(), sd.end(), std::greater<float>());
              for (int32_t target : rel[tid]) {
                const int64_t rank = rank_in_sorted(sd, s[target]);
                ++a.topk_cases;
                for (size_t q = 0; q < nk; ++q) a.topk_hits[q] += rank < opts.ks[q] ? 1.0 : 0.0;
              }
            }
            if (want_all) {
              // TensorFlow Recommenders' FactorizedTopK: the rank among all items, training items
              // included (each test interaction is one case, as for topk_acc).
              auto& sd = sorted[tid];
              sd = unexcluded[tid];
              std::sort(sd.begin(), sd.end(), std::greater<float>());
              for (int32_t target : rel[tid]) {
                const int64_t rank = rank_in_sorted(sd, unexcluded[tid][target]);
                if (!wants(ranking, "topk_acc")) ++a.topk_cases;
                for (size_t q = 0; q < nk; ++q) a.topk_all_hits[q] += rank < opts.ks[q] ? 1.0 : 0.0;
              }
            }
          }
          const int64_t d = ++done;
          if (opts.progress && tid == 0 && d % 256 == 0)
            opts.progress(static_cast<double>(d) / static_cast<double>(users.size()), "ranking");
        },
        8);
  } else {
    // Sampled: each held-out entry is ranked among its negatives.
    std::vector<SampledCase> cases;
    if (opts.given_cases) {
      cases = *opts.given_cases;
      res.protocol = "sampled:file";
    } else {
      METAREC_CHECK(opts.negatives > 0, "evaluate: negatives must be > 0");
      for (int64_t e = 0; e < test.nnz(); ++e) {
        if (!std::isnan(opts.relevance_threshold) &&
            test.entry_values()[e] < opts.relevance_threshold)
          continue;
        cases.push_back({test.entry_users()[e], test.entry_items()[e], {}});
      }
      NegativeSampler sampler(train, opts.negative_mode);
      parallel_for(
          static_cast<int64_t>(cases.size()), threads,
          [&](int64_t c) {
            Rng rng = Rng(opts.seed).fork(static_cast<uint64_t>(c));
            auto& sc = cases[c];
            auto test_items = test.user_items(sc.user);
            sampler.sample_distinct(sc.user, opts.negatives, rng, sc.negatives, test_items);
          },
          64);
      res.protocol = "sampled:" + std::to_string(opts.negatives) +
                     (opts.negative_mode == NegativeMode::kUniform ? ":uniform" : ":popularity");
    }
    // Group cases by user so each user is scored once.
    std::vector<size_t> order(cases.size());
    for (size_t c = 0; c < cases.size(); ++c) order[c] = c;
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return cases[a].user < cases[b].user; });
    std::vector<size_t> starts;
    for (size_t j = 0; j < order.size(); ++j)
      if (j == 0 || cases[order[j]].user != cases[order[j - 1]].user) starts.push_back(j);
    starts.push_back(order.size());
    // A model that can score chosen items (SubsetScorer) scores only the user's cases: each
    // case's item, then its negatives. The rest score every item and pick.
    const auto* subset = dynamic_cast<const SubsetScorer*>(&model);
    std::vector<std::vector<float>> scores(
        static_cast<size_t>(threads), std::vector<float>(subset ? 0 : static_cast<size_t>(ni)));
    std::vector<std::vector<int32_t>> picked(static_cast<size_t>(threads));
    std::vector<std::vector<float>> picked_scores(static_cast<size_t>(threads));
    parallel_for_tid(
        static_cast<int64_t>(starts.size()) - 1, threads,
        [&](int64_t g, int tid) {
          const int32_t u = cases[order[starts[g]]].user;
          METAREC_CHECK(u >= 0 && u < nu, "sampled case user out of range");
          auto& items = picked[tid];
          items.clear();
          for (size_t j = starts[g]; j < starts[g + 1]; ++j) {
            const SampledCase& sc = cases[order[j]];
            METAREC_CHECK(sc.item >= 0 && sc.item < ni, "sampled case item out of range");
            items.push_back(sc.item);
            for (int32_t n : sc.negatives) {
              METAREC_CHECK(n >= 0 && n < ni, "sampled negative out of range");
              items.push_back(n);
            }
          }
          auto& ps = picked_scores[tid];
          ps.resize(items.size());
          if (subset) {
            subset->score_items(u, items, ps);
          } else {
            auto& s = scores[tid];
            model.score(u, s);
            for (size_t k = 0; k < items.size(); ++k) ps[k] = s[items[k]];
          }
          Acc& a = acc[tid];
          size_t at = 0;  // the case's item in ps, then its negatives
          for (size_t j = starts[g]; j < starts[g + 1]; ++j) {
            const SampledCase& sc = cases[order[j]];
            const float target = ps[at++];
            int64_t greater = 0, equal = 0;
            for (size_t q = 0; q < sc.negatives.size(); ++q, ++at) {
              greater += ps[at] > target;
              equal += ps[at] == target;
            }
            const int64_t rank = greater + equal;  // ties count against the held-out item
            ++a.cases;
            for (size_t q = 0; q < nk; ++q) {
              const int k = opts.ks[q];
              const bool hit = rank < k;
              a.sums[idx("hr") * nk + q] += hit;
              a.sums[idx("ndcg") * nk + q] +=
                  hit ? 1.0 / std::log2(static_cast<double>(rank) + 2.0) : 0.0;
              a.sums[idx("mrr") * nk + q] += hit ? 1.0 / static_cast<double>(rank + 1) : 0.0;
            }
            const double n = static_cast<double>(sc.negatives.size());
            if (n > 0)
              a.auc += (n - static_cast<double>(greater) - 0.5 * static_cast<double>(equal)) / n;
            ++a.auc_users;
          }
        },
        8);
  }

  // Reduce in thread order (deterministic for a fixed thread count).
  Acc total;
  total.sums.assign(per_k.size() * nk, 0.0);
  total.topk_hits.assign(nk, 0.0);
  total.topk_all_hits.assign(nk, 0.0);
  total.capped_denoms.assign(nk, 0.0);
  for (const auto& a : acc) {
    for (size_t q = 0; q < total.sums.size(); ++q) total.sums[q] += a.sums[q];
    for (size_t q = 0; q < nk; ++q) {
      total.topk_hits[q] += a.topk_hits[q];
      total.topk_all_hits[q] += a.topk_all_hits[q];
      total.capped_denoms[q] += a.capped_denoms[q];
    }
    total.auc += a.auc;
    total.users += a.users;
    total.auc_users += a.auc_users;
    total.cases += a.cases;
    total.topk_cases += a.topk_cases;
  }
  const double denom =
      opts.protocol == "full" ? static_cast<double>(total.users) : static_cast<double>(total.cases);
  res.users = total.users;
  if (opts.protocol == "sampled") res.test_entries = total.cases;
  for (const auto& m : ranking) {
    if (m == "auc") {
      res.metrics.emplace_back(
          "auc", total.auc_users ? total.auc / static_cast<double>(total.auc_users) : 0.0);
      continue;
    }
    if (kBeyond.count(m)) continue;
    for (size_t q = 0; q < nk; ++q) {
      const std::string name = m + "@" + std::to_string(opts.ks[q]);
      if (m == "topk_acc") {
        res.metrics.emplace_back(
            name,
            total.topk_cases ? total.topk_hits[q] / static_cast<double>(total.topk_cases) : 0.0);
      } else if (m == "topk_acc_all") {
        res.metrics.emplace_back(
            name, total.topk_cases ? total.topk_all_hits[q] / static_cast<double>(total.topk_cases)
                                   : 0.0);
      } else if (m == "precision_capped") {
        const double d = total.capped_denoms[q];
        res.metrics.emplace_back(name, d > 0 ? total.sums[idx(m) * nk + q] / d : 0.0);
      } else {
        res.metrics.emplace_back(name, denom > 0 ? total.sums[idx(m) * nk + q] / denom : 0.0);
      }
    }
  }
  if (need_lists) {
    std::optional<std::vector<std::vector<int32_t>>> explainable;
    std::vector<int64_t> pop(static_cast<size_t>(ni));
    for (int32_t i = 0; i < ni; ++i) pop[i] = train.item_count(i);
    for (size_t q = 0; q < nk; ++q) {
      const int k = opts.ks[q];
      std::vector<std::vector<int32_t>> cut(lists.size());
      for (size_t u = 0; u < lists.size(); ++u)
        cut[u].assign(lists[u].begin(),
                      lists[u].begin() + std::min<size_t>(lists[u].size(), static_cast<size_t>(k)));
      const std::string at = "@" + std::to_string(k);
      if (wants(ranking, "mep") || wants(ranking, "mer")) {
        if (!explainable) explainable = explainable_items(train, opts, threads);
        double precision = 0, recall = 0;
        int64_t listed = 0, recalled = 0;
        for (size_t u = 0; u < cut.size(); ++u) {
          if (cut[u].empty()) continue;
          const auto e = explainability_at_k(cut[u], (*explainable)[u], k);
          precision += e.precision;
          ++listed;
          if (!std::isnan(e.recall)) {
            recall += e.recall;
            ++recalled;
          }
        }
        if (wants(ranking, "mep"))
          res.metrics.emplace_back("mep" + at,
                                   listed ? precision / static_cast<double>(listed) : 0.0);
        if (wants(ranking, "mer"))
          res.metrics.emplace_back("mer" + at,
                                   recalled ? recall / static_cast<double>(recalled) : 0.0);
      }
      for (const auto& m : ranking) {
        if (m == "coverage") res.metrics.emplace_back(m + at, catalog_coverage(cut, ni));
        if (m == "novelty") res.metrics.emplace_back(m + at, novelty(cut, pop, nu));
        if (m == "gini") res.metrics.emplace_back(m + at, gini_of_exposure(cut, ni));
        if (m == "diversity") {
          METAREC_CHECK(train.item_meta() && train.item_meta()->has_genres(),
                        "metric diversity needs item genres, and ", train.name(), " has none");
          res.metrics.emplace_back(m + at, intra_list_diversity(cut, train.item_meta()->genres));
        }
      }
    }
  }
  if (fold_in) res.protocol = "fold_in";
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return res;
}

}  // namespace

EvalResult evaluate(const Recommender& model, const Interactions& train, const Interactions& test,
                    const EvalOptions& opts) {
  return evaluate_impl(model, train, test, opts, nullptr);
}

EvalResult evaluate_fold_in(const Recommender& model, const Interactions& train,
                            const Interactions& fold_in, const Interactions& test,
                            const EvalOptions& opts) {
  return evaluate_impl(model, train, test, opts, &fold_in);
}

EvalResult evaluate_split(const Recommender& model, const Split& split, const EvalOptions& opts) {
  return split.has_fold_in() ? evaluate_fold_in(model, split.train, split.fold_in, split.test, opts)
                             : evaluate(model, split.train, split.test, opts);
}

}  // namespace metarec
