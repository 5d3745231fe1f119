// An optional ability of sequential models: scoring a user who was not in training from a history
// whose entries carry timestamps, so the model can read it in time order.
#pragma once

#include <cstdint>
#include <span>

namespace metarec {

/// FoldIn with the entries' timestamps. The evaluator calls it instead of FoldIn::score_new_user
/// when the model has it and the fold-in data has timestamps.
class HistoryFoldIn {
 public:
  virtual ~HistoryFoldIn() = default;
  /// `items` (any order), `values` parallel to it (ratings or 1, or empty) and `times` parallel
  /// to it; out has size num_items(). Equal times keep the order of `items`. Thread-safe.
  virtual void score_new_history(std::span<const int32_t> items, std::span<const float> values,
                                 std::span<const int64_t> times, std::span<float> out) const = 0;
};

}  // namespace metarec
