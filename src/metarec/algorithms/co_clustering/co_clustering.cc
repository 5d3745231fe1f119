// CoClustering: alternating cluster assignment with cluster means recomputed every epoch.
#include <metarec/algorithms/co_clustering/co_clustering.h>
#include <metarec/core/error.h>
#include <metarec/core/parallel.h>
#include <metarec/core/rng.h>

#include <algorithm>
#include <cmath>

namespace metarec {

ParamSchema CoClustering::schema() {
  return {
      ParamSpec::integer("user_clusters", 3, 1, 1000, "number of user clusters").tune(1, 20),
      ParamSpec::integer("item_clusters", 3, 1, 1000, "number of item clusters").tune(1, 20),
      ParamSpec::integer("epochs", 20, 1, 10000, "assignment sweeps").tune(5, 100, true),
      ParamSpec::integer("restarts", 5, 1, 1000,
                         "random initialisations; the one with the least training error is kept")
          .tune(1, 10),
  };
}

namespace {

// Per-cluster sums of a user's (or item's) residuals, reused across users by each thread.
struct Sums {
  std::vector<double> s1, s2, n;
  void reset(int32_t k) {
    s1.assign(static_cast<size_t>(k), 0.0);
    s2.assign(static_cast<size_t>(k), 0.0);
    n.assign(static_cast<size_t>(k), 0.0);
  }
  void add(int32_t b, double e) {
    s1[b] += e;
    s2[b] += e * e;
    n[b] += 1;
  }
  // The candidate cluster with the least error (the first on ties); c(cand, other) is the
  // prediction offset for a rating whose other side is in cluster `other`.
  template <typename C>
  int32_t best(int32_t candidates, int32_t others, C c) const {
    double best_err = 0;
    int32_t arg = 0;
    for (int32_t a = 0; a < candidates; ++a) {
      double err = 0;
      for (int32_t b = 0; b < others; ++b) {
        if (n[b] == 0) continue;
        const double x = c(a, b);
        err += s2[b] - 2 * x * s1[b] + n[b] * x * x;
      }
      if (a == 0 || err < best_err) {
        best_err = err;
        arg = a;
      }
    }
    return arg;
  }
};

}  // namespace

void CoClustering::update_means(const Interactions& train) {
  // Cluster sums from the per-user and per-item sums; only the co-cluster sums need every rating.
  std::vector<double> su(static_cast<size_t>(ku_), 0.0), si(static_cast<size_t>(ki_), 0.0),
      sc(static_cast<size_t>(ku_) * ki_, 0.0);
  std::vector<int64_t> nu(su.size(), 0), ni(si.size(), 0), nc(sc.size(), 0);
  for (int32_t u = 0; u < train.num_users(); ++u) {
    const int32_t a = cu_[u];
    su[a] += user_sum_[u];
    nu[a] += train.user_count(u);
    double* row = sc.data() + static_cast<size_t>(a) * ki_;
    int64_t* cnt = nc.data() + static_cast<size_t>(a) * ki_;
    auto items = train.user_items(u);
    auto vals = train.user_values(u);
    for (size_t k = 0; k < items.size(); ++k) {
      const int32_t b = ci_[items[k]];
      row[b] += vals[k];
      ++cnt[b];
    }
  }
  for (int32_t i = 0; i < train.num_items(); ++i) {
    si[ci_[i]] += item_sum_[i];
    ni[ci_[i]] += train.item_count(i);
  }
  auto mean = [&](double s, int64_t n) {
    return static_cast<float>(n > 0 ? s / static_cast<double>(n) : mu_);
  };
  avg_u_.resize(su.size());
  avg_i_.resize(si.size());
  avg_co_.resize(sc.size());
  for (size_t a = 0; a < su.size(); ++a) avg_u_[a] = mean(su[a], nu[a]);
  for (size_t b = 0; b < si.size(); ++b) avg_i_[b] = mean(si[b], ni[b]);
  for (size_t c = 0; c < sc.size(); ++c) avg_co_[c] = mean(sc[c], nc[c]);
}

void CoClustering::do_fit(const Interactions& train, const FitContext& ctx) {
  ku_ = static_cast<int32_t>(params().get_int("user_clusters"));
  ki_ = static_cast<int32_t>(params().get_int("item_clusters"));
  const int epochs = static_cast<int>(params().get_int("epochs"));
  mu_ = train.global_mean();
  const bool scaled =
      train.feedback() == Feedback::kExplicit && train.scale_min() < train.scale_max();
  lo_ = scaled ? train.scale_min() : 0.0f;
  hi_ = scaled ? train.scale_max() : 0.0f;
  const int32_t n_users = train.num_users(), n_items = train.num_items();
  auto mean_of = [&](std::span<const float> v) {
    double s = 0;
    for (float r : v) s += r;
    return static_cast<float>(v.empty() ? mu_ : s / static_cast<double>(v.size()));
  };
  user_mean_.resize(static_cast<size_t>(n_users));
  user_known_.resize(static_cast<size_t>(n_users));
  for (int32_t u = 0; u < n_users; ++u) {
    user_mean_[u] = mean_of(train.user_values(u));
    user_known_[u] = train.user_count(u) > 0;
  }
  item_mean_.resize(static_cast<size_t>(n_items));
  item_known_.resize(static_cast<size_t>(n_items));
  for (int32_t i = 0; i < n_items; ++i) {
    item_mean_[i] = mean_of(train.item_values(i));
    item_known_[i] = train.item_count(i) > 0;
  }
  user_sum_.assign(static_cast<size_t>(n_users), 0.0);
  item_sum_.assign(static_cast<size_t>(n_items), 0.0);
  for (int32_t u = 0; u < n_users; ++u)
    for (float r : train.user_values(u)) user_sum_[u] += r;
  for (int32_t i = 0; i < n_items; ++i)
    for (float r : train.item_values(i)) item_sum_[i] += r;
  const int restarts = static_cast<int>(params().get_int("restarts"));
  std::vector<int32_t> best_u, best_i;
  double best_err = 0;
  for (int run = 0; run < restarts; ++run) {
    Rng rng = Rng(ctx.seed).fork(static_cast<uint64_t>(run));
    cu_.resize(static_cast<size_t>(n_users));
    ci_.resize(static_cast<size_t>(n_items));
    for (auto& c : cu_) c = static_cast<int32_t>(rng.uniform_int(static_cast<uint64_t>(ku_)));
    for (auto& c : ci_) c = static_cast<int32_t>(rng.uniform_int(static_cast<uint64_t>(ki_)));
    sweep(train, ctx, epochs, run, restarts);
    update_means(train);
    const double err = squared_error(train);
    if (run == 0 || err < best_err) {
      best_err = err;
      best_u = cu_;
      best_i = ci_;
    }
  }
  cu_ = std::move(best_u);
  ci_ = std::move(best_i);
  update_means(train);
  std::vector<double>().swap(user_sum_);
  std::vector<double>().swap(item_sum_);
}

void CoClustering::sweep(const Interactions& train, const FitContext& ctx, int epochs, int run,
                         int runs) {
  const int32_t n_users = train.num_users(), n_items = train.num_items();
  // Each epoch opens two parallel regions; on small data their start-up costs more than the work.
  const int threads = train.nnz() < 20000 ? 1 : resolve_threads(ctx.threads);
  std::vector<Sums> sums(static_cast<size_t>(threads));
  std::vector<double> offset_i(static_cast<size_t>(n_items)),
      offset_u(static_cast<size_t>(n_users));
  for (int e = 0; e < epochs; ++e) {
    ctx.check_cancel();
    update_means(train);
    // Users: the cluster with the least squared error given the item clusters. With
    // e = r - (m_i - A_i[c(i)]) and c = m_u - A_u[a] + A[a, b], the error of cluster a is
    // sum_b (S2_b - 2 c S1_b + N_b c^2) over the sums of e, e^2 and counts per item cluster b:
    // one pass over the ratings, then O(clusters^2).
    for (int32_t i = 0; i < n_items; ++i)
      offset_i[i] = static_cast<double>(item_mean_[i]) - avg_i_[ci_[i]];
    parallel_for_tid(
        n_users, threads,
        [&](int64_t uu, int tid) {
          const auto u = static_cast<int32_t>(uu);
          auto items = train.user_items(u);
          auto vals = train.user_values(u);
          if (items.empty()) return;
          Sums& g = sums[static_cast<size_t>(tid)];
          g.reset(ki_);
          for (size_t k = 0; k < items.size(); ++k)
            g.add(ci_[items[k]], vals[k] - offset_i[items[k]]);
          cu_[u] = g.best(ku_, ki_, [&](int32_t a, int32_t b) {
            return static_cast<double>(user_mean_[u]) - avg_u_[a] +
                   avg_co_[static_cast<size_t>(a) * ki_ + b];
          });
        },
        64);
    // Items: the same, given the users' new clusters.
    for (int32_t u = 0; u < n_users; ++u)
      offset_u[u] = static_cast<double>(user_mean_[u]) - avg_u_[cu_[u]];
    parallel_for_tid(
        n_items, threads,
        [&](int64_t ii, int tid) {
          const auto i = static_cast<int32_t>(ii);
          auto users = train.item_users(i);
          auto vals = train.item_values(i);
          if (users.empty()) return;
          Sums& g = sums[static_cast<size_t>(tid)];
          g.reset(ku_);
          for (size_t k = 0; k < users.size(); ++k)
            g.add(cu_[users[k]], vals[k] - offset_u[users[k]]);
          ci_[i] = g.best(ki_, ku_, [&](int32_t b, int32_t a) {
            return static_cast<double>(item_mean_[i]) - avg_i_[b] +
                   avg_co_[static_cast<size_t>(a) * ki_ + b];
          });
        },
        64);
    ctx.report((run + static_cast<double>(e + 1) / epochs) / runs, "co-clustering sweep");
  }
}

double CoClustering::raw(int32_t user, int32_t item) const {
  const bool u_ok = user >= 0 && user < num_users() && user_known_[user];
  const bool i_ok = item >= 0 && item < num_items() && item_known_[item];
  if (u_ok && i_ok) {
    const int32_t a = cu_[user], b = ci_[item];
    return static_cast<double>(avg_co_[static_cast<size_t>(a) * ki_ + b]) +
           (static_cast<double>(user_mean_[user]) - avg_u_[a]) +
           (static_cast<double>(item_mean_[item]) - avg_i_[b]);
  }
  if (u_ok) return user_mean_[user];
  if (i_ok) return item_mean_[item];
  return mu_;
}

float CoClustering::predict(int32_t user, int32_t item) const {
  require_fitted();
  double x = raw(user, item);
  if (lo_ < hi_) x = std::clamp(x, static_cast<double>(lo_), static_cast<double>(hi_));
  return static_cast<float>(x);
}

void CoClustering::score(int32_t user, std::span<float> out) const {
  require_fitted();
  METAREC_CHECK(static_cast<int64_t>(out.size()) == num_items(), algorithm(),
                ": score buffer has size ", out.size(), ", expected ", num_items());
  for (int32_t i = 0; i < num_items(); ++i) out[i] = predict(user, i);
}

double CoClustering::training_error(const Interactions& train) const {
  require_fitted();
  return squared_error(train);
}

double CoClustering::squared_error(const Interactions& train) const {
  double s = 0;
  auto users = train.entry_users();
  auto items = train.entry_items();
  auto vals = train.entry_values();
  for (size_t e = 0; e < vals.size(); ++e) {
    const double d = vals[e] - raw(users[e], items[e]);
    s += d * d;
  }
  return s;
}

void CoClustering::do_save(ModelWriter& w) const {
  const double scale[3] = {mu_, lo_, hi_};
  w.add("coclustering.scale", std::span<const double>(scale, 3), {3});
  w.add("coclustering.user_mean", std::span<const float>(user_mean_), {num_users()});
  w.add("coclustering.item_mean", std::span<const float>(item_mean_), {num_items()});
  std::vector<int32_t> uk(user_known_.begin(), user_known_.end()),
      ik(item_known_.begin(), item_known_.end());
  w.add("coclustering.user_known", std::span<const int32_t>(uk), {num_users()});
  w.add("coclustering.item_known", std::span<const int32_t>(ik), {num_items()});
  w.add("coclustering.user_cluster", std::span<const int32_t>(cu_), {num_users()});
  w.add("coclustering.item_cluster", std::span<const int32_t>(ci_), {num_items()});
  w.add("coclustering.user_cluster_mean", std::span<const float>(avg_u_), {ku_});
  w.add("coclustering.item_cluster_mean", std::span<const float>(avg_i_), {ki_});
  w.add("coclustering.cocluster_mean", std::span<const float>(avg_co_), {ku_, ki_});
}

void CoClustering::do_load(const ModelReader& r) {
  ku_ = static_cast<int32_t>(params().get_int("user_clusters"));
  ki_ = static_cast<int32_t>(params().get_int("item_clusters"));
  auto scale = r.f64("coclustering.scale", {3});
  mu_ = scale[0];
  lo_ = static_cast<float>(scale[1]);
  hi_ = static_cast<float>(scale[2]);
  user_mean_ = r.f32("coclustering.user_mean", {num_users()});
  item_mean_ = r.f32("coclustering.item_mean", {num_items()});
  auto uk = r.i32("coclustering.user_known", {num_users()});
  auto ik = r.i32("coclustering.item_known", {num_items()});
  user_known_.assign(uk.begin(), uk.end());
  item_known_.assign(ik.begin(), ik.end());
  cu_ = r.i32("coclustering.user_cluster", {num_users()});
  ci_ = r.i32("coclustering.item_cluster", {num_items()});
  for (int32_t c : cu_)
    if (c < 0 || c >= ku_) throw FormatError(r.path(), 0, "user cluster out of range");
  for (int32_t c : ci_)
    if (c < 0 || c >= ki_) throw FormatError(r.path(), 0, "item cluster out of range");
  avg_u_ = r.f32("coclustering.user_cluster_mean", {ku_});
  avg_i_ = r.f32("coclustering.item_cluster_mean", {ki_});
  avg_co_ = r.f32("coclustering.cocluster_mean", {ku_, ki_});
}

}  // namespace metarec
