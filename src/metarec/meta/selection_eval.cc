// Leave-one-family-out evaluation of the selectors, the nearest-sibling oracle that scales its
// Spearman column, and the similarity study (the seed's Table 2).
#include <metarec/core/error.h>
#include <metarec/meta/selectors.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <iterator>
#include <limits>
#include <map>
#include <memory>
#include <numeric>

namespace metarec {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

}  // namespace

std::vector<SimilarityAgreement> similarity_study(const nn::Matrix& queries,
                                                  const nn::Matrix& candidates, int k, bool same) {
  METAREC_CHECK(queries.cols() == candidates.cols(), "similarity_study: dimensions differ");
  METAREC_CHECK(k >= 1, "similarity_study: k must be >= 1");
  const int dim = static_cast<int>(queries.cols());
  std::vector<SimilarityAgreement> out;
  for (const auto& name : similarity_names()) {
    SimilarityAgreement a;
    a.similarity = name;
    int n = 0;
    for (Eigen::Index q = 0; q < queries.rows(); ++q) {
      std::vector<double> by_f, by_cos;
      std::vector<Eigen::Index> ids;
      for (Eigen::Index c = 0; c < candidates.rows(); ++c) {
        if (same && c == q) continue;
        by_f.push_back(similarity(name, &queries(q, 0), &candidates(c, 0), dim));
        by_cos.push_back(similarity("cosine", &queries(q, 0), &candidates(c, 0), dim));
        ids.push_back(c);
      }
      if (ids.size() < 2) continue;
      auto top = [&](const std::vector<double>& v) {
        std::vector<size_t> o(v.size());
        std::iota(o.begin(), o.end(), 0);
        std::stable_sort(o.begin(), o.end(), [&](size_t x, size_t y) { return v[x] > v[y]; });
        o.resize(std::min(o.size(), static_cast<size_t>(k)));
        std::sort(o.begin(), o.end());
        return o;
      };
      const auto tf = top(by_f), tc = top(by_cos);
      std::vector<size_t> both;
      std::set_intersection(tf.begin(), tf.end(), tc.begin(), tc.end(), std::back_inserter(both));
      a.overlap += static_cast<double>(both.size()) / static_cast<double>(tc.size());
      a.spearman += spearman(by_f, by_cos);
      ++n;
    }
    if (n > 0) a.overlap /= n, a.spearman /= n;
    out.push_back(a);
  }
  return out;
}

