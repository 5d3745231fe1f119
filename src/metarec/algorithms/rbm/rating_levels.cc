// Rating levels: distinct training values, or an even grid when there are too many.
#include <metarec/algorithms/rbm/rating_levels.h>
#include <metarec/core/error.h>

#include <algorithm>
#include <string>

namespace metarec::detail {

std::vector<float> rating_levels(const Interactions& train, int max_levels) {
  METAREC_CHECK(max_levels >= 1 && max_levels <= 255, "max_levels must be in [1, 255], got ",
                max_levels);
  auto values = train.entry_values();
  METAREC_CHECK(!values.empty(), "rating levels of an empty training set");
  std::vector<float> distinct(values.begin(), values.end());
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  if (static_cast<int>(distinct.size()) <= max_levels) return distinct;
  const double lo = distinct.front(), hi = distinct.back();
  std::vector<float> grid(static_cast<size_t>(max_levels));
  for (int k = 0; k < max_levels; ++k)
    grid[k] = static_cast<float>(lo + (hi - lo) * k / (max_levels - 1));
  return grid;
}

int nearest_level(std::span<const float> levels, float value) {
  auto it = std::lower_bound(levels.begin(), levels.end(), value);
  if (it == levels.begin()) return 0;
  if (it == levels.end()) return static_cast<int>(levels.size()) - 1;
  const auto k = static_cast<int>(it - levels.begin());
  return (value - levels[k - 1] <= levels[k] - value) ? k - 1 : k;
}

std::vector<uint8_t> level_of_entries(const Interactions& train, std::span<const float> levels) {
  auto values = train.entry_values();
  std::vector<uint8_t> out(values.size());
  for (size_t e = 0; e < values.size(); ++e)
    out[e] = static_cast<uint8_t>(nearest_level(levels, values[e]));
  return out;
}

Interactions transpose_ratings(const Interactions& train) {
  InteractionsBuilder b;
  for (int32_t i = 0; i < train.num_items(); ++i) b.users().intern(std::to_string(i));
  for (int32_t u = 0; u < train.num_users(); ++u) b.items().intern(std::to_string(u));
  b.reserve(static_cast<size_t>(train.nnz()));
  auto users = train.entry_users();
  auto items = train.entry_items();
  auto values = train.entry_values();
  for (size_t e = 0; e < values.size(); ++e) b.add(items[e], users[e], values[e]);
  InteractionsBuilder::Options o;
  o.feedback = train.feedback() == Feedback::kExplicit ? "explicit" : "implicit";
  o.scale_min = train.scale_min();
  o.scale_max = train.scale_max();
  o.duplicates = DuplicatePolicy::kError;
  return b.build(o);
}

float LevelScale::expected(std::span<const float> p) const {
  double x = 0;
  for (size_t k = 0; k < values.size(); ++k) x += static_cast<double>(p[k]) * values[k];
  return static_cast<float>(std::clamp(x, static_cast<double>(lo), static_cast<double>(hi)));
}

float LevelScale::midpoint() const { return std::clamp(0.5f * (lo + hi), lo, hi); }

void LevelScale::save(ModelWriter& w, const std::string& prefix) const {
  const double scale[2] = {lo, hi};
  w.add(prefix + ".scale", std::span<const double>(scale, 2), {2});
  w.add(prefix + ".levels", std::span<const float>(values), {static_cast<int64_t>(values.size())});
}

void LevelScale::load(const ModelReader& r, const std::string& prefix) {
  const auto scale = r.f64(prefix + ".scale", {2});
  lo = static_cast<float>(scale[0]);
  hi = static_cast<float>(scale[1]);
  values = r.f32(prefix + ".levels");
  if (values.empty() || values.size() > 255)
    throw FormatError(r.path(), 0, prefix + ": bad number of rating levels");
}

std::span<const float> hidden_row(std::span<const float> states, std::span<const float> cold,
                                  int32_t row, int hidden) {
  const auto h = static_cast<size_t>(hidden);
  if (row < 0 || (static_cast<size_t>(row) + 1) * h > states.size()) return cold;
  return states.subspan(static_cast<size_t>(row) * h, h);
}

}  // namespace metarec::detail
