// Derived-dataset recipes, their application, generation of varied recipes, and fingerprints.
#include <metarec/benchmark/derived.h>
#include <metarec/core/error.h>
#include <metarec/core/rng.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <numeric>
#include <set>
#include <sstream>

namespace metarec {

namespace {

std::vector<std::string> split_on(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

// Shortest text that reads back as exactly `x`.
std::string num(double x) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, x);
  return std::string(buf, r.ptr);
}

double parse_real(const std::string& step, const std::string& key, const std::string& v) {
  double x = 0;
  auto r = std::from_chars(v.data(), v.data() + v.size(), x);
  if (r.ec != std::errc() || r.ptr != v.data() + v.size() || !std::isfinite(x))
    METAREC_THROW(InvalidArgument, "recipe step \"", step, "\": ", key, "=", v, " is not a number");
  return x;
}

int64_t parse_integer(const std::string& step, const std::string& key, const std::string& v) {
  int64_t x = 0;
  auto r = std::from_chars(v.data(), v.data() + v.size(), x);
  if (r.ec != std::errc() || r.ptr != v.data() + v.size())
    METAREC_THROW(InvalidArgument, "recipe step \"", step, "\": ", key, "=", v,
                  " is not an integer");
  return x;
}

const std::map<std::string, std::vector<std::string>>& step_keys() {
  static const std::map<std::string, std::vector<std::string>> keys = {
      {"users", {"frac", "n", "by", "seed"}},
      {"items", {"frac", "n", "by", "seed"}},
      {"kcore", {"k"}},
      {"thin", {"keep", "seed"}},
      {"window", {"from", "to"}},
      {"implicit", {"threshold"}},
      {"heavy", {"frac"}},
      {"light", {"frac"}},
  };
  return keys;
}

DerivedStep parse_step(const std::string& text) {
  const auto colon = text.find(':');
  DerivedStep s;
  s.op = text.substr(0, colon);
  const auto& all = step_keys();
  auto it = all.find(s.op);
  if (it == all.end()) {
    std::string valid;
    for (const auto& [op, keys] : all) valid += (valid.empty() ? "" : ", ") + op;
    METAREC_THROW(InvalidArgument, "recipe step \"", text, "\": unknown operation \"", s.op,
                  "\" (valid: ", valid, ")");
  }
  std::set<std::string> seen;
  if (colon != std::string::npos) {
    for (const auto& kv : split_on(text.substr(colon + 1), ',')) {
      const auto eq = kv.find('=');
      if (eq == std::string::npos)
        METAREC_THROW(InvalidArgument, "recipe step \"", text, "\": \"", kv, "\" is not key=value");
      const std::string k = kv.substr(0, eq), v = kv.substr(eq + 1);
      if (std::find(it->second.begin(), it->second.end(), k) == it->second.end()) {
        std::string valid;
        for (const auto& x : it->second) valid += (valid.empty() ? "" : ", ") + x;
        METAREC_THROW(InvalidArgument, "recipe step \"", text, "\": unknown key \"", k,
                      "\" (valid for ", s.op, ": ", valid, ")");
      }
      if (!seen.insert(k).second)
        METAREC_THROW(InvalidArgument, "recipe step \"", text, "\": key \"", k, "\" repeated");
      if (k == "frac" || k == "keep") {
        s.frac = parse_real(text, k, v);
      } else if (k == "n") {
        s.n = parse_integer(text, k, v);
      } else if (k == "by") {
        s.by = v;
      } else if (k == "seed") {
        s.seed = static_cast<uint64_t>(parse_integer(text, k, v));
      } else if (k == "k") {
        s.k = static_cast<int32_t>(parse_integer(text, k, v));
      } else if (k == "from") {
        s.from = parse_real(text, k, v);
      } else if (k == "to") {
        s.to = parse_real(text, k, v);
      } else if (k == "threshold") {
        s.threshold = parse_real(text, k, v);
      }
    }
  }
  auto need = [&](bool ok, const char* what) {
    if (!ok) METAREC_THROW(InvalidArgument, "recipe step \"", text, "\": ", what);
  };
  if (s.op == "users" || s.op == "items") {
    need(seen.count("frac") + seen.count("n") == 1, "give exactly one of frac= or n=");
    need(seen.count("n") ? s.n >= 1 : (s.frac > 0 && s.frac <= 1),
         "frac must be in (0, 1], n >= 1");
    const std::string weighted = s.op == "users" ? "activity" : "popularity";
    if (s.by.empty()) s.by = "uniform";
    need(s.by == "uniform" || s.by == weighted,
         s.op == "users" ? "by must be uniform or activity" : "by must be uniform or popularity");
  } else if (s.op == "kcore") {
    need(s.k >= 1, "k must be >= 1");
  } else if (s.op == "thin") {
    need(seen.count("keep") == 1 && s.frac > 0 && s.frac <= 1, "keep must be in (0, 1]");
  } else if (s.op == "window") {
    need(s.from >= 0 && s.from < s.to && s.to <= 1, "need 0 <= from < to <= 1");
  } else if (s.op == "implicit") {
    need(seen.count("threshold") == 1, "threshold= is required");
  } else if (s.op == "heavy" || s.op == "light") {
    need(seen.count("frac") == 1 && s.frac > 0 && s.frac <= 1, "frac must be in (0, 1]");
  }
  return s;
}

}  // namespace

