// The discrete rating levels of the Boltzmann-family models (RBM, CF-NADE): each model has one
// softmax unit per level, so training ratings are mapped to the nearest level index.
#pragma once

#include <metarec/core/model_file.h>
#include <metarec/data/interactions.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace metarec::detail {

/// The levels used for `train`: when it holds at most `max_levels` distinct values they are the
/// levels exactly (1..5 stars -> 5 levels; 0.5..5 in half stars -> 10 levels); otherwise
/// `max_levels` evenly spaced values from the smallest to the largest value (a continuous scale
/// is quantized, and predictions are expectations over those levels). Ascending; at least one.
std::vector<float> rating_levels(const Interactions& train, int max_levels);

/// The index of the level nearest to `value` (the lower one on ties); `levels` ascending.
int nearest_level(std::span<const float> levels, float value);

/// The level index of every entry of `train` (entry order, size nnz).
std::vector<uint8_t> level_of_entries(const Interactions& train, std::span<const float> levels);

/// A trained model's rating levels and the scale its predictions are clipped to.
struct LevelScale {
  std::vector<float> values;  ///< ascending
  float lo = 0, hi = 0;

  /// The expected level value under the per-level probabilities `p`, clipped to [lo, hi].
  float expected(std::span<const float> p) const;
  /// The prediction for a pair the model knows nothing about: the middle of the scale.
  float midpoint() const;
  /// Writes "<prefix>.scale" (lo, hi as F64) and "<prefix>.levels".
  void save(ModelWriter& w, const std::string& prefix) const;
  /// Reads what save() wrote; FormatError unless there are 1 to 255 levels.
  void load(const ModelReader& r, const std::string& prefix);
};

/// Row `row` of the rows x `hidden` hidden states, or `cold` when the row has no state (a user
/// out of range).
std::span<const float> hidden_row(std::span<const float> states, std::span<const float> cold,
                                  int32_t row, int hidden);

/// `train` with users and items swapped (user k of the result is item k of `train`, item k is
/// user k), same values, scale and feedback: for the item-based variants, whose "cases" are items.
Interactions transpose_ratings(const Interactions& train);

}  // namespace metarec::detail
