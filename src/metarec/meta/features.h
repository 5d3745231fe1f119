// Dataset meta-features: a fixed, documented vector describing an Interactions (sizes, feedback,
// activity and popularity distributions, time, side information, landmarkers) that the
// meta-recommender maps to the algorithm to use. docs/meta-features.md lists every feature.
#pragma once

#include <metarec/data/interactions.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

namespace metarec {

/// One meta-feature: its stable name, family ("size", "feedback", "user_activity",
/// "item_popularity", "time", "side_info", "landmark"), unit, and one-sentence definition.
struct MetaFeatureInfo {
  std::string name, family, unit, definition;
};

/// Every meta-feature in the order meta_features() returns them. The order and names are part of
/// the contract: a trained selector relies on them. Thread-safe.
const std::vector<MetaFeatureInfo>& meta_feature_schema();

/// Index of `name` in meta_feature_schema(); throws InvalidArgument if there is no such feature.
size_t meta_feature_index(const std::string& name);

struct MetaFeatureOptions {
  /// Fit and evaluate the landmarker algorithms; when false their features are 0.
  bool landmarkers = true;
  uint64_t seed = 42;  ///< the landmarkers' user subsample, holdout and model initialisation
  int threads = 1;     ///< for the landmarkers; 0 = all cores
  /// The landmarkers run on at most this many users, drawn uniformly without replacement.
  int32_t max_landmark_users = 2000;
};

/// The meta-features of `data`, one per meta_feature_schema() entry, every value finite.
/// Users and items without interactions (possible in a split's subset) are ignored.
/// Deterministic for a given seed and thread count. Throws InvalidArgument for bad options.
std::vector<double> meta_features(const Interactions& data, const MetaFeatureOptions& opts = {});

/// {name: value} in schema order for `values` as returned by meta_features().
nlohmann::ordered_json meta_features_json(std::span<const double> values);
/// Computes the meta-features of `data` and returns them as meta_features_json() does.
nlohmann::ordered_json meta_features_json(const Interactions& data,
                                          const MetaFeatureOptions& opts = {});

}  // namespace metarec
