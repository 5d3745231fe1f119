// KnnRating: Surprise-style neighbourhood rating prediction over sparse similarities.
#include <metarec/algorithms/baselines/baselines.h>
#include <metarec/algorithms/knn/knn_rating.h>
#include <metarec/algorithms/knn/similarity.h>
#include <metarec/core/error.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace metarec {

namespace {

const char* knn_name(KnnRating::Kind k) {
  switch (k) {
    case KnnRating::Kind::kBasic:
      return "knn_basic";
    case KnnRating::Kind::kMeans:
      return "knn_means";
    case KnnRating::Kind::kBaseline:
      return "knn_baseline";
  }
  return "?";
}

}  // namespace

ParamSchema KnnRating::schema(Kind kind) {
  // Defaults measured by 5-fold CV on MovieLens 100K: plain KNN is best user-based with msd
  // (Surprise's defaults); the centred variants are best item-based with shrunk pearson_baseline.
  const bool basic = kind == Kind::kBasic;
  return {
      ParamSpec::integer("k", 40, 1, 100000,
                         "neighbours used per prediction (among those who "
                         "rated the target)")
          .tune(5, 200, true),
      ParamSpec::integer("min_k", 1, 1, 100000,
                         "fewer positive-similarity neighbours than this: predict the fallback")
          .tune(1, 10),
      ParamSpec::boolean("user_based", basic, "compare users (true) or items (false)")
          .tune({"true", "false"}),
      ParamSpec::choice("similarity", basic ? "msd" : "pearson_baseline", rating_similarity_names(),
                        "over co-rated entries: msd, cosine, pearson, or pearson_baseline "
                        "(cosine of baseline residuals)")
          .tune(rating_similarity_names()),
      ParamSpec::real("shrinkage", basic ? 0 : 100, 0, 1e6,
                      "sim *= n / (n + shrinkage), n = co-rated entries")
          .tune(0, 300),
      ParamSpec::integer("min_support", 1, 1, 1000000, "co-rated entries a pair needs").tune(1, 10),
      ParamSpec::integer("max_neighbors", 500, 1, 10000000,
                         "similarities stored per user/item (the largest); bounds memory")
          .tune(50, 2000, true),
      ParamSpec::real("reg_user", 15, 0, 1e6, "baseline: regularization of user biases")
          .tune(0.1, 100, true),
      ParamSpec::real("reg_item", 10, 0, 1e6, "baseline: regularization of item biases")
          .tune(0.1, 100, true),
      ParamSpec::integer("baseline_epochs", 10, 1, 1000, "baseline: ALS sweeps").tune(2, 50),
  };
}

KnnRating::KnnRating(Kind kind, const Params& p)
    : Recommender(knn_name(kind), p),
      kind_(kind),
      user_based_(p.get_bool("user_based")),
      k_(static_cast<int32_t>(p.get_int("k"))),
      min_k_(static_cast<int32_t>(p.get_int("min_k"))) {}

void KnnRating::do_fit(const Interactions& train, const FitContext& ctx) {
  mu_ = train.global_mean();
  const bool scaled =
      train.feedback() == Feedback::kExplicit && train.scale_min() < train.scale_max();
  lo_ = scaled ? train.scale_min() : 0.0f;
  hi_ = scaled ? train.scale_max() : 0.0f;
  user_vals_.assign(train.entry_values().begin(), train.entry_values().end());
  index_ratings();

  SimilarityOptions o;
  o.kind = parse_rating_similarity(params().get_string("similarity"));
  o.user_based = user_based_;
  o.neighbors = static_cast<int32_t>(params().get_int("max_neighbors"));
  o.min_support = static_cast<int32_t>(params().get_int("min_support"));
  o.shrinkage = params().get_float("shrinkage");

  bu_.clear();
  bi_.clear();
  if (kind_ == Kind::kBaseline || o.kind == SimilarityKind::kPearsonBaseline) {
    BiasBaseline b(
        Params(BiasBaseline::schema(), {{"reg_user", params().get_float("reg_user")},
                                        {"reg_item", params().get_float("reg_item")},
                                        {"epochs", params().get_int("baseline_epochs")}}));
    FitContext quiet = ctx;
    quiet.progress = nullptr;
    b.fit(train, quiet);
    bu_.assign(b.user_bias().begin(), b.user_bias().end());
    bi_.assign(b.item_bias().begin(), b.item_bias().end());
    o.mu = mu_;
    o.user_bias = bu_;
    o.item_bias = bi_;
  }
  mean_.clear();
  if (kind_ == Kind::kMeans) {
    const int32_t n = user_based_ ? train.num_users() : train.num_items();
    mean_.assign(static_cast<size_t>(n), static_cast<float>(mu_));
    for (int32_t x = 0; x < n; ++x) {
      auto v = user_based_ ? train.user_values(x) : train.item_values(x);
      if (v.empty()) continue;
      double s = 0;
      for (float r : v) s += r;
      mean_[x] = static_cast<float>(s / static_cast<double>(v.size()));
    }
  }
  sim_ = knn_similarities(train, o, ctx);
  sim_t_ = SparseMatrix();
  sim_t_once_ = std::make_unique<std::once_flag>();
}

