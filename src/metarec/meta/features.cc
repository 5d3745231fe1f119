// Dataset meta-features: the schema (the one list of names, families, units and definitions) and
// the computation of every family in one pass or two over the CSR/CSC arrays.
#include "metarec/meta/features.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "metarec/core/error.h"
#include "metarec/meta/landmarkers.h"

namespace metarec {

namespace {

// A user or item with at most this many interactions is cold.
constexpr int64_t kColdThreshold = 5;

// ---- the schema ------------------------------------------------------------------------------

std::vector<MetaFeatureInfo> build_schema() {
  std::vector<MetaFeatureInfo> s;
  auto add = [&](std::string name, std::string family, std::string unit, std::string def) {
    s.push_back({std::move(name), std::move(family), std::move(unit), std::move(def)});
  };
  // Sizes. U, I = users and items with at least one interaction, N = interactions.
  add("log_users", "size", "log10(users)", "log10 U, U = users with at least one interaction");
  add("log_items", "size", "log10(items)", "log10 I, I = items with at least one interaction");
  add("log_interactions", "size", "log10(interactions)", "log10 N, N = stored interactions");
  add("density", "size", "fraction", "N / (U * I)");
  add("log_density", "size", "log10(fraction)", "log10(N / (U * I))");
  add("log_items_per_user", "size", "log10(interactions/user)", "log10(N / U)");
  add("log_users_per_item", "size", "log10(interactions/item)", "log10(N / I)");
  add("log_user_item_ratio", "size", "log10(users/items)", "log10(U / I)");

  // Feedback: the stored values (ratings; counts or 1s on implicit data).
  add("is_explicit", "feedback", "flag", "1 if the feedback is explicit (ratings), 0 if implicit");
  add("rating_min", "feedback", "value", "smallest stored value");
  add("rating_max", "feedback", "value", "largest stored value");
  add("rating_distinct", "feedback", "count", "number of distinct stored values");
  add("rating_step", "feedback", "value",
      "smallest gap between two consecutive distinct values; 0 with one distinct value");
  add("rating_mean", "feedback", "value", "mean of the values");
  add("rating_mean_normalized", "feedback", "fraction",
      "(mean - min) / (max - min); 0 when max = min");
  add("rating_std", "feedback", "value", "population standard deviation of the values");
  add("rating_skewness", "feedback", "dimensionless",
      "population skewness m3 / m2^1.5 of the values; 0 when the values are constant");
  add("rating_kurtosis", "feedback", "dimensionless",
      "population excess kurtosis m4 / m2^2 - 3 of the values; 0 when the values are constant");
  add("rating_entropy", "feedback", "bits",
      "Shannon entropy -sum p log2 p of the distribution of distinct values");

  // The two count distributions: interactions per user, interactions per item.
  for (const auto& [family, who, what] : {std::tuple{"user_activity", "user", "users"},
                                          std::tuple{"item_popularity", "item", "items"}}) {
    const std::string f = family, p = f + "_", x = std::string("interactions per ") + who,
                      whom = what;
    const std::string unit = std::string("interactions/") + who;
    add(p + "mean", f, unit, "mean of the " + x);
    add(p + "std", f, unit, "population standard deviation of the " + x);
    add(p + "skewness", f, "dimensionless",
        "population skewness of the " + x + "; 0 when they are all equal");
    add(p + "kurtosis", f, "dimensionless",
        "population excess kurtosis of the " + x + "; 0 when they are all equal");
    add(p + "entropy", f, "fraction",
        "normalized entropy -sum p ln p / ln n of the shares p = count / N over the n " + whom +
            "; 1 when n = 1");
    add(p + "gini", f, "fraction",
        "Gini coefficient of the " + x +
            ": sum_j (2j - n - 1) x_j / (n sum x), x ascending, "
            "j = 1..n; 0 = equal");
    for (const char* q : {"min", "q25", "median", "q75", "q90", "max"}) {
      add(p + q, f, unit,
          std::string(q) + " of the " + x +
              " (linear interpolation between order statistics at position q (n - 1), as numpy)");
    }
    add(p + "cold_share", f, "fraction",
        "share of the " + whom + " with at most " + std::to_string(kColdThreshold) +
            " interactions (cold)");
  }
  add("item_popularity_top1_share", "item_popularity", "fraction",
      "share of interactions on the ceil(I / 100) most popular items (top 1%)");
  add("item_popularity_top20_share", "item_popularity", "fraction",
      "share of interactions on the ceil(I / 5) most popular items (top 20%)");

  // Time. Halves: entries ordered by (time, entry id); the first floor(N / 2) vs the rest.
  add("has_timestamps", "time", "flag", "1 if the interactions carry timestamps");
  add("time_span_days", "time", "days", "(latest - earliest timestamp) / 86400; 0 without times");
  add("interactions_per_day", "time", "interactions/day",
      "N / max(span in days, 1); 0 without times");
  add("popularity_drift_cosine", "time", "fraction",
      "1 - cosine similarity of the item count vectors of the first and last halves by time; 0 "
      "without times or with N < 2");
  add("popularity_drift_spearman", "time", "dimensionless",
      "1 - Spearman correlation (average ranks for ties) of the item counts of the two halves "
      "over the I items; the correlation is 1 when both halves are constant, 0 when one is; 0 "
      "without times or with N < 2");
  add("new_item_share", "time", "fraction",
      "share of the items occurring in the last half that do not occur in the first; 0 without "
      "times or with N < 2");
  add("returning_user_share", "time", "fraction",
      "share of the users occurring in the last half that also occur in the first; 0 without "
      "times or with N < 2");

  // Side information and modality, over the I items with interactions.
  add("has_item_titles", "side_info", "flag", "1 if at least one item has a non-empty title");
  add("has_item_genres", "side_info", "flag", "1 if at least one item has a genre/tag/category");
  add("item_genre_coverage", "side_info", "fraction", "share of items with at least one genre");
  add("genres_per_item", "side_info", "genres/item", "mean number of genres per item");
  add("log_genre_vocabulary", "side_info", "log10(1 + genres)",
      "log10(1 + size of the genre vocabulary); 0 without genres");
  add("has_item_text", "side_info", "flag", "1 if at least one item has non-empty free text");
  add("item_text_coverage", "side_info", "fraction", "share of items with non-empty free text");
  add("has_user_attributes", "side_info", "flag", "1 if users carry categorical attributes");
  add("user_attribute_count", "side_info", "count", "number of user attributes");
  add("has_dense_item_vectors", "side_info", "flag",
      "1 if items carry dense vectors (e.g. text or image embeddings, a card's item_vectors)");
  add("text_to_text", "side_info", "flag",
      "input and output described by text: 1 if items have titles or free text");
  add("image_to_image", "side_info", "flag",
      "input and output described by images: 1 if items have dense (image) vectors");
  add("text_to_image", "side_info", "flag",
      "cross-modal, needs both: 1 if items have text (titles or free text) and dense vectors");
  add("image_to_text", "side_info", "flag",
      "cross-modal, needs both: 1 if items have dense vectors and text (titles or free text)");

  // Landmarkers (landmarkers.h): accuracy of cheap models on a seeded subsample.
  for (const auto& [stem, desc] :
       {std::pair{"most_popular", "most_popular"},
        std::pair{"item_knn_k1", "item_knn (cosine, k = 1)"},
        std::pair{"item_knn_k5", "item_knn (cosine, k = 5)"},
        std::pair{"mf5",
                  "5-factor MF matching the feedback (funk_mf on explicit data, ials with 5 "
                  "sweeps on implicit data)"},
        std::pair{"ials5",
                  "5-factor ials with 5 sweeps on the data viewed as implicit (explicit values "
                  "become confidences), comparable across feedback types"}}) {
    for (const auto& [metric, mdesc] :
         {std::pair{"ndcg@10", "NDCG@10"}, std::pair{"precision@10", "precision@10"}}) {
      add(std::string("landmark_") + stem + "_" + metric, "landmark", "fraction",
          std::string(mdesc) + " of " + desc +
              " on the landmark subsample and holdout; 0 when landmarkers are off or no user "
              "has two interactions");
    }
  }
  return s;
}

const std::unordered_map<std::string, size_t>& schema_index() {
  static const std::unordered_map<std::string, size_t> index = [] {
    std::unordered_map<std::string, size_t> m;
    const auto& s = meta_feature_schema();
    for (size_t j = 0; j < s.size(); ++j) m.emplace(s[j].name, j);
    return m;
  }();
  return index;
}

// Collects values by name so that the vector's order is the schema's by construction.
class FeatureWriter {
 public:
  FeatureWriter()
      : values_(meta_feature_schema().size(), std::numeric_limits<double>::quiet_NaN()),
        set_(values_.size(), false) {}
  void set(const std::string& name, double v) {
    const size_t j = meta_feature_index(name);
    if (set_[j]) throw Error("meta-feature " + name + " set twice");
    if (!std::isfinite(v)) throw Error("meta-feature " + name + " is not finite");
    values_[j] = v;
    set_[j] = true;
  }
  std::vector<double> take() {
    for (size_t j = 0; j < set_.size(); ++j)
      if (!set_[j]) throw Error("meta-feature " + meta_feature_schema()[j].name + " was not set");
    return std::move(values_);
  }

