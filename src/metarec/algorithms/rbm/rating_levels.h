// The discrete rating levels of the Boltzmann-family models (RBM, CF-NADE): each model has one
// softmax unit per level, so training ratings are mapped to the nearest level index.
#pragma once

#include <metarec/data/interactions.h>

#include <cstdint>
#include <span>
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

/// `train` with users and items swapped (user k of the result is item k of `train`, item k is
/// user k), same values, scale and feedback: for the item-based variants, whose "cases" are items.
Interactions transpose_ratings(const Interactions& train);

}  // namespace metarec::detail
