// Catalog entries of the models built on item and user side information: content-based
// filtering (item profiles from genres or text) and the two-tower retrieval model.
#include <metarec/algorithms/catalog_entries.h>
#include <metarec/algorithms/content/content.h>
#include <metarec/algorithms/two_tower/two_tower.h>

namespace metarec::detail {

void add_content_models(std::vector<AlgorithmInfo>& c) {
  const std::string dir = "src/metarec/algorithms/content/";
  const std::vector<std::string> src = {dir + "content.h", dir + "content.cc",
                                        dir + "item_profiles.h", dir + "item_profiles.cc"};
  const std::string paper =
      "M. J. Pazzani, D. Billsus, Content-Based Recommendation Systems, The Adaptive Web, LNCS "
      "4321, 2007";
  const std::string profile =
      " A user's profile is the mean of the profiles of the items they rated, weighted by rating "
      "minus the user's mean on explicit data (disliked items count against); items are ranked by "
      "cosine (or dot) similarity to it, optionally scaled by the item's damped mean rating. "
      "Needs no other user's data, so it recommends items nobody has rated; users without "
      "history get popularity.";
  auto add = [&](ContentSource s, std::vector<std::string> side, std::string description) {
    c.push_back({content_name(s),
                 {"content", true, true, false, std::move(side), "cheap",
                  std::move(description) + profile, paper, src},
                 ContentRecommender::schema(s),
                 [s](const Params& p) { return std::make_unique<ContentRecommender>(s, p); }});
  };
  add(ContentSource::kGenres, {"genres"},
      "Content-based filtering on item genres: each item is its binary genre vector.");
  add(ContentSource::kText, {"item_text"},
      "Content-based filtering on item text: each item is the TF-IDF (or BM25) vector of the "
      "tokens of its title, free text (tags, descriptions) and genre names.");
  add(ContentSource::kVectors, {"item_vectors"},
      "Content-based filtering on dense item vectors computed elsewhere (text or image "
      "embeddings: the text-to-text, image-to-image and cross-modal cases), read from the "
      "dataset card's item_vectors file.");

  const std::string tt = "src/metarec/algorithms/two_tower/";
  c.push_back(
      {"two_tower",
       {"neural",
        true,
        true,
        false,
        {"genres", "item_text", "user_attributes"},
        "expensive",
        "Two-tower retrieval: a user tower (id, attributes, mean of the user's item embeddings) "
        "and an item tower (id, genres, text tokens), each an MLP with unit-length outputs, "
        "trained with the in-batch softmax over a temperature (repeated items masked, logQ "
        "correction for popularity); optionally a rating head on both towers trained jointly, "
        "which re-ranks the best retrieval candidates. Side information is used when present.",
        "X. Yi et al., Sampling-Bias-Corrected Neural Modeling for Large Corpus Item "
        "Recommendations, RecSys 2019",
        {tt + "two_tower.h", tt + "two_tower.cc", tt + "two_tower_network.h",
         tt + "two_tower_network.cc", "src/metarec/nn/losses.h", "src/metarec/nn/mlp.h"}},
       TwoTower::schema(),
       detail::factory<TwoTower>()});
}

}  // namespace metarec::detail
