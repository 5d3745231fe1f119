// The two-tower network's inputs, forward and backward passes.
#include <metarec/algorithms/two_tower/two_tower_network.h>
#include <metarec/core/error.h>
#include <metarec/nn/losses.h>

#include <algorithm>
#include <cmath>

namespace metarec {

using nn::Matrix;

namespace {

constexpr float kMinNorm = 1e-6f;

// Adds the mean of rows `ids` of `table` (skipping `skip`) into columns [c, c + dim) of row r.
void bag_mean(const nn::Embedding& table, std::span<const int32_t> ids, int32_t skip, Matrix& x,
              Eigen::Index r, Eigen::Index c) {
  const int d = table.dim();
  int count = 0;
  for (int32_t id : ids) count += id != skip;
  auto out = x.block(r, c, 1, d);
  out.setZero();
  if (count == 0) return;
  for (int32_t id : ids)
    if (id != skip) out += Eigen::Map<const nn::RowVector>(table.row(id), d);
  out *= 1.0f / static_cast<float>(count);
}

// Adds the gradient of a bag mean (ids but `skip`): dx.block(r, c, 1, d) / count to each id's
// row of the scratch accumulator, listing rows on first touch.
void bag_backward(std::span<const int32_t> ids, int32_t skip, const Matrix& dx, Eigen::Index r,
                  Eigen::Index c, int d, TwoTowerNetwork::Pass::BagScratch& g) {
  int count = 0;
  for (int32_t id : ids) count += id != skip;
  if (count == 0) return;
  const float inv = 1.0f / static_cast<float>(count);
  const auto row = dx.block(r, c, 1, d);
  for (int32_t id : ids) {
    if (id == skip) continue;
    if (!g.mark[id]) {
      g.mark[id] = 1;
      g.touched.push_back(id);
      g.acc.row(id).setZero();
    }
    g.acc.row(id) += inv * row;
  }
}

void start_bag(TwoTowerNetwork::Pass::BagScratch& g, int32_t vocabulary, int d) {
  if (g.acc.rows() != vocabulary || g.acc.cols() != d) g.acc.resize(vocabulary, d);
  g.mark.assign(static_cast<size_t>(vocabulary), 0);
  g.touched.clear();
}

// The accumulated rows as a coalesced sparse gradient (sorted distinct ids).
nn::SparseGrad finish_bag(TwoTowerNetwork::Pass::BagScratch& g) {
  std::sort(g.touched.begin(), g.touched.end());
  nn::SparseGrad out;
  out.ids = g.touched;
  out.values.resize(static_cast<Eigen::Index>(g.touched.size()), g.acc.cols());
  for (size_t k = 0; k < g.touched.size(); ++k)
    out.values.row(static_cast<Eigen::Index>(k)) = g.acc.row(g.touched[k]);
  return out;
}

// L2 normalization of each row: q = y / |y|, norms into n.
void normalize_rows(const Matrix& y, Matrix& q, Eigen::VectorXf& n) {
  n = y.rowwise().norm().cwiseMax(kMinNorm);
  q = n.cwiseInverse().asDiagonal() * y;
}

// dL/dy from dL/dq for q = y / |y|: (dq - q (q . dq)) / |y|.
Matrix normalize_backward(const Matrix& dq, const Matrix& q, const Eigen::VectorXf& n) {
  const Eigen::VectorXf qdq = q.cwiseProduct(dq).rowwise().sum();
  Matrix dy = dq - qdq.asDiagonal() * q;
  return n.cwiseInverse().asDiagonal() * dy;
}

}  // namespace

std::vector<int> TwoTowerShape::tower_sizes(int in) const {
  std::vector<int> s = {in};
  for (int l = 1; l < layers; ++l) s.push_back(hidden);
  s.push_back(output);
  return s;
}

TwoTowerNetwork::TwoTowerNetwork(const TwoTowerShape& s, Rng& rng) : shape(s) {
  METAREC_CHECK(s.users > 0 && s.items > 0, "two-tower: needs users and items, got ", s.users,
                " x ", s.items);
  METAREC_CHECK(s.embedding > 0 && s.hidden > 0 && s.output > 0 && s.layers >= 1,
                "two-tower: sizes must be positive");
  const auto init = nn::EmbeddingInit::kNormal;
  const float std = 0.05f;
  user_id = nn::Embedding(s.users, s.embedding, init, std, rng, "user_id");
  if (s.attribute_vocabulary > 0)
    attribute = nn::Embedding(s.attribute_vocabulary, s.embedding, init, std, rng, "attribute");
  if (s.history) history_item = nn::Embedding(s.items, s.embedding, init, std, rng, "history");
  item_id = nn::Embedding(s.items, s.embedding, init, std, rng, "item_id");
  if (s.genre_vocabulary > 0)
    genre = nn::Embedding(s.genre_vocabulary, s.embedding, init, std, rng, "genre");
  if (s.token_vocabulary > 0)
    token = nn::Embedding(s.token_vocabulary, s.embedding, init, std, rng, "token");
  user_tower = nn::Mlp(s.tower_sizes(s.user_input()), nn::Activation::kRelu, false, rng, "user");
  item_tower = nn::Mlp(s.tower_sizes(s.item_input()), nn::Activation::kRelu, false, rng, "item");
  if (s.rating_head)
    head = nn::Mlp({2 * s.output, s.hidden, 1}, nn::Activation::kRelu, false, rng, "head");
}

TwoTowerNetwork::Pass TwoTowerNetwork::new_pass() const {
  Pass p;
  p.user = user_tower.new_pass();
  p.item = item_tower.new_pass();
  if (shape.rating_head) p.head = head.new_pass();
  return p;
}

void TwoTowerNetwork::user_inputs(const TwoTowerFeatures& f, std::span<const int32_t> users,
                                  std::span<const int32_t> exclude, Matrix& x) const {
  const auto n = static_cast<Eigen::Index>(users.size());
  const int d = shape.embedding;
  x.resize(n, shape.user_input());
  for (Eigen::Index r = 0; r < n; ++r) {
    const int32_t u = users[r];
    Eigen::Index c = 0;
    x.block(r, c, 1, d) = Eigen::Map<const nn::RowVector>(user_id.row(u), d);
    c += d;
    if (shape.attribute_vocabulary > 0) {
      bag_mean(attribute, f.user_attributes.of(u), -1, x, r, c);
      c += d;
    }
    if (shape.history)
      bag_mean(history_item, f.history.of(u), exclude.empty() ? -1 : exclude[r], x, r, c);
  }
}

void TwoTowerNetwork::item_inputs(const TwoTowerFeatures& f, std::span<const int32_t> items,
                                  Matrix& x) const {
  const auto n = static_cast<Eigen::Index>(items.size());
  const int d = shape.embedding;
  x.resize(n, shape.item_input());
  for (Eigen::Index r = 0; r < n; ++r) {
    const int32_t i = items[r];
    Eigen::Index c = 0;
    x.block(r, c, 1, d) = Eigen::Map<const nn::RowVector>(item_id.row(i), d);
    c += d;
    if (shape.genre_vocabulary > 0) {
      bag_mean(genre, f.item_genres.of(i), -1, x, r, c);
      c += d;
    }
    if (shape.token_vocabulary > 0) {
      bag_mean(token, f.item_tokens.of(i), -1, x, r, c);
      c += d;
    }
    if (shape.vector_dim > 0)
      x.block(r, c, 1, shape.vector_dim) = Eigen::Map<const nn::RowVector>(
          f.item_vectors.data() + static_cast<size_t>(i) * shape.vector_dim, shape.vector_dim);
  }
}

double TwoTowerNetwork::forward(const TwoTowerFeatures& f, const TwoTowerBatch& b,
                                const TwoTowerLoss& loss, Pass& p) const {
  METAREC_CHECK(b.users.size() == b.items.size() && !b.users.empty(), "two-tower: batch has ",
                b.users.size(), " users and ", b.items.size(), " items");
  user_inputs(f, b.users, b.items, p.xu);
  p.yu = user_tower.forward(p.xu, p.user);
  normalize_rows(p.yu, p.q, p.nu);
  item_inputs(f, b.items, p.xi);
  p.yi = item_tower.forward(p.xi, p.item);
  normalize_rows(p.yi, p.k, p.ni);
  p.retrieval_loss =
      nn::in_batch_softmax_loss(p.q, p.k, loss.temperature, b.log_q, b.items, &p.dq, &p.dk);
  p.rating_loss = 0;
  if (shape.rating_head && loss.rating_weight > 0) {
    METAREC_CHECK(b.ratings.size() == b.users.size(), "two-tower: ", b.ratings.size(),
                  " ratings for a batch of ", b.users.size());
    const Eigen::Index n = p.yu.rows();
    p.z.resize(n, 2 * shape.output);
    p.z.leftCols(shape.output) = p.yu;
    p.z.rightCols(shape.output) = p.yi;
    p.rhat = head.forward(p.z, p.head);
    const Matrix target = Eigen::Map<const Matrix>(b.ratings.data(), n, 1);
    p.rating_loss = nn::mse_loss(p.rhat, target, &p.drhat);
  }
  return loss.retrieval_weight * p.retrieval_loss + loss.rating_weight * p.rating_loss;
}

void TwoTowerNetwork::backward(const TwoTowerFeatures& f, const TwoTowerBatch& b,
                               const TwoTowerLoss& loss, Pass& p) const {
  Matrix dyu = normalize_backward(loss.retrieval_weight * p.dq, p.q, p.nu);
  Matrix dyi = normalize_backward(loss.retrieval_weight * p.dk, p.k, p.ni);
  if (shape.rating_head && loss.rating_weight > 0) {
    const Matrix dz = head.backward(loss.rating_weight * p.drhat, p.head);
    dyu += dz.leftCols(shape.output);
    dyi += dz.rightCols(shape.output);
  }
  const Matrix dxu = user_tower.backward(dyu, p.user);
  const Matrix dxi = item_tower.backward(dyi, p.item);
  const int d = shape.embedding;
  const auto n = static_cast<Eigen::Index>(b.users.size());
  p.d_user_id = user_id.backward(b.users, dxu.leftCols(d));
  p.d_item_id = item_id.backward(b.items, dxi.leftCols(d));
  auto bag = [&](int slot, int32_t vocabulary, const Matrix& dx, Eigen::Index c, auto&& ids_of,
                 auto&& skip_of) {
    auto& g = p.scratch[slot];
    start_bag(g, vocabulary, d);
    for (Eigen::Index r = 0; r < n; ++r) bag_backward(ids_of(r), skip_of(r), dx, r, c, d, g);
    return finish_bag(g);
  };
  auto none = [](Eigen::Index) { return int32_t{-1}; };
  Eigen::Index c = d;
  if (shape.attribute_vocabulary > 0) {
    p.d_attr = bag(
        0, shape.attribute_vocabulary, dxu, c,
        [&](Eigen::Index r) { return f.user_attributes.of(b.users[r]); }, none);
    c += d;
  }
  if (shape.history)
    p.d_hist = bag(
        1, shape.items, dxu, c, [&](Eigen::Index r) { return f.history.of(b.users[r]); },
        [&](Eigen::Index r) { return b.items[r]; });
  c = d;
  if (shape.genre_vocabulary > 0) {
    p.d_genre = bag(
        2, shape.genre_vocabulary, dxi, c,
        [&](Eigen::Index r) { return f.item_genres.of(b.items[r]); }, none);
    c += d;
  }
  if (shape.token_vocabulary > 0)
    p.d_token = bag(
        3, shape.token_vocabulary, dxi, c,
        [&](Eigen::Index r) { return f.item_tokens.of(b.items[r]); }, none);
}

std::vector<nn::Parameter*> TwoTowerNetwork::dense_parameters() {
  std::vector<nn::Parameter*> out = user_tower.parameters();
  for (auto* q : item_tower.parameters()) out.push_back(q);
  if (shape.rating_head)
    for (auto* q : head.parameters()) out.push_back(q);
  return out;
}

}  // namespace metarec
