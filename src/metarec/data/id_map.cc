// IdMap: integer fast path with a fallback to strings.
#include <metarec/core/error.h>
#include <metarec/data/id_map.h>

#include <charconv>

namespace metarec {

namespace {
// Canonical integers only: "007" or "+7" stay strings so that external() gives back the same text.
bool parse_canonical_int(std::string_view s, int64_t& out) {
  if (s.empty() || s.size() > 18) return false;
  if (s.size() > 1 && (s[0] == '0' || (s[0] == '-' && s[1] == '0'))) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size() && !(s[0] == '-' && out == 0);
}
}  // namespace

int32_t IdMap::intern_int(int64_t id) {
  if (!is_int_) return intern(std::to_string(id));
  if (id >= 0 && id < kDirectLimit) {
    if (static_cast<size_t>(id) >= direct_.size()) {
      direct_.resize(std::max<size_t>(static_cast<size_t>(id) + 1, direct_.size() * 2), 0);
    }
    int32_t& slot = direct_[static_cast<size_t>(id)];
    if (slot == 0) {
      METAREC_CHECK(ints_.size() < INT32_MAX - 1, "more than 2^31 distinct ids");
      ints_.push_back(id);
      slot = static_cast<int32_t>(ints_.size());
    }
    return slot - 1;
  }
  auto [it, inserted] = int_hash_.try_emplace(id, static_cast<int32_t>(ints_.size()));
  if (inserted) ints_.push_back(id);
  return it->second;
}

int32_t IdMap::intern(std::string_view id) {
  if (is_int_) {
    int64_t v;
    if (parse_canonical_int(id, v)) return intern_int(v);
    switch_to_strings();
  }
  auto it = string_hash_.find(std::string(id));
  if (it != string_hash_.end()) return it->second;
  const int32_t idx = static_cast<int32_t>(strings_.size());
  strings_.emplace_back(id);
  string_hash_.emplace(strings_.back(), idx);
  return idx;
}

std::optional<int32_t> IdMap::find(std::string_view id) const {
  if (is_int_) {
    int64_t v;
    if (!parse_canonical_int(id, v)) return std::nullopt;
    if (v >= 0 && v < kDirectLimit) {
      if (static_cast<size_t>(v) >= direct_.size() || direct_[static_cast<size_t>(v)] == 0)
        return std::nullopt;
      return direct_[static_cast<size_t>(v)] - 1;
    }
    auto it = int_hash_.find(v);
    if (it == int_hash_.end()) return std::nullopt;
    return it->second;
  }
  auto it = string_hash_.find(std::string(id));
  if (it == string_hash_.end()) return std::nullopt;
  return it->second;
}

std::string IdMap::external(int32_t i) const {
  METAREC_CHECK(i >= 0 && i < size(), "index ", i, " is outside the id map (size ", size(), ")");
  return is_int_ ? std::to_string(ints_[static_cast<size_t>(i)]) : strings_[static_cast<size_t>(i)];
}

std::vector<std::string> IdMap::externals() const {
  std::vector<std::string> out;
  out.reserve(static_cast<size_t>(size()));
  for (int32_t i = 0; i < size(); ++i) out.push_back(external(i));
  return out;
}

std::vector<int32_t> IdMap::absorb(const IdMap& other) {
  std::vector<int32_t> remap(static_cast<size_t>(other.size()));
  if (other.is_int_) {
    for (size_t k = 0; k < other.ints_.size(); ++k) remap[k] = intern_int(other.ints_[k]);
  } else {
    for (size_t k = 0; k < other.strings_.size(); ++k) remap[k] = intern(other.strings_[k]);
  }
  return remap;
}

IdMap IdMap::from_externals(const std::vector<std::string>& ids) {
  IdMap m;
  for (const auto& s : ids) {
    const int32_t before = m.size();
    const int32_t idx = m.intern(s);
    METAREC_CHECK(idx == before, "duplicate external id \"", s, "\" in id list");
  }
  return m;
}

void IdMap::switch_to_strings() {
  is_int_ = false;
  strings_.reserve(ints_.size());
  for (size_t i = 0; i < ints_.size(); ++i) {
    strings_.push_back(std::to_string(ints_[i]));
    string_hash_.emplace(strings_.back(), static_cast<int32_t>(i));
  }
  ints_.clear();
  ints_.shrink_to_fit();
  direct_.clear();
  direct_.shrink_to_fit();
  int_hash_.clear();
}

}  // namespace metarec
