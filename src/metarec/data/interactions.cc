// Building Interactions from coordinates: two stable counting sorts, duplicate merging, CSC.
#include <metarec/data/interactions.h>

#include <algorithm>
#include <cmath>

#include <metarec/core/error.h>

namespace metarec {

std::string to_string(Feedback f) { return f == Feedback::kExplicit ? "explicit" : "implicit"; }

DuplicatePolicy parse_duplicate_policy(const std::string& s) {
  if (s == "last") return DuplicatePolicy::kLast;
  if (s == "first") return DuplicatePolicy::kFirst;
  if (s == "mean") return DuplicatePolicy::kMean;
  if (s == "sum") return DuplicatePolicy::kSum;
  if (s == "max") return DuplicatePolicy::kMax;
  if (s == "error") return DuplicatePolicy::kError;
  METAREC_THROW(InvalidArgument, "unknown duplicate policy \"", s,
                "\"; valid: last, first, mean, sum, max, error");
}

std::string to_string(DuplicatePolicy p) {
  switch (p) {
    case DuplicatePolicy::kLast: return "last";
    case DuplicatePolicy::kFirst: return "first";
    case DuplicatePolicy::kMean: return "mean";
    case DuplicatePolicy::kSum: return "sum";
    case DuplicatePolicy::kMax: return "max";
    case DuplicatePolicy::kError: return "error";
  }
  return "?";
}

InteractionsBuilder::InteractionsBuilder()
    : users_(std::make_shared<IdMap>()), items_(std::make_shared<IdMap>()) {}

void InteractionsBuilder::reserve(size_t n) {
  u_.reserve(n);
  i_.reserve(n);
  v_.reserve(n);
  if (has_times_) t_.reserve(n);
}

namespace {

// Stable counting sort of `perm` (indices into keys) by keys[perm[j]] in [0, num_keys).
std::vector<uint32_t> counting_sort(const std::vector<uint32_t>& perm,
                                    const std::vector<int32_t>& keys, int32_t num_keys) {
  std::vector<int64_t> start(static_cast<size_t>(num_keys) + 1, 0);
  for (uint32_t p : perm) ++start[static_cast<size_t>(keys[p]) + 1];
  for (int32_t k = 0; k < num_keys; ++k) start[k + 1] += start[k];
  std::vector<uint32_t> out(perm.size());
  for (uint32_t p : perm) out[static_cast<size_t>(start[keys[p]]++)] = p;
  return out;
}

template <typename T>
void apply_permutation(std::vector<T>& v, const std::vector<uint32_t>& perm) {
  if (v.empty()) return;
  std::vector<T> out(perm.size());
  for (size_t j = 0; j < perm.size(); ++j) out[j] = v[perm[j]];
  v.swap(out);
}

}  // namespace

Interactions InteractionsBuilder::build(const Options& opts, BuildReport* report,
                                       std::vector<uint8_t>* parts) {
  const size_t n = u_.size();
  const std::string name = opts.name.empty() ? std::string("dataset") : opts.name;
  METAREC_CHECK(n > 0, name, ": the dataset is empty (no interactions)");
  METAREC_CHECK(n < (size_t{1} << 32) - 1, name, ": more than 2^32 interactions");
  const int32_t nu = users_->size(), ni = items_->size();

  // Sort by (user, item, original order) with two stable counting sorts.
  std::vector<uint32_t> perm(n);
  for (size_t j = 0; j < n; ++j) perm[j] = static_cast<uint32_t>(j);
  perm = counting_sort(perm, i_, ni);
  perm = counting_sort(perm, u_, nu);
  apply_permutation(u_, perm);
  apply_permutation(i_, perm);
  apply_permutation(v_, perm);
  apply_permutation(t_, perm);
  apply_permutation(p_, perm);
  std::vector<uint32_t>().swap(perm);

  // Merge duplicates in place.
  BuildReport rep;
  rep.input_rows = static_cast<int64_t>(n);
  rep.policy = opts.duplicates;
  const bool times = !t_.empty();
  size_t w = 0;
  for (size_t r = 0; r < n;) {
    size_t e = r + 1;
    while (e < n && u_[e] == u_[r] && i_[e] == i_[r]) ++e;
    if (e - r > 1) {
      ++rep.duplicate_pairs;
      rep.duplicate_rows += static_cast<int64_t>(e - r - 1);
      if (opts.duplicates == DuplicatePolicy::kError) {
        METAREC_THROW(InvalidArgument, name, ": user ", users_->external(u_[r]), " has item ",
                      items_->external(i_[r]), " ", e - r,
                      " times (duplicate policy is 'error'; choose last, first, mean, sum or max)");
      }
      size_t pick = r;
      double sum = 0;
      int64_t tmax = times ? t_[r] : 0;
      for (size_t k = r; k < e; ++k) {
        sum += v_[k];
        if (times) tmax = std::max(tmax, t_[k]);
        switch (opts.duplicates) {
          case DuplicatePolicy::kLast:
            if (!times || t_[k] >= t_[pick]) pick = k;
            break;
          case DuplicatePolicy::kFirst:
            if (times && t_[k] < t_[pick]) pick = k;
            break;
          case DuplicatePolicy::kMax:
            if (v_[k] > v_[pick]) pick = k;
            break;
          default: break;
        }
      }
      float value = v_[pick];
      int64_t time = times ? t_[pick] : 0;
      if (opts.duplicates == DuplicatePolicy::kMean) {
        value = static_cast<float>(sum / static_cast<double>(e - r));
        time = tmax;
      } else if (opts.duplicates == DuplicatePolicy::kSum) {
        value = static_cast<float>(sum);
        time = tmax;
      }
      u_[w] = u_[r];
      i_[w] = i_[r];
      v_[w] = value;
      if (times) t_[w] = time;
      if (!p_.empty()) p_[w] = p_[pick];
    } else {
      u_[w] = u_[r];
      i_[w] = i_[r];
      v_[w] = v_[r];
      if (times) t_[w] = t_[r];
      if (!p_.empty()) p_[w] = p_[r];
    }
    ++w;
    r = e;
  }
  u_.resize(w);
  i_.resize(w);
  v_.resize(w);
  if (times) t_.resize(w);

  Interactions out;
  out.name_ = opts.name;
  out.num_users_ = nu;
  out.num_items_ = ni;
  // Feedback: declared, else detected.
  float vmin = v_[0], vmax = v_[0];
  for (float v : v_) {
    METAREC_CHECK(std::isfinite(v), name, ": a value is not finite");
    vmin = std::min(vmin, v);
    vmax = std::max(vmax, v);
  }
  if (opts.feedback == "explicit") {
    out.feedback_ = Feedback::kExplicit;
  } else if (opts.feedback == "implicit") {
    out.feedback_ = Feedback::kImplicit;
  } else {
    METAREC_CHECK(opts.feedback.empty(), "feedback must be explicit, implicit or empty (detect), got \"",
                  opts.feedback, "\"");
    out.feedback_ = (!has_values_ || vmin == vmax) ? Feedback::kImplicit : Feedback::kExplicit;
  }
  if (opts.scale_min != 0 || opts.scale_max != 0) {
    out.scale_min_ = opts.scale_min;
    out.scale_max_ = opts.scale_max;
  } else {
    out.scale_min_ = vmin;
    out.scale_max_ = vmax;
  }
  out.user_ptr_.assign(static_cast<size_t>(nu) + 1, 0);
  for (int32_t u : u_) ++out.user_ptr_[static_cast<size_t>(u) + 1];
  for (int32_t u = 0; u < nu; ++u) out.user_ptr_[u + 1] += out.user_ptr_[u];
  out.users_of_entry_ = std::move(u_);
  out.items_ = std::move(i_);
  out.values_ = std::move(v_);
  out.times_ = std::move(t_);
  out.user_ids_ = users_;
  out.item_ids_ = items_;
  out.item_meta_ = item_meta;
  out.user_meta_ = user_meta;
  out.finish();
  if (report) *report = rep;
  p_.resize(w);
  if (parts) *parts = std::move(p_);
  p_.clear();
  track_parts_ = false;
  users_ = std::make_shared<IdMap>();
  items_ = std::make_shared<IdMap>();
  return out;
}

void Interactions::finish() {
  const size_t n = items_.size();
  if (users_of_entry_.size() != n) {
    users_of_entry_.resize(n);
    for (int32_t u = 0; u < num_users_; ++u)
      for (int64_t p = user_ptr_[u]; p < user_ptr_[u + 1]; ++p) users_of_entry_[p] = u;
  }
  item_ptr_.assign(static_cast<size_t>(num_items_) + 1, 0);
  for (int32_t i : items_) ++item_ptr_[static_cast<size_t>(i) + 1];
  for (int32_t i = 0; i < num_items_; ++i) item_ptr_[i + 1] += item_ptr_[i];
  csc_users_.resize(n);
  csc_values_.resize(n);
  std::vector<int64_t> next(item_ptr_.begin(), item_ptr_.end() - 1);
  // Entries are in user order, so each item's column comes out with users ascending.
  for (size_t p = 0; p < n; ++p) {
    const int64_t q = next[items_[p]]++;
    csc_users_[q] = users_of_entry_[p];
    csc_values_[q] = values_[p];
  }
  double sum = 0;
  for (float v : values_) sum += v;
  global_mean_ = n ? sum / static_cast<double>(n) : 0.0;
}

const float* Interactions::find(int32_t u, int32_t i) const {
  if (u < 0 || u >= num_users_) return nullptr;
  auto items = user_items(u);
  auto it = std::lower_bound(items.begin(), items.end(), i);
  if (it == items.end() || *it != i) return nullptr;
  return values_.data() + user_ptr_[u] + (it - items.begin());
}

Interactions Interactions::subset(std::span<const int64_t> entries, const std::string& name) const {
  std::vector<int64_t> sorted(entries.begin(), entries.end());
  std::sort(sorted.begin(), sorted.end());
  for (size_t k = 0; k < sorted.size(); ++k) {
    METAREC_CHECK(sorted[k] >= 0 && sorted[k] < nnz(), "subset: entry ", sorted[k],
                  " out of range");
    METAREC_CHECK(k == 0 || sorted[k] != sorted[k - 1], "subset: entry ", sorted[k], " repeated");
  }
  Interactions out;
  out.name_ = name.empty() ? name_ : name;
  out.num_users_ = num_users_;
  out.num_items_ = num_items_;
  out.feedback_ = feedback_;
  out.scale_min_ = scale_min_;
  out.scale_max_ = scale_max_;
  out.user_ids_ = user_ids_;
  out.item_ids_ = item_ids_;
  out.item_meta_ = item_meta_;
  out.user_meta_ = user_meta_;
  const size_t m = sorted.size();
  out.items_.resize(m);
  out.values_.resize(m);
  out.users_of_entry_.resize(m);
  if (has_timestamps()) out.times_.resize(m);
  out.user_ptr_.assign(static_cast<size_t>(num_users_) + 1, 0);
  for (size_t k = 0; k < m; ++k) {
    const int64_t p = sorted[k];
    out.items_[k] = items_[p];
    out.values_[k] = values_[p];
    out.users_of_entry_[k] = users_of_entry_[p];
    if (has_timestamps()) out.times_[k] = times_[p];
    ++out.user_ptr_[static_cast<size_t>(users_of_entry_[p]) + 1];
  }
  for (int32_t u = 0; u < num_users_; ++u) out.user_ptr_[u + 1] += out.user_ptr_[u];
  out.finish();
  return out;
}

Interactions Interactions::with_feedback(Feedback f) const {
  Interactions out = *this;
  out.feedback_ = f;
  return out;
}

}  // namespace metarec