 private:
  std::vector<double> values_;
  std::vector<bool> set_;
};

// ---- statistics ------------------------------------------------------------------------------

struct Moments {
  double mean = 0, std = 0, skewness = 0, kurtosis = 0;
};

// Population moments; skewness and excess kurtosis are 0 for (numerically) constant data.
template <typename T>
Moments moments(std::span<const T> x) {
  Moments m;
  if (x.empty()) return m;
  const double n = static_cast<double>(x.size());
  double sum = 0;
  for (T v : x) sum += static_cast<double>(v);
  m.mean = sum / n;
  double m2 = 0, m3 = 0, m4 = 0;
  for (T v : x) {
    const double d = static_cast<double>(v) - m.mean, d2 = d * d;
    m2 += d2;
    m3 += d2 * d;
    m4 += d2 * d2;
  }
  m2 /= n;
  m3 /= n;
  m4 /= n;
  m.std = std::sqrt(m2);
  // Rounding leaves ~1e-30 of spread in constant float data; do not divide by it.
  if (m2 > 1e-12 * std::max(1.0, m.mean * m.mean)) {
    m.skewness = m3 / (m2 * m.std);
    m.kurtosis = m4 / (m2 * m2) - 3.0;
  }
  return m;
}

// Linear interpolation between order statistics at q (n - 1) (numpy's default); x ascending.
double quantile(std::span<const double> x, double q) {
  const double h = q * static_cast<double>(x.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(h));
  if (lo + 1 >= x.size()) return x.back();
  return x[lo] + (h - static_cast<double>(lo)) * (x[lo + 1] - x[lo]);
}

// Distinct values and their counts, ascending. Ratings have a handful of distinct values, so a
// linear scan over a short list beats hashing; many distinct values fall back to a sort.
std::vector<std::pair<float, int64_t>> value_histogram(std::span<const float> values) {
  constexpr size_t kShortList = 64;
  std::vector<std::pair<float, int64_t>> h;
  bool overflow = false;
  for (float v : values) {
    auto it = std::find_if(h.begin(), h.end(), [v](const auto& p) { return p.first == v; });
    if (it != h.end()) {
      ++it->second;
    } else if (h.size() < kShortList) {
      h.emplace_back(v, 1);
    } else {
      overflow = true;
      break;
    }
  }
  if (overflow) {
    std::vector<float> sorted(values.begin(), values.end());
    std::sort(sorted.begin(), sorted.end());
    h.clear();
    for (float v : sorted) {
      if (h.empty() || h.back().first != v)
        h.emplace_back(v, 1);
      else
        ++h.back().second;
    }
  }
  std::sort(h.begin(), h.end());
  return h;
}

// Average ranks (1-based, ties share the mean of their positions).
std::vector<double> average_ranks(std::span<const double> x) {
  std::vector<size_t> order(x.size());
  for (size_t j = 0; j < order.size(); ++j) order[j] = j;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return x[a] < x[b]; });
  std::vector<double> r(x.size());
  for (size_t b = 0; b < order.size();) {
    size_t e = b + 1;
    while (e < order.size() && x[order[e]] == x[order[b]]) ++e;
    const double avg = 0.5 * static_cast<double>(b + 1 + e);
    for (size_t j = b; j < e; ++j) r[order[j]] = avg;
    b = e;
  }
  return r;
}