namespace {

// Scores for one held-out dataset (k.datasets index), one per algorithm, higher is better.
using DatasetScorer = std::function<std::vector<double>(size_t)>;

// The leave-one-family-out loop shared by the selectors and the sibling oracle: for every family,
// `scorer_for(family, train, held)` gives the scorer for its datasets, or an empty function to
// leave the family out of the means.
SelectionResult evaluate_families(
    const Knowledge& k, const std::string& name, const Knowledge* secondary,
    const std::function<DatasetScorer(const std::string&, const std::vector<size_t>&,
                                      const std::vector<size_t>&)>& scorer_for) {
  SelectionResult res;
  res.selector = name;
  std::map<std::string, size_t> secondary_at;
  if (secondary)
    for (size_t d = 0; d < secondary->datasets.size(); ++d)
      secondary_at[secondary->datasets[d].name] = d;
  res.distance_secondary = secondary ? 0 : kNaN;
  int fams_secondary = 0;
  for (const auto& [family, held] : k.families()) {
    std::vector<size_t> train;
    for (size_t d = 0; d < k.datasets.size(); ++d)
      if (k.datasets[d].family != family) train.push_back(d);
    if (train.empty()) continue;
    const DatasetScorer score = scorer_for(family, train, held);
    if (!score) continue;
    double top1 = 0, top3 = 0, dist = 0, dist2 = 0, rho = 0, regret = 0;
    std::vector<double> within(SelectionResult::kMaxVerified, 0.0);
    int n = 0, n2 = 0;
    for (size_t d : held) {
      const int best = k.best(d);
      if (best < 0) continue;
      const auto& ds = k.datasets[d];
      const auto sc = score(d);
      std::vector<size_t> order;
      for (size_t a = 0; a < sc.size(); ++a)
        if (ds.eligible[a]) order.push_back(a);
      std::stable_sort(order.begin(), order.end(),
                       [&](size_t x, size_t y) { return sc[x] > sc[y]; });
      const int chosen = static_cast<int>(order.front());
      top1 += chosen == best ? 1 : 0;
      // Whether the best measured score among the top `m` choices is within 2% of the best.
      const double best_score = ds.scores[static_cast<size_t>(best)];
      auto verified_within = [&](size_t m) {
        double verified = std::numeric_limits<double>::quiet_NaN();
        for (size_t q = 0; q < std::min(m, order.size()); ++q) {
          const double v = ds.scores[order[q]];
          if (!std::isnan(v) &&
              (std::isnan(verified) || (k.lower_is_better ? v < verified : v > verified)))
            verified = v;
        }
        return !std::isnan(verified) &&
               std::fabs(best_score - verified) <= 0.02 * std::fabs(best_score);
      };
      for (int m = 1; m <= SelectionResult::kMaxVerified; ++m)
        within[static_cast<size_t>(m - 1)] += verified_within(static_cast<size_t>(m)) ? 1 : 0;
      for (size_t q = 0; q < std::min<size_t>(3, order.size()); ++q)
        top3 += static_cast<int>(order[q]) == best ? 1 : 0;
      dist += k.distance(d, chosen);
      const double best_v = ds.scores[static_cast<size_t>(best)],
                   chosen_v = ds.scores[static_cast<size_t>(chosen)];
      regret += std::fabs(best_v - (std::isnan(chosen_v) ? 0.0 : chosen_v));
      std::vector<double> pred, truth;
      for (size_t a : order) {
        if (std::isnan(ds.scores[a])) continue;
        pred.push_back(sc[a]);
        truth.push_back(k.lower_is_better ? -ds.scores[a] : ds.scores[a]);
      }
      rho += spearman(pred, truth);
      int needed = SelectionResult::kMaxVerified + 1;
      for (int m = SelectionResult::kMaxVerified; m >= 1; --m)
        if (verified_within(static_cast<size_t>(m))) needed = m;
      res.outcomes.push_back({d, k.distance(d, chosen), needed});
      if (secondary) {
        auto it = secondary_at.find(ds.name);
        if (it != secondary_at.end()) {
          const auto& alg2 = secondary->algorithms;
          const auto pos =
              std::find(alg2.begin(), alg2.end(), k.algorithms[static_cast<size_t>(chosen)]);
          if (pos != alg2.end()) {
            const double x = secondary->distance(it->second, static_cast<int>(pos - alg2.begin()));
            if (!std::isnan(x)) {
              dist2 += x;
              ++n2;
            }
          }
        }
      }
      ++n;
    }
    if (n == 0) continue;
    ++res.families;
    res.datasets += n;
    res.top1 += top1 / n;
    res.top3 += top3 / n;
    res.distance += dist / n;
    res.spearman += rho / n;
    res.spearman_by_family.emplace_back(family, rho / n);
    res.regret += regret / n;
    for (size_t m = 0; m < within.size(); ++m) res.within_2pct_by_candidates[m] += within[m] / n;
    if (secondary && n2 > 0) {
      res.distance_secondary += dist2 / n2;
      ++fams_secondary;
    }
  }
  if (res.families > 0) {
    const double f = res.families;
    res.top1 /= f;
    res.top3 /= f;
    res.distance /= f;
    res.spearman /= f;
    res.regret /= f;
    for (double& x : res.within_2pct_by_candidates) x /= f;
    res.auto_within_2pct = res.within_2pct_by_candidates[2];
    res.auto5_within_2pct = res.within_2pct_by_candidates[4];
  }
  if (secondary)
    res.distance_secondary = fams_secondary > 0 ? res.distance_secondary / fams_secondary : kNaN;
  return res;
}

}  // namespace

namespace {

// Euclidean distance of two z-score vectors; a NaN coordinate (a feature missing on one side)
// counts as zero difference.
double z_distance(const std::vector<double>& x, const std::vector<double>& y) {
  double sum = 0;
  for (size_t c = 0; c < x.size(); ++c) {
    const double e = x[c] - y[c];
    if (std::isfinite(e)) sum += e * e;
  }
  return std::sqrt(sum);
}

}  // namespace

SelectionResult evaluate_selection(const Knowledge& k, const std::string& selector,
                                   const SelectorOptions& o, const Knowledge* secondary) {
  return evaluate_families(
      k, selector, secondary,
      [&](const std::string&, const std::vector<size_t>& train, const std::vector<size_t>&) {
        std::shared_ptr<AlgorithmSelector> s = make_selector(selector, o);
        s->fit(k, train);
        return DatasetScorer([&k, s](size_t d) { return s->score(k.datasets[d].features); });
      });
}

