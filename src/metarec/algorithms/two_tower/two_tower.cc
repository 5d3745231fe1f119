// TwoTower: parameters, features from the dataset, the training loop, scoring with re-ranking,
// fold-in and persistence.
#include <metarec/algorithms/content/item_profiles.h>
#include <metarec/algorithms/two_tower/two_tower.h>
#include <metarec/core/blas_threads.h>
#include <metarec/core/error.h>
#include <metarec/core/rng.h>
#include <metarec/nn/optim.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <numeric>

namespace metarec {

using nn::Matrix;

ParamSchema TwoTower::schema() {
  return {
      ParamSpec::integer("embedding", 32, 1, 1024, "width of every id and feature embedding")
          .tune(16, 128, true),
      ParamSpec::integer("hidden", 64, 1, 4096, "width of the towers' hidden layers")
          .tune(32, 256, true),
      ParamSpec::integer("layers", 2, 1, 4, "linear layers per tower (ReLU between)").tune(1, 3),
      ParamSpec::integer("output", 32, 1, 1024, "width of the towers' (unit-length) outputs")
          .tune(16, 128, true),
      ParamSpec::integer("epochs", 5, 1, 1000, "passes over the training entries")
          .tune(3, 30, true),
      ParamSpec::integer("batch_size", 512, 2, 1 << 16,
                         "entries per step; the other items of a batch are the negatives")
          .tune(128, 4096, true),
      ParamSpec::real("learning_rate", 3e-3, 0, 1, "Adam step size", true).tune(3e-4, 3e-2, true),
      ParamSpec::real("temperature", 0.1, 0, 10,
                      "divides the cosine scores inside the in-batch softmax", true)
          .tune(0.02, 0.5, true),
      ParamSpec::boolean("logq_correction", true,
                         "subtract the log frequency of each in-batch item from its logit (Yi et "
                         "al. 2019)"),
      ParamSpec::boolean("history", true,
                         "the user tower sees the mean embedding of the user's training items"),
      ParamSpec::boolean(
          "side_info", true,
          "use user attributes, item genres, item text tokens and dense item vectors when the "
          "dataset has them"),
      ParamSpec::integer("min_df", 2, 1, 1000000,
                         "item text tokens found in fewer items are dropped"),
      ParamSpec::real("rating_weight", 0, 0, 1000,
                      "weight of the rating head's squared error in the joint loss (0 = no "
                      "head; explicit data only)")
          .tune(0.01, 1, true),
      ParamSpec::integer("candidates", 100, 1, 1 << 20,
                         "retrieval candidates re-ranked by the rating head"),
  };
}

TwoTower::TwoTower(const Params& p) : Recommender("two_tower", p) {}
TwoTower::~TwoTower() = default;

namespace {

TwoTowerFeatures make_features(const Interactions& train, bool side_info, int min_df) {
  TwoTowerFeatures f;
  f.history.ptr.assign(train.user_ptr().begin(), train.user_ptr().end());
  f.history.ids.assign(train.entry_items().begin(), train.entry_items().end());
  f.history.vocabulary = train.num_items();
  const int32_t nu = train.num_users(), ni = train.num_items();
  auto none = [](IdBags& b, int32_t n) { b.ptr.assign(static_cast<size_t>(n) + 1, 0); };
  none(f.user_attributes, nu);
  none(f.item_genres, ni);
  none(f.item_tokens, ni);
  if (!side_info) return f;
  if (const UserMeta* um = train.user_meta(); um && !um->empty()) {
    std::map<std::pair<size_t, std::string>, int32_t> vocab;
    f.user_attributes.ptr.assign(1, 0);
    for (int32_t u = 0; u < nu; ++u) {
      for (size_t a = 0; a < um->attribute_names.size(); ++a) {
        const std::string& v = um->values[a][u];
        if (v.empty()) continue;
        auto [it, fresh] = vocab.try_emplace({a, v}, static_cast<int32_t>(vocab.size()));
        f.user_attributes.ids.push_back(it->second);
      }
      f.user_attributes.ptr.push_back(static_cast<int64_t>(f.user_attributes.ids.size()));
    }
    f.user_attributes.vocabulary = static_cast<int32_t>(vocab.size());
  }
  const ItemMeta* im = train.item_meta();
  if (im && im->has_genres() && !im->genre_names.empty()) {
    f.item_genres.ptr.assign(1, 0);
    for (int32_t i = 0; i < ni; ++i) {
      for (int32_t g : im->genres[i]) f.item_genres.ids.push_back(g);
      f.item_genres.ptr.push_back(static_cast<int64_t>(f.item_genres.ids.size()));
    }
    f.item_genres.vocabulary = static_cast<int32_t>(im->genre_names.size());
  }
  if (im && (im->has_titles() || im->has_texts())) {
    TextFields fields;
    fields.genres = false;
    SparseMatrix tokens;
    bool any = true;
    try {
      tokens = text_profiles(*im, ni, fields, TermWeighting::kTfIdf, min_df);
    } catch (const InvalidArgument&) {
      any = false;  // no token is shared by min_df items: the item tower has no text block
    }
    if (any) {
      f.item_tokens.ptr.assign(1, 0);
      for (int32_t i = 0; i < ni; ++i) {
        for (int32_t t : tokens.row_indices(i)) f.item_tokens.ids.push_back(t);
        f.item_tokens.ptr.push_back(static_cast<int64_t>(f.item_tokens.ids.size()));
      }
      f.item_tokens.vocabulary = tokens.cols();
    }
  }
  if (im && im->has_vectors()) f.item_vectors = im->vectors;
  return f;
}

// Raw tower outputs for all ids [0, n), in blocks.
template <typename Inputs>
Matrix tower_outputs(const nn::Mlp& tower, int32_t n, Inputs&& inputs) {
  Matrix out(n, tower.out_dim());
  nn::Mlp::Pass pass = tower.new_pass();
  Matrix x;
  std::vector<int32_t> ids;
  constexpr int32_t kBlock = 1024;
  for (int32_t lo = 0; lo < n; lo += kBlock) {
    const int32_t m = std::min(kBlock, n - lo);
    ids.resize(static_cast<size_t>(m));
    std::iota(ids.begin(), ids.end(), lo);
    inputs(std::span<const int32_t>(ids), x);
    out.middleRows(lo, m) = tower.forward(x, pass);
  }
  return out;
}

}  // namespace

bool TwoTower::reranks() const { return net_ && net_->shape.rating_head; }

TwoTowerShape TwoTower::shape_for(int32_t users, int32_t items) const {
  const Params& p = params();
  TwoTowerShape s;
  s.users = users;
  s.items = items;
  s.embedding = static_cast<int>(p.get_int("embedding"));
  s.hidden = static_cast<int>(p.get_int("hidden"));
  s.layers = static_cast<int>(p.get_int("layers"));
  s.output = static_cast<int>(p.get_int("output"));
  s.history = p.get_bool("history");
  return s;
}

void TwoTower::do_fit(const Interactions& train, const FitContext& ctx) {
  const Params& p = params();
  const TwoTowerFeatures f =
      make_features(train, p.get_bool("side_info"), static_cast<int>(p.get_int("min_df")));
  TwoTowerShape shape = shape_for(train.num_users(), train.num_items());
  shape.attribute_vocabulary = f.user_attributes.vocabulary;
  shape.genre_vocabulary = f.item_genres.vocabulary;
  shape.token_vocabulary = f.item_tokens.vocabulary;
  if (!f.item_vectors.empty()) shape.vector_dim = train.item_meta()->vector_dim;
  const bool explicit_data = train.feedback() == Feedback::kExplicit;
  shape.rating_head = explicit_data && p.get_float("rating_weight") > 0;
  mean_ = static_cast<float>(train.global_mean());
  scale_min_ = train.scale_min();
  scale_max_ = train.scale_max();

  // One thread: OpenBLAS threads spinning on a busy machine cost more than the batch products
  // they split (and one thread keeps a fixed seed bit-for-bit repeatable).
  const ScopedBlasThreads serial_blas(1);
  Rng rng = Rng(ctx.seed).fork(0x277);
  net_ = std::make_unique<TwoTowerNetwork>(shape, rng);
  TwoTowerNetwork& net = *net_;
  TwoTowerLoss loss;
  loss.temperature = static_cast<float>(p.get_float("temperature"));
  loss.rating_weight = shape.rating_head ? static_cast<float>(p.get_float("rating_weight")) : 0;
  const float lr = static_cast<float>(p.get_float("learning_rate"));
  nn::Adam dense(net.dense_parameters(), lr);
  dense.zero_grad();
  std::vector<std::pair<nn::Embedding*, nn::SparseGrad TwoTowerNetwork::Pass::*>> tables = {
      {&net.user_id, &TwoTowerNetwork::Pass::d_user_id},
      {&net.item_id, &TwoTowerNetwork::Pass::d_item_id}};
  if (shape.attribute_vocabulary > 0)
    tables.push_back({&net.attribute, &TwoTowerNetwork::Pass::d_attr});
  if (shape.history) tables.push_back({&net.history_item, &TwoTowerNetwork::Pass::d_hist});
  if (shape.genre_vocabulary > 0) tables.push_back({&net.genre, &TwoTowerNetwork::Pass::d_genre});
  if (shape.token_vocabulary > 0) tables.push_back({&net.token, &TwoTowerNetwork::Pass::d_token});
  std::vector<nn::LazyAdam> sparse;
  sparse.reserve(tables.size());
  for (auto& t : tables) sparse.emplace_back(*t.first, lr);

  std::vector<float> log_q(static_cast<size_t>(train.num_items()), 0.0f);
  const bool logq = p.get_bool("logq_correction");
  for (int32_t i = 0; i < train.num_items(); ++i)
    log_q[i] = static_cast<float>(
        std::log(std::max<double>(1.0, static_cast<double>(train.item_count(i))) /
                 static_cast<double>(train.nnz())));

  const int epochs = static_cast<int>(p.get_int("epochs"));
  const int64_t batch = p.get_int("batch_size");
  const int64_t nnz = train.nnz();
  std::vector<int64_t> order(static_cast<size_t>(nnz));
  std::iota(order.begin(), order.end(), 0);
  const auto users = train.entry_users();
  const auto items = train.entry_items();
  const auto values = train.entry_values();
  TwoTowerNetwork::Pass pass = net.new_pass();
  TwoTowerBatch b;
  for (int epoch = 0; epoch < epochs; ++epoch) {
    ctx.check_cancel();
    for (int64_t k = nnz - 1; k > 0; --k)
      std::swap(order[k], order[rng.uniform_int(static_cast<uint64_t>(k) + 1)]);
    double total = 0;
    int64_t steps = 0;
    // A last batch of one entry has no negatives: it is merged into the previous one.
    for (int64_t lo = 0; lo < nnz; lo += batch) {
      int64_t hi = std::min(nnz, lo + batch);
      if (nnz - hi == 1) hi = nnz;
      b.users.clear();
      b.items.clear();
      b.ratings.clear();
      b.log_q.clear();
      for (int64_t k = lo; k < hi; ++k) {
        const int64_t e = order[k];
        b.users.push_back(users[e]);
        b.items.push_back(items[e]);
        if (shape.rating_head) b.ratings.push_back(values[e] - mean_);
        if (logq) b.log_q.push_back(log_q[items[e]]);
      }
      if (b.users.size() < 2) break;
      total += net.forward(f, b, loss, pass);
      net.backward(f, b, loss, pass);
      net.user_tower.add_gradients(pass.user);
      net.item_tower.add_gradients(pass.item);
      if (shape.rating_head) net.head.add_gradients(pass.head);
      dense.step();
      dense.zero_grad();
      for (size_t t = 0; t < tables.size(); ++t) {
        const nn::SparseGrad& g = pass.*(tables[t].second);
        if (!g.empty()) sparse[t].step(g);
      }
      ++steps;
      if (hi == nnz) break;
    }
    ctx.report(static_cast<double>(epoch + 1) / epochs,
               "epoch " + std::to_string(epoch + 1) + " loss " +
                   std::to_string(steps > 0 ? total / static_cast<double>(steps) : 0.0));
  }
  // Users without training data keep no random id embedding.
  for (int32_t u = 0; u < train.num_users(); ++u)
    if (train.user_count(u) == 0) net.user_id.table.value.row(u).setZero();
  user_raw_ = tower_outputs(
      net.user_tower, train.num_users(),
      [&](std::span<const int32_t> ids, Matrix& x) { net.user_inputs(f, ids, {}, x); });
  item_raw_ =
      tower_outputs(net.item_tower, train.num_items(),
                    [&](std::span<const int32_t> ids, Matrix& x) { net.item_inputs(f, ids, x); });
  // Only the user tower, the history table and the head are needed from now on (fold-in and
  // re-ranking); the id and feature tables are baked into the raw vectors.
  net.user_id = nn::Embedding();
  net.item_id = nn::Embedding();
  net.attribute = nn::Embedding();
  net.genre = nn::Embedding();
  net.token = nn::Embedding();
  net.item_tower = nn::Mlp();
  prepare_scoring();
}

void TwoTower::prepare_scoring() {
  const Eigen::VectorXf n = item_raw_.rowwise().norm().cwiseMax(1e-6f);
  item_unit_ = n.cwiseInverse().asDiagonal() * item_raw_;
}

void TwoTower::score_vector(const nn::RowVector& user_raw, std::span<const int32_t> exclude,
                            std::span<float> out) const {
  const int32_t ni = num_items();
  const float norm = std::max(user_raw.norm(), 1e-6f);
  Eigen::Map<Eigen::VectorXf> o(out.data(), ni);
  // Eigen's own kernel (lazyProduct), not BLAS: score() runs concurrently on many threads.
  o.noalias() = item_unit_.lazyProduct((user_raw / norm).transpose());
  if (!reranks()) return;
  std::vector<float> s(out.begin(), out.end());
  for (int32_t i : exclude) s[i] = -std::numeric_limits<float>::infinity();
  const auto cand = top_k(s, static_cast<int>(params().get_int("candidates")));
  if (cand.empty()) return;
  const int d = net_->shape.output;
  Matrix z(static_cast<Eigen::Index>(cand.size()), 2 * d);
  for (size_t c = 0; c < cand.size(); ++c) {
    z.row(static_cast<Eigen::Index>(c)).head(d) = user_raw;
    z.row(static_cast<Eigen::Index>(c)).tail(d) = item_raw_.row(cand[c].item);
  }
  nn::Mlp::Pass pass = net_->head.new_pass();
  const Matrix& r = net_->head.forward(z, pass);
  const float span = std::max(scale_max_ - scale_min_, 1e-6f);
  for (size_t c = 0; c < cand.size(); ++c) {
    const float rating =
        std::clamp(mean_ + r(static_cast<Eigen::Index>(c), 0), scale_min_, scale_max_);
    out[cand[c].item] = 3.0f + (rating - scale_min_) / span;
  }
}

void TwoTower::score(int32_t user, std::span<float> out) const {
  require_fitted();
  METAREC_CHECK(static_cast<int64_t>(out.size()) == num_items(), algorithm(),
                ": score buffer has size ", out.size(), ", expected ", num_items());
  if (user < 0 || user >= num_users()) {
    score_new_user({}, {}, out);
    return;
  }
  score_vector(user_raw_.row(user), seen_items(user), out);
}

void TwoTower::score_new_user(std::span<const int32_t> items, std::span<const float> values,
                              std::span<float> out) const {
  require_fitted();
  METAREC_CHECK(values.empty() || values.size() == items.size(),
                "fold-in: values and items differ in length");
  METAREC_CHECK(static_cast<int64_t>(out.size()) == num_items(), algorithm(),
                ": score buffer has size ", out.size(), ", expected ", num_items());
  for (int32_t i : items)
    METAREC_CHECK(i >= 0 && i < num_items(), "fold-in: item ", i, " out of range");
  const TwoTowerShape& s = net_->shape;
  const int d = s.embedding;
  Matrix x = Matrix::Zero(1, s.user_input());
  if (s.history && !items.empty()) {
    auto h = x.block(0, s.user_input() - d, 1, d);
    for (int32_t i : items) h += Eigen::Map<const nn::RowVector>(net_->history_item.row(i), d);
    h *= 1.0f / static_cast<float>(items.size());
  }
  nn::Mlp::Pass pass = net_->user_tower.new_pass();
  const nn::RowVector u = net_->user_tower.forward(x, pass).row(0);
  std::vector<int32_t> sorted(items.begin(), items.end());
  std::sort(sorted.begin(), sorted.end());
  score_vector(u, sorted, out);
}

std::vector<ScoredItem> TwoTower::similar_items(int32_t item, int k) const {
  require_fitted();
  METAREC_CHECK(item >= 0 && item < num_items(), "item index ", item, " out of range");
  METAREC_CHECK(k > 0, "k must be > 0, got ", k);
  std::vector<float> s(static_cast<size_t>(num_items()));
  Eigen::Map<Eigen::VectorXf>(s.data(), num_items()).noalias() =
      item_unit_.lazyProduct(item_unit_.row(item).transpose());
  s[item] = -std::numeric_limits<float>::infinity();
  return top_k(s, k);
}

void TwoTower::do_save(ModelWriter& w) const {
  const TwoTowerShape& s = net_->shape;
  auto put = [&](const std::string& name, const Matrix& m) {
    w.add_view("two_tower." + name, std::span<const float>(m.data(), static_cast<size_t>(m.size())),
               {m.rows(), m.cols()});
  };
  const int32_t dims[5] = {s.attribute_vocabulary, s.genre_vocabulary, s.token_vocabulary,
                           s.rating_head ? 1 : 0, s.vector_dim};
  w.add("two_tower.shape", std::span<const int32_t>(dims, 5), {5});
  const float scale[3] = {mean_, scale_min_, scale_max_};
  w.add("two_tower.scale", std::span<const float>(scale, 3), {3});
  put("user_raw", user_raw_);
  put("item_raw", item_raw_);
  if (s.history) put("history", net_->history_item.table.value);
  for (int l = 0; l < net_->user_tower.layers(); ++l) {
    put("user_tower." + std::to_string(l) + ".weight", net_->user_tower.weight(l).value);
    put("user_tower." + std::to_string(l) + ".bias", net_->user_tower.bias(l).value);
  }
  if (s.rating_head)
    for (int l = 0; l < net_->head.layers(); ++l) {
      put("head." + std::to_string(l) + ".weight", net_->head.weight(l).value);
      put("head." + std::to_string(l) + ".bias", net_->head.bias(l).value);
    }
}

void TwoTower::do_load(const ModelReader& r) {
  TwoTowerShape s = shape_for(num_users(), num_items());
  const auto dims = r.i32("two_tower.shape", {5});
  if (dims[0] < 0 || dims[1] < 0 || dims[2] < 0 || dims[3] < 0 || dims[3] > 1 || dims[4] < 0)
    throw FormatError(r.path(), 0, "two_tower.shape out of range");
  s.attribute_vocabulary = dims[0];
  s.genre_vocabulary = dims[1];
  s.token_vocabulary = dims[2];
  s.rating_head = dims[3] == 1;
  s.vector_dim = dims[4];
  const auto scale = r.f32("two_tower.scale", {3});
  mean_ = scale[0];
  scale_min_ = scale[1];
  scale_max_ = scale[2];
  Rng rng(0);
  auto net = std::make_unique<TwoTowerNetwork>(s, rng);
  auto get = [&](const std::string& name, Matrix& m) {
    const std::vector<float> v = r.f32("two_tower." + name, {m.rows(), m.cols()});
    std::memcpy(m.data(), v.data(), sizeof(float) * v.size());
  };
  user_raw_.resize(num_users(), s.output);
  item_raw_.resize(num_items(), s.output);
  get("user_raw", user_raw_);
  get("item_raw", item_raw_);
  if (s.history) get("history", net->history_item.table.value);
  for (int l = 0; l < net->user_tower.layers(); ++l) {
    get("user_tower." + std::to_string(l) + ".weight", net->user_tower.weight(l).value);
    get("user_tower." + std::to_string(l) + ".bias", net->user_tower.bias(l).value);
  }
  if (s.rating_head)
    for (int l = 0; l < net->head.layers(); ++l) {
      get("head." + std::to_string(l) + ".weight", net->head.weight(l).value);
      get("head." + std::to_string(l) + ".bias", net->head.bias(l).value);
    }
  net->user_id = nn::Embedding();
  net->item_id = nn::Embedding();
  net->attribute = nn::Embedding();
  net->genre = nn::Embedding();
  net->token = nn::Embedding();
  net->item_tower = nn::Mlp();
  net_ = std::move(net);
  prepare_scoring();
}

}  // namespace metarec
