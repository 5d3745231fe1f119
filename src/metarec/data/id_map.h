// Two-way map between the ids that appear in a file (integers or strings) and dense int32 indices.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace metarec {

/// Dense indices are assigned in order of first appearance. Integer ids take a fast path (a
/// direct lookup table while ids are small, a hash map otherwise); the first non-integer id
/// switches the map to strings for good. Not thread-safe for writing; const use is thread-safe.
class IdMap {
 public:
  int32_t size() const { return static_cast<int32_t>(is_int_ ? ints_.size() : strings_.size()); }
  bool is_integer() const { return is_int_; }

  /// Index of `id`, inserting it if new.
  int32_t intern(std::string_view id);
  int32_t intern_int(int64_t id);
  /// Index of `id`, or nullopt.
  std::optional<int32_t> find(std::string_view id) const;
  /// The external id of index `i` as text.
  std::string external(int32_t i) const;
  /// The external ids in index order, as text (for model files).
  std::vector<std::string> externals() const;
  /// Interns every id of `other` in its index order; returns remap[other_index] = index here.
  /// Used to merge maps built by parallel loaders without changing first-appearance order.
  std::vector<int32_t> absorb(const IdMap& other);
  /// Rebuilds a map from external ids in index order (inverse of externals()).
  static IdMap from_externals(const std::vector<std::string>& ids);

 private:
  void switch_to_strings();
  static constexpr int64_t kDirectLimit = int64_t{1} << 26;

  bool is_int_ = true;
  std::vector<int64_t> ints_;
  std::vector<int32_t> direct_;  // direct_[id] = index + 1 (0 = absent), for 0 <= id < kDirectLimit
  std::unordered_map<int64_t, int32_t> int_hash_;  // ids outside the direct range
  std::vector<std::string> strings_;
  std::unordered_map<std::string, int32_t> string_hash_;
};

}  // namespace metarec