std::string DerivedStep::to_string() const {
  std::string s = op + ":";
  if (op == "users" || op == "items") {
    s += n > 0 ? "n=" + std::to_string(n) : "frac=" + num(frac);
    s += ",by=" + by + ",seed=" + std::to_string(seed);
  } else if (op == "kcore") {
    s += "k=" + std::to_string(k);
  } else if (op == "thin") {
    s += "keep=" + num(frac) + ",seed=" + std::to_string(seed);
  } else if (op == "window") {
    s += "from=" + num(from) + ",to=" + num(to);
  } else if (op == "implicit") {
    s += "threshold=" + num(threshold);
  } else {
    s += "frac=" + num(frac);
  }
  return s;
}

DerivedRecipe DerivedRecipe::parse(const std::string& text) {
  const auto parts = split_on(text, '|');
  DerivedRecipe r;
  r.base = parts[0];
  if (r.base.empty()) METAREC_THROW(InvalidArgument, "recipe \"", text, "\": no base dataset");
  for (size_t k = 1; k < parts.size(); ++k) r.steps.push_back(parse_step(parts[k]));
  return r;
}

std::string DerivedRecipe::to_string() const {
  std::string s = base;
  for (const auto& st : steps) s += "|" + st.to_string();
  return s;
}

Interactions compact_entries(const Interactions& data, const std::vector<int64_t>& entries,
                             const std::string& name) {
  if (entries.empty())
    METAREC_THROW(InvalidArgument, "derived dataset \"", name, "\" has no entries left");
  InteractionsBuilder b;
  b.reserve(entries.size());
  const bool times = data.has_timestamps();
  b.set_has_timestamps(times);
  std::vector<int32_t> umap(static_cast<size_t>(data.num_users()), -1),
      imap(static_cast<size_t>(data.num_items()), -1);
  const auto users = data.entry_users();
  const auto items = data.entry_items();
  const auto values = data.entry_values();
  const auto ts = data.entry_times();
  for (int64_t e : entries) {
    const int32_t u = users[e], i = items[e];
    if (umap[u] < 0) umap[u] = b.users().intern(data.user_ids().external(u));
    if (imap[i] < 0) imap[i] = b.items().intern(data.item_ids().external(i));
    b.add(umap[u], imap[i], values[e], times ? ts[e] : 0);
  }
  InteractionsBuilder::Options o;
  o.feedback = data.feedback() == Feedback::kImplicit ? "implicit" : "explicit";
  o.scale_min = data.scale_min();
  o.scale_max = data.scale_max();
  o.name = name;
  o.duplicates = DuplicatePolicy::kError;
  return b.build(o);
}

