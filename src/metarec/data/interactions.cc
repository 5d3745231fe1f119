// Building Interactions from coordinates: two stable counting sorts, duplicate merging, CSC.
#include <metarec/core/error.h>
#include <metarec/core/parallel.h>
#include <metarec/data/interactions.h>
#include <omp.h>

#include <algorithm>
#include <cmath>

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
    case DuplicatePolicy::kLast:
      return "last";
    case DuplicatePolicy::kFirst:
      return "first";
    case DuplicatePolicy::kMean:
      return "mean";
    case DuplicatePolicy::kSum:
      return "sum";
    case DuplicatePolicy::kMax:
      return "max";
    case DuplicatePolicy::kError:
      return "error";
  }
  return "?";
}

InteractionsBuilder::InteractionsBuilder()
    : users_(std::make_shared<IdMap>()), items_(std::make_shared<IdMap>()) {}

void InteractionsBuilder::resize(size_t n) {
  u_.resize(n);
  i_.resize(n);
  v_.resize(n);
  if (has_times_) t_.resize(n);
  if (track_parts_) p_.resize(n, part_);
}

void InteractionsBuilder::reserve(size_t n) {
  u_.reserve(n);
  i_.reserve(n);
  v_.reserve(n);
  if (has_times_) t_.reserve(n);
}

namespace {

template <typename T>
void apply_permutation(std::vector<T>& v, const std::vector<uint32_t>& perm) {
  if (v.empty()) return;
  std::vector<T> out(perm.size());
  for (size_t j = 0; j < perm.size(); ++j) out[j] = v[perm[j]];
  v.swap(out);
}

// Reorders v[b, b + perm.size()) by perm (offsets relative to b), using `tmp` as scratch.
template <typename T>
void permute_segment(std::vector<T>& v, size_t b, const std::vector<uint32_t>& perm,
                     std::vector<T>& tmp) {
  if (v.empty()) return;
  tmp.resize(perm.size());
  for (size_t j = 0; j < perm.size(); ++j) tmp[j] = v[b + perm[j]];
  std::copy(tmp.begin(), tmp.end(), v.begin() + static_cast<std::ptrdiff_t>(b));
}

}  // namespace

Interactions InteractionsBuilder::build(const Options& opts, BuildReport* report,
                                        std::vector<uint8_t>* parts) {
  const size_t n = u_.size();
  const std::string name = opts.name.empty() ? std::string("dataset") : opts.name;
  METAREC_CHECK(n > 0, name, ": the dataset is empty (no interactions)");
  METAREC_CHECK(n < (size_t{1} << 32) - 1, name, ": more than 2^32 interactions");
  const int32_t nu = users_->size(), ni = items_->size();

  METAREC_CHECK(t_.empty() || t_.size() == n, name, ": timestamps missing for some rows");
  METAREC_CHECK(p_.empty() || p_.size() == n, name, ": part tags missing for some rows");

  // Sort by (user, item, original order). Loaders usually deliver rows grouped by user, so the
  // global pass (a stable counting sort by user) is skipped when it is not needed, and items are
  // then ordered within each user's segment, in parallel.
  if (!std::is_sorted(u_.begin(), u_.end())) {
    std::vector<int64_t> start(static_cast<size_t>(nu) + 1, 0);
    for (int32_t u : u_) ++start[static_cast<size_t>(u) + 1];
    for (int32_t k = 0; k < nu; ++k) start[k + 1] += start[k];
    std::vector<uint32_t> perm(n);
    for (size_t j = 0; j < n; ++j)
      perm[static_cast<size_t>(start[u_[j]]++)] = static_cast<uint32_t>(j);
    apply_permutation(u_, perm);
    apply_permutation(i_, perm);
    apply_permutation(v_, perm);
    apply_permutation(t_, perm);
    apply_permutation(p_, perm);
  }
  {
    std::vector<size_t> seg;  // segment starts, one per user present
    for (size_t j = 0; j < n; ++j)
      if (j == 0 || u_[j] != u_[j - 1]) seg.push_back(j);
    seg.push_back(n);
    const int64_t nseg = static_cast<int64_t>(seg.size()) - 1;
#pragma omp parallel num_threads( \
    static_cast <int>(std::min <int64_t>(resolve_threads(0), 1 + nseg / 4096)))
    {
      std::vector<uint32_t> perm;
      std::vector<int32_t> ti;
      std::vector<float> tv;
      std::vector<int64_t> tt;
      std::vector<uint8_t> tp;
#pragma omp for schedule(dynamic, 256)
      for (int64_t s = 0; s < nseg; ++s) {
        const size_t b = seg[s], e = seg[s + 1];
        if (std::is_sorted(i_.begin() + static_cast<std::ptrdiff_t>(b),
                           i_.begin() + static_cast<std::ptrdiff_t>(e)))
          continue;
        perm.resize(e - b);
        for (size_t j = 0; j < perm.size(); ++j) perm[j] = static_cast<uint32_t>(j);
        std::stable_sort(perm.begin(), perm.end(),
                         [&](uint32_t x, uint32_t y) { return i_[b + x] < i_[b + y]; });
        permute_segment(i_, b, perm, ti);
        permute_segment(v_, b, perm, tv);
        permute_segment(t_, b, perm, tt);
        permute_segment(p_, b, perm, tp);
      }
    }
  }

  // Feedback is detected on the input values, before duplicates are merged (sums of clicks
  // must not look like ratings).
  const auto [in_min, in_max] = std::minmax_element(v_.begin(), v_.end());
  const bool single_input_value = *in_min == *in_max;

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
          default:
            break;
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
    METAREC_CHECK(opts.feedback.empty(),
                  "feedback must be explicit, implicit or empty (detect), got \"", opts.feedback,
                  "\"");
    out.feedback_ =
        (!has_values_ || single_input_value) ? Feedback::kImplicit : Feedback::kExplicit;
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
  if (!p_.empty()) p_.resize(w);
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
  // Scatter by item; each thread owns a range of items and scans every entry, so writes never
  // collide and each column comes out with users ascending (entries are in user order).
  const int threads =
      static_cast<int>(std::min<int64_t>(resolve_threads(0), 1 + static_cast<int64_t>(n >> 20)));
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num(), nt = omp_get_num_threads();
    const int32_t lo = static_cast<int32_t>(static_cast<int64_t>(num_items_) * t / nt);
    const int32_t hi = static_cast<int32_t>(static_cast<int64_t>(num_items_) * (t + 1) / nt);
    std::vector<int64_t> next(item_ptr_.begin() + lo, item_ptr_.begin() + hi);
    for (size_t p = 0; p < n; ++p) {
      const int32_t i = items_[p];
      if (i < lo || i >= hi) continue;
      const int64_t q = next[i - lo]++;
      csc_users_[q] = users_of_entry_[p];
      csc_values_[q] = values_[p];
    }
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
