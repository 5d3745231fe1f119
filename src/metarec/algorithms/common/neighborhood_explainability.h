// Neighbourhood explainability (B. Abdollahi, O. Nasraoui, "Explainable Restricted Boltzmann
// Machines for Collaborative Filtering", ICML WHI 2016; also their explainable MF): an item is
// explainable to a user when the user's nearest neighbours rated it. The explainable RBM feeds
// these scores to its hidden units; the evaluator's mep/mer metrics score any model's lists by
// them.
#pragma once

#include <metarec/data/interactions.h>

#include <cstdint>
#include <span>
#include <vector>

namespace metarec {

/// For every user u, E_ui = (number of u's `k` most cosine-similar users who rated i) / k, for the
/// items with E_ui > 0, as CSR over users with items ascending. Cosine on the users' rating
/// vectors (missing = 0); ties between equally similar neighbours go to the lower user id. A user
/// without training entries has no neighbours and no scores. Parallel over users; the result does
/// not depend on `threads`.
struct NeighborhoodExplainability {
  std::vector<int64_t> ptr{0};  ///< num_users + 1
  std::vector<int32_t> items;
  std::vector<float> values;

  int32_t num_users() const { return static_cast<int32_t>(ptr.size()) - 1; }
  std::span<const int32_t> user_items(int32_t u) const {
    return {items.data() + ptr[u], static_cast<size_t>(ptr[u + 1] - ptr[u])};
  }
  std::span<const float> user_values(int32_t u) const {
    return {values.data() + ptr[u], static_cast<size_t>(ptr[u + 1] - ptr[u])};
  }
};

/// k >= 1.
NeighborhoodExplainability neighborhood_explainability(const Interactions& train, int k,
                                                       int threads);

}  // namespace metarec
