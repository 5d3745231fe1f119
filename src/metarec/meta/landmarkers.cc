// Landmarkers: seeded user subsample, per-user holdout, and cheap catalog algorithms scored on it.
#include "metarec/meta/landmarkers.h"

#include <algorithm>

#include "metarec/algorithms/catalog.h"
#include "metarec/core/error.h"
#include "metarec/core/rng.h"
#include "metarec/data/split.h"
#include "metarec/eval/evaluator.h"

namespace metarec {

std::vector<Landmarker> landmarkers_for(Feedback f) {
  // The mf5 landmarker is the first 5-factor model whose catalog card accepts this feedback, so a
  // card change (e.g. funk_mf learning implicit data) is picked up here rather than copied.
  // Five ALS sweeps: on MovieLens 1M they reach the NDCG@10 of the default fifteen within 0.001
  // at a third of the cost.
  const std::vector<std::string> ials5 = {"factors=5", "iterations=5"};
  std::vector<std::string> mf5;
  std::string mf;
  for (const char* name : {"funk_mf", "ials"}) {
    const AlgorithmCard& card = find_algorithm(name).card;
    if (f == Feedback::kExplicit ? card.explicit_feedback : card.implicit_feedback) {
      mf = name;
      mf5 = mf == "ials" ? ials5 : std::vector<std::string>{"factors=5"};
      break;
    }
  }
  METAREC_CHECK(!mf.empty(), "no 5-factor MF landmarker accepts ", to_string(f), " feedback");
  return {
      {"most_popular", "most_popular", {}, false},
      {"item_knn_k1", "item_knn", {"k=1", "similarity=cosine"}, false},
      {"item_knn_k5", "item_knn", {"k=5", "similarity=cosine"}, false},
      {"mf5", mf, mf5, false},
      {"ials5", "ials", ials5, true},
  };
}

Interactions landmark_sample(const Interactions& data, int32_t max_users, uint64_t seed) {
  METAREC_CHECK(max_users > 0, "max_landmark_users must be > 0, got ", max_users);
  std::vector<int32_t> users;
  users.reserve(static_cast<size_t>(data.num_users()));
  for (int32_t u = 0; u < data.num_users(); ++u)
    if (data.user_count(u) > 0) users.push_back(u);
  METAREC_CHECK(!users.empty(), "landmarkers need at least one interaction");
  if (static_cast<int64_t>(users.size()) > max_users) {
    // Partial Fisher-Yates: the first max_users positions become a uniform sample.
    Rng rng(seed);
    for (size_t j = 0; j < static_cast<size_t>(max_users); ++j) {
      const size_t pick = j + rng.uniform_int(users.size() - j);
      std::swap(users[j], users[pick]);
    }
    users.resize(static_cast<size_t>(max_users));
    std::sort(users.begin(), users.end());
  }
  InteractionsBuilder b;
  b.set_has_timestamps(data.has_timestamps());
  int64_t rows = 0;
  for (int32_t u : users) rows += data.user_count(u);
  b.reserve(static_cast<size_t>(rows));
  for (int32_t u : users) {
    const int32_t du = b.users().intern_int(u);
    auto items = data.user_items(u);
    auto values = data.user_values(u);
    // user_times() is only meaningful with timestamps (it is not empty without them).
    const bool timed = data.has_timestamps();
    auto times = data.user_times(u);
    for (size_t j = 0; j < items.size(); ++j)
      b.add(du, b.items().intern_int(items[j]), values[j], timed ? times[j] : 0);
  }
  InteractionsBuilder::Options o;
  o.feedback = to_string(data.feedback());
  o.scale_min = data.scale_min();
  o.scale_max = data.scale_max();
  o.name = data.name() + "/landmark";
  return b.build(o);
}

std::vector<LandmarkScore> run_landmarkers(const Interactions& data, int32_t max_users,
                                           uint64_t seed, int threads) {
  const std::vector<Landmarker> models = landmarkers_for(data.feedback());
  std::vector<LandmarkScore> out;
  for (const auto& m : models) out.push_back({m.name, 0, 0});

  const Interactions sample = landmark_sample(data, max_users, seed);
  bool any_holdout = false;
  for (int32_t u = 0; u < sample.num_users() && !any_holdout; ++u)
    any_holdout = sample.user_count(u) >= 2;
  if (!any_holdout) return out;

  // Independent streams for the subsample, the holdout and the models, all from one seed.
  const Rng root(seed);
  SplitSpec spec;
  spec.method = "user_random";
  spec.test_fraction = 0.2;
  spec.seed = root.fork(1).next();
  spec.min_user_count = 2;
  spec.unseen = UnseenPolicy::kKeep;
  const Split split = make_split(sample, spec);

  FitContext ctx;
  ctx.seed = root.fork(2).next();
  ctx.threads = threads;
  EvalOptions eval;
  eval.metrics = {"ndcg", "precision"};
  eval.ks = {10};
  eval.protocol = "full";
  eval.seed = root.fork(3).next();
  eval.threads = threads;
  // The implicit view of explicit data keeps the values (ratings become ials confidences).
  const Interactions train_implicit = split.train.with_feedback(Feedback::kImplicit);
  const Interactions test_implicit = split.test.with_feedback(Feedback::kImplicit);
  for (size_t j = 0; j < models.size(); ++j) {
    const bool implicit = models[j].implicit_view && data.feedback() == Feedback::kExplicit;
    // On implicit data ials5 is mf5 with the same seed: reuse the score instead of refitting.
    const auto same = std::find_if(
        models.begin(), models.begin() + static_cast<std::ptrdiff_t>(j), [&](const Landmarker& m) {
          return !implicit && m.algorithm == models[j].algorithm && m.params == models[j].params;
        });
    if (same != models.begin() + static_cast<std::ptrdiff_t>(j)) {
      const size_t k = static_cast<size_t>(same - models.begin());
      out[j].ndcg_at_10 = out[k].ndcg_at_10;
      out[j].precision_at_10 = out[k].precision_at_10;
      continue;
    }
    const Interactions& train = implicit ? train_implicit : split.train;
    const Interactions& test = implicit ? test_implicit : split.test;
    auto model = make_recommender(models[j].algorithm, models[j].params);
    model->fit(train, ctx);
    const EvalResult r = evaluate(*model, train, test, eval);
    out[j].ndcg_at_10 = r.get("ndcg@10");
    out[j].precision_at_10 = r.get("precision@10");
  }
  return out;
}

}  // namespace metarec
