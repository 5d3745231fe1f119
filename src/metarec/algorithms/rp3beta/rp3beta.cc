// RP^3_beta / P^3_alpha: one sparse row of the 2-step item -> user -> item walk per item.
#include <metarec/algorithms/rp3beta/rp3beta.h>
#include <metarec/core/error.h>
#include <metarec/core/parallel.h>

#include <algorithm>
#include <cmath>

namespace metarec {

ParamSchema Rp3Beta::schema(bool with_beta) {
  // Defaults measured on MovieLens 100K and 1M (random 80/20 splits): the popularity penalty
  // helps up to beta ~0.7, then rare items take over the lists and accuracy collapses.
  ParamSchema s = {
      ParamSpec::real("alpha", with_beta ? 0.8 : 1.0, 0, 10,
                      "power applied to the transition probabilities")
          .tune(0.1, 2.0),
      ParamSpec::integer("topk", with_beta ? 300 : 200, 0, 1000000,
                         "largest similarities kept per item (0 = all)")
          .tune(20, 1000, true),
      ParamSpec::boolean("normalize", true,
                         "divide each item's kept similarities by their sum (each row of W sums "
                         "to 1, so every item in a user's history carries equal weight)")
          .tune({"false", "true"}),
  };
  if (with_beta)
    s.insert(s.begin() + 1,
             ParamSpec::real("beta", 0.7, 0, 10,
                             "popularity penalty: similarities to item j are divided "
                             "by its degree to this power")
                 .tune(0.0, 1.0));
  return s;
}

void Rp3Beta::do_fit(const Interactions& train, const FitContext& ctx) {
  const int32_t n = train.num_items(), m = train.num_users();
  const double alpha = params().get_float("alpha");
  const double beta = with_beta_ ? params().get_float("beta") : 0.0;
  const int64_t topk = params().get_int("topk");
  const bool normalize = params().get_bool("normalize");

  // deg^-alpha for users (the step v -> j) and items (the step i -> v), deg^-beta for targets.
  std::vector<double> user_w(static_cast<size_t>(m), 0.0), item_w(static_cast<size_t>(n), 0.0),
      target_w(static_cast<size_t>(n), 0.0);
  for (int32_t u = 0; u < m; ++u)
    if (train.user_count(u) > 0)
      user_w[u] = std::pow(static_cast<double>(train.user_count(u)), -alpha);
  for (int32_t i = 0; i < n; ++i)
    if (train.item_count(i) > 0) {
      item_w[i] = std::pow(static_cast<double>(train.item_count(i)), -alpha);
      target_w[i] = std::pow(static_cast<double>(train.item_count(i)), -beta);
    }

  const int threads = resolve_threads(ctx.threads);
  std::vector<std::vector<double>> acc(static_cast<size_t>(threads));
  std::vector<std::vector<int32_t>> touched(static_cast<size_t>(threads));
  std::vector<std::vector<std::pair<int32_t, float>>> scratch(static_cast<size_t>(threads));
  for (auto& a : acc) a.assign(static_cast<size_t>(n), 0.0);
  std::vector<std::vector<std::pair<int32_t, float>>> rows(static_cast<size_t>(n));
  parallel_for_tid(
      n, threads,
      [&](int64_t ii, int tid) {
        if (tid == 0 && ii % 256 == 0) {
          ctx.check_cancel();
          ctx.report(static_cast<double>(ii) / n, "random-walk rows");
        }
        const int32_t i = static_cast<int32_t>(ii);
        double* a = acc[static_cast<size_t>(tid)].data();
        auto& t = touched[static_cast<size_t>(tid)];
        t.clear();
        for (int32_t v : train.item_users(i)) {
          const double wv = user_w[v];
          for (int32_t j : train.user_items(v)) {
            if (a[j] == 0.0) t.push_back(j);
            a[j] += wv;
          }
        }
        // Build the row in the thread's scratch and store it with one write (threads appending
        // to neighbouring vectors would share their cache lines).
        auto& row = scratch[static_cast<size_t>(tid)];
        row.clear();
        for (int32_t j : t) {
          if (j != i) row.emplace_back(j, static_cast<float>(item_w[i] * a[j] * target_w[j]));
          a[j] = 0.0;
        }
        if (topk > 0 && static_cast<int64_t>(row.size()) > topk) {
          auto better = [](const auto& x, const auto& y) {
            return x.second > y.second || (x.second == y.second && x.first < y.first);
          };
          std::nth_element(row.begin(), row.begin() + topk, row.end(), better);
          row.resize(static_cast<size_t>(topk));
        }
        if (normalize) {
          double total = 0;
          for (const auto& e : row) total += e.second;
          if (total > 0)
            for (auto& e : row) e.second = static_cast<float>(e.second / total);
        }
        std::sort(row.begin(), row.end());
        rows[static_cast<size_t>(i)].assign(row.begin(), row.end());
      },
      4);
  set_weights(train, SparseMatrix::from_rows(n, std::move(rows)), false);
  ctx.report(1.0, "done");
}

}  // namespace metarec
