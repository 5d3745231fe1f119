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

void CoClustering::update_means(const Interactions& train) {
  std::vector<double> su(static_cast<size_t>(ku_), 0.0), si(static_cast<size_t>(ki_), 0.0),
      sc(static_cast<size_t>(ku_) * ki_, 0.0);
  std::vector<int64_t> nu(su.size(), 0), ni(si.size(), 0), nc(sc.size(), 0);
  auto users = train.entry_users();
  auto items = train.entry_items();
  auto vals = train.entry_values();
  for (size_t e = 0; e < vals.size(); ++e) {
    const int32_t a = cu_[users[e]], b = ci_[items[e]];
    su[a] += vals[e];
    ++nu[a];
    si[b] += vals[e];
    ++ni[b];
    sc[static_cast<size_t>(a) * ki_ + b] += vals[e];
    ++nc[static_cast<size_t>(a) * ki_ + b];
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
}

void CoClustering::sweep(const Interactions& train, const FitContext& ctx, int epochs, int run,
                         int runs) {
  const int32_t n_users = train.num_users(), n_items = train.num_items();
  for (int e = 0; e < epochs; ++e) {
    ctx.check_cancel();
    update_means(train);
    // Users: the cluster with the least squared error given the item clusters.
    parallel_for(
        n_users, ctx.threads,
        [&](int64_t uu) {
          const auto u = static_cast<int32_t>(uu);
          auto items = train.user_items(u);
          auto vals = train.user_values(u);
          if (items.empty()) return;
          double best = 0;
          int32_t arg = 0;
          for (int32_t a = 0; a < ku_; ++a) {
            const double base = static_cast<double>(user_mean_[u]) - avg_u_[a];
            const float* co = avg_co_.data() + static_cast<size_t>(a) * ki_;
            double err = 0;
            for (size_t k = 0; k < items.size(); ++k) {
              const int32_t b = ci_[items[k]];
              const double d = vals[k] - (co[b] + base + item_mean_[items[k]] - avg_i_[b]);
              err += d * d;
            }
            if (a == 0 || err < best) {
              best = err;
              arg = a;
            }
          }
          cu_[u] = arg;
        },
        64);
    // Items: the same, given the users' new clusters.
    parallel_for(
        n_items, ctx.threads,
        [&](int64_t ii) {
          const auto i = static_cast<int32_t>(ii);
          auto users = train.item_users(i);
          auto vals = train.item_values(i);
          if (users.empty()) return;
          double best = 0;
          int32_t arg = 0;
          for (int32_t b = 0; b < ki_; ++b) {
            const double base = static_cast<double>(item_mean_[i]) - avg_i_[b];
            double err = 0;
            for (size_t k = 0; k < users.size(); ++k) {
              const int32_t a = cu_[users[k]];
              const double d = vals[k] - (avg_co_[static_cast<size_t>(a) * ki_ + b] + base +
                                          user_mean_[users[k]] - avg_u_[a]);
              err += d * d;
            }
            if (b == 0 || err < best) {
              best = err;
              arg = b;
            }
          }
          ci_[i] = arg;
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
