// ContentRecommender: parameters, profile building, scoring, similar items, fold-in and
// persistence.
#include <metarec/algorithms/content/content.h>
#include <metarec/algorithms/content/item_profiles.h>
#include <metarec/core/error.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace metarec {

const char* content_name(ContentSource s) {
  switch (s) {
    case ContentSource::kGenres:
      return "content_genres";
    case ContentSource::kText:
      return "content_text";
    case ContentSource::kVectors:
      return "content_vectors";
  }
  return "content_genres";
}

ParamSchema ContentRecommender::schema(ContentSource source) {
  ParamSchema s = {
      ParamSpec::choice("scoring", "cosine", {"cosine", "dot"},
                        "cosine: unit-length item and user profiles; dot: raw feature weights "
                        "(items with more features score higher)")
          .tune({"cosine", "dot"}),
      ParamSpec::choice("item_weight", "none", {"none", "mean_rating"},
                        "scale each item profile by 1 or by the item's damped mean rating "
                        "(popularity on implicit data)")
          .tune({"none", "mean_rating"}),
      ParamSpec::boolean("centered", true,
                         "explicit data: weight the user's items by rating minus the user's mean "
                         "(disliked items count against), else by the rating"),
  };
  if (source == ContentSource::kText) {
    s.push_back(ParamSpec::choice("weighting", "tfidf", {"tfidf", "bm25"},
                                  "term weights: sublinear TF-IDF or BM25")
                    .tune({"tfidf", "bm25"}));
    s.push_back(ParamSpec::choice("fields", "all", {"all", "titles_texts", "titles"},
                                  "the item document: titles, free text and genre names (all), "
                                  "titles and free text, or titles only"));
    s.push_back(
        ParamSpec::integer("min_df", 2, 1, 1000000, "drop tokens found in fewer items than this")
            .tune(1, 10, true));
    s.push_back(
        ParamSpec::real("bm25_k1", 1.2, 0, 100, "BM25 term-frequency saturation").tune(0.5, 2.0));
    s.push_back(
        ParamSpec::real("bm25_b", 0.75, 0, 1, "BM25 document-length normalization").tune(0, 1));
  }
  return s;
}

ContentRecommender::ContentRecommender(ContentSource source, const Params& p)
    : Recommender(content_name(source), p), source_(source) {}

