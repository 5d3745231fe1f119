// The planted two-community fixture that the implicit-feedback models are tested on: 60 users
// and 40 items, where user u likes the 20 items with i % 2 == u % 2. A seeded random 12 of them
// are training data and the other 8 are held out, so a model that learned the structure ranks
// the held-out items above the other community's.
#pragma once

#include <metarec/algorithms/catalog.h>
#include <metarec/algorithms/recommender.h>
#include <metarec/core/rng.h>
#include <metarec/data/interactions.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace metarec::fixtures {

struct PlantedCommunities {
  Interactions train;                          ///< implicit, 12 positives per user
  std::vector<std::vector<int32_t>> held_out;  ///< per user, the 8 community items left out
};

/// The fixture drawn with `seed`. With `genres`, every item gets its community as its genre
/// ("even" or "odd"). With `communities` > 2, user u likes the items with
/// i % communities == u % communities (`items` / `communities` of them, at least 13): still 12
/// of them for training and the rest held out.
inline PlantedCommunities planted_communities(uint64_t seed, bool genres = false,
                                              int32_t items = 40, int32_t communities = 2) {
  const int32_t users = 60;
  InteractionsBuilder b;
  for (int32_t u = 0; u < users; ++u) b.users().intern("u" + std::to_string(u));
  for (int32_t i = 0; i < items; ++i) b.items().intern("i" + std::to_string(i));
  Rng rng(seed);
  PlantedCommunities out;
  out.held_out.assign(users, {});
  for (int32_t u = 0; u < users; ++u) {
    std::vector<int32_t> own;
    for (int32_t i = u % communities; i < items; i += communities) own.push_back(i);
    for (int32_t q = static_cast<int32_t>(own.size()) - 1; q > 0; --q)
      std::swap(own[q], own[rng.uniform_int(static_cast<uint64_t>(q) + 1)]);
    for (size_t q = 0; q < own.size(); ++q) {
      if (q < 12)
        b.add(u, own[q], 1.0f);
      else
        out.held_out[u].push_back(own[q]);
    }
  }
  if (genres) {
    auto meta = std::make_shared<ItemMeta>();
    meta->genre_names = {"even", "odd"};
    for (int32_t i = 0; i < items; ++i) meta->genres.push_back({i % 2});
    b.item_meta = meta;
  }
  InteractionsBuilder::Options o;
  o.feedback = "implicit";
  out.train = b.build(o);
  return out;
}

/// `name` made from the catalog with `params` and fitted on `train` with `threads` threads.
inline std::unique_ptr<Recommender> fit_catalog_model(const std::string& name,
                                                      const std::vector<std::string>& params,
                                                      const Interactions& train, int threads) {
  auto m = make_recommender(name, params);
  FitContext ctx;
  ctx.threads = threads;
  m->fit(train, ctx);
  return m;
}

/// Share of the slots of every user's top 8 (unseen items) that hold one of their held-out
/// community items: about 0.5 for a random model, 1 for a perfect one.
inline double community_recall(const Recommender& m,
                               const std::vector<std::vector<int32_t>>& held_out) {
  int hits = 0, total = 0;
  for (int32_t u = 0; u < m.num_users(); ++u) {
    const auto& own = held_out[static_cast<size_t>(u)];
    for (const auto& t : recommend(m, u, 8)) {
      hits += std::find(own.begin(), own.end(), t.item) != own.end();
      ++total;
    }
  }
  return static_cast<double>(hits) / total;
}

/// Mean over users of the fraction of (held-out item, other-community item) pairs that the
/// model's scores order correctly: 0.5 for a random model, 1 for a perfect one.
inline double held_out_auc(const Recommender& m,
                           const std::vector<std::vector<int32_t>>& held_out) {
  std::vector<float> s(static_cast<size_t>(m.num_items()));
  double total = 0;
  for (int32_t u = 0; u < m.num_users(); ++u) {
    m.score(u, s);
    int64_t good = 0, pairs = 0;
    for (int32_t i : held_out[u])
      for (int32_t j = 1 - u % 2; j < m.num_items(); j += 2) {
        good += s[i] > s[j];
        ++pairs;
      }
    total += static_cast<double>(good) / static_cast<double>(pairs);
  }
  return total / m.num_users();
}

}  // namespace metarec::fixtures