double pearson(std::span<const double> a, std::span<const double> b) {
  const Moments ma = moments(a), mb = moments(b);
  double cov = 0;
  for (size_t j = 0; j < a.size(); ++j) cov += (a[j] - ma.mean) * (b[j] - mb.mean);
  cov /= static_cast<double>(a.size());
  return cov / (ma.std * mb.std);
}

// ---- the families ----------------------------------------------------------------------------

void count_distribution(FeatureWriter& w, const std::string& family, std::vector<double> counts) {
  std::sort(counts.begin(), counts.end());
  const std::span<const double> x(counts);
  const double n = static_cast<double>(x.size());
  const Moments m = moments(x);
  double total = 0, weighted = 0, entropy = 0, cold = 0;
  for (size_t j = 0; j < x.size(); ++j) {
    total += x[j];
    weighted += (2.0 * static_cast<double>(j + 1) - n - 1.0) * x[j];
    cold += x[j] <= static_cast<double>(kColdThreshold);
  }
  for (double v : x) entropy -= v / total * std::log(v / total);
  const std::string p = family + "_";
  w.set(p + "mean", m.mean);
  w.set(p + "std", m.std);
  w.set(p + "skewness", m.skewness);
  w.set(p + "kurtosis", m.kurtosis);
  w.set(p + "entropy", x.size() > 1 ? entropy / std::log(n) : 1.0);
  w.set(p + "gini", weighted / (n * total));
  w.set(p + "min", x.front());
  w.set(p + "q25", quantile(x, 0.25));
  w.set(p + "median", quantile(x, 0.5));
  w.set(p + "q75", quantile(x, 0.75));
  w.set(p + "q90", quantile(x, 0.9));
  w.set(p + "max", x.back());
  w.set(p + "cold_share", cold / n);
  if (family == "item_popularity") {
    const size_t top1 = (x.size() + 99) / 100, top20 = (x.size() + 4) / 5;
    double s1 = 0, s20 = 0;
    for (size_t j = 0; j < top20; ++j) {
      const double v = x[x.size() - 1 - j];
      s20 += v;
      if (j < top1) s1 += v;
    }
    w.set("item_popularity_top1_share", s1 / total);
    w.set("item_popularity_top20_share", s20 / total);
  }
}