void ContentRecommender::do_fit(const Interactions& train, const FitContext& ctx) {
  const Params& p = params();
  const int32_t items = train.num_items();
  ctx.report(0, "item profiles");
  SparseMatrix raw;
  const ItemMeta* meta = train.item_meta();
  METAREC_CHECK(meta != nullptr, algorithm(), ": dataset ", train.name(), " has no item metadata");
  if (source_ == ContentSource::kVectors) {
    METAREC_CHECK(meta->has_vectors(), algorithm(), ": dataset ", train.name(),
                  " has no dense item vectors (give its card an \"item_vectors\" file)");
    raw = vector_profiles(*meta);
  } else {
    if (source_ == ContentSource::kGenres) {
      raw = genre_profiles(*meta);
    } else {
      TextFields f;
      const std::string& fields = p.get_string("fields");
      f.genres = fields == "all";
      f.texts = fields != "titles";
      raw = text_profiles(
          *meta, items, f,
          p.get_string("weighting") == "bm25" ? TermWeighting::kBm25 : TermWeighting::kTfIdf,
          static_cast<int>(p.get_int("min_df")), p.get_float("bm25_k1"), p.get_float("bm25_b"));
    }
  }
  METAREC_CHECK(raw.rows() == items, algorithm(), ": item profiles have ", raw.rows(), " rows for ",
                items, " items");

  // Item weights w_i.
  std::vector<double> w(static_cast<size_t>(items), 1.0);
  if (p.get_string("item_weight") == "mean_rating") {
    if (train.feedback() == Feedback::kExplicit) {
      const double lo = train.scale_min(), hi = train.scale_max();
      const double mu = train.global_mean(), damping = 5.0;
      for (int32_t i = 0; i < items; ++i) {
        double sum = 0;
        for (float v : train.item_values(i)) sum += v;
        const double m =
            (sum + damping * mu) / (static_cast<double>(train.item_count(i)) + damping);
        const double unit = hi > lo ? std::clamp((m - lo) / (hi - lo), 0.0, 1.0) : 1.0;
        w[i] = 0.1 + 0.9 * unit;
      }
    } else {
      int64_t most = 0;
      for (int32_t i = 0; i < items; ++i) most = std::max(most, train.item_count(i));
      for (int32_t i = 0; i < items; ++i)
        w[i] = most > 0 ? std::log1p(static_cast<double>(train.item_count(i))) /
                              std::log1p(static_cast<double>(most))
                        : 1.0;
    }
  }
  const bool cosine = p.get_string("scoring") == "cosine";
  std::vector<std::vector<std::pair<int32_t, float>>> rows(static_cast<size_t>(items));
  for (int32_t i = 0; i < items; ++i) {
    auto idx = raw.row_indices(i);
    auto val = raw.row_values(i);
    double norm = 0;
    for (float v : val) norm += static_cast<double>(v) * v;
    norm = std::sqrt(norm);
    if (norm == 0) continue;
    const double scale = w[i] / (cosine ? norm : 1.0);
    rows[i].reserve(idx.size());
    for (size_t k = 0; k < idx.size(); ++k)
      rows[i].push_back({idx[k], static_cast<float>(val[k] * scale)});
  }
  x_ = SparseMatrix::from_rows(raw.cols(), std::move(rows));

  // User item weights c_uj.
  const bool explicit_data = train.feedback() == Feedback::kExplicit;
  const bool centered = explicit_data && p.get_bool("centered");
  explicit_centered_ = explicit_data ? (centered ? 1 : 2) : 0;
  user_ptr_.assign(train.user_ptr().begin(), train.user_ptr().end());
  user_weights_.assign(static_cast<size_t>(train.nnz()), 1.0f);
  if (explicit_data) {
    for (int32_t u = 0; u < train.num_users(); ++u) {
      auto vals = train.user_values(u);
      if (vals.empty()) continue;
      double mean = 0;
      for (float v : vals) mean += v;
      mean /= static_cast<double>(vals.size());
      bool any = false;
      for (size_t k = 0; k < vals.size(); ++k) {
        const double c = centered ? vals[k] - mean : vals[k];
        user_weights_[static_cast<size_t>(user_ptr_[u]) + k] = static_cast<float>(c);
        any |= c != 0;
      }
      if (!any)
        for (size_t k = 0; k < vals.size(); ++k)
          user_weights_[static_cast<size_t>(user_ptr_[u]) + k] = 1.0f;
    }
  }
  popularity_.assign(static_cast<size_t>(items), 0.0f);
  const double pop_scale = 1e-4 / (static_cast<double>(train.num_users()) + 1.0);
  for (int32_t i = 0; i < items; ++i)
    popularity_[i] = static_cast<float>(static_cast<double>(train.item_count(i)) * pop_scale);
  ctx.report(1, "");
}

void ContentRecommender::score_profile(std::span<const int32_t> items,
                                       std::span<const float> weights, std::span<float> out) const {
  std::vector<float> profile(static_cast<size_t>(x_.cols()), 0.0f);
  double total = 0;
  for (size_t k = 0; k < items.size(); ++k) {
    x_.add_row(items[k], weights[k], profile);
    total += std::abs(weights[k]);
  }
  double scale = total > 0 ? 1.0 / total : 0.0;
  if (params().get_string("scoring") == "cosine") {
    double norm = 0;
    for (float v : profile) norm += static_cast<double>(v) * v;
    scale = norm > 0 ? 1.0 / std::sqrt(norm) : 0.0;
  }
  const int32_t n = num_items();
  for (int32_t i = 0; i < n; ++i) {
    auto idx = x_.row_indices(i);
    auto val = x_.row_values(i);
    double s = 0;
    for (size_t k = 0; k < idx.size(); ++k) s += static_cast<double>(val[k]) * profile[idx[k]];
    out[i] = static_cast<float>(s * scale) + popularity_[i];
  }
}

