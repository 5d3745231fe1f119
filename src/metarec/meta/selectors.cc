// Selectors (single best, nearest datasets, ensembles, residual contrastive) and their registry.
#include <metarec/core/error.h>
#include <metarec/core/model_file.h>
#include <metarec/meta/selectors.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <numeric>

namespace metarec {

namespace {

// Mean normalized distance of each algorithm over `rows` (failures count 1, ineligible skipped),
// every family weighing the same (Knowledge::family_weights), as in the evaluation.
std::vector<double> mean_distances(const Knowledge& k, const std::vector<size_t>& rows) {
  std::vector<double> sum(k.algorithms.size(), 0), n(k.algorithms.size(), 0);
  const auto weight = k.family_weights(rows);
  for (size_t d : rows)
    for (size_t a = 0; a < k.algorithms.size(); ++a) {
      const double x = k.distance(d, static_cast<int>(a));
      if (std::isnan(x)) continue;
      sum[a] += weight[d] * x;
      n[a] += weight[d];
    }
  std::vector<double> out(k.algorithms.size());
  for (size_t a = 0; a < out.size(); ++a) out[a] = n[a] > 0 ? sum[a] / n[a] : 1.0;
  return out;
}

class SingleBest : public AlgorithmSelector {
 public:
  std::string name() const override { return "single_best"; }
  void fit(const Knowledge& k, const std::vector<size_t>& train) override {
    const auto d = mean_distances(k, train);
    score_.assign(d.size(), 0);
    for (size_t a = 0; a < d.size(); ++a) score_[a] = -d[a];
  }
  std::vector<double> score(const std::vector<double>&) const override { return score_; }

 private:
  std::vector<double> score_;
};

class NearestDatasets : public AlgorithmSelector {
 public:
  explicit NearestDatasets(int k) : k_(k) {
    METAREC_CHECK(k >= 1, "nearest_datasets: neighbours must be >= 1, got ", k);
  }
  std::string name() const override { return "nearest_datasets"; }
  void fit(const Knowledge& k, const std::vector<size_t>& train) override {
    z_.fit(k, train);
    points_.clear();
    distances_.clear();
    for (size_t d : train) {
      points_.push_back(z_.apply(k.datasets[d].features));
      std::vector<double> dist(k.algorithms.size());
      for (size_t a = 0; a < dist.size(); ++a) dist[a] = k.distance(d, static_cast<int>(a));
      distances_.push_back(std::move(dist));
    }
    fallback_ = mean_distances(k, train);
  }
  bool save_state(ModelWriter& w) const override {
    const int64_t n = static_cast<int64_t>(points_.size());
    const int64_t f = static_cast<int64_t>(z_.mean.size()),
                  a = static_cast<int64_t>(fallback_.size());
    std::vector<double> points, distances;
    for (const auto& p : points_) points.insert(points.end(), p.begin(), p.end());
    for (const auto& d : distances_) distances.insert(distances.end(), d.begin(), d.end());
    w.add("nearest.points", std::span<const double>(points), {n, f});
    w.add("nearest.distances", std::span<const double>(distances), {n, a});
    w.add("nearest.mean", std::span<const double>(z_.mean), {f});
    w.add("nearest.stddev", std::span<const double>(z_.stddev), {f});
    w.add("nearest.fallback", std::span<const double>(fallback_), {a});
    return true;
  }
  bool load_state(const ModelReader& r) override {
    if (!r.has("nearest.points")) return false;
    const auto shape = r.shape("nearest.points");
    const auto dshape = r.shape("nearest.distances");
    if (shape.size() != 2 || dshape.size() != 2 || dshape[0] != shape[0])
      throw FormatError(r.path(), 0, "nearest.points and nearest.distances do not match");
    const int64_t n = shape[0], f = shape[1], a = dshape[1];
    z_.mean = r.f64("nearest.mean", {f});
    z_.stddev = r.f64("nearest.stddev", {f});
    fallback_ = r.f64("nearest.fallback", {a});
    const auto points = r.f64("nearest.points", {n, f});
    const auto distances = r.f64("nearest.distances", {n, a});
    points_.assign(static_cast<size_t>(n), {});
    distances_.assign(static_cast<size_t>(n), {});
    for (int64_t i = 0; i < n; ++i) {
      points_[i].assign(points.begin() + i * f, points.begin() + (i + 1) * f);
      distances_[i].assign(distances.begin() + i * a, distances.begin() + (i + 1) * a);
    }
    return true;
  }
  std::vector<double> score(const std::vector<double>& features) const override {
    const auto x = z_.apply(features);
    std::vector<std::pair<double, size_t>> near;
    for (size_t p = 0; p < points_.size(); ++p) {
      double s = 0;
      for (size_t f = 0; f < x.size(); ++f) s += (x[f] - points_[p][f]) * (x[f] - points_[p][f]);
      near.emplace_back(std::sqrt(s), p);
    }
    const size_t take = std::min(near.size(), static_cast<size_t>(k_));
    std::partial_sort(near.begin(), near.begin() + static_cast<std::ptrdiff_t>(take), near.end());
    std::vector<double> out(fallback_.size());
    for (size_t a = 0; a < out.size(); ++a) {
      double sum = 0, w = 0;
      for (size_t q = 0; q < take; ++q) {
        const double d = distances_[near[q].second][a];
        if (std::isnan(d)) continue;
        const double wq = 1.0 / (near[q].first + 1e-6);
        sum += wq * d;
        w += wq;
      }
      // Weighted mean distance among the neighbours where it was eligible; the training mean
      // (slightly penalized) when none of them could run it.
      out[a] = -(w > 0 ? sum / w : fallback_[a] + 0.5);
    }
    return out;
  }

