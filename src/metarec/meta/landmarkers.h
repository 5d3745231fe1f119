// Landmarkers: a few cheap catalog algorithms fit on a small seeded user subsample and scored
// with a seeded per-user holdout; their accuracy is a meta-feature of the dataset.
#pragma once

#include <metarec/data/interactions.h>

#include <cstdint>
#include <string>
#include <vector>

namespace metarec {

/// One landmarker: a catalog algorithm with fixed parameters.
struct Landmarker {
  std::string name;                 ///< feature-name stem, e.g. "item_knn_k5"
  std::string algorithm;            ///< catalog name
  std::vector<std::string> params;  ///< "key=value"
  /// Fit and evaluate on the data viewed as implicit (explicit values become confidences), so
  /// the landmarker means the same on every dataset.
  bool implicit_view = false;
};

/// The landmarkers in feature order for data with feedback `f`: most_popular; item_knn (cosine)
/// with k=1 and k=5; mf5, a 5-factor MF chosen by the catalog card's accepted feedback (funk_mf
/// on explicit data, ials on implicit data); and ials5, 5-factor ials on every dataset (on
/// implicit data it is mf5, and its score is reused).
std::vector<Landmarker> landmarkers_for(Feedback f);

/// Accuracy of one landmarker on the holdout.
struct LandmarkScore {
  std::string name;
  double ndcg_at_10 = 0, precision_at_10 = 0;
};

/// The landmarker protocol (docs/meta-features.md): draw at most `max_users` users with at least
/// one interaction uniformly without replacement (seeded), keep all their interactions, re-index
/// users and items compactly, hold out round(20%) (at least 1) of each user's interactions with
/// two or more, fit every landmarker on the rest, and evaluate ndcg@10 and precision@10 with the
/// full-ranking protocol (all held-out entries relevant, training items excluded). When no user
/// has two interactions every score is 0. Deterministic for a given seed and thread count.
std::vector<LandmarkScore> run_landmarkers(const Interactions& data, int32_t max_users,
                                           uint64_t seed, int threads);

/// The landmarkers' compact subsample: at most `max_users` users drawn uniformly without
/// replacement among those with interactions, all their interactions, items re-indexed to those
/// that occur. Keeps feedback and scale; drops side information.
Interactions landmark_sample(const Interactions& data, int32_t max_users, uint64_t seed);

}  // namespace metarec