void KnnRating::index_ratings() {
  const int32_t nu = num_users(), ni = num_items();
  user_ptr_.assign(static_cast<size_t>(nu) + 1, 0);
  item_ptr_.assign(static_cast<size_t>(ni) + 1, 0);
  for (int32_t u = 0; u < nu; ++u) {
    auto items = seen_items(u);
    user_ptr_[u + 1] = user_ptr_[u] + static_cast<int64_t>(items.size());
    for (int32_t i : items) ++item_ptr_[static_cast<size_t>(i) + 1];
  }
  for (int32_t i = 0; i < ni; ++i) item_ptr_[i + 1] += item_ptr_[i];
  item_users_.resize(static_cast<size_t>(item_ptr_.back()));
  item_vals_.resize(static_cast<size_t>(item_ptr_.back()));
  std::vector<int64_t> next(item_ptr_.begin(), item_ptr_.end() - 1);
  for (int32_t u = 0; u < nu; ++u) {
    auto items = seen_items(u);
    for (size_t k = 0; k < items.size(); ++k) {
      const int64_t q = next[items[k]]++;
      item_users_[q] = u;
      item_vals_[q] = user_vals_[static_cast<size_t>(user_ptr_[u]) + k];
    }
  }
}

const SparseMatrix& KnnRating::sim_t() const {
  std::call_once(*sim_t_once_, [this] { sim_t_ = sim_.transpose(); });
  return sim_t_;
}

bool KnnRating::known(int32_t user, int32_t item) const {
  return user >= 0 && user < num_users() && item >= 0 && item < num_items() &&
         user_ptr_[user + 1] > user_ptr_[user] && item_ptr_[item + 1] > item_ptr_[item];
}

double KnnRating::fallback(int32_t user, int32_t item) const {
  const bool u_ok = user >= 0 && user < num_users(), i_ok = item >= 0 && item < num_items();
  switch (kind_) {
    case Kind::kBasic:
      return mu_;
    case Kind::kMeans: {
      const int32_t x = user_based_ ? user : item;
      const bool x_ok = user_based_ ? u_ok : i_ok;
      return x_ok ? mean_[x] : mu_;
    }
    case Kind::kBaseline:
      return mu_ + (u_ok ? static_cast<double>(bu_[user]) : 0.0) +
             (i_ok ? static_cast<double>(bi_[item]) : 0.0);
  }
  return mu_;
}

float KnnRating::estimate(int32_t user, int32_t item, std::vector<Neighbor>& cand) const {
  size_t n = cand.size();
  if (n > static_cast<size_t>(k_)) {
    std::nth_element(cand.begin(), cand.begin() + k_, cand.end(),
                     [](const Neighbor& a, const Neighbor& b) {
                       return a.sim > b.sim || (a.sim == b.sim && a.x < b.x);
                     });
    n = static_cast<size_t>(k_);
  }
  double est = fallback(user, item);
  if (n >= static_cast<size_t>(min_k_) && n > 0) {
    double ss = 0, sn = 0;
    switch (kind_) {
      case Kind::kBasic:
        for (size_t j = 0; j < n; ++j) {
          ss += cand[j].sim;
          sn += static_cast<double>(cand[j].sim) * cand[j].r;
        }
        est = sn / ss;
        break;
      case Kind::kMeans:
        for (size_t j = 0; j < n; ++j) {
          ss += cand[j].sim;
          sn += static_cast<double>(cand[j].sim) *
                (cand[j].r - static_cast<double>(mean_[cand[j].x]));
        }
        est += sn / ss;
        break;
      case Kind::kBaseline: {
        // b_x'y = mu + b_x' + b_y: the neighbour's baseline for the same target.
        const std::vector<float>& bx = user_based_ ? bu_ : bi_;
        const double by = user_based_ ? bi_[item] : bu_[user];
        for (size_t j = 0; j < n; ++j) {
          ss += cand[j].sim;
          sn += static_cast<double>(cand[j].sim) * (cand[j].r - (mu_ + bx[cand[j].x] + by));
        }
        est += sn / ss;
        break;
      }
    }
  }
  if (lo_ < hi_) est = std::clamp(est, static_cast<double>(lo_), static_cast<double>(hi_));
  return static_cast<float>(est);
}