 private:
  int k_;
  Standardizer z_;
  std::vector<std::vector<double>> points_, distances_;
  std::vector<double> fallback_;
};

std::vector<double> ranks(const std::vector<double>& v);

// A Borda count over rivals with partly independent errors: the mean of each algorithm's rank
// under each member (ranks, not scores, because members score on different scales), ties broken
// by the first member. `ensemble`: the boosted trees (per-algorithm regressors), the pairwise
// ranker (learns the order directly) and the nearest datasets (what similar datasets measured);
// `ensemble_listwise` adds the listwise contrastive network, a neural model of the whole order;
// `ensemble_trees` keeps only the trees and the ranker: the regressors are best at the top
// choice, the ranker at the order below it (docs/selection.md has the table).
class Ensemble : public AlgorithmSelector {
 public:
  Ensemble(std::string name, const SelectorOptions& o, const std::vector<std::string>& members)
      : name_(std::move(name)) {
    for (const auto& m : members) members_.push_back(make_selector(m, o));
  }
  std::string name() const override { return name_; }
  void fit(const Knowledge& k, const std::vector<size_t>& train) override {
    for (auto& m : members_) m->fit(k, train);
  }
  std::vector<double> score(const std::vector<double>& features) const override {
    std::vector<double> out, first;
    for (const auto& m : members_) {
      const auto r = ranks(m->score(features));
      if (out.empty()) {
        out.assign(r.size(), 0.0);
        first = r;
      }
      for (size_t j = 0; j < r.size(); ++j) out[j] += r[j];
    }
    // Ties broken by the first member's rank (a tiny share of it).
    for (size_t j = 0; j < out.size(); ++j)
      out[j] = out[j] / static_cast<double>(members_.size()) + 1e-3 * first[j];
    return out;
  }
  bool save_state(ModelWriter& w) const override {
    for (const auto& m : members_)
      if (!m->save_state(w)) return false;
    return true;
  }
  bool load_state(const ModelReader& r) override {
    for (const auto& m : members_)
      if (!m->load_state(r)) return false;
    return true;
  }

 private:
  std::string name_;
  std::vector<std::unique_ptr<AlgorithmSelector>> members_;
};

std::vector<double> ranks(const std::vector<double>& v) {
  std::vector<size_t> idx(v.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return v[a] < v[b]; });
  std::vector<double> r(v.size());
  for (size_t i = 0; i < idx.size();) {
    size_t j = i;
    while (j < idx.size() && v[idx[j]] == v[idx[i]]) ++j;
    for (size_t q = i; q < j; ++q) r[idx[q]] = (static_cast<double>(i + j) + 1.0) / 2.0;
    i = j;
  }
  return r;
}

}  // namespace

ContrastiveSelector::ContrastiveSelector(SelectorOptions o) : o_(std::move(o)) {}

void ContrastiveSelector::fit(const Knowledge& k, const std::vector<size_t>& train) {
  METAREC_CHECK(o_.embeddings.rows() == static_cast<Eigen::Index>(k.algorithms.size()),
                "contrastive selector: ", o_.embeddings.rows(), " embeddings for ",
                k.algorithms.size(), " algorithms");
  z_.fit(k, train);
  std::vector<size_t> rows;
  std::vector<int> y;
  for (size_t d : train) {
    const int b = k.best(d);
    if (b < 0) continue;
    rows.push_back(d);
    y.push_back(b);
  }
  const auto n_algos = static_cast<Eigen::Index>(k.algorithms.size());
  nn::Matrix dist(o_.network.listwise_weight > 0 ? static_cast<Eigen::Index>(rows.size()) : 0,
                  n_algos);
  for (Eigen::Index r = 0; r < dist.rows(); ++r)
    for (Eigen::Index a = 0; a < n_algos; ++a)
      dist(r, a) =
          static_cast<float>(k.distance(rows[static_cast<size_t>(r)], static_cast<int>(a)));
  METAREC_CHECK(!rows.empty(), "contrastive selector: no training dataset has a best algorithm");
  cfg_ = o_.network;
  cfg_.inputs = static_cast<int>(k.feature_names.size());
  cfg_.outputs = static_cast<int>(o_.embeddings.cols());
  nn::Matrix x(static_cast<Eigen::Index>(rows.size()), cfg_.inputs);
  for (size_t r = 0; r < rows.size(); ++r) {
    const auto f = z_.apply(k.datasets[rows[r]].features);
    for (int c = 0; c < cfg_.inputs; ++c)
      x(static_cast<Eigen::Index>(r), c) = static_cast<float>(f[static_cast<size_t>(c)]);
  }
  net_ = std::make_unique<SelectorNet>(cfg_);
  history_ = train_selector(*net_, x, y, o_.embeddings, cfg_, {}, dist);
}

