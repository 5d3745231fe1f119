// The immutable user-item interaction matrix every algorithm trains on: dense ids, CSR by user,
// CSC by item, values, optional timestamps, id maps and side information.
#pragma once

#include <metarec/data/id_map.h>
#include <metarec/data/metadata.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace metarec {

enum class Feedback { kExplicit, kImplicit };
std::string to_string(Feedback f);

/// What to do with repeated (user, item) pairs.
enum class DuplicatePolicy {
  kLast,   ///< keep the latest by timestamp (file order breaks ties, and decides without times)
  kFirst,  ///< keep the earliest
  kMean,   ///< average the values, keep the latest timestamp
  kSum,    ///< add the values (counts), keep the latest timestamp
  kMax,    ///< keep the largest value
  kError,  ///< any duplicate is an error
};
DuplicatePolicy parse_duplicate_policy(const std::string& s);
std::string to_string(DuplicatePolicy p);

/// Counts reported by the builder; nothing is dropped without being counted here.
struct BuildReport {
  int64_t input_rows = 0;
  int64_t duplicate_rows = 0;   ///< rows merged into another row by the policy
  int64_t duplicate_pairs = 0;  ///< distinct (user, item) pairs that had duplicates
  DuplicatePolicy policy = DuplicatePolicy::kLast;
};

class Interactions;

/// Collects coordinates and builds an Interactions. Dense user/item indices come from the
/// builder's id maps (intern ids first, then add()). Not thread-safe.
class InteractionsBuilder {
 public:
  InteractionsBuilder();
  void reserve(size_t n);
  IdMap& users() { return *users_; }
  IdMap& items() { return *items_; }
  /// Call before adding rows; switching timestamps on later back-fills 0 for earlier rows.
  void set_has_timestamps(bool on) {
    has_times_ = on;
    if (on) t_.resize(u_.size(), 0);
  }
  void set_has_values(bool on) { has_values_ = on; }
  void add(int32_t user, int32_t item, float value, int64_t time = 0) {
    u_.push_back(user);
    i_.push_back(item);
    v_.push_back(value);
    if (has_times_) t_.push_back(time);
    if (track_parts_) p_.push_back(part_);
  }
  /// Tags the rows added from now on with `part` (e.g. 0 = train file, 1 = test file of a given
  /// split); build() reports each entry's part. Call before the first add().
  void set_part(uint8_t part) {
    track_parts_ = true;
    part_ = part;
  }
  size_t size() const { return u_.size(); }

  /// Bulk access for loaders that fill rows in parallel: resize() to the rows needed (new rows
  /// take the current part), write through the pointers, then resize() down to the rows used.
  void resize(size_t n);
  int32_t* user_column() { return u_.data(); }
  int32_t* item_column() { return i_.data(); }
  float* value_column() { return v_.data(); }
  int64_t* time_column() { return has_times_ ? t_.data() : nullptr; }

  struct Options {
    DuplicatePolicy duplicates = DuplicatePolicy::kLast;
    /// Empty: detect (no value column or a single distinct value => implicit).
    std::string feedback;                // "", "explicit" or "implicit"
    float scale_min = 0, scale_max = 0;  ///< declared scale; both 0 => observed range
    std::string name;                    ///< dataset name for messages and `info`
  };
  /// Consumes the builder. Throws InvalidArgument for an empty dataset or a kError duplicate.
  /// `parts`, when given and set_part() was used, receives the part of every entry (entry order).
  Interactions build(const Options& opts, BuildReport* report = nullptr,
                     std::vector<uint8_t>* parts = nullptr);

  std::shared_ptr<ItemMeta> item_meta;
  std::shared_ptr<UserMeta> user_meta;

 private:
  std::shared_ptr<IdMap> users_, items_;
  bool has_times_ = false, has_values_ = true, track_parts_ = false;
  uint8_t part_ = 0;
  std::vector<uint8_t> p_;
  std::vector<int32_t> u_, i_;
  std::vector<float> v_;
  std::vector<int64_t> t_;
};