namespace {

// `m` distinct indices of [0, n) drawn without replacement with probability proportional to
// `weight` (uniform when empty), by exponential keys (Efraimidis-Spirakis), ascending.
std::vector<int32_t> weighted_sample(int32_t n, int64_t m, const std::vector<double>& weight,
                                     uint64_t seed) {
  Rng rng(seed);
  std::vector<std::pair<double, int32_t>> keys(static_cast<size_t>(n));
  for (int32_t x = 0; x < n; ++x) {
    const double w = weight.empty() ? 1.0 : weight[x];
    keys[x] = {w > 0 ? rng.exponential() / w : INFINITY, x};
  }
  const size_t take = static_cast<size_t>(std::min<int64_t>(m, n));
  std::nth_element(keys.begin(), keys.begin() + static_cast<std::ptrdiff_t>(take), keys.end());
  std::vector<int32_t> out;
  for (size_t k = 0; k < take; ++k)
    if (std::isfinite(keys[k].first)) out.push_back(keys[k].second);
  std::sort(out.begin(), out.end());
  return out;
}

Interactions apply_step(const Interactions& d, const DerivedStep& s, const std::string& name) {
  const int64_t nnz = d.nnz();
  const auto users = d.entry_users();
  const auto items = d.entry_items();
  std::vector<int64_t> keep;
  keep.reserve(static_cast<size_t>(nnz));
  if (s.op == "users" || s.op == "items") {
    const bool by_user = s.op == "users";
    const int32_t n = by_user ? d.num_users() : d.num_items();
    std::vector<double> w;
    if (s.by != "uniform") {
      w.resize(static_cast<size_t>(n));
      for (int32_t x = 0; x < n; ++x)
        w[x] = static_cast<double>(by_user ? d.user_count(x) : d.item_count(x));
    }
    const int64_t m = s.n > 0 ? s.n : std::max<int64_t>(1, std::llround(s.frac * n));
    std::vector<char> chosen(static_cast<size_t>(n), 0);
    for (int32_t x : weighted_sample(n, m, w, s.seed)) chosen[x] = 1;
    for (int64_t e = 0; e < nnz; ++e)
      if (chosen[by_user ? users[e] : items[e]]) keep.push_back(e);
  } else if (s.op == "kcore") {
    std::vector<int64_t> uc(static_cast<size_t>(d.num_users())),
        ic(static_cast<size_t>(d.num_items()));
    std::vector<char> alive(static_cast<size_t>(nnz), 1);
    for (bool changed = true; changed;) {
      changed = false;
      std::fill(uc.begin(), uc.end(), 0);
      std::fill(ic.begin(), ic.end(), 0);
      for (int64_t e = 0; e < nnz; ++e)
        if (alive[e]) ++uc[users[e]], ++ic[items[e]];
      for (int64_t e = 0; e < nnz; ++e)
        if (alive[e] && (uc[users[e]] < s.k || ic[items[e]] < s.k)) alive[e] = 0, changed = true;
    }
    for (int64_t e = 0; e < nnz; ++e)
      if (alive[e]) keep.push_back(e);
  } else if (s.op == "thin") {
    Rng rng(s.seed);
    for (int64_t e = 0; e < nnz; ++e)
      if (rng.uniform() < s.frac) keep.push_back(e);
  } else if (s.op == "window") {
    if (!d.has_timestamps())
      METAREC_THROW(InvalidArgument, "recipe step \"", s.to_string(), "\" needs timestamps, and \"",
                    d.name(), "\" has none");
    std::vector<int64_t> t(d.entry_times().begin(), d.entry_times().end());
    std::sort(t.begin(), t.end());
    auto at = [&](double q) {
      const auto k = static_cast<size_t>(std::floor(q * static_cast<double>(nnz)));
      return k >= t.size() ? INT64_MAX : t[k];
    };
    const int64_t lo = at(s.from), hi = s.to >= 1 ? INT64_MAX : at(s.to);
    const auto ts = d.entry_times();
    for (int64_t e = 0; e < nnz; ++e)
      if (ts[e] >= lo && (ts[e] < hi || hi == INT64_MAX)) keep.push_back(e);
  } else if (s.op == "implicit") {
    if (d.feedback() == Feedback::kImplicit) return d;  // already implicit: nothing to convert
    const auto v = d.entry_values();
    for (int64_t e = 0; e < nnz; ++e)
      if (v[e] >= s.threshold) keep.push_back(e);
    Interactions c = compact_entries(d, keep, name);
    // Re-build as implicit: every kept entry has value 1.
    InteractionsBuilder b;
    b.set_has_timestamps(c.has_timestamps());
    const auto cu = c.entry_users();
    const auto ci = c.entry_items();
    for (int32_t u = 0; u < c.num_users(); ++u) b.users().intern(c.user_ids().external(u));
    for (int32_t i = 0; i < c.num_items(); ++i) b.items().intern(c.item_ids().external(i));
    for (int64_t e = 0; e < c.nnz(); ++e)
      b.add(cu[e], ci[e], 1.0f, c.has_timestamps() ? c.entry_times()[e] : 0);
    InteractionsBuilder::Options o;
    o.feedback = "implicit";
    o.name = name;
    o.duplicates = DuplicatePolicy::kError;
    return b.build(o);
  } else {  // heavy, light
    std::vector<int32_t> order(static_cast<size_t>(d.num_users()));
    std::iota(order.begin(), order.end(), 0);
    const bool heavy = s.op == "heavy";
    std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
      return heavy ? d.user_count(a) > d.user_count(b) : d.user_count(a) < d.user_count(b);
    });
    // Users with no entries (possible in subsets) are not "light": skip them.
    std::vector<int32_t> active;
    for (int32_t u : order)
      if (d.user_count(u) > 0) active.push_back(u);
    const auto m = static_cast<size_t>(
        std::max<int64_t>(1, std::llround(s.frac * static_cast<double>(active.size()))));
    std::vector<char> chosen(static_cast<size_t>(d.num_users()), 0);
    for (size_t k = 0; k < std::min(m, active.size()); ++k) chosen[active[k]] = 1;
    for (int64_t e = 0; e < nnz; ++e)
      if (chosen[users[e]]) keep.push_back(e);
  }
  return compact_entries(d, keep, name);
}

}  // namespace

