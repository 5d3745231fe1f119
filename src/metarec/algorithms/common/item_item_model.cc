// ItemItemModel scoring and persistence.
#include <metarec/algorithms/common/item_item_model.h>
#include <metarec/core/error.h>

#include <algorithm>

namespace metarec {

void ItemItemModel::set_weights(const Interactions& train, SparseMatrix w, bool use_values) {
  METAREC_CHECK(w.rows() == train.num_items() && w.cols() == train.num_items(), algorithm(),
                ": weight matrix must be items x items");
  w_ = std::move(w);
  use_values_ = use_values;
  user_values_.clear();
  user_ptr_.assign(train.user_ptr().begin(), train.user_ptr().end());
  if (use_values_) user_values_.assign(train.entry_values().begin(), train.entry_values().end());
  popularity_.assign(static_cast<size_t>(train.num_items()), 0.0f);
  const float scale = 1.0f / (static_cast<float>(train.num_users()) + 1.0f);
  for (int32_t i = 0; i < train.num_items(); ++i)
    popularity_[i] = static_cast<float>(train.item_count(i)) * scale * 1e-3f;
}

void ItemItemModel::score(int32_t user, std::span<float> out) const {
  require_fitted();
  auto items = seen_items(user);
  if (items.empty()) {
    std::copy(popularity_.begin(), popularity_.end(), out.begin());
    return;
  }
  std::fill(out.begin(), out.end(), 0.0f);
  const int64_t base = user_ptr_[user];
  for (size_t k = 0; k < items.size(); ++k) {
    const float v = use_values_ ? user_values_[static_cast<size_t>(base) + k] : 1.0f;
    w_.add_row(items[k], v, out);
  }
  // Break ties among zero scores by popularity, far below any real score.
  for (size_t i = 0; i < out.size(); ++i) out[i] += popularity_[i] * 1e-3f;
}

void ItemItemModel::score_new_user(std::span<const int32_t> items, std::span<const float> values,
                                   std::span<float> out) const {
  require_fitted();
  METAREC_CHECK(values.empty() || values.size() == items.size(),
                "fold-in: values and items differ in length");
  std::fill(out.begin(), out.end(), 0.0f);
  for (size_t k = 0; k < items.size(); ++k) {
    METAREC_CHECK(items[k] >= 0 && items[k] < num_items(), "fold-in: item ", items[k],
                  " out of range");
    w_.add_row(items[k], use_values_ && !values.empty() ? values[k] : 1.0f, out);
  }
  for (size_t i = 0; i < out.size(); ++i) out[i] += popularity_[i] * 1e-3f;
}

std::vector<ScoredItem> ItemItemModel::similar_items(int32_t item, int k) const {
  require_fitted();
  METAREC_CHECK(item >= 0 && item < num_items(), "item index ", item, " out of range");
  std::vector<ScoredItem> out;
  auto idx = w_.row_indices(item);
  auto val = w_.row_values(item);
  for (size_t p = 0; p < idx.size(); ++p)
    if (idx[p] != item) out.push_back({idx[p], val[p]});
  std::sort(out.begin(), out.end(), [](const ScoredItem& a, const ScoredItem& b) {
    return a.score > b.score || (a.score == b.score && a.item < b.item);
  });
  if (static_cast<int>(out.size()) > k) out.resize(static_cast<size_t>(k));
  return out;
}

void ItemItemModel::do_save(ModelWriter& w) const {
  w_.save(w, "itemitem.w");
  const int32_t flags[1] = {use_values_ ? 1 : 0};
  w.add("itemitem.flags", std::span<const int32_t>(flags, 1), {1});
  w.add_view("itemitem.user_ptr", std::span<const int64_t>(user_ptr_),
             {static_cast<int64_t>(user_ptr_.size())});
  w.add_view("itemitem.user_values", std::span<const float>(user_values_),
             {static_cast<int64_t>(user_values_.size())});
  w.add_view("itemitem.popularity", std::span<const float>(popularity_),
             {static_cast<int64_t>(popularity_.size())});
}

void ItemItemModel::do_load(const ModelReader& r) {
  w_ = SparseMatrix::load(r, "itemitem.w");
  if (w_.rows() != num_items() || w_.cols() != num_items())
    throw FormatError(r.path(), 0, "item-item weights do not match the number of items");
  use_values_ = r.i32("itemitem.flags", {1})[0] != 0;
  user_ptr_ = r.i64("itemitem.user_ptr", {static_cast<int64_t>(num_users()) + 1});
  user_values_ = r.f32("itemitem.user_values");
  popularity_ = r.f32("itemitem.popularity", {num_items()});
  if (use_values_ && static_cast<int64_t>(user_values_.size()) != user_ptr_.back())
    throw FormatError(r.path(), 0, "user values do not match the seen items");
}

}  // namespace metarec
