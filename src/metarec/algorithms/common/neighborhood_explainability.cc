// Neighbourhood explainability scores: each user's k nearest users by cosine, then the share of
// them who rated each item.
#include <metarec/algorithms/common/neighborhood_explainability.h>
#include <metarec/core/error.h>
#include <metarec/core/parallel.h>

#include <algorithm>
#include <cmath>
#include <utility>

namespace metarec {

NeighborhoodExplainability neighborhood_explainability(const Interactions& train, int k,
                                                       int threads) {
  METAREC_CHECK(k >= 1, "neighborhood explainability: k must be >= 1, got ", k);
  const int32_t nu = train.num_users(), ni = train.num_items();
  std::vector<double> norm(static_cast<size_t>(nu), 0.0);
  for (int32_t u = 0; u < nu; ++u)
    for (float r : train.user_values(u)) norm[u] += static_cast<double>(r) * r;
  for (auto& x : norm) x = std::sqrt(x);
  std::vector<std::vector<std::pair<int32_t, float>>> rows(static_cast<size_t>(nu));
  const int nt = resolve_threads(threads);
  std::vector<std::vector<double>> dots(static_cast<size_t>(nt),
                                        std::vector<double>(static_cast<size_t>(nu), 0.0));
  // Co-raters are marked in `seen`, not by a non-zero dot product: with negative or zero ratings
  // (Jester's -10..10) a dot product can be, or return to, exactly 0.
  std::vector<std::vector<uint8_t>> seens(static_cast<size_t>(nt),
                                          std::vector<uint8_t>(static_cast<size_t>(nu), 0));
  std::vector<std::vector<int32_t>> counts(static_cast<size_t>(nt),
                                           std::vector<int32_t>(static_cast<size_t>(ni), 0));
  parallel_for_tid(
      nu, nt,
      [&](int64_t uu, int tid) {
        const auto u = static_cast<int32_t>(uu);
        auto& dot = dots[static_cast<size_t>(tid)];
        auto& cnt = counts[static_cast<size_t>(tid)];
        auto& seen = seens[static_cast<size_t>(tid)];
        std::vector<int32_t> touched;
        auto its = train.user_items(u);
        auto vals = train.user_values(u);
        for (size_t a = 0; a < its.size(); ++a) {
          auto us = train.item_users(its[a]);
          auto rs = train.item_values(its[a]);
          for (size_t b = 0; b < us.size(); ++b) {
            if (us[b] == u) continue;
            if (!seen[us[b]]) {
              seen[us[b]] = 1;
              touched.push_back(us[b]);
            }
            dot[us[b]] += static_cast<double>(vals[a]) * rs[b];
          }
        }
        std::vector<std::pair<double, int32_t>> cand;
        cand.reserve(touched.size());
        for (int32_t v : touched) {
          const double n = norm[u] * norm[v];
          cand.push_back({n > 0 ? -dot[v] / n : 0.0, v});
          dot[v] = 0.0;
          seen[v] = 0;
        }
        const size_t kk = std::min(cand.size(), static_cast<size_t>(k));
        std::partial_sort(cand.begin(), cand.begin() + static_cast<std::ptrdiff_t>(kk), cand.end());
        std::vector<int32_t> hit;
        for (size_t c = 0; c < kk; ++c)
          for (int32_t i : train.user_items(cand[c].second)) {
            if (cnt[i] == 0) hit.push_back(i);
            ++cnt[i];
          }
        std::sort(hit.begin(), hit.end());
        auto& row = rows[static_cast<size_t>(u)];
        row.reserve(hit.size());
        for (int32_t i : hit) {
          row.push_back({i, static_cast<float>(cnt[i]) / static_cast<float>(k)});
          cnt[i] = 0;
        }
      },
      16);
  NeighborhoodExplainability out;
  for (const auto& row : rows) {
    for (const auto& [i, e] : row) {
      out.items.push_back(i);
      out.values.push_back(e);
    }
    out.ptr.push_back(static_cast<int64_t>(out.items.size()));
  }
  return out;
}

}  // namespace metarec
