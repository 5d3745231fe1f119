// SlopeOne: sparse deviation and support matrices, built row by row over items.
#include <metarec/algorithms/slope_one/slope_one.h>
#include <metarec/core/error.h>
#include <metarec/core/parallel.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>

namespace metarec {

ParamSchema SlopeOne::schema() {
  return {
      ParamSpec::boolean("weighted", true,
                         "weight each item's deviation by its support (Weighted Slope One); "
                         "false: user mean + plain mean deviation (Surprise's SlopeOne)")
          .tune({"true", "false"}),
      ParamSpec::integer("min_support", 1, 1, 1000000, "users a pair of items needs in common")
          .tune(1, 20, true),
  };
}

SlopeOne::SlopeOne(const Params& p)
    : Recommender("slope_one", p), weighted_(p.get_bool("weighted")) {}

void SlopeOne::do_fit(const Interactions& train, const FitContext& ctx) {
  mu_ = train.global_mean();
  const bool scaled =
      train.feedback() == Feedback::kExplicit && train.scale_min() < train.scale_max();
  lo_ = scaled ? train.scale_min() : 0.0f;
  hi_ = scaled ? train.scale_max() : 0.0f;
  const int32_t nu = train.num_users(), ni = train.num_items();
  const auto min_support = static_cast<int32_t>(params().get_int("min_support"));
  user_ptr_.assign(train.user_ptr().begin(), train.user_ptr().end());
  user_vals_.assign(train.entry_values().begin(), train.entry_values().end());
  user_mean_.assign(static_cast<size_t>(nu), static_cast<float>(mu_));
  for (int32_t u = 0; u < nu; ++u) {
    auto v = train.user_values(u);
    if (v.empty()) continue;
    double s = 0;
    for (float r : v) s += r;
    user_mean_[u] = static_cast<float>(s / static_cast<double>(v.size()));
  }

  // Row i: for every user of i and every other item j of that user, add r_ui - r_uj. The touched
  // items are then visited in ascending order (a scan when most are touched), so rows come out
  // sorted without a sort.
  const int threads = resolve_threads(ctx.threads);
  struct Acc {
    double sum = 0;
    int32_t cnt = 0;
  };
  struct Entry {
    int32_t j;
    float dev;
    int32_t cnt;
  };
  struct alignas(64) Work {  // one cache line apart: no false sharing between threads
    std::vector<Acc> acc;
    std::vector<int32_t> touched;
  };
  std::vector<Work> work(static_cast<size_t>(threads));
  std::vector<std::vector<Entry>> rows(static_cast<size_t>(ni));
  std::atomic<int64_t> done{0};
  parallel_for_tid(
      ni, threads,
      [&](int64_t row, int tid) {
        ctx.check_cancel();
        const auto i = static_cast<int32_t>(row);
        Work& w = work[static_cast<size_t>(tid)];
        if (w.acc.size() != static_cast<size_t>(ni)) w.acc.assign(static_cast<size_t>(ni), Acc{});
        Acc* acc = w.acc.data();
        auto users = train.item_users(i);
        auto ri = train.item_values(i);
        for (size_t k = 0; k < users.size(); ++k) {
          auto items = train.user_items(users[k]);
          auto vals = train.user_values(users[k]);
          const double r = ri[k];
          for (size_t q = 0; q < items.size(); ++q) {
            Acc& a = acc[items[q]];
            if (a.cnt++ == 0) w.touched.push_back(items[q]);
            a.sum += r - vals[q];
          }
        }
        auto& out = rows[static_cast<size_t>(i)];
        auto visit = [&](int32_t j) {
          const Acc a = acc[j];
          acc[j] = Acc{};
          if (j != i && a.cnt >= min_support)
            out.push_back({j, static_cast<float>(a.sum / a.cnt), a.cnt});
        };
        if (w.touched.size() * 8 > static_cast<size_t>(ni)) {
          out.reserve(w.touched.size());
          for (int32_t j = 0; j < ni; ++j)
            if (acc[j].cnt > 0) visit(j);
        } else {
          std::sort(w.touched.begin(), w.touched.end());
          out.reserve(w.touched.size());
          for (int32_t j : w.touched) visit(j);
        }
        w.touched.clear();
        const int64_t n = ++done;
        if (tid == 0 && n % 256 == 0) ctx.report(static_cast<double>(n) / ni, "deviations");
      },
      16);
  ptr_.assign(static_cast<size_t>(ni) + 1, 0);
  for (int32_t i = 0; i < ni; ++i) ptr_[i + 1] = ptr_[i] + static_cast<int64_t>(rows[i].size());
  // Appended rather than resized: no zero-filling of arrays that are overwritten anyway.
  idx_.clear();
  dev_.clear();
  freq_.clear();
  idx_.reserve(static_cast<size_t>(ptr_.back()));
  dev_.reserve(idx_.capacity());
  freq_.reserve(idx_.capacity());
  for (auto& r : rows) {
    for (const Entry& e : r) {
      idx_.push_back(e.j);
      dev_.push_back(e.dev);
      freq_.push_back(e.cnt);
    }
    std::vector<Entry>().swap(r);
  }
}

float SlopeOne::deviation(int32_t i, int32_t j) const {
  require_fitted();
  auto b = idx_.begin() + ptr_[i], e = idx_.begin() + ptr_[i + 1];
  auto it = std::lower_bound(b, e, j);
  return it != e && *it == j ? dev_[static_cast<size_t>(it - idx_.begin())] : 0.0f;
}

int32_t SlopeOne::support(int32_t i, int32_t j) const {
  require_fitted();
  auto b = idx_.begin() + ptr_[i], e = idx_.begin() + ptr_[i + 1];
  auto it = std::lower_bound(b, e, j);
  return it != e && *it == j ? freq_[static_cast<size_t>(it - idx_.begin())] : 0;
}

double SlopeOne::fallback(int32_t user) const {
  return user >= 0 && user < num_users() ? user_mean_[user] : mu_;
}

float SlopeOne::finish(int32_t user, double num, double den, int64_t n) const {
  double est = fallback(user);
  if (n > 0) est = weighted_ ? num / den : est + num / static_cast<double>(n);
  if (lo_ < hi_) est = std::clamp(est, static_cast<double>(lo_), static_cast<double>(hi_));
  return static_cast<float>(est);
}

float SlopeOne::row_estimate(int32_t user, int32_t item, const float* rated) const {
  const auto b = static_cast<size_t>(ptr_[item]);
  const size_t len = static_cast<size_t>(ptr_[item + 1]) - b;
  const int32_t* js = idx_.data() + b;
  const float* dv = dev_.data() + b;
  const int32_t* cs = freq_.data() + b;
  // Branch-free over the whole row: rated[j] is NaN where the user has no rating.
  double num = 0, den = 0;
  int64_t n = 0;
  if (weighted_) {
    for (size_t q = 0; q < len; ++q) {
      const float r = rated[js[q]];
      const bool m = r == r;
      num += m ? (static_cast<double>(dv[q]) + r) * cs[q] : 0.0;
      den += m ? cs[q] : 0;
      n += m;
    }
  } else {
    for (size_t q = 0; q < len; ++q) {
      const float r = rated[js[q]];
      const bool m = r == r;
      num += m ? dv[q] : 0.0f;
      n += m;
    }
  }
  return finish(user, num, den, n);
}

namespace {
// A per-thread dense row of the user's ratings, NaN where unrated (restored after each use).
std::vector<float>& rated_row(size_t n) {
  thread_local std::vector<float> rated;
  if (rated.size() < n) rated.resize(n, std::numeric_limits<float>::quiet_NaN());
  return rated;
}
}  // namespace

float SlopeOne::predict(int32_t user, int32_t item) const {
  require_fitted();
  if (user < 0 || user >= num_users() || item < 0 || item >= num_items())
    return finish(user, 0, 0, 0);
  std::vector<float>& rated = rated_row(static_cast<size_t>(num_items()));
  auto items = seen_items(user);
  const float* vals = user_vals_.data() + user_ptr_[user];
  for (size_t k = 0; k < items.size(); ++k) rated[items[k]] = vals[k];
  const float est = row_estimate(user, item, rated.data());
  for (int32_t j : items) rated[j] = std::numeric_limits<float>::quiet_NaN();
  return est;
}

void SlopeOne::score(int32_t user, std::span<float> out) const {
  require_fitted();
  METAREC_CHECK(static_cast<int64_t>(out.size()) == num_items(), algorithm(),
                ": score buffer has size ", out.size(), ", expected ", num_items());
  const int32_t ni = num_items();
  if (user < 0 || user >= num_users()) {
    std::fill(out.begin(), out.end(), finish(user, 0, 0, 0));
    return;
  }
  std::vector<float>& rated = rated_row(static_cast<size_t>(ni));
  auto items = seen_items(user);
  const float* vals = user_vals_.data() + user_ptr_[user];
  for (size_t k = 0; k < items.size(); ++k) rated[items[k]] = vals[k];
  for (int32_t i = 0; i < ni; ++i) out[i] = row_estimate(user, i, rated.data());
  for (int32_t j : items) rated[j] = std::numeric_limits<float>::quiet_NaN();
}

void SlopeOne::do_save(ModelWriter& w) const {
  const double scale[3] = {mu_, lo_, hi_};
  w.add("slope_one.scale", std::span<const double>(scale, 3), {3});
  const auto nnz = static_cast<int64_t>(idx_.size());
  w.add("slope_one.ptr", std::span<const int64_t>(ptr_), {static_cast<int64_t>(ptr_.size())});
  w.add("slope_one.idx", std::span<const int32_t>(idx_), {nnz});
  w.add("slope_one.dev", std::span<const float>(dev_), {nnz});
  w.add("slope_one.freq", std::span<const int32_t>(freq_), {nnz});
  w.add("slope_one.user_mean", std::span<const float>(user_mean_),
        {static_cast<int64_t>(user_mean_.size())});
  w.add("slope_one.ratings", std::span<const float>(user_vals_),
        {static_cast<int64_t>(user_vals_.size())});
}

void SlopeOne::do_load(const ModelReader& r) {
  auto scale = r.f64("slope_one.scale", {3});
  mu_ = scale[0];
  lo_ = static_cast<float>(scale[1]);
  hi_ = static_cast<float>(scale[2]);
  const int32_t ni = num_items();
  ptr_ = r.i64("slope_one.ptr", {static_cast<int64_t>(ni) + 1});
  idx_ = r.i32("slope_one.idx");
  const auto nnz = static_cast<int64_t>(idx_.size());
  dev_ = r.f32("slope_one.dev", {nnz});
  freq_ = r.i32("slope_one.freq", {nnz});
  if (ptr_.front() != 0 || ptr_.back() != nnz)
    throw FormatError(r.path(), 0, "slope one: row pointers do not match the pairs");
  for (int32_t i = 0; i < ni; ++i) {
    if (ptr_[i] > ptr_[i + 1]) throw FormatError(r.path(), 0, "slope one: row pointers decrease");
    for (int64_t p = ptr_[i]; p < ptr_[i + 1]; ++p)
      if (idx_[p] < 0 || idx_[p] >= ni || (p > ptr_[i] && idx_[p] <= idx_[p - 1]) || freq_[p] <= 0)
        throw FormatError(r.path(), 0,
                          "slope one: item pairs out of range, unsorted or unsupported");
  }
  user_mean_ = r.f32("slope_one.user_mean", {num_users()});
  user_vals_ = r.f32("slope_one.ratings");
  user_ptr_.assign(static_cast<size_t>(num_users()) + 1, 0);
  for (int32_t u = 0; u < num_users(); ++u)
    user_ptr_[u + 1] = user_ptr_[u] + static_cast<int64_t>(seen_items(u).size());
  if (static_cast<int64_t>(user_vals_.size()) != user_ptr_.back())
    throw FormatError(r.path(), 0, "ratings do not match the seen items");
}

}  // namespace metarec
