// Building, using and persisting the factorization machine's feature layout.
#include <metarec/algorithms/fm/fm_features.h>
#include <metarec/core/error.h>

#include <algorithm>
#include <charconv>
#include <map>

namespace metarec {

namespace {

const std::vector<std::pair<std::string, FmFeatureSet>>& feature_sets() {
  static const std::vector<std::pair<std::string, FmFeatureSet>> sets = {
      {"ids", {false, false, false}},           {"ids+genres", {true, false, false}},
      {"ids+user", {false, true, false}},       {"ids+time", {false, false, true}},
      {"ids+genres+user", {true, true, false}}, {"ids+genres+time", {true, false, true}},
      {"ids+user+time", {false, true, true}},   {"all", {true, true, true}},
  };
  return sets;
}

bool parse_number(const std::string& s, double& out) {
  if (s.empty()) return false;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

// Numeric attributes with more distinct values than this are bucketed by quantiles.
constexpr size_t kMaxNumericLevels = 16;
constexpr int kNumericBuckets = 8;

// Per user, the local feature index of one attribute (-1: missing); returns the feature count.
int32_t encode_attribute(const std::vector<std::string>& values, std::vector<int32_t>& code) {
  const size_t n = values.size();
  code.assign(n, -1);
  std::vector<double> nums(n, 0.0);
  bool numeric = true;
  std::map<std::string, int32_t> vocab;
  for (size_t u = 0; u < n; ++u) {
    if (values[u].empty()) continue;
    vocab.emplace(values[u], 0);
    if (numeric && !parse_number(values[u], nums[u])) numeric = false;
  }
  if (vocab.empty()) return 0;
  if (numeric && vocab.size() > kMaxNumericLevels) {
    std::vector<double> sorted;
    for (size_t u = 0; u < n; ++u)
      if (!values[u].empty()) sorted.push_back(nums[u]);
    std::sort(sorted.begin(), sorted.end());
    std::vector<double> edges;
    for (int b = 1; b < kNumericBuckets; ++b) {
      const double e = sorted[sorted.size() * static_cast<size_t>(b) / kNumericBuckets];
      if (edges.empty() || e > edges.back()) edges.push_back(e);
    }
    for (size_t u = 0; u < n; ++u)
      if (!values[u].empty())
        code[u] = static_cast<int32_t>(std::upper_bound(edges.begin(), edges.end(), nums[u]) -
                                       edges.begin());
    return static_cast<int32_t>(edges.size()) + 1;
  }
  int32_t next = 0;
  for (auto& [value, id] : vocab) id = next++;
  for (size_t u = 0; u < n; ++u)
    if (!values[u].empty()) code[u] = vocab[values[u]];
  return next;
}

}  // namespace

FmFeatureSet FmFeatureSet::parse(const std::string& name) {
  for (const auto& [n, s] : feature_sets())
    if (n == name) return s;
  std::string valid;
  for (const auto& n : names()) valid += (valid.empty() ? "" : ", ") + n;
  METAREC_THROW(InvalidArgument, "unknown feature set \"", name, "\"; valid: ", valid);
}

std::vector<std::string> FmFeatureSet::names() {
  std::vector<std::string> out;
  for (const auto& [n, s] : feature_sets()) out.push_back(n);
  return out;
}

void FmFeatureMap::build(const Interactions& train, const FmFeatureSet& set, int time_bins) {
  const int32_t nu = train.num_users(), ni = train.num_items();

  // User attributes: each attribute's levels get consecutive local ids.
  std::vector<std::vector<int32_t>> attr_code;
  std::vector<int32_t> attr_base;
  int32_t n_attr = 0;
  const UserMeta* um = train.user_meta();
  if (set.user_attributes && um != nullptr) {
    for (const auto& values : um->values) {
      if (static_cast<int32_t>(values.size()) != nu) continue;
      std::vector<int32_t> code;
      const int32_t levels = encode_attribute(values, code);
      if (levels == 0) continue;
      attr_base.push_back(n_attr);
      attr_code.push_back(std::move(code));
      n_attr += levels;
    }
  }
  // Genres.
  const ItemMeta* im = train.item_meta();
  const bool genres = set.genres && im != nullptr && static_cast<int32_t>(im->genres.size()) == ni;
  const int32_t n_genres = genres ? static_cast<int32_t>(im->genre_names.size()) : 0;
  // Time bins: equal-frequency edges of the training timestamps.
  time_edges_.clear();
  if (set.time && train.has_timestamps() && time_bins > 1) {
    std::vector<int64_t> t(train.entry_times().begin(), train.entry_times().end());
    std::sort(t.begin(), t.end());
    for (int b = 1; b < time_bins; ++b) {
      const int64_t e = t[t.size() * static_cast<size_t>(b) / static_cast<size_t>(time_bins)];
      if (e > t.front() && (time_edges_.empty() || e > time_edges_.back()))
        time_edges_.push_back(e);
    }
  }
  const int32_t n_time = time_edges_.empty() ? 0 : static_cast<int32_t>(time_edges_.size()) + 1;

  const int32_t sizes[kFmGroups] = {nu, n_attr, n_time, ni, n_genres};
  offset_[0] = 0;
  for (int g = 0; g < kFmGroups; ++g) offset_[g + 1] = offset_[g] + sizes[g];

  uptr_.assign(1, 0);
  uidx_.clear();
  uval_.clear();
  for (int32_t u = 0; u < nu; ++u) {
    uidx_.push_back(u);
    uval_.push_back(1.0f);
    for (size_t a = 0; a < attr_code.size(); ++a)
      if (attr_code[a][u] >= 0) {
        uidx_.push_back(offset_[1] + attr_base[a] + attr_code[a][u]);
        uval_.push_back(1.0f);
      }
    uptr_.push_back(static_cast<int64_t>(uidx_.size()));
  }
  iptr_.assign(1, 0);
  iidx_.clear();
  ival_.clear();
  for (int32_t i = 0; i < ni; ++i) {
    iidx_.push_back(offset_[3] + i);
    ival_.push_back(1.0f);
    if (genres && !im->genres[i].empty()) {
      const float w = 1.0f / static_cast<float>(im->genres[i].size());
      for (int32_t g : im->genres[i]) {
        iidx_.push_back(offset_[4] + g);
        ival_.push_back(w);
      }
    }
    iptr_.push_back(static_cast<int64_t>(iidx_.size()));
  }
  user_time_.assign(static_cast<size_t>(nu), -1);
  if (uses_time()) {
    const int32_t last = offset_[3] - 1;
    for (int32_t u = 0; u < nu; ++u) {
      const auto times = train.user_times(u);
      user_time_[u] =
          times.empty() ? last : time_feature(*std::max_element(times.begin(), times.end()));
    }
  }
}

FmGroup FmFeatureMap::group_of(int32_t feature) const {
  int g = 0;
  while (g + 1 < kFmGroups && feature >= offset_[g + 1]) ++g;
  return static_cast<FmGroup>(g);
}

int32_t FmFeatureMap::time_feature(int64_t t) const {
  if (!uses_time()) return -1;
  return offset_[2] +
         static_cast<int32_t>(std::upper_bound(time_edges_.begin(), time_edges_.end(), t) -
                              time_edges_.begin());
}

int32_t FmFeatureMap::prediction_time_feature(int32_t u) const {
  if (!uses_time()) return -1;
  if (u >= 0 && u < static_cast<int32_t>(user_time_.size())) return user_time_[u];
  return offset_[3] - 1;
}

void FmFeatureMap::append_row(int32_t u, int32_t i, int32_t tf, std::vector<int32_t>& idx,
                              std::vector<float>& val) const {
  if (u >= 0 && u + 1 < static_cast<int32_t>(uptr_.size())) {
    idx.insert(idx.end(), uidx_.begin() + uptr_[u], uidx_.begin() + uptr_[u + 1]);
    val.insert(val.end(), uval_.begin() + uptr_[u], uval_.begin() + uptr_[u + 1]);
  }
  if (tf >= 0) {
    idx.push_back(tf);
    val.push_back(1.0f);
  }
  if (i >= 0 && i + 1 < static_cast<int32_t>(iptr_.size())) {
    idx.insert(idx.end(), iidx_.begin() + iptr_[i], iidx_.begin() + iptr_[i + 1]);
    val.insert(val.end(), ival_.begin() + iptr_[i], ival_.begin() + iptr_[i + 1]);
  }
}

void FmFeatureMap::save(ModelWriter& w) const {
  w.add("fm.layout", std::span<const int32_t>(offset_, kFmGroups + 1), {kFmGroups + 1});
  w.add("fm.user_ptr", std::span<const int64_t>(uptr_), {static_cast<int64_t>(uptr_.size())});
  w.add("fm.user_idx", std::span<const int32_t>(uidx_), {static_cast<int64_t>(uidx_.size())});
  w.add("fm.user_val", std::span<const float>(uval_), {static_cast<int64_t>(uval_.size())});
  w.add("fm.item_ptr", std::span<const int64_t>(iptr_), {static_cast<int64_t>(iptr_.size())});
  w.add("fm.item_idx", std::span<const int32_t>(iidx_), {static_cast<int64_t>(iidx_.size())});
  w.add("fm.item_val", std::span<const float>(ival_), {static_cast<int64_t>(ival_.size())});
  w.add("fm.time_edges", std::span<const int64_t>(time_edges_),
        {static_cast<int64_t>(time_edges_.size())});
  w.add("fm.user_time", std::span<const int32_t>(user_time_),
        {static_cast<int64_t>(user_time_.size())});
}

void FmFeatureMap::load(const ModelReader& r, int32_t num_users, int32_t num_items) {
  auto layout = r.i32("fm.layout", {kFmGroups + 1});
  for (int g = 0; g <= kFmGroups; ++g) offset_[g] = layout[g];
  for (int g = 0; g < kFmGroups; ++g)
    if (offset_[g + 1] < offset_[g]) throw FormatError(r.path(), 0, "fm.layout is not ascending");
  if (offset_[0] != 0 || offset_[1] != num_users || offset_[4] - offset_[3] != num_items)
    throw FormatError(r.path(), 0, "fm.layout does not match the model's users and items");
  uptr_ = r.i64("fm.user_ptr", {int64_t{num_users} + 1});
  uidx_ = r.i32("fm.user_idx");
  uval_ = r.f32("fm.user_val", {static_cast<int64_t>(uidx_.size())});
  iptr_ = r.i64("fm.item_ptr", {int64_t{num_items} + 1});
  iidx_ = r.i32("fm.item_idx");
  ival_ = r.f32("fm.item_val", {static_cast<int64_t>(iidx_.size())});
  time_edges_ = r.i64("fm.time_edges");
  user_time_ = r.i32("fm.user_time", {num_users});
  auto check_csr = [&](const std::vector<int64_t>& ptr, const std::vector<int32_t>& idx) {
    if (ptr.front() != 0 || ptr.back() != static_cast<int64_t>(idx.size()))
      throw FormatError(r.path(), 0, "fm feature rows are inconsistent");
    for (size_t q = 1; q < ptr.size(); ++q)
      if (ptr[q] < ptr[q - 1]) throw FormatError(r.path(), 0, "fm feature rows are inconsistent");
    for (int32_t f : idx)
      if (f < 0 || f >= num_features())
        throw FormatError(r.path(), 0, "fm feature index out of range");
  };
  check_csr(uptr_, uidx_);
  check_csr(iptr_, iidx_);
  const int32_t n_time = offset_[3] - offset_[2];
  if (n_time != (time_edges_.empty() ? 0 : static_cast<int32_t>(time_edges_.size()) + 1))
    throw FormatError(r.path(), 0, "fm.time_edges do not match the layout");
  for (int32_t t : user_time_)
    if (t != -1 && (t < offset_[2] || t >= offset_[3]))
      throw FormatError(r.path(), 0, "fm.user_time out of range");
}

}  // namespace metarec