SelectionResult evaluate_sibling_oracle(const Knowledge& k, const Knowledge* secondary) {
  std::vector<size_t> all(k.datasets.size());
  std::iota(all.begin(), all.end(), size_t{0});
  Standardizer z;
  z.fit(k, all);
  std::vector<std::vector<double>> points;
  for (const auto& ds : k.datasets) points.push_back(z.apply(ds.features));
  return evaluate_families(
      k, "nearest_sibling_oracle", secondary,
      [&](const std::string&, const std::vector<size_t>&, const std::vector<size_t>& held) {
        if (held.size() < 2) return DatasetScorer();
        return DatasetScorer([&k, &points, held](size_t d) {
          // Never the dataset itself, even when a missing (NaN) feature makes every distance
          // NaN: then the first sibling is taken.
          size_t nearest = held[0] == d ? held[1] : held[0];
          double best = std::numeric_limits<double>::infinity();
          for (size_t j : held) {
            if (j == d) continue;
            const double e = z_distance(points[d], points[j]);
            if (e < best) best = e, nearest = j;
          }
          // The sibling's measured scores, oriented so that higher is better; an algorithm that
          // failed there ranks last.
          std::vector<double> sc(k.algorithms.size());
          for (size_t a = 0; a < sc.size(); ++a) {
            const double v = k.datasets[nearest].scores[a];
            sc[a] = std::isnan(v) ? -std::numeric_limits<double>::infinity()
                                  : (k.lower_is_better ? -v : v);
          }
          return sc;
        });
      });
}

std::vector<double> family_novelty(const Knowledge& k) {
  std::vector<double> out(k.datasets.size(), kNaN);
  for (const auto& [family, held] : k.families()) {
    std::vector<size_t> others;
    for (size_t d = 0; d < k.datasets.size(); ++d)
      if (k.datasets[d].family != family) others.push_back(d);
    if (others.empty()) continue;
    Standardizer z;
    z.fit(k, others);
    std::vector<std::vector<double>> pts;
    for (size_t j : others) pts.push_back(z.apply(k.datasets[j].features));
    for (size_t d : held) {
      const auto x = z.apply(k.datasets[d].features);
      double best = std::numeric_limits<double>::infinity();
      for (const auto& y : pts) best = std::min(best, z_distance(x, y));
      out[d] = best;
    }
  }
  return out;
}

std::vector<std::pair<double, size_t>> nearest_known_datasets(const Knowledge& k,
                                                              const Standardizer& z,
                                                              const std::vector<double>& features,
                                                              size_t n) {
  const auto x = z.apply(features);
  std::vector<std::pair<double, size_t>> d;
  for (size_t j = 0; j < k.datasets.size(); ++j)
    d.emplace_back(z_distance(x, z.apply(k.datasets[j].features)), j);
  n = std::min(n, d.size());
  std::partial_sort(d.begin(), d.begin() + static_cast<std::ptrdiff_t>(n), d.end());
  d.resize(n);
  return d;
}

double novelty_share(const std::vector<double>& sorted_scale, double novelty) {
  if (sorted_scale.empty()) return 0;
  const auto below = std::lower_bound(sorted_scale.begin(), sorted_scale.end(), novelty);
  return static_cast<double>(below - sorted_scale.begin()) /
         static_cast<double>(sorted_scale.size());
}

std::vector<NoveltyBand> novelty_bands(const SelectionResult& r, const std::vector<double>& novelty,
                                       int bands) {
  METAREC_CHECK(bands >= 1, "novelty_bands: bands must be >= 1");
  std::vector<SelectionResult::Outcome> o;
  for (const auto& x : r.outcomes)
    if (x.dataset < novelty.size() && std::isfinite(novelty[x.dataset])) o.push_back(x);
  std::stable_sort(o.begin(), o.end(), [&](const auto& a, const auto& b) {
    return novelty[a.dataset] < novelty[b.dataset];
  });
  std::vector<NoveltyBand> out;
  for (int b = 0; b < bands; ++b) {
    const size_t lo = o.size() * static_cast<size_t>(b) / static_cast<size_t>(bands),
                 hi = o.size() * static_cast<size_t>(b + 1) / static_cast<size_t>(bands);
    if (lo == hi) continue;
    NoveltyBand nb;
    nb.lo = novelty[o[lo].dataset];
    nb.hi = novelty[o[hi - 1].dataset];
    nb.datasets = static_cast<int>(hi - lo);
    for (size_t i = lo; i < hi; ++i) {
      nb.distance += o[i].distance;
      nb.within_at_3 += o[i].candidates <= 3 ? 1 : 0;
      nb.within_at_7 += o[i].candidates <= 7 ? 1 : 0;
    }
    nb.distance /= nb.datasets;
    nb.within_at_3 /= nb.datasets;
    nb.within_at_7 /= nb.datasets;
    out.push_back(nb);
  }
  return out;
}

double mean_spearman_over(const SelectionResult& r, const SelectionResult& families) {
  double sum = 0;
  int n = 0;
  for (const auto& [family, rho] : r.spearman_by_family)
    for (const auto& g : families.spearman_by_family)
      if (g.first == family) {
        sum += rho;
        ++n;
      }
  return n > 0 ? sum / n : kNaN;
}

}  // namespace metarec