float KnnRating::predict(int32_t user, int32_t item) const {
  require_fitted();
  if (!known(user, item)) {
    const double f = fallback(user, item);
    return static_cast<float>(
        lo_ < hi_ ? std::clamp(f, static_cast<double>(lo_), static_cast<double>(hi_)) : f);
  }
  thread_local std::vector<Neighbor> cand;
  cand.clear();
  const int32_t x = user_based_ ? user : item;
  auto nb = sim_.row_indices(x);
  auto ns = sim_.row_values(x);
  // The raters of y with their ratings, ascending: users of the item, or items of the user.
  const int32_t* ry;
  const float* rv;
  size_t m;
  if (user_based_) {
    ry = item_users_.data() + item_ptr_[item];
    rv = item_vals_.data() + item_ptr_[item];
    m = static_cast<size_t>(item_ptr_[item + 1] - item_ptr_[item]);
  } else {
    auto items = seen_items(user);
    ry = items.data();
    rv = user_vals_.data() + user_ptr_[user];
    m = items.size();
  }
  // Scatter the (short) rating list into a dense row, then walk the similarity row: branch-free
  // and cheaper than merging two sorted lists.
  constexpr float kNone = std::numeric_limits<float>::quiet_NaN();
  const size_t nx = static_cast<size_t>(user_based_ ? num_users() : num_items());
  thread_local std::vector<float> dense;
  if (dense.size() < nx) dense.resize(nx, kNone);
  for (size_t q = 0; q < m; ++q) dense[ry[q]] = rv[q];
  cand.resize(nb.size());
  size_t c = 0;
  for (size_t p = 0; p < nb.size(); ++p) {
    const float r = dense[nb[p]];
    cand[c] = {nb[p], ns[p], r};
    c += !std::isnan(r);
  }
  cand.resize(c);
  for (size_t q = 0; q < m; ++q) dense[ry[q]] = kNone;
  return estimate(user, item, cand);
}

void KnnRating::score(int32_t user, std::span<float> out) const {
  require_fitted();
  METAREC_CHECK(static_cast<int64_t>(out.size()) == num_items(), algorithm(),
                ": score buffer has size ", out.size(), ", expected ", num_items());
  const int32_t ni = num_items();
  const bool u_ok = user >= 0 && user < num_users() && user_ptr_[user + 1] > user_ptr_[user];
  if (!u_ok) {
    for (int32_t i = 0; i < ni; ++i) out[i] = predict(user, i);
    return;
  }
  thread_local std::vector<Neighbor> cand;
  if (user_based_) {
    // Scatter the neighbours' ratings into per-item buckets (a counting sort over items): the
    // cost is the neighbours' ratings, not every rating of every item. Buckets keep ascending
    // neighbour order, so the result equals predict() exactly.
    thread_local std::vector<int64_t> start;
    thread_local std::vector<Neighbor> bucket;
    start.assign(static_cast<size_t>(ni) + 1, 0);
    auto nb = sim_.row_indices(user);
    auto ns = sim_.row_values(user);
    for (size_t p = 0; p < nb.size(); ++p)
      if (ns[p] > 0)
        for (int32_t i : seen_items(nb[p])) ++start[static_cast<size_t>(i) + 1];
    for (int32_t i = 0; i < ni; ++i) start[i + 1] += start[i];
    bucket.resize(static_cast<size_t>(start.back()));
    for (size_t p = 0; p < nb.size(); ++p) {
      if (!(ns[p] > 0)) continue;
      const int32_t v = nb[p];
      auto items = seen_items(v);
      const float* vals = user_vals_.data() + user_ptr_[v];
      for (size_t k = 0; k < items.size(); ++k)
        bucket[static_cast<size_t>(start[items[k]]++)] = {v, ns[p], vals[k]};
    }
    // start[i] now points at the end of bucket i, which is where bucket i + 1 begins.
    for (int32_t i = 0; i < ni; ++i) {
      if (!known(user, i)) {
        out[i] = predict(user, i);
        continue;
      }
      const int64_t b = i == 0 ? 0 : start[i - 1];
      cand.assign(bucket.begin() + b, bucket.begin() + start[i]);
      out[i] = estimate(user, i, cand);
    }
  } else {
    // Scatter from the user's items through the transposed similarities: column j lists the
    // items i that keep j among their neighbours. Buckets fill in ascending j, the order in
    // which predict() walks row i, so the result equals predict() exactly.
    thread_local std::vector<int64_t> start;
    thread_local std::vector<Neighbor> bucket;
    const SparseMatrix& st = sim_t();
    start.assign(static_cast<size_t>(ni) + 1, 0);
    auto items = seen_items(user);
    const float* vals = user_vals_.data() + user_ptr_[user];
    for (int32_t j : items) {
      auto col = st.row_indices(j);
      auto cs = st.row_values(j);
      for (size_t p = 0; p < col.size(); ++p) start[static_cast<size_t>(col[p]) + 1] += cs[p] > 0;
    }
    for (int32_t i = 0; i < ni; ++i) start[i + 1] += start[i];
    bucket.resize(static_cast<size_t>(start.back()));
    for (size_t k = 0; k < items.size(); ++k) {
      auto col = st.row_indices(items[k]);
      auto cs = st.row_values(items[k]);
      for (size_t p = 0; p < col.size(); ++p)
        if (cs[p] > 0) bucket[static_cast<size_t>(start[col[p]]++)] = {items[k], cs[p], vals[k]};
    }
    for (int32_t i = 0; i < ni; ++i) {
      if (!known(user, i)) {
        out[i] = predict(user, i);
        continue;
      }
      const int64_t b = i == 0 ? 0 : start[i - 1];
      cand.assign(bucket.begin() + b, bucket.begin() + start[i]);
      out[i] = estimate(user, i, cand);
    }
  }
}