void ContentRecommender::score(int32_t user, std::span<float> out) const {
  require_fitted();
  METAREC_CHECK(static_cast<int64_t>(out.size()) == num_items(), algorithm(),
                ": score buffer has size ", out.size(), ", expected ", num_items());
  if (user < 0 || user >= num_users() || user_ptr_[user + 1] == user_ptr_[user]) {
    std::copy(popularity_.begin(), popularity_.end(), out.begin());
    return;
  }
  const auto b = static_cast<size_t>(user_ptr_[user]);
  const auto n = static_cast<size_t>(user_ptr_[user + 1] - user_ptr_[user]);
  score_profile(seen_items(user), std::span<const float>(user_weights_).subspan(b, n), out);
}

void ContentRecommender::score_new_user(std::span<const int32_t> items,
                                        std::span<const float> values, std::span<float> out) const {
  require_fitted();
  METAREC_CHECK(values.empty() || values.size() == items.size(),
                "fold-in: values and items differ in length");
  METAREC_CHECK(static_cast<int64_t>(out.size()) == num_items(), algorithm(),
                ": score buffer has size ", out.size(), ", expected ", num_items());
  for (int32_t i : items)
    METAREC_CHECK(i >= 0 && i < num_items(), "fold-in: item ", i, " out of range");
  if (items.empty()) {
    std::copy(popularity_.begin(), popularity_.end(), out.begin());
    return;
  }
  std::vector<float> c(items.size(), 1.0f);
  if (explicit_centered_ != 0 && !values.empty()) {
    double mean = 0;
    for (float v : values) mean += v;
    mean /= static_cast<double>(values.size());
    bool any = false;
    for (size_t k = 0; k < c.size(); ++k) {
      c[k] = static_cast<float>(explicit_centered_ == 1 ? values[k] - mean : values[k]);
      any |= c[k] != 0;
    }
    if (!any) std::fill(c.begin(), c.end(), 1.0f);
  }
  score_profile(items, c, out);
}

std::vector<ScoredItem> ContentRecommender::similar_items(int32_t item, int k) const {
  require_fitted();
  METAREC_CHECK(item >= 0 && item < num_items(), "item index ", item, " out of range");
  METAREC_CHECK(k > 0, "k must be > 0, got ", k);
  std::vector<float> dense(static_cast<size_t>(x_.cols()), 0.0f);
  x_.add_row(item, 1.0f, dense);
  std::vector<float> s(static_cast<size_t>(num_items()));
  for (int32_t j = 0; j < num_items(); ++j) {
    auto idx = x_.row_indices(j);
    auto val = x_.row_values(j);
    double d = 0;
    for (size_t p = 0; p < idx.size(); ++p) d += static_cast<double>(val[p]) * dense[idx[p]];
    s[j] = static_cast<float>(d);
  }
  s[item] = -std::numeric_limits<float>::infinity();
  return top_k(s, k);
}

void ContentRecommender::do_save(ModelWriter& w) const {
  x_.save(w, "content.x");
  w.add_view("content.user_weights", std::span<const float>(user_weights_),
             {static_cast<int64_t>(user_weights_.size())});
  w.add_view("content.popularity", std::span<const float>(popularity_),
             {static_cast<int64_t>(popularity_.size())});
  const int32_t flags[1] = {explicit_centered_};
  w.add("content.flags", std::span<const int32_t>(flags, 1), {1});
}

void ContentRecommender::do_load(const ModelReader& r) {
  SparseMatrix x = SparseMatrix::load(r, "content.x");
  if (x.rows() != num_items())
    throw FormatError(r.path(), 0,
                      "content.x has " + std::to_string(x.rows()) + " rows for " +
                          std::to_string(num_items()) + " items");
  int64_t nnz = 0;
  for (int32_t u = 0; u < num_users(); ++u) nnz += static_cast<int64_t>(seen_items(u).size());
  user_weights_ = r.f32("content.user_weights", {nnz});
  popularity_ = r.f32("content.popularity", {num_items()});
  const auto flags = r.i32("content.flags", {1});
  if (flags[0] < 0 || flags[0] > 2) throw FormatError(r.path(), 0, "content.flags out of range");
  explicit_centered_ = flags[0];
  user_ptr_.assign(1, 0);
  for (int32_t u = 0; u < num_users(); ++u)
    user_ptr_.push_back(user_ptr_.back() + static_cast<int64_t>(seen_items(u).size()));
  x_ = std::move(x);
}

}  // namespace metarec
