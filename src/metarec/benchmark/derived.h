// Derived datasets: recipes that turn one dataset into many meta-training examples, deterministic
// by seed, and the content fingerprint that identifies any dataset in the knowledge base.
//
// A recipe is a base dataset spec followed by steps, each "|op:key=value,...":
//   ml-100k|kcore:k=5|users:frac=0.3,by=activity,seed=2|implicit:threshold=4
// Steps (applied left to right; users and items that lose all entries are dropped and the rest
// re-indexed, in order of first appearance in the original user-major order):
//   users:frac=F|n=N,by=uniform|activity,seed=S   sample users (by activity: weight = count)
//   items:frac=F|n=N,by=uniform|popularity,seed=S sample items
//   kcore:k=K                                     repeat until every user and item has >= K entries
//   thin:keep=F,seed=S                            keep a uniform random share of the entries
//   window:from=A,to=B                            keep entries with time quantile in [A, B)
//   implicit:threshold=T                          keep entries with value >= T, as implicit
//                                                 (implicit data passes unchanged)
//   heavy:frac=F / light:frac=F                   keep only the most / least active users
// Every recipe has one canonical text (keys in a fixed order, defaults written out), which is the
// derived dataset's stable name: parse(name).to_string() == name.
#pragma once

#include <metarec/data/interactions.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace metarec {

struct DerivedStep {
  std::string op;           ///< users, items, kcore, thin, window, implicit, heavy, light
  double frac = 0;          ///< users, items, thin (keep), heavy, light
  int64_t n = 0;            ///< users, items: exact count instead of frac
  std::string by;           ///< users: uniform|activity; items: uniform|popularity
  uint64_t seed = 0;        ///< users, items, thin
  int32_t k = 0;            ///< kcore
  double from = 0, to = 1;  ///< window
  double threshold = 0;     ///< implicit
  std::string to_string() const;
};

struct DerivedRecipe {
  std::string base;  ///< a dataset spec load_dataset() understands (card name, file, synthetic:...)
  std::vector<DerivedStep> steps;
  /// Parses "base|op:k=v|..."; throws InvalidArgument naming the bad step and the valid keys.
  static DerivedRecipe parse(const std::string& text);
  std::string to_string() const;
};

/// Applies the steps to `data`. Side information (item metadata, user attributes) is not carried
/// over. Throws InvalidArgument when a step leaves no entries.
Interactions apply_recipe(const Interactions& data, const DerivedRecipe& recipe);

/// Keeps the entries whose index is listed (ascending) and re-indexes users and items densely,
/// keeping external ids, timestamps, feedback and scale.
Interactions compact_entries(const Interactions& data, const std::vector<int64_t>& entries,
                             const std::string& name);

/// `count` distinct, varied recipes over `bases` (round-robin), deterministic by `seed`; each
/// combines one to three steps with sizes drawn so that every result stays non-trivial.
std::vector<std::string> generate_recipes(const std::vector<std::string>& bases, int count,
                                          uint64_t seed);

/// A 64-bit content hash (hex) of the interactions: dimensions, feedback, entries (user, item,
/// value, time) in canonical order. Independent of names, ids and side information.
std::string fingerprint(const Interactions& data);

/// Basic meta-information of a dataset for the knowledge base: users, items, nnz, density,
/// feedback, scale, timestamps, side information present.
nlohmann::json dataset_info(const Interactions& data);

}  // namespace metarec