std::vector<double> ContrastiveSelector::score(const std::vector<double>& features) const {
  METAREC_CHECK(net_ != nullptr, "contrastive selector: not fitted");
  METAREC_CHECK(static_cast<int>(features.size()) == cfg_.inputs,
                "contrastive selector: ", features.size(), " features, trained on ", cfg_.inputs);
  const auto f = z_.apply(features);
  nn::Matrix x(1, cfg_.inputs);
  for (int c = 0; c < cfg_.inputs; ++c) x(0, c) = static_cast<float>(f[static_cast<size_t>(c)]);
  nn::CosineMatrix cos;
  const nn::Matrix s = cos.forward(net_->forward(x, false), o_.embeddings);
  return std::vector<double>(s.data(), s.data() + s.size());
}

void ContrastiveSelector::save(ModelWriter& w, const std::string& prefix) const {
  METAREC_CHECK(net_ != nullptr, "contrastive selector: not fitted");
  const nlohmann::json cfg = {{"inputs", cfg_.inputs},
                              {"hidden", cfg_.hidden},
                              {"outputs", cfg_.outputs},
                              {"dropout", cfg_.dropout},
                              {"learning_rate", cfg_.learning_rate},
                              {"epochs", cfg_.epochs},
                              {"batch", cfg_.batch},
                              {"margin", cfg_.margin},
                              {"hard_weight", cfg_.hard_weight},
                              {"listwise_weight", cfg_.listwise_weight},
                              {"listwise_temperature", cfg_.listwise_temperature},
                              {"seed", cfg_.seed}};
  w.set_meta(prefix + "contrastive.config", cfg.dump());
  for (auto* p : net_->parameters())
    w.add(prefix + "contrastive." + p->name,
          std::span<const float>(p->value.data(), p->value.size()),
          {p->value.rows(), p->value.cols()});
  w.add(prefix + "contrastive.embeddings",
        std::span<const float>(o_.embeddings.data(), o_.embeddings.size()),
        {o_.embeddings.rows(), o_.embeddings.cols()});
  w.add(prefix + "standardizer.mean", std::span<const double>(z_.mean),
        {static_cast<int64_t>(z_.mean.size())});
  w.add(prefix + "standardizer.stddev", std::span<const double>(z_.stddev),
        {static_cast<int64_t>(z_.stddev.size())});
}

ContrastiveSelector ContrastiveSelector::load(const ModelReader& r, const std::string& prefix) {
  const auto cfg = nlohmann::json::parse(r.meta(prefix + "contrastive.config"), nullptr, false);
  if (cfg.is_discarded()) throw FormatError(r.path(), 0, prefix + "contrastive.config is not JSON");
  SelectorOptions o;
  SelectorConfig& c = o.network;
  try {
    c.inputs = cfg.at("inputs");
    c.hidden = cfg.at("hidden");
    c.outputs = cfg.at("outputs");
    c.dropout = cfg.at("dropout");
    c.learning_rate = cfg.at("learning_rate");
    c.epochs = cfg.at("epochs");
    c.batch = cfg.at("batch");
    c.margin = cfg.at("margin");
    c.hard_weight = cfg.at("hard_weight");
    c.listwise_weight = cfg.value("listwise_weight", 0.0f);  // absent in files before the term
    c.listwise_temperature = cfg.value("listwise_temperature", 0.1f);
    c.seed = cfg.at("seed");
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(r.path(), 0, prefix + "contrastive.config: " + e.what());
  }
  const auto shape = r.shape(prefix + "contrastive.embeddings");
  const auto emb = r.f32(prefix + "contrastive.embeddings", {-1, c.outputs});
  o.embeddings = Eigen::Map<const nn::Matrix>(emb.data(), shape[0], shape[1]);
  ContrastiveSelector s(o);
  s.cfg_ = c;
  s.net_ = std::make_unique<SelectorNet>(c);
  for (auto* p : s.net_->parameters()) {
    const auto v = r.f32(prefix + "contrastive." + p->name, {p->value.rows(), p->value.cols()});
    p->value = Eigen::Map<const nn::Matrix>(v.data(), p->value.rows(), p->value.cols());
  }
  s.z_.mean = r.f64(prefix + "standardizer.mean", {c.inputs});
  s.z_.stddev = r.f64(prefix + "standardizer.stddev", {c.inputs});
  return s;
}