std::vector<ScoredItem> KnnRating::similar_items(int32_t item, int k) const {
  require_fitted();
  METAREC_CHECK(!user_based_, algorithm(),
                ": similar items need an item-based model (user_based=false)");
  METAREC_CHECK(item >= 0 && item < num_items(), "item index ", item, " out of range");
  METAREC_CHECK(k > 0, "k must be > 0, got ", k);
  std::vector<ScoredItem> out;
  auto idx = sim_.row_indices(item);
  auto val = sim_.row_values(item);
  for (size_t p = 0; p < idx.size(); ++p) out.push_back({idx[p], val[p]});
  std::sort(out.begin(), out.end(), [](const ScoredItem& a, const ScoredItem& b) {
    return a.score > b.score || (a.score == b.score && a.item < b.item);
  });
  if (static_cast<int>(out.size()) > k) out.resize(static_cast<size_t>(k));
  return out;
}

void KnnRating::do_save(ModelWriter& w) const {
  const double scale[3] = {mu_, lo_, hi_};
  w.add("knn.scale", std::span<const double>(scale, 3), {3});
  sim_.save(w, "knn.sim");
  w.add("knn.mean", std::span<const float>(mean_), {static_cast<int64_t>(mean_.size())});
  w.add("knn.user_bias", std::span<const float>(bu_), {static_cast<int64_t>(bu_.size())});
  w.add("knn.item_bias", std::span<const float>(bi_), {static_cast<int64_t>(bi_.size())});
  w.add("knn.ratings", std::span<const float>(user_vals_),
        {static_cast<int64_t>(user_vals_.size())});
}

void KnnRating::do_load(const ModelReader& r) {
  auto scale = r.f64("knn.scale", {3});
  mu_ = scale[0];
  lo_ = static_cast<float>(scale[1]);
  hi_ = static_cast<float>(scale[2]);
  const int32_t nx = user_based_ ? num_users() : num_items();
  sim_ = SparseMatrix::load(r, "knn.sim");
  if (sim_.rows() != nx || sim_.cols() != nx)
    throw FormatError(r.path(), 0, "similarity matrix does not match the number of users/items");
  sim_t_ = SparseMatrix();
  sim_t_once_ = std::make_unique<std::once_flag>();
  mean_ = r.f32("knn.mean");
  bu_ = r.f32("knn.user_bias");
  bi_ = r.f32("knn.item_bias");
  if ((kind_ == Kind::kMeans && static_cast<int32_t>(mean_.size()) != nx) ||
      (kind_ == Kind::kBaseline && (static_cast<int32_t>(bu_.size()) != num_users() ||
                                    static_cast<int32_t>(bi_.size()) != num_items())))
    throw FormatError(r.path(), 0, "means or biases do not match the number of users/items");
  user_vals_ = r.f32("knn.ratings");
  int64_t seen = 0;
  for (int32_t u = 0; u < num_users(); ++u) seen += static_cast<int64_t>(seen_items(u).size());
  if (static_cast<int64_t>(user_vals_.size()) != seen)
    throw FormatError(r.path(), 0, "ratings do not match the seen items");
  index_ratings();
}

}  // namespace metarec
