// The catalog: every algorithm metarec knows, in one explicit list (the baselines here, the
// other families in catalog_rating.cc and catalog_ranking.cc, joined in this order).
#include <metarec/algorithms/baselines/baselines.h>
#include <metarec/algorithms/catalog.h>
#include <metarec/algorithms/catalog_entries.h>
#include <metarec/core/error.h>

namespace metarec {

namespace {

std::vector<AlgorithmInfo> build_catalog() {
  const std::vector<std::string> baseline_src = {"src/metarec/algorithms/baselines/baselines.h",
                                                 "src/metarec/algorithms/baselines/baselines.cc"};
  std::vector<AlgorithmInfo> c;
  c.push_back({"random",
               {"baseline",
                true,
                true,
                true,
                {},
                "trivial",
                "Random ranking (a seeded hash of user and item) and ratings drawn from the "
                "training ratings' normal distribution: the floor every model must clear.",
                "-",
                baseline_src},
               RandomRecommender::schema(),
               detail::factory<RandomRecommender>()});
  c.push_back({"most_popular",
               {"baseline",
                true,
                true,
                false,
                {},
                "trivial",
                "Ranks items by their number of training interactions, the same list for every "
                "user; strong on data with a steep popularity curve.",
                "-",
                baseline_src},
               MostPopular::schema(),
               detail::factory<MostPopular>()});
  c.push_back({"global_mean",
               {"baseline",
                true,
                false,
                true,
                {},
                "trivial",
                "Predicts the global mean rating for every pair (ranks items by their mean).",
                "-",
                baseline_src},
               MeanPredictor::schema(MeanPredictor::Kind::kGlobal),
               [](const Params& p) {
                 return std::make_unique<MeanPredictor>(MeanPredictor::Kind::kGlobal, p);
               }});
  c.push_back({"user_mean",
               {"baseline",
                true,
                false,
                true,
                {},
                "trivial",
                "Predicts the user's (damped) mean rating; ranks items by their mean.",
                "-",
                baseline_src},
               MeanPredictor::schema(MeanPredictor::Kind::kUser),
               [](const Params& p) {
                 return std::make_unique<MeanPredictor>(MeanPredictor::Kind::kUser, p);
               }});
  c.push_back({"item_mean",
               {"baseline",
                true,
                false,
                true,
                {},
                "trivial",
                "Predicts the item's (damped) mean rating and ranks items by it.",
                "-",
                baseline_src},
               MeanPredictor::schema(MeanPredictor::Kind::kItem),
               [](const Params& p) {
                 return std::make_unique<MeanPredictor>(MeanPredictor::Kind::kItem, p);
               }});
  c.push_back({"bias",
               {"baseline",
                true,
                false,
                true,
                {},
                "cheap",
                "Baseline predictor: global mean plus regularized user and item biases, fitted "
                "by alternating least squares (Surprise's BaselineOnly).",
                "Y. Koren, Factor in the Neighbors: Scalable and Accurate Collaborative "
                "Filtering, ACM TKDD 4(1), 2010",
                baseline_src},
               BiasBaseline::schema(),
               detail::factory<BiasBaseline>()});
  // The rating models, then the ranking models: the catalog lists them in this order.
  detail::add_rating_models(c);
  detail::add_ranking_models(c);
  detail::add_neural_models(c);
  detail::add_deep_ctr_models(c);
  detail::add_boltzmann_models(c);
  detail::add_autoencoder_models(c);
  detail::add_content_models(c);
  return c;
}

}  // namespace

const std::vector<AlgorithmInfo>& catalog() {
  static const std::vector<AlgorithmInfo> c = build_catalog();
  return c;
}

const AlgorithmInfo* find_algorithm_or_null(const std::string& name) {
  for (const auto& a : catalog())
    if (a.name == name) return &a;
  return nullptr;
}

const AlgorithmInfo& find_algorithm(const std::string& name) {
  if (const auto* a = find_algorithm_or_null(name)) return *a;
  std::string names;
  for (const auto& a : catalog()) names += (names.empty() ? "" : ", ") + a.name;
  METAREC_THROW(InvalidArgument, "unknown algorithm \"", name, "\"; valid: ", names);
}

std::unique_ptr<Recommender> make_recommender(const std::string& name,
                                              const std::vector<std::string>& params) {
  const AlgorithmInfo& info = find_algorithm(name);
  return info.make(Params::parse(info.schema, params, name));
}

}  // namespace metarec
