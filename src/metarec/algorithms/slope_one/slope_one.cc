// SlopeOne: sparse deviation and support matrices, built row by row over items.
#include <metarec/algorithms/slope_one/slope_one.h>
#include <metarec/core/error.h>
#include <metarec/core/parallel.h>

#include <algorithm>
#include <atomic>
#include <cmath>

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
  const int threads = train.nnz() < 20000 ? 1 : resolve_threads(ctx.threads);
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
  idx_.resize(static_cast<size_t>(ptr_.back()));
  dev_.resize(idx_.size());
  freq_.resize(idx_.size());
  parallel_for(
      ni, threads,
      [&](int64_t i) {
        auto& r = rows[static_cast<size_t>(i)];
        const auto base = static_cast<size_t>(ptr_[i]);
        for (size_t k = 0; k < r.size(); ++k) {
          idx_[base + k] = r[k].j;
          dev_[base + k] = r[k].dev;
          freq_[base + k] = r[k].cnt;
        }
        std::vector<Entry>().swap(r);
      },
      64);
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

float SlopeOne::predict(int32_t user, int32_t item) const {
  require_fitted();
  if (user < 0 || user >= num_users() || item < 0 || item >= num_items())
    return finish(user, 0, 0, 0);
  // The same sums, in the same order, as score(): over the user's items j, dev(item, j) =
  // -dev(j, item) looked up in row j.
  double num = 0, den = 0;
  int64_t cnt = 0;
  auto items = seen_items(user);
  const float* vals = user_vals_.data() + user_ptr_[user];
  for (size_t k = 0; k < items.size(); ++k) {
    const int32_t j = items[k];
    auto b = idx_.begin() + ptr_[j], e = idx_.begin() + ptr_[j + 1];
    auto it = std::lower_bound(b, e, item);
    if (it == e || *it != item) continue;
    const auto p = static_cast<size_t>(it - idx_.begin());
    const double dev = -static_cast<double>(dev_[p]);
    if (weighted_) {
      const double c = freq_[p];
      num += (dev + vals[k]) * c;
      den += c;
    } else {
      num += dev;
    }
    ++cnt;
  }
  return finish(user, num, den, cnt);
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
  // Scatter from the rated items' rows instead of gathering along every item's row: the table is
  // antisymmetric in its deviations (dev(i, j) = -dev(j, i)) and symmetric in its supports, so
  // the cost is the user's items times their row lengths, not all items times theirs.
  thread_local std::vector<double> num, den;
  thread_local std::vector<int32_t> cnt;
  num.assign(static_cast<size_t>(ni), 0.0);
  den.assign(static_cast<size_t>(ni), 0.0);
  cnt.assign(static_cast<size_t>(ni), 0);
  auto items = seen_items(user);
  const float* vals = user_vals_.data() + user_ptr_[user];
  for (size_t k = 0; k < items.size(); ++k) {
    const int32_t j = items[k];
    const double r = vals[k];
    for (int64_t p = ptr_[j]; p < ptr_[j + 1]; ++p) {
      const auto i = static_cast<size_t>(idx_[static_cast<size_t>(p)]);
      const double dev = -static_cast<double>(dev_[static_cast<size_t>(p)]);  // dev(i, j)
      if (weighted_) {
        const double c = freq_[static_cast<size_t>(p)];
        num[i] += (dev + r) * c;
        den[i] += c;
      } else {
        num[i] += dev;
      }
      ++cnt[i];
    }
  }
  for (int32_t i = 0; i < ni; ++i) out[i] = finish(user, num[i], den[i], cnt[i]);
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