/// Immutable interactions. Entries are stored CSR by user with items ascending within a user;
/// an entry's position in that order is its id (`entry`, 0 <= entry < nnz()). A CSC copy by item
/// (users ascending) serves item-side algorithms. Subsets made by splits share the id maps and
/// metadata and keep the full num_users()/num_items(), so train and test live in one index space.
/// Thread-safe for concurrent reads.
class Interactions {
 public:
  Interactions() = default;

  int32_t num_users() const { return num_users_; }
  int32_t num_items() const { return num_items_; }
  int64_t nnz() const { return static_cast<int64_t>(items_.size()); }
  Feedback feedback() const { return feedback_; }
  bool has_timestamps() const { return !times_.empty(); }
  float scale_min() const { return scale_min_; }
  float scale_max() const { return scale_max_; }
  const std::string& name() const { return name_; }

  // CSR by user. Spans are valid for the lifetime of this object.
  std::span<const int64_t> user_ptr() const { return user_ptr_; }
  std::span<const int32_t> user_items(int32_t u) const { return row(items_, u); }
  std::span<const float> user_values(int32_t u) const { return row(values_, u); }
  std::span<const int64_t> user_times(int32_t u) const { return row(times_, u); }
  int64_t user_count(int32_t u) const { return user_ptr_[u + 1] - user_ptr_[u]; }
  std::span<const int32_t> entry_items() const { return items_; }
  std::span<const float> entry_values() const { return values_; }
  std::span<const int64_t> entry_times() const { return times_; }
  /// User of every entry (size nnz).
  std::span<const int32_t> entry_users() const { return users_of_entry_; }

  // CSC by item.
  std::span<const int64_t> item_ptr() const { return item_ptr_; }
  std::span<const int32_t> item_users(int32_t i) const {
    return {csc_users_.data() + item_ptr_[i], static_cast<size_t>(item_ptr_[i + 1] - item_ptr_[i])};
  }
  std::span<const float> item_values(int32_t i) const {
    return {csc_values_.data() + item_ptr_[i],
            static_cast<size_t>(item_ptr_[i + 1] - item_ptr_[i])};
  }
  int64_t item_count(int32_t i) const { return item_ptr_[i + 1] - item_ptr_[i]; }

  /// Value of (u, i), or nullptr when absent. O(log count(u)).
  const float* find(int32_t u, int32_t i) const;
  bool contains(int32_t u, int32_t i) const { return find(u, i) != nullptr; }
  double global_mean() const { return global_mean_; }

  const IdMap& user_ids() const { return *user_ids_; }
  const IdMap& item_ids() const { return *item_ids_; }
  std::shared_ptr<const IdMap> user_ids_ptr() const { return user_ids_; }
  std::shared_ptr<const IdMap> item_ids_ptr() const { return item_ids_; }
  const ItemMeta* item_meta() const { return item_meta_.get(); }
  const UserMeta* user_meta() const { return user_meta_.get(); }

  /// A new Interactions holding the given entries (ids into this one, any order, no repeats),
  /// sharing id maps, metadata, scale and feedback.
  Interactions subset(std::span<const int64_t> entries, const std::string& name = "") const;
  /// The same data with feedback overridden (e.g. treat ratings as implicit).
  Interactions with_feedback(Feedback f) const;

 private:
  friend class InteractionsBuilder;
  template <typename T>
  std::span<const T> row(const std::vector<T>& v, int32_t u) const {
    return {v.data() + user_ptr_[u], static_cast<size_t>(user_ptr_[u + 1] - user_ptr_[u])};
  }
  /// Fills CSC, entry users and the mean from the CSR arrays.
  void finish();

  std::string name_;
  int32_t num_users_ = 0, num_items_ = 0;
  Feedback feedback_ = Feedback::kExplicit;
  float scale_min_ = 0, scale_max_ = 0;
  double global_mean_ = 0;
  std::vector<int64_t> user_ptr_{0};
  std::vector<int32_t> items_;
  std::vector<float> values_;
  std::vector<int64_t> times_;
  std::vector<int32_t> users_of_entry_;
  std::vector<int64_t> item_ptr_{0};
  std::vector<int32_t> csc_users_;
  std::vector<float> csc_values_;
  std::shared_ptr<const IdMap> user_ids_, item_ids_;
  std::shared_ptr<const ItemMeta> item_meta_;
  std::shared_ptr<const UserMeta> user_meta_;
};

}  // namespace metarec
