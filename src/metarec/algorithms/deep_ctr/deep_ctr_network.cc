// The deep CTR network: field pooling, the linear part, FM and bi-interaction terms, the DNN and
// the compressed interaction network, forward and backward over a batch of sparse rows.
#include <metarec/algorithms/deep_ctr/deep_ctr.h>
#include <metarec/core/error.h>

#include <cmath>

namespace metarec {

using nn::Matrix;
using RowMap = Eigen::Map<Matrix>;
using ConstRowMap = Eigen::Map<const Matrix>;

const char* deep_ctr_name(DeepCtrVariant v) {
  switch (v) {
    case DeepCtrVariant::kWideDeep:
      return "wide_deep";
    case DeepCtrVariant::kDeepFm:
      return "deepfm";
    case DeepCtrVariant::kNfm:
      return "nfm";
    case DeepCtrVariant::kXDeepFm:
      return "xdeepfm";
  }
  return "deepfm";
}

void DeepCtrBatch::clear() {
  ptr.assign(1, 0);
  idx.clear();
  val.clear();
}

void DeepCtrBatch::add(const FmFeatureMap& map, int32_t u, int32_t i, int32_t tf) {
  map.append_row(u, i, tf, idx, val);
  ptr.push_back(static_cast<int64_t>(idx.size()));
}

namespace {

Matrix glorot(int rows, int cols, Rng& rng) {
  Matrix m(rows, cols);
  const double bound = std::sqrt(6.0 / (rows + cols));
  for (Eigen::Index q = 0; q < m.size(); ++q)
    m.data()[q] = static_cast<float>((2 * rng.uniform() - 1) * bound);
  return m;
}

// The tower's sizes: in -> hidden^layers -> 1.
std::vector<int> tower_sizes(int in, int hidden, int layers) {
  std::vector<int> s = {in};
  for (int l = 0; l < layers; ++l) s.push_back(hidden);
  s.push_back(1);
  return s;
}

}  // namespace

DeepCtrNetwork::DeepCtrNetwork(const DeepCtrShape& s, std::vector<int8_t> fields, float init_std,
                               Rng& rng)
    : shape(s), field_of(std::move(fields)) {
  METAREC_CHECK(s.features > 0 && s.fields > 0 && s.factors > 0, "deep CTR: ", s.features,
                " features, ", s.fields, " fields, ", s.factors, " factors");
  METAREC_CHECK(static_cast<int32_t>(field_of.size()) == s.features, "deep CTR: ", field_of.size(),
                " field indices for ", s.features, " features");
  for (int8_t f : field_of)
    METAREC_CHECK(f >= 0 && f < s.fields, "deep CTR: field ", int{f}, " outside [0, ", s.fields,
                  ")");
  METAREC_CHECK(s.hidden > 0 && s.layers >= 0 && (s.layers >= 1 || !s.has_dnn()),
                "deep CTR: hidden ", s.hidden, " and layers ", s.layers, " out of range");
  METAREC_CHECK(!s.has_cin() || (s.cin_maps > 0 && s.cin_layers > 0), "deep CTR: CIN maps ",
                s.cin_maps, " and layers ", s.cin_layers, " must be > 0");
  METAREC_CHECK(s.bi_dropout >= 0 && s.bi_dropout < 1, "deep CTR: dropout ", s.bi_dropout,
                " outside [0, 1)");
  const int k = s.factors;
  v = nn::Embedding(s.features, k, nn::EmbeddingInit::kNormal, init_std, rng, "v");
  w = nn::Embedding(s.features, 1, nn::EmbeddingInit::kUniform, 0, rng, "w");
  w0.name = "w0";
  w0.value = Matrix::Zero(1, 1);
  if (s.has_dnn())
    dnn = nn::Mlp(tower_sizes(s.fields * k, s.hidden, s.layers), nn::Activation::kRelu, false, rng,
                  "dnn");
  if (s.has_nfm())
    nfm = nn::Mlp(tower_sizes(k, s.hidden, s.layers), nn::Activation::kRelu, false, rng, "nfm");
  if (s.has_cin()) {
    int prev = s.fields;
    for (int l = 0; l < s.cin_layers; ++l) {
      nn::Parameter p;
      p.name = "cin." + std::to_string(l) + ".weight";
      p.value = glorot(s.cin_maps, prev * s.fields, rng);
      cin_w.push_back(std::move(p));
      prev = s.cin_maps;
    }
    cin_out.name = "cin.output";
    cin_out.value = glorot(s.cin_maps * s.cin_layers, 1, rng);
  }
}

DeepCtrNetwork::Pass DeepCtrNetwork::new_pass() const {
  Pass p;
  if (shape.has_dnn()) p.dnn = dnn.new_pass();
  if (shape.has_nfm()) p.nfm = nfm.new_pass();
  p.d_w0 = Matrix::Zero(1, 1);
  for (const auto& c : cin_w) p.d_cin.push_back(Matrix::Zero(c.value.rows(), c.value.cols()));
  if (shape.has_cin()) p.d_cin_out = Matrix::Zero(cin_out.value.rows(), 1);
  p.cin.resize(cin_w.size());
  p.cin_z.resize(cin_w.size());
  return p;
}

void DeepCtrNetwork::clear_dense(Pass& p) const {
  p.d_w0.setZero();
  for (auto& m : p.dnn.dw) m.setZero();
  for (auto& m : p.dnn.db) m.setZero();
  for (auto& m : p.nfm.dw) m.setZero();
  for (auto& m : p.nfm.db) m.setZero();
  for (auto& m : p.d_cin) m.setZero();
  p.d_cin_out.setZero();
}

std::vector<nn::Parameter*> DeepCtrNetwork::dense_parameters() {
  std::vector<nn::Parameter*> out = {&w0};
  if (shape.has_dnn())
    for (auto* q : dnn.parameters()) out.push_back(q);
  if (shape.has_nfm())
    for (auto* q : nfm.parameters()) out.push_back(q);
  for (auto& c : cin_w) out.push_back(&c);
  if (shape.has_cin()) out.push_back(&cin_out);
  return out;
}

std::vector<const Matrix*> DeepCtrNetwork::dense_gradients(const Pass& p) const {
  std::vector<const Matrix*> out = {&p.d_w0};
  auto tower = [&](const nn::Mlp::Pass& t) {
    for (size_t l = 0; l < t.dw.size(); ++l) {
      out.push_back(&t.dw[l]);
      out.push_back(&t.db[l]);
    }
  };
  if (shape.has_dnn()) tower(p.dnn);
  if (shape.has_nfm()) tower(p.nfm);
  for (const auto& m : p.d_cin) out.push_back(&m);
  if (shape.has_cin()) out.push_back(&p.d_cin_out);
  return out;
}

void DeepCtrNetwork::forward(const DeepCtrBatch& b, Pass& p, std::span<float> out,
                             Rng* dropout) const {
  const Eigen::Index n = b.rows();
  METAREC_CHECK(static_cast<Eigen::Index>(out.size()) == n, "deep CTR forward: ", out.size(),
                " outputs for ", n, " rows");
  const int k = shape.factors;
  const bool sums = shape.has_fm() || shape.has_nfm();
  p.batch = &b;
  p.e.setZero(n, static_cast<Eigen::Index>(shape.fields) * k);
  if (sums) p.s.setZero(n, k);
  if (shape.has_nfm()) p.bi.resize(n, k);
  std::vector<float> sq(static_cast<size_t>(k));
  const float* wt = w.table.value.data();
  for (Eigen::Index r = 0; r < n; ++r) {
    double y = w0.value(0, 0);
    float* er = p.e.row(r).data();
    float* sr = sums ? p.s.row(r).data() : nullptr;
    std::fill(sq.begin(), sq.end(), 0.0f);
    for (int64_t q = b.ptr[r]; q < b.ptr[r + 1]; ++q) {
      const int32_t j = b.idx[q];
      const float x = b.val[q];
      y += static_cast<double>(wt[j]) * x;
      const float* vj = v.row(j);
      float* ef = er + static_cast<size_t>(field_of[j]) * k;
      for (int d = 0; d < k; ++d) ef[d] += x * vj[d];
      if (sums)
        for (int d = 0; d < k; ++d) {
          const float t = x * vj[d];
          sr[d] += t;
          sq[d] += t * t;
        }
    }
    if (shape.has_fm()) {
      double pair = 0;
      for (int d = 0; d < k; ++d) pair += static_cast<double>(sr[d]) * sr[d] - sq[d];
      y += 0.5 * pair;
    }
    if (shape.has_nfm())
      for (int d = 0; d < k; ++d) p.bi(r, d) = 0.5f * (sr[d] * sr[d] - sq[d]);
    out[r] = static_cast<float>(y);
  }
  Eigen::Map<Eigen::VectorXf> o(out.data(), n);
  if (shape.has_dnn()) o += dnn.forward(p.e, p.dnn).col(0);
  if (shape.has_nfm()) {
    const float rate = shape.bi_dropout;
    if (dropout != nullptr && rate > 0) {
      p.bi_mask.resize(n, k);
      const float keep = 1.0f / (1.0f - rate);
      for (Eigen::Index r = 0; r < n; ++r)
        for (int d = 0; d < k; ++d) p.bi_mask(r, d) = dropout->uniform() < rate ? 0.0f : keep;
      p.bi.array() *= p.bi_mask.array();
    } else {
      p.bi_mask.resize(0, 0);
    }
    o += nfm.forward(p.bi, p.nfm).col(0);
  }
  if (shape.has_cin()) {
    cin_forward(p);
    o.noalias() += p.pool * cin_out.value.col(0);
  }
}

// The CIN runs on the whole batch at once, with the k embedding dimensions of every row side by
// side as columns: X^0 is F x (rows k), X^l is maps x (rows k), and a layer is one GEMM,
// X^l = W^l Z^l, over Z^l's (maps_{l-1} F) x (rows k) pairwise products
// Z^l[i F + j] = X^{l-1}_i * X^0_j (element-wise). Per row, that was (maps F) x k products and a
// small GEMM each, with temporaries resized on every row: 1.1x on two threads, now one large GEMM.
void DeepCtrNetwork::cin_forward(Pass& p) const {
  const Eigen::Index n = p.e.rows();
  const int k = shape.factors, f = shape.fields, h = shape.cin_maps;
  const int layers = static_cast<int>(cin_w.size());
  const Eigen::Index cols = n * k;
  p.cin_x0.resize(f, cols);
  for (Eigen::Index r = 0; r < n; ++r)
    for (int j = 0; j < f; ++j)
      p.cin_x0.row(j).segment(r * k, k) = p.e.row(r).segment(static_cast<Eigen::Index>(j) * k, k);
  p.pool.resize(n, static_cast<Eigen::Index>(h) * layers);
  for (int l = 0; l < layers; ++l) {
    const Matrix& xp = l == 0 ? p.cin_x0 : p.cin[l - 1];
    const int hp = l == 0 ? f : h;
    Matrix& z = p.cin_z[l];
    z.resize(static_cast<Eigen::Index>(hp) * f, cols);
    for (int i = 0; i < hp; ++i)
      for (int j = 0; j < f; ++j) z.row(i * f + j) = xp.row(i).cwiseProduct(p.cin_x0.row(j));
    p.cin[l].noalias() = cin_w[l].value * z;
    for (Eigen::Index r = 0; r < n; ++r)
      p.pool.row(r).segment(static_cast<Eigen::Index>(l) * h, h) =
          p.cin[l].middleCols(r * k, k).rowwise().sum().transpose();
  }
}

void DeepCtrNetwork::cin_backward(std::span<const float> dy, Pass& p) const {
  const Eigen::Index n = p.e.rows();
  const int k = shape.factors, f = shape.fields, h = shape.cin_maps;
  const int layers = static_cast<int>(cin_w.size());
  const Eigen::Index cols = n * k;
  const Eigen::Map<const Eigen::VectorXf> g(dy.data(), n);
  p.d_cin_out.col(0).noalias() += p.pool.transpose() * g;
  Matrix dx0 = Matrix::Zero(f, cols), dx, dz, carry;
  for (int l = layers - 1; l >= 0; --l) {
    const Matrix& xp = l == 0 ? p.cin_x0 : p.cin[l - 1];
    const int hp = l == 0 ? f : h;
    // dL/dX^l: the sum pool's (g_r c_m in every dimension of row r) plus what layer l+1 sends.
    if (l == layers - 1)
      dx.setZero(h, cols);
    else
      dx = std::move(carry);
    const auto c = cin_out.value.col(0).segment(static_cast<Eigen::Index>(l) * h, h);
    for (Eigen::Index r = 0; r < n; ++r) dx.middleCols(r * k, k).colwise() += g[r] * c;
    p.d_cin[l].noalias() += dx * p.cin_z[l].transpose();
    dz.noalias() = cin_w[l].value.transpose() * dx;
    Matrix& dprev = l == 0 ? dx0 : carry;
    if (l > 0) dprev.setZero(hp, cols);
    for (int i = 0; i < hp; ++i)
      for (int j = 0; j < f; ++j) {
        dprev.row(i) += dz.row(i * f + j).cwiseProduct(p.cin_x0.row(j));
        dx0.row(j) += dz.row(i * f + j).cwiseProduct(xp.row(i));
      }
  }
  for (Eigen::Index r = 0; r < n; ++r)
    for (int j = 0; j < f; ++j)
      p.de.row(r).segment(static_cast<Eigen::Index>(j) * k, k) += dx0.row(j).segment(r * k, k);
}

void DeepCtrNetwork::backward(std::span<const float> dy, Pass& p) const {
  METAREC_CHECK(p.batch != nullptr, "deep CTR backward: no forward pass");
  const DeepCtrBatch& b = *p.batch;
  const Eigen::Index n = b.rows();
  METAREC_CHECK(static_cast<Eigen::Index>(dy.size()) == n, "deep CTR backward: ", dy.size(),
                " gradients for a pass of ", n);
  const int k = shape.factors;
  const Matrix g = Eigen::Map<const Eigen::VectorXf>(dy.data(), n);
  p.d_w0(0, 0) += g.sum();
  if (shape.has_dnn())
    p.de = dnn.backward(g, p.dnn);
  else
    p.de.setZero(n, static_cast<Eigen::Index>(shape.fields) * k);
  if (shape.has_cin()) cin_backward(dy, p);
  Matrix dbi;
  if (shape.has_nfm()) {
    dbi = nfm.backward(g, p.nfm);
    if (p.bi_mask.rows() == n) dbi.array() *= p.bi_mask.array();
  }
  const int64_t nnz = b.ptr[n];
  p.dv.resize(nnz, k);
  p.dw.resize(nnz, 1);
  for (Eigen::Index r = 0; r < n; ++r) {
    const float* de = p.de.row(r).data();
    for (int64_t q = b.ptr[r]; q < b.ptr[r + 1]; ++q) {
      const int32_t j = b.idx[q];
      const float x = b.val[q];
      p.dw(q, 0) = dy[r] * x;
      float* dv = p.dv.row(q).data();
      const float* ef = de + static_cast<size_t>(field_of[j]) * k;
      for (int d = 0; d < k; ++d) dv[d] = x * ef[d];
      const float* vj = v.row(j);
      // d/dv_j of 1/2 [(sum x v)^2 - sum (x v)^2] is x (s - x v_j) in every dimension.
      if (shape.has_fm())
        for (int d = 0; d < k; ++d) dv[d] += dy[r] * x * (p.s(r, d) - x * vj[d]);
      if (shape.has_nfm())
        for (int d = 0; d < k; ++d) dv[d] += dbi(r, d) * x * (p.s(r, d) - x * vj[d]);
    }
  }
}

}  // namespace metarec