void feedback_features(FeatureWriter& w, const Interactions& d) {
  const auto values = d.entry_values();
  const auto h = value_histogram(values);
  const Moments m = moments(values);
  const double lo = h.front().first, hi = h.back().first, n = static_cast<double>(values.size());
  double step = 0, entropy = 0;
  for (size_t j = 1; j < h.size(); ++j) {
    const double gap = static_cast<double>(h[j].first) - static_cast<double>(h[j - 1].first);
    step = j == 1 ? gap : std::min(step, gap);
  }
  for (const auto& [v, c] : h) {
    const double p = static_cast<double>(c) / n;
    entropy -= p * std::log2(p);
  }
  w.set("is_explicit", d.feedback() == Feedback::kExplicit ? 1 : 0);
  w.set("rating_min", lo);
  w.set("rating_max", hi);
  w.set("rating_distinct", static_cast<double>(h.size()));
  w.set("rating_step", step);
  w.set("rating_mean", m.mean);
  w.set("rating_mean_normalized", hi > lo ? (m.mean - lo) / (hi - lo) : 0.0);
  w.set("rating_std", m.std);
  w.set("rating_skewness", m.skewness);
  w.set("rating_kurtosis", m.kurtosis);
  w.set("rating_entropy", entropy);
}

void time_features(FeatureWriter& w, const Interactions& d, double active_items) {
  const int64_t n = d.nnz();
  double span = 0, per_day = 0, drift_cos = 0, drift_rank = 0, new_items = 0, returning = 0;
  if (d.has_timestamps()) {
    const auto t = d.entry_times();
    const auto [lo, hi] = std::minmax_element(t.begin(), t.end());
    span = static_cast<double>(*hi - *lo) / 86400.0;
    per_day = static_cast<double>(n) / std::max(span, 1.0);
  }
  if (d.has_timestamps() && n >= 2) {
    // The first half is the floor(n / 2) earliest entries, ties by entry id: exactly balanced
    // even when timestamps are coarse (dates) or all equal.
    const auto t = d.entry_times();
    std::vector<std::pair<int64_t, int64_t>> order(static_cast<size_t>(n));
    for (int64_t e = 0; e < n; ++e) order[e] = {t[e], e};
    const auto half = order.begin() + n / 2;
    std::nth_element(order.begin(), half, order.end());
    std::vector<double> c1(static_cast<size_t>(d.num_items())), c2(c1.size());
    std::vector<uint8_t> user_half(static_cast<size_t>(d.num_users()), 0);  // bit 1: first, 2: last
    const auto items = d.entry_items();
    const auto users = d.entry_users();
    for (auto it = order.begin(); it != order.end(); ++it) {
      const bool first = it < half;
      (first ? c1 : c2)[items[it->second]] += 1;
      user_half[users[it->second]] |= first ? 1 : 2;
    }
    double dot = 0, n1 = 0, n2 = 0, last_items = 0;
    std::vector<double> a, b;
    a.reserve(static_cast<size_t>(active_items));
    b.reserve(static_cast<size_t>(active_items));
    for (size_t i = 0; i < c1.size(); ++i) {
      if (c1[i] == 0 && c2[i] == 0) continue;
      dot += c1[i] * c2[i];
      n1 += c1[i] * c1[i];
      n2 += c2[i] * c2[i];
      a.push_back(c1[i]);
      b.push_back(c2[i]);
      if (c2[i] > 0) {
        last_items += 1;
        new_items += c1[i] == 0;
      }
    }
    drift_cos = std::max(0.0, 1.0 - dot / std::sqrt(n1 * n2));
    const bool a_const = moments(std::span<const double>(a)).std == 0;
    const bool b_const = moments(std::span<const double>(b)).std == 0;
    const double rho = a_const && b_const   ? 1.0
                       : a_const || b_const ? 0.0
                                            : pearson(average_ranks(a), average_ranks(b));
    drift_rank = 1.0 - rho;
    new_items /= last_items;
    double last_users = 0;
    for (uint8_t h : user_half) {
      last_users += (h & 2) != 0;
      returning += h == 3;
    }
    returning /= last_users;
  }
  w.set("has_timestamps", d.has_timestamps() ? 1 : 0);
  w.set("time_span_days", span);
  w.set("interactions_per_day", per_day);
  w.set("popularity_drift_cosine", drift_cos);
  w.set("popularity_drift_spearman", drift_rank);
  w.set("new_item_share", new_items);
  w.set("returning_user_share", returning);
}