bool ContrastiveSelector::save_state(ModelWriter& w) const {
  if (!(o_.network.listwise_weight > 0)) return false;  // the seed's network: save() stores it
  save(w, kListwisePrefix);
  return true;
}

bool ContrastiveSelector::load_state(const ModelReader& r) {
  if (!(o_.network.listwise_weight > 0) || !r.has_meta(kListwisePrefix + "contrastive.config"))
    return false;
  *this = load(r, kListwisePrefix);
  return true;
}

void Standardizer::fit(const Knowledge& k, const std::vector<size_t>& rows) {
  const size_t f = k.feature_names.size();
  mean.assign(f, 0);
  stddev.assign(f, 0);
  for (size_t d : rows)
    for (size_t c = 0; c < f; ++c) mean[c] += k.datasets[d].features[c];
  for (auto& m : mean) m /= std::max<size_t>(1, rows.size());
  for (size_t d : rows)
    for (size_t c = 0; c < f; ++c) {
      const double e = k.datasets[d].features[c] - mean[c];
      stddev[c] += e * e;
    }
  for (auto& s : stddev) {
    s = std::sqrt(s / std::max<size_t>(1, rows.size()));
    if (!(s > 1e-12)) s = 1;
  }
}

std::vector<double> Standardizer::apply(const std::vector<double>& x) const {
  std::vector<double> out(x.size());
  for (size_t c = 0; c < x.size(); ++c)
    out[c] = std::clamp((x[c] - mean[c]) / stddev[c], -5.0, 5.0);
  return out;
}

const std::vector<std::string>& selector_names() {
  static const std::vector<std::string> names = {
      "single_best",    "nearest_datasets", "boosted_trees",        "ensemble",         "ranker",
      "ensemble_trees", "contrastive",      "contrastive_listwise", "ensemble_listwise"};
  return names;
}

std::unique_ptr<AlgorithmSelector> make_selector(const std::string& name,
                                                 const SelectorOptions& o) {
  if (name == "single_best") return std::make_unique<SingleBest>();
  if (name == "nearest_datasets") return std::make_unique<NearestDatasets>(o.neighbours);
  if (name == "boosted_trees") return make_boosted_selector(o);
  if (name == "ensemble")
    return std::make_unique<Ensemble>(
        name, o, std::vector<std::string>{"boosted_trees", "ranker", "nearest_datasets"});
  if (name == "ensemble_listwise")
    return std::make_unique<Ensemble>(
        name, o,
        std::vector<std::string>{"boosted_trees", "ranker", "nearest_datasets",
                                 "contrastive_listwise"});
  if (name == "ensemble_trees")
    return std::make_unique<Ensemble>(name, o, std::vector<std::string>{"boosted_trees", "ranker"});
  if (name == "ranker") return make_ranker_selector(o);
  if (name == "contrastive") {
    SelectorOptions seed = o;
    seed.network.listwise_weight = 0;  // the seed's design exactly
    return std::make_unique<ContrastiveSelector>(seed);
  }
  if (name == "contrastive_listwise") {
    SelectorOptions lw = o;
    // Weight 10: the listwise term leads. At weight 1 the seed's hinge, which pushes every
    // incorrect algorithm below the margin, flattens the order the term asks for (the
    // ListwiseTermLearnsTheWholeOrder test: mean Spearman 0.87 at weight 1, 1.0 at 10).
    if (!(lw.network.listwise_weight > 0)) lw.network.listwise_weight = 10;
    return std::make_unique<ContrastiveSelector>(lw);
  }
  std::string valid;
  for (const auto& v : selector_names()) valid += (valid.empty() ? "" : ", ") + v;
  METAREC_THROW(InvalidArgument, "unknown selector \"", name, "\"; valid: ", valid);
}

double spearman(const std::vector<double>& a, const std::vector<double>& b) {
  METAREC_CHECK(a.size() == b.size(), "spearman: sizes differ");
  if (a.size() < 2) return 0;
  const auto ra = ranks(a), rb = ranks(b);
  const double n = static_cast<double>(a.size()), mean = (n + 1) / 2;
  double sab = 0, saa = 0, sbb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    sab += (ra[i] - mean) * (rb[i] - mean);
    saa += (ra[i] - mean) * (ra[i] - mean);
    sbb += (rb[i] - mean) * (rb[i] - mean);
  }
  return saa > 0 && sbb > 0 ? sab / std::sqrt(saa * sbb) : 0;
}

}  // namespace metarec
