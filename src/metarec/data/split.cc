// Split implementations; each assigns every entry to train or test, then builds both subsets.
#include <metarec/core/error.h>
#include <metarec/core/rng.h>
#include <metarec/data/split.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <numeric>
#include <sstream>

namespace metarec {

UnseenPolicy parse_unseen_policy(const std::string& s) {
  if (s == "drop") return UnseenPolicy::kDrop;
  if (s == "keep") return UnseenPolicy::kKeep;
  METAREC_THROW(InvalidArgument, "unknown unseen policy \"", s, "\"; valid: drop, keep");
}

SplitSpec SplitSpec::parse(const std::string& text) {
  SplitSpec s;
  const auto colon = text.find(':');
  s.method = text.substr(0, colon);
  static const std::vector<std::string> methods = {"random",        "user_random", "leave_last",
                                                   "user_temporal", "time_cutoff", "kfold",
                                                   "given",         "strong"};
  if (std::find(methods.begin(), methods.end(), s.method) == methods.end()) {
    METAREC_THROW(InvalidArgument, "unknown split method \"", s.method,
                  "\"; valid: random, user_random, leave_last, user_temporal, time_cutoff, kfold, "
                  "given, strong");
  }
  if (colon == std::string::npos) return s;
  std::stringstream ss(text.substr(colon + 1));
  for (std::string kv; std::getline(ss, kv, ',');) {
    const auto eq = kv.find('=');
    METAREC_CHECK(eq != std::string::npos, "split option \"", kv, "\" is not key=value");
    const std::string k = kv.substr(0, eq), v = kv.substr(eq + 1);
    try {
      size_t used = 0;
      auto num = [&] {
        double d = std::stod(v, &used);
        if (used != v.size()) throw std::invalid_argument(v);
        return d;
      };
      // Integers are read as integers: "k=1.5" is an error, and a 64-bit seed stays exact.
      auto integer = [&]<typename T>(T& out) {
        const char* end = v.data() + v.size();
        const auto [ptr, ec] = std::from_chars(v.data(), end, out);
        if (ec == std::errc::result_out_of_range) throw std::out_of_range(v);
        if (ec != std::errc() || ptr != end || v.empty()) {
          METAREC_THROW(InvalidArgument, "split option ", k, ": \"", v, "\" is not a whole number");
        }
      };
      if (k == "test")
        s.test_fraction = num();
      else if (k == "k")
        integer(s.leave_k);
      else if (k == "quantile")
        s.cutoff_quantile = num();
      else if (k == "folds")
        integer(s.folds);
      else if (k == "fold")
        integer(s.fold);
      else if (k == "seed")
        integer(s.seed);
      else if (k == "min_user")
        integer(s.min_user_count);
      else if (k == "unseen")
        s.unseen = parse_unseen_policy(v);
      else if (k == "users")
        s.heldout_users = num();
      else if (k == "fold_in")
        s.fold_in_fraction = num();
      else
        METAREC_THROW(InvalidArgument, "unknown split option \"", k,
                      "\"; valid: test, k, quantile, folds, fold, seed, unseen, min_user, users, "
                      "fold_in");
    } catch (const std::invalid_argument&) {
      METAREC_THROW(InvalidArgument, "split option ", k, ": \"", v, "\" is not a number");
    } catch (const std::out_of_range&) {
      METAREC_THROW(InvalidArgument, "split option ", k, ": \"", v, "\" is out of range");
    }
  }
  s.validate();
  return s;
}

void SplitSpec::validate() const {
  METAREC_CHECK(test_fraction > 0 && test_fraction < 1, "split: test must be in (0, 1), got ",
                test_fraction);
  METAREC_CHECK(leave_k >= 1, "split: k must be >= 1");
  METAREC_CHECK(cutoff_quantile > 0 && cutoff_quantile < 1, "split: quantile must be in (0, 1)");
  METAREC_CHECK(folds >= 2, "split: folds must be >= 2");
  METAREC_CHECK(fold >= 0 && fold < folds, "split: fold must be in [0, folds)");
  METAREC_CHECK(min_user_count >= 1, "split: min_user must be >= 1");
  METAREC_CHECK((heldout_users > 0 && heldout_users < 1) ||
                    (heldout_users >= 1 && heldout_users == std::floor(heldout_users) &&
                     heldout_users < 2147483648.0),
                "split: users must be a fraction in (0, 1) or a whole number of users >= 1, got ",
                heldout_users);
  METAREC_CHECK(fold_in_fraction > 0 && fold_in_fraction < 1,
                "split: fold_in must be in (0, 1), got ", fold_in_fraction);
}

std::string SplitSpec::to_string() const {
  std::ostringstream os;
  os << method;
  // Shortest text that reads back as the same double.
  auto exact = [](double d) {
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof buf, d);
    return std::string(buf, r.ptr);
  };
  if (method == "random" || method == "user_random" || method == "user_temporal")
    os << ":test=" << exact(test_fraction);
  else if (method == "leave_last")
    os << ":k=" << leave_k;
  else if (method == "time_cutoff")
    os << ":quantile=" << exact(cutoff_quantile);
  else if (method == "kfold")
    os << ":folds=" << folds << ",fold=" << fold;
  else if (method == "strong")
    os << ":users=" << exact(heldout_users) << ",fold_in=" << exact(fold_in_fraction);
  if (method != "given" && method != "leave_last" && method != "time_cutoff" &&
      method != "user_temporal")
    os << ",seed=" << seed;
  os << (method == "given" ? ":" : ",")
     << "unseen=" << (unseen == UnseenPolicy::kDrop ? "drop" : "keep");
  if (min_user_count != SplitSpec{}.min_user_count) os << ",min_user=" << min_user_count;
  return os.str();
}