void side_info_features(FeatureWriter& w, const Interactions& d, double items) {
  const ItemMeta* im = d.item_meta();
  const UserMeta* um = d.user_meta();
  double titled = 0, with_genres = 0, genres = 0, with_text = 0;
  if (im) {
    for (int32_t i = 0; i < d.num_items(); ++i) {
      if (d.item_count(i) == 0) continue;
      const size_t j = static_cast<size_t>(i);
      if (j < im->titles.size()) titled += !im->titles[j].empty();
      if (j < im->genres.size()) {
        with_genres += !im->genres[j].empty();
        genres += static_cast<double>(im->genres[j].size());
      }
      if (j < im->texts.size()) with_text += !im->texts[j].empty();
    }
  }
  const bool has_text = titled > 0 || with_text > 0;
  const bool has_vectors = im != nullptr && im->has_vectors();
  w.set("has_item_titles", titled > 0);
  w.set("has_item_genres", with_genres > 0);
  w.set("item_genre_coverage", with_genres / items);
  w.set("genres_per_item", genres / items);
  w.set("log_genre_vocabulary",
        with_genres > 0 ? std::log10(1.0 + static_cast<double>(im->genre_names.size())) : 0.0);
  w.set("has_item_text", with_text > 0);
  w.set("item_text_coverage", with_text / items);
  w.set("has_user_attributes", um && !um->empty());
  w.set("user_attribute_count", um ? static_cast<double>(um->attribute_names.size()) : 0.0);
  w.set("has_dense_item_vectors", has_vectors);
  w.set("text_to_text", has_text);
  w.set("image_to_image", has_vectors);
  w.set("text_to_image", has_text && has_vectors);
  w.set("image_to_text", has_text && has_vectors);
}

}  // namespace

