// The sparse feature vectors a factorization machine sees for a (user, item, time) triple: one-hot
// user and item ids, normalized item genres, categorical user attributes and a time bin.
#pragma once

#include <metarec/core/model_file.h>
#include <metarec/data/interactions.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace metarec {

/// Which optional feature groups to use besides the user and item ids.
struct FmFeatureSet {
  bool genres = false;           ///< item genres, each 1/|genres of the item|
  bool user_attributes = false;  ///< one-hot per categorical user attribute (numbers bucketed)
  bool time = false;             ///< one-hot time bin of the interaction (needs timestamps)

  /// "ids", "ids+genres", "ids+user", "ids+time", "ids+genres+user", "ids+genres+time",
  /// "ids+user+time" or "all".
  static FmFeatureSet parse(const std::string& name);
  static std::vector<std::string> names();
};

/// Feature groups, in index order. A row's features are ascending because the user side
/// (user id, attributes, time) precedes the item side (item id, genres).
enum class FmGroup : int8_t { kUser = 0, kUserAttribute, kTime, kItem, kGenre };
inline constexpr int kFmGroups = 5;

/// The feature layout of one fitted model. Built from the training data, then immutable;
/// thread-safe to read. Groups absent from the data (or not requested) have no features.
class FmFeatureMap {
 public:
  /// `time_bins` equal-frequency bins of the training timestamps when set.time and the data has
  /// timestamps.
  void build(const Interactions& train, const FmFeatureSet& set, int time_bins);

  int32_t num_features() const { return offset_[kFmGroups]; }
  int32_t group_begin(FmGroup g) const { return offset_[static_cast<int>(g)]; }
  int32_t group_end(FmGroup g) const { return offset_[static_cast<int>(g) + 1]; }
  FmGroup group_of(int32_t feature) const;

  /// User-side features of u without time (user id, attributes), ascending, with values.
  std::span<const int32_t> user_features(int32_t u) const { return span(uidx_, uptr_, u); }
  std::span<const float> user_values(int32_t u) const { return span(uval_, uptr_, u); }
  /// Item-side features of i (item id, genres), ascending, with values.
  std::span<const int32_t> item_features(int32_t i) const { return span(iidx_, iptr_, i); }
  std::span<const float> item_values(int32_t i) const { return span(ival_, iptr_, i); }

  bool uses_time() const { return !time_edges_.empty(); }
  /// The time-bin feature of a timestamp, or -1 without time features.
  int32_t time_feature(int64_t t) const;
  /// The time-bin feature used to predict for u: the bin of u's latest training interaction
  /// (the latest bin for users without one), or -1 without time features.
  int32_t prediction_time_feature(int32_t u) const;

  /// Appends the features of (u, i) at time feature `tf` (-1: none) to idx/val (ascending).
  void append_row(int32_t u, int32_t i, int32_t tf, std::vector<int32_t>& idx,
                  std::vector<float>& val) const;

  void save(ModelWriter& w) const;
  void load(const ModelReader& r, int32_t num_users, int32_t num_items);

 private:
  template <typename T>
  static std::span<const T> span(const std::vector<T>& v, const std::vector<int64_t>& ptr,
                                 int32_t r) {
    return {v.data() + ptr[r], static_cast<size_t>(ptr[r + 1] - ptr[r])};
  }
  int32_t offset_[kFmGroups + 1] = {0, 0, 0, 0, 0, 0};
  std::vector<int64_t> uptr_{0}, iptr_{0};
  std::vector<int32_t> uidx_, iidx_;
  std::vector<float> uval_, ival_;
  std::vector<int64_t> time_edges_;  ///< bin b holds times < time_edges_[b] (last bin: the rest)
  std::vector<int32_t> user_time_;   ///< per user: prediction time feature
};

}  // namespace metarec