namespace {

// Shuffled 0..n-1.
std::vector<int64_t> permutation(int64_t n, Rng& rng) {
  std::vector<int64_t> p(static_cast<size_t>(n));
  std::iota(p.begin(), p.end(), 0);
  for (int64_t i = n - 1; i > 0; --i)
    std::swap(p[i], p[rng.uniform_int(static_cast<uint64_t>(i + 1))]);
  return p;
}

// Entries of user u in time order (ties broken by entry id, so deterministic).
std::vector<int64_t> by_time(const Interactions& d, int32_t u) {
  const int64_t b = d.user_ptr()[u], e = d.user_ptr()[u + 1];
  std::vector<int64_t> p(static_cast<size_t>(e - b));
  std::iota(p.begin(), p.end(), b);
  auto t = d.entry_times();
  std::stable_sort(p.begin(), p.end(), [&](int64_t x, int64_t y) { return t[x] < t[y]; });
  return p;
}

constexpr uint8_t kTrain = 0, kTest = 1, kFoldIn = 2;

// Builds the split from each entry's destination (kTrain, kTest or, for strong, kFoldIn).
Split finish(const Interactions& data, const std::vector<uint8_t>& is_test, UnseenPolicy unseen,
             std::string description) {
  std::vector<int64_t> train, test, fold_in;
  bool strong = false;
  for (int64_t e = 0; e < data.nnz(); ++e) {
    if (is_test[e] == kFoldIn) {
      fold_in.push_back(e);
      strong = true;
    } else {
      (is_test[e] == kTest ? test : train).push_back(e);
    }
  }
  METAREC_CHECK(!train.empty(), "split ", description, " left the training set empty");
  std::vector<char> user_seen(static_cast<size_t>(data.num_users()), 0),
      item_seen(static_cast<size_t>(data.num_items()), 0);
  auto users = data.entry_users();
  auto items = data.entry_items();
  for (int64_t e : train) {
    user_seen[users[e]] = 1;
    item_seen[items[e]] = 1;
  }
  Split s;
  if (strong) {
    // Held-out users are unseen by design; only their unseen items follow the policy.
    if (unseen == UnseenPolicy::kDrop) {
      const auto end = std::remove_if(fold_in.begin(), fold_in.end(),
                                      [&](int64_t e) { return !item_seen[items[e]]; });
      s.dropped_unseen_items += fold_in.end() - end;
      fold_in.erase(end, fold_in.end());
    }
    for (int64_t e : test) user_seen[users[e]] = 1;
  }
  std::vector<int64_t> kept;
  kept.reserve(test.size());
  for (int64_t e : test) {
    const bool u_ok = user_seen[users[e]], i_ok = item_seen[items[e]];
    if (u_ok && i_ok) {
      kept.push_back(e);
    } else if (unseen == UnseenPolicy::kKeep) {
      kept.push_back(e);
      ++s.kept_unseen;
    } else if (!u_ok) {
      ++s.dropped_unseen_users;
    } else {
      ++s.dropped_unseen_items;
    }
  }
  METAREC_CHECK(!kept.empty(), "split ", description, " left the test set empty");
  s.train = data.subset(train, data.name() + "/train");
  s.test = data.subset(kept, data.name() + "/test");
  if (strong) s.fold_in = data.subset(fold_in, data.name() + "/fold_in");
  s.description = std::move(description);
  return s;
}

}  // namespace