const std::vector<MetaFeatureInfo>& meta_feature_schema() {
  static const std::vector<MetaFeatureInfo> schema = build_schema();
  return schema;
}

size_t meta_feature_index(const std::string& name) {
  const auto& index = schema_index();
  const auto it = index.find(name);
  METAREC_CHECK(it != index.end(), "unknown meta-feature \"", name, "\"");
  return it->second;
}

std::vector<double> meta_features(const Interactions& data, const MetaFeatureOptions& opts) {
  METAREC_CHECK(data.nnz() > 0, "meta-features need at least one interaction");
  METAREC_CHECK(opts.max_landmark_users > 0, "max_landmark_users must be > 0, got ",
                opts.max_landmark_users);
  METAREC_CHECK(opts.threads >= 0, "threads must be >= 0, got ", opts.threads);
  FeatureWriter w;
  std::vector<double> user_counts, item_counts;
  user_counts.reserve(static_cast<size_t>(data.num_users()));
  item_counts.reserve(static_cast<size_t>(data.num_items()));
  for (int32_t u = 0; u < data.num_users(); ++u)
    if (const int64_t c = data.user_count(u); c > 0) user_counts.push_back(static_cast<double>(c));
  for (int32_t i = 0; i < data.num_items(); ++i)
    if (const int64_t c = data.item_count(i); c > 0) item_counts.push_back(static_cast<double>(c));
  const double users = static_cast<double>(user_counts.size());
  const double items = static_cast<double>(item_counts.size());
  const double n = static_cast<double>(data.nnz());

  w.set("log_users", std::log10(users));
  w.set("log_items", std::log10(items));
  w.set("log_interactions", std::log10(n));
  w.set("density", n / (users * items));
  w.set("log_density", std::log10(n / (users * items)));
  w.set("log_items_per_user", std::log10(n / users));
  w.set("log_users_per_item", std::log10(n / items));
  w.set("log_user_item_ratio", std::log10(users / items));

  feedback_features(w, data);
  count_distribution(w, "user_activity", std::move(user_counts));
  count_distribution(w, "item_popularity", std::move(item_counts));
  time_features(w, data, items);
  side_info_features(w, data, items);

  std::vector<LandmarkScore> scores;
  if (opts.landmarkers) {
    scores = run_landmarkers(data, opts.max_landmark_users, opts.seed, opts.threads);
  } else {
    for (const auto& l : landmarkers_for(data.feedback())) scores.push_back({l.name, 0, 0});
  }
  for (const auto& s : scores) {
    w.set("landmark_" + s.name + "_ndcg@10", s.ndcg_at_10);
    w.set("landmark_" + s.name + "_precision@10", s.precision_at_10);
  }
  return w.take();
}

nlohmann::ordered_json meta_features_json(std::span<const double> values) {
  const auto& schema = meta_feature_schema();
  METAREC_CHECK(values.size() == schema.size(), "expected ", schema.size(),
                " meta-feature values, got ", values.size());
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (size_t k = 0; k < values.size(); ++k) j[schema[k].name] = values[k];
  return j;
}

nlohmann::ordered_json meta_features_json(const Interactions& data,
                                          const MetaFeatureOptions& opts) {
  return meta_features_json(meta_features(data, opts));
}

}  // namespace metarec