Interactions apply_recipe(const Interactions& data, const DerivedRecipe& recipe) {
  const std::string name = recipe.to_string();
  if (recipe.steps.empty()) return data;
  Interactions cur = apply_step(data, recipe.steps[0], name);
  for (size_t k = 1; k < recipe.steps.size(); ++k) cur = apply_step(cur, recipe.steps[k], name);
  return cur;
}

std::vector<std::string> generate_recipes(const std::vector<std::string>& bases, int count,
                                          uint64_t seed) {
  METAREC_CHECK(!bases.empty() || count == 0, "generate_recipes: no base datasets");
  Rng rng(seed);
  std::set<std::string> seen;
  std::vector<std::string> out;
  auto pick = [&](std::initializer_list<double> xs) {
    return *(xs.begin() + static_cast<std::ptrdiff_t>(rng.uniform_int(xs.size())));
  };
  int attempts = 0;
  while (static_cast<int>(out.size()) < count && attempts < count * 50) {
    ++attempts;
    DerivedRecipe r;
    r.base = bases[out.size() % bases.size()];
    // A size-reducing first step keeps every derived dataset cheap to run.
    DerivedStep first;
    const uint64_t kind = rng.uniform_int(4);
    first.seed = rng.uniform_int(1000000);
    if (kind == 0 || kind == 1) {
      first.op = kind == 0 ? "users" : "items";
      first.frac = pick({0.1, 0.2, 0.3, 0.5});
      first.by = rng.uniform_int(2) == 0 ? "uniform" : (kind == 0 ? "activity" : "popularity");
    } else if (kind == 2) {
      first.op = "thin";
      first.frac = pick({0.2, 0.3, 0.5});
    } else {
      first.op = rng.uniform_int(2) == 0 ? "heavy" : "light";
      first.frac = pick({0.2, 0.3, 0.5});
    }
    r.steps.push_back(first);
    const uint64_t extra = rng.uniform_int(4);
    if (extra == 1) {
      DerivedStep k;
      k.op = "kcore";
      k.k = static_cast<int32_t>(pick({2, 3, 5}));
      r.steps.push_back(k);
    } else if (extra == 2) {
      DerivedStep t;
      t.op = "thin";
      t.frac = pick({0.5, 0.7});
      t.seed = rng.uniform_int(1000000);
      r.steps.push_back(t);
    } else if (extra == 3) {
      DerivedStep i;
      i.op = "implicit";
      i.threshold = pick({3, 4});
      r.steps.push_back(i);
    }
    std::string name = r.to_string();
    if (seen.insert(name).second) out.push_back(std::move(name));
  }
  return out;
}

std::string fingerprint(const Interactions& data) {
  // FNV-1a over 64-bit words, then a SplitMix64 finish: stable across platforms and runs.
  uint64_t h = 0xcbf29ce484222325ULL;
  auto mix = [&](uint64_t x) {
    h ^= x;
    h *= 0x100000001b3ULL;
  };
  mix(static_cast<uint64_t>(data.num_users()));
  mix(static_cast<uint64_t>(data.num_items()));
  mix(static_cast<uint64_t>(data.nnz()));
  mix(data.feedback() == Feedback::kImplicit ? 1 : 0);
  const auto users = data.entry_users();
  const auto items = data.entry_items();
  const auto values = data.entry_values();
  const auto times = data.entry_times();
  for (int64_t e = 0; e < data.nnz(); ++e) {
    uint32_t vbits = 0;
    std::memcpy(&vbits, &values[e], sizeof vbits);
    mix((static_cast<uint64_t>(static_cast<uint32_t>(users[e])) << 32) |
        static_cast<uint32_t>(items[e]));
    mix(vbits);
    if (!times.empty()) mix(static_cast<uint64_t>(times[e]));
  }
  uint64_t z = h + 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  z ^= z >> 31;
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(z));
  return buf;
}

nlohmann::json dataset_info(const Interactions& data) {
  nlohmann::json j;
  j["users"] = data.num_users();
  j["items"] = data.num_items();
  j["interactions"] = data.nnz();
  const double cells =
      static_cast<double>(data.num_users()) * static_cast<double>(data.num_items());
  j["density"] = cells > 0 ? static_cast<double>(data.nnz()) / cells : 0.0;
  j["feedback"] = to_string(data.feedback());
  j["scale_min"] = data.scale_min();
  j["scale_max"] = data.scale_max();
  j["timestamps"] = data.has_timestamps();
  const ItemMeta* im = data.item_meta();
  const UserMeta* um = data.user_meta();
  j["genres"] = im != nullptr && im->has_genres();
  j["item_text"] = im != nullptr && im->has_texts();
  j["user_attributes"] = um != nullptr && !um->empty();
  return j;
}

}  // namespace metarec