Split make_split(const Interactions& data, const SplitSpec& spec,
                 const std::vector<uint8_t>* parts) {
  const int64_t n = data.nnz();
  spec.validate();
  std::vector<uint8_t> is_test(static_cast<size_t>(n), 0);
  Rng rng(spec.seed);
  const std::string& m = spec.method;
  const bool needs_time = m == "leave_last" || m == "user_temporal" || m == "time_cutoff";
  METAREC_CHECK(!needs_time || data.has_timestamps(), "split ", m, " needs timestamps, and ",
                data.name(), " has none; use random, user_random or kfold");
  if (m == "random") {
    auto p = permutation(n, rng);
    const int64_t cut =
        static_cast<int64_t>(std::llround(spec.test_fraction * static_cast<double>(n)));
    for (int64_t j = 0; j < cut; ++j) is_test[p[j]] = 1;
  } else if (m == "kfold") {
    auto p = permutation(n, rng);
    for (int64_t j = 0; j < n; ++j)
      if (j * spec.folds / n == spec.fold) is_test[p[j]] = 1;
  } else if (m == "user_random" || m == "leave_last" || m == "user_temporal") {
    for (int32_t u = 0; u < data.num_users(); ++u) {
      const int64_t c = data.user_count(u);
      if (c < spec.min_user_count || c < 2) continue;
      if (m == "user_random") {
        Rng ur = rng.fork(static_cast<uint64_t>(u));
        auto p = permutation(c, ur);
        const int64_t k =
            std::max<int64_t>(1, std::llround(spec.test_fraction * static_cast<double>(c)));
        for (int64_t j = 0; j < std::min(k, c - 1); ++j) is_test[data.user_ptr()[u] + p[j]] = 1;
      } else {
        auto order = by_time(data, u);
        const int64_t k =
            m == "leave_last"
                ? std::min<int64_t>(spec.leave_k, c - 1)
                : std::max<int64_t>(1, std::llround(spec.test_fraction * static_cast<double>(c)));
        for (int64_t j = c - std::min(k, c - 1); j < c; ++j) is_test[order[j]] = 1;
      }
    }
  } else if (m == "time_cutoff") {
    std::vector<int64_t> t(data.entry_times().begin(), data.entry_times().end());
    const size_t q = std::min(
        t.size() - 1, static_cast<size_t>(spec.cutoff_quantile * static_cast<double>(t.size())));
    std::nth_element(t.begin(), t.begin() + static_cast<std::ptrdiff_t>(q), t.end());
    const int64_t cutoff = t[q];
    for (int64_t e = 0; e < n; ++e) is_test[e] = data.entry_times()[e] >= cutoff;
  } else if (m == "strong") {
    const int32_t min_count = std::max(2, spec.min_user_count);
    std::vector<int32_t> eligible;
    for (int32_t u = 0; u < data.num_users(); ++u)
      if (data.user_count(u) >= min_count) eligible.push_back(u);
    const int64_t ne = static_cast<int64_t>(eligible.size());
    const int64_t held =
        spec.heldout_users >= 1
            ? static_cast<int64_t>(spec.heldout_users)
            : std::max<int64_t>(1, std::llround(spec.heldout_users * static_cast<double>(ne)));
    METAREC_CHECK(held < ne, "split strong: cannot hold out ", held, " users: ", data.name(),
                  " has ", ne, " users with at least ", min_count,
                  " entries, and at least one must stay in train");
    const auto order = permutation(ne, rng);
    // A product like (1 - 0.8) * 5 = 0.9999999999999998 must floor to 1, as 0.2 * 5 does.
    const double target_share = 1.0 - spec.fold_in_fraction;
    for (int64_t j = 0; j < held; ++j) {
      const int32_t u = eligible[static_cast<size_t>(order[j])];
      const int64_t c = data.user_count(u);
      const int64_t targets = std::clamp<int64_t>(
          static_cast<int64_t>(std::floor(target_share * static_cast<double>(c) + 1e-9)), 1, c - 1);
      Rng ur = rng.fork(static_cast<uint64_t>(u));
      const auto p = permutation(c, ur);
      for (int64_t q = 0; q < c; ++q)
        is_test[data.user_ptr()[u] + p[q]] = q < targets ? kTest : kFoldIn;
    }
  } else if (m == "given") {
    METAREC_CHECK(parts && static_cast<int64_t>(parts->size()) == n,
                  "split given needs a dataset loaded with its given split (e.g. ml-100k:u1)");
    for (int64_t e = 0; e < n; ++e) is_test[e] = (*parts)[e];
  }
  return finish(data, is_test, spec.unseen, spec.to_string());
}

std::vector<Split> kfold_splits(const Interactions& data, int32_t folds, uint64_t seed,
                                UnseenPolicy unseen) {
  std::vector<Split> out;
  for (int32_t f = 0; f < folds; ++f) {
    SplitSpec s;
    s.method = "kfold";
    s.folds = folds;
    s.fold = f;
    s.seed = seed;
    s.unseen = unseen;
    out.push_back(make_split(data, s));
  }
  return out;
}

}  // namespace metarec
