// DeepRec's network: the forward pass of sparse or dense rows, the full backward pass, the masked
// and dense (re-feeding) losses, and the one-row code and output of prediction and fold-in.
#include <metarec/algorithms/autoencoder/deeprec.h>
#include <metarec/core/error.h>
#include <metarec/core/parallel.h>

#include <algorithm>
#include <cmath>
#include <utility>

namespace metarec {

using nn::Activation;
using nn::Matrix;
using nn::RowVector;

namespace {

float activate_scalar(Activation act, float x) {
  switch (act) {
    case Activation::kIdentity:
      return x;
    case Activation::kRelu:
      return x > 0 ? x : 0.0f;
    case Activation::kSigmoid:
      return nn::sigmoid(x);
    case Activation::kTanh:
      return std::tanh(x);
    case Activation::kSelu:
      return nn::selu(x);
  }
  return x;
}

void activate_row(Activation act, RowVector& h) {
  for (Eigen::Index k = 0; k < h.size(); ++k) h[k] = activate_scalar(act, h[k]);
}

// `rows` rows cut into min(parts, rows) contiguous blocks of near-equal size, in order, as (first
// row, row count): one block per thread.
std::vector<std::pair<Eigen::Index, Eigen::Index>> row_blocks(Eigen::Index rows, int parts) {
  const Eigen::Index count = std::max<Eigen::Index>(1, std::min<Eigen::Index>(parts, rows));
  std::vector<std::pair<Eigen::Index, Eigen::Index>> out;
  for (Eigen::Index t = 0; t < count; ++t) {
    const Eigen::Index lo = rows * t / count, hi = rows * (t + 1) / count;
    out.emplace_back(lo, hi - lo);
  }
  return out;
}

// Rows [lo, lo + count) of a row-major matrix as one contiguous run of values.
std::span<float> rows_of(Matrix& m, Eigen::Index lo, Eigen::Index count) {
  return {m.data() + lo * m.cols(), static_cast<size_t>(count * m.cols())};
}

}  // namespace

DeepRecNetwork::DeepRecNetwork(const DeepRecShape& s, Rng& rng) : shape(s) {
  METAREC_CHECK(s.items > 0 && !s.encoder.empty(), "deeprec_ae: bad shape, ", s.items,
                " items and ", s.encoder.size(), " encoder layers");
  METAREC_CHECK(s.dropout >= 0 && s.dropout < 1, "deeprec_ae: dropout ", s.dropout,
                " is not in [0, 1)");
  const int n = layers(), k = n / 2;
  w.resize(static_cast<size_t>(s.tied ? k : n));
  b.resize(static_cast<size_t>(n));
  for (int l = 0; l < n; ++l) {
    const int in = l == 0 ? s.items : width(l - 1);
    if (!s.tied || l < k) init_glorot(w[l], "w" + std::to_string(l), in, width(l), rng);
    b[l].name = "b" + std::to_string(l);
    b[l].value = Matrix::Zero(1, width(l));
    b[l].zero_grad();
  }
}

int DeepRecNetwork::width(int l) const {
  const int k = static_cast<int>(shape.encoder.size());
  if (l < k) return shape.encoder[static_cast<size_t>(l)];
  if (l == 2 * k - 1) return shape.items;
  return shape.encoder[static_cast<size_t>(2 * k - 2 - l)];
}

Activation DeepRecNetwork::activation_of(int l) const {
  return l == layers() - 1 && !shape.activate_output ? Activation::kIdentity : shape.activation;
}

const Matrix& DeepRecNetwork::weight_of(int l, bool& transposed) const {
  const int k = layers() / 2;
  transposed = shape.tied && l >= k;
  return w[static_cast<size_t>(transposed ? 2 * k - 1 - l : l)].value;
}

std::vector<nn::Parameter*> DeepRecNetwork::parameters() {
  std::vector<nn::Parameter*> out = weights();
  for (auto& p : b) out.push_back(&p);
  return out;
}

std::vector<const nn::Parameter*> DeepRecNetwork::parameters() const {
  std::vector<const nn::Parameter*> out;
  for (const auto& p : w) out.push_back(&p);
  for (const auto& p : b) out.push_back(&p);
  return out;
}

std::vector<nn::Parameter*> DeepRecNetwork::weights() {
  std::vector<nn::Parameter*> out;
  for (auto& p : w) out.push_back(&p);
  return out;
}

void DeepRecNetwork::forward(const SparseRows& x, Pass& p, Rng* dropout_rng, int threads) const {
  run_forward(&x, nullptr, p, dropout_rng, threads);
}

void DeepRecNetwork::forward(const Matrix& x, Pass& p, Rng* dropout_rng, int threads) const {
  METAREC_CHECK(x.cols() == shape.items, "deeprec_ae: dense input has ", x.cols(),
                " columns, expected ", shape.items);
  run_forward(nullptr, &x, p, dropout_rng, threads);
}

void DeepRecNetwork::run_forward(const SparseRows* xs, const Matrix* xd, Pass& p, Rng* dropout_rng,
                                 int threads) const {
  const int n = layers(), k = n / 2;
  const Eigen::Index rows = xs != nullptr ? xs->rows() : xd->rows();
  p.a.resize(static_cast<size_t>(n));
  for (int l = 0; l < n; ++l) p.a[l].resize(rows, width(l));
  // Inverted dropout on the code: one rng.uniform() per entry, row by row, drawn before the blocks
  // run so that the draws do not depend on the thread count.
  p.mask.resize(0, 0);
  if (dropout_rng != nullptr && shape.dropout > 0) {
    p.mask.resize(rows, width(k - 1));
    p.code.resize(rows, width(k - 1));
    const float keep = 1.0f / (1.0f - shape.dropout);
    for (Eigen::Index e = 0; e < p.mask.size(); ++e)
      p.mask.data()[e] = dropout_rng->uniform() < shape.dropout ? 0.0f : keep;
  }
  const bool dropped = p.mask.size() > 0;
  const auto blocks = row_blocks(rows, threads);
  parallel_for(
      static_cast<int64_t>(blocks.size()), threads,
      [&](int64_t t) {
        const auto [lo, m] = blocks[static_cast<size_t>(t)];
        auto h = p.a[0].middleRows(lo, m);
        if (xs != nullptr) {
          for (Eigen::Index r = lo; r < lo + m; ++r) {
            auto row = p.a[0].row(r);
            row = b[0].value.row(0);
            for (int64_t e = xs->ptr[r]; e < xs->ptr[r + 1]; ++e) {
              METAREC_CHECK(xs->index[e] >= 0 && xs->index[e] < shape.items, "deeprec_ae: item ",
                            xs->index[e], " out of range");
              row.noalias() += xs->value[e] * w[0].value.row(xs->index[e]);
            }
          }
        } else {
          h.noalias() = xd->middleRows(lo, m) * w[0].value;
          h.rowwise() += b[0].value.row(0);
        }
        nn::activate(activation_of(0), rows_of(p.a[0], lo, m));
        for (int l = 0; l < n; ++l) {
          if (l > 0) {
            const Matrix& in = l == k && dropped ? p.code : p.a[l - 1];
            bool transposed = false;
            const Matrix& wl = weight_of(l, transposed);
            auto y = p.a[l].middleRows(lo, m);
            if (transposed)
              y.noalias() = in.middleRows(lo, m) * wl.transpose();
            else
              y.noalias() = in.middleRows(lo, m) * wl;
            y.rowwise() += b[l].value.row(0);
            nn::activate(activation_of(l), rows_of(p.a[l], lo, m));
          }
          if (l == k - 1 && dropped)
            p.code.middleRows(lo, m) =
                p.a[l].middleRows(lo, m).cwiseProduct(p.mask.middleRows(lo, m));
        }
      },
      1);
}

void DeepRecNetwork::backward(Matrix g, const SparseRows* xs, const Matrix* xd, Pass& p,
                              int threads) {
  const int n = layers(), k = n / 2;
  const bool dropped = p.mask.size() > 0;
  const auto blocks = row_blocks(g.rows(), threads);
  const size_t parts = blocks.size();
  // Block 0 sums straight into the parameters' gradients; each other block writes its own
  // scratch (assigned on its first write, so never zeroed), added to the gradients afterwards in
  // block order, each weight's rows in parallel. The result depends on the thread count only
  // through that order.
  dw_part_.resize(parts);
  db_part_.resize(parts);
  std::vector<std::vector<char>> written(parts, std::vector<char>(w.size(), 0));
  for (size_t t = 1; t < parts; ++t) {
    dw_part_[t].resize(w.size());
    db_part_[t].resize(b.size());
  }
  // Adds (or, on a block's first write of weight j, assigns) the product `prod` to weight j's sum.
  auto add_dw = [&](size_t t, int j, const auto& prod) {
    const size_t jj = static_cast<size_t>(j);
    if (t == 0) {
      w[jj].grad.noalias() += prod;
    } else if (!written[t][jj]) {
      dw_part_[t][jj].noalias() = prod;
      written[t][jj] = 1;
    } else {
      dw_part_[t][jj].noalias() += prod;
    }
  };
  // dL/d(first layer's pre-activation) of every row, for the sparse weight gradient afterwards.
  Matrix first;
  if (xs != nullptr) first.resize(g.rows(), width(0));
  parallel_for(
      static_cast<int64_t>(parts), threads,
      [&](int64_t ti) {
        const size_t t = static_cast<size_t>(ti);
        const auto [lo, m] = blocks[t];
        Matrix gt = g.middleRows(lo, m);
        for (int l = n - 1; l >= 0; --l) {
          nn::activation_backward(activation_of(l), rows_of(p.a[l], lo, m),
                                  std::span<float>(gt.data(), static_cast<size_t>(gt.size())));
          if (t == 0)
            b[static_cast<size_t>(l)].grad += gt.colwise().sum();
          else
            db_part_[t][static_cast<size_t>(l)] = gt.colwise().sum();
          if (l == 0) {
            if (xs != nullptr)
              first.middleRows(lo, m) = gt;
            else
              add_dw(t, 0, xd->middleRows(lo, m).transpose() * gt);
            break;
          }
          const auto in = (l == k && dropped ? p.code : p.a[l - 1]).middleRows(lo, m);
          Matrix dx;
          if (shape.tied && l >= k) {
            const int j = 2 * k - 1 - l;
            add_dw(t, j, gt.transpose() * in);
            dx.noalias() = gt * w[static_cast<size_t>(j)].value;
          } else {
            add_dw(t, l, in.transpose() * gt);
            dx.noalias() = gt * w[static_cast<size_t>(l)].value.transpose();
          }
          gt = std::move(dx);
          if (l == k && dropped) gt.array() *= p.mask.middleRows(lo, m).array();
        }
      },
      1);
  if (parts > 1) {
    // Chunks of 64 rows of every weight, in one parallel region.
    std::vector<std::pair<size_t, Eigen::Index>> chunks;
    for (size_t j = 0; j < w.size(); ++j)
      for (Eigen::Index r = 0; r < w[j].grad.rows(); r += 64) chunks.emplace_back(j, r);
    parallel_for(
        static_cast<int64_t>(chunks.size()), threads,
        [&](int64_t c) {
          const auto [j, lo] = chunks[static_cast<size_t>(c)];
          const Eigen::Index count = std::min<Eigen::Index>(64, w[j].grad.rows() - lo);
          for (size_t t = 1; t < parts; ++t)
            if (written[t][j])
              w[j].grad.middleRows(lo, count) += dw_part_[t][j].middleRows(lo, count);
        },
        4);
  }
  for (size_t t = 1; t < parts; ++t)
    for (size_t l = 0; l < b.size(); ++l) b[l].grad += db_part_[t][l];
  if (xs != nullptr) dw_first_.accumulate(*xs, first, w[0].grad, threads);
}

double DeepRecNetwork::masked_loss(const SparseRows& x, Pass& p, bool backward_pass, int threads) {
  METAREC_CHECK(static_cast<int>(p.a.size()) == layers() && p.a.back().rows() == x.rows(),
                "deeprec_ae: the last forward pass was not of these ", x.rows(), " rows");
  const int64_t count = static_cast<int64_t>(x.index.size());
  if (count == 0) return 0;
  const Matrix& y = p.a.back();
  const float scale = 2.0f / static_cast<float>(count);
  Matrix g;
  if (backward_pass) g = Matrix::Zero(y.rows(), y.cols());
  // O(entries) work: not worth a parallel region (each one is a synchronization).
  double total = 0;
  for (Eigen::Index r = 0; r < x.rows(); ++r) {
    double s = 0;
    for (int64_t e = x.ptr[r]; e < x.ptr[r + 1]; ++e) {
      const float err = y(r, x.index[e]) - x.value[e];
      s += static_cast<double>(err) * err;
      if (backward_pass) g(r, x.index[e]) = scale * err;
    }
    total += s;
  }
  if (backward_pass) backward(std::move(g), &x, nullptr, p, threads);
  return total / static_cast<double>(count);
}

double DeepRecNetwork::dense_loss(const Matrix& x, const Matrix& target, Pass& p,
                                  bool backward_pass, int threads) {
  METAREC_CHECK(static_cast<int>(p.a.size()) == layers() && p.a.back().rows() == target.rows() &&
                    p.a.back().cols() == target.cols() && x.rows() == target.rows(),
                "deeprec_ae: the last forward pass does not match the ", target.rows(), " x ",
                target.cols(), " target");
  const double count = static_cast<double>(target.size());
  if (count == 0) return 0;
  Matrix g = p.a.back() - target;
  const double total = g.cast<double>().squaredNorm() / count;
  if (backward_pass) {
    g *= static_cast<float>(2.0 / count);
    backward(std::move(g), nullptr, &x, p, threads);
  }
  return total;
}

void DeepRecNetwork::code_row(std::span<const int32_t> items, std::span<const float> values,
                              RowVector& h) const {
  METAREC_CHECK(items.size() == values.size(), "deeprec_ae: ", items.size(), " items but ",
                values.size(), " ratings");
  h = b[0].value.row(0);
  for (size_t e = 0; e < items.size(); ++e) {
    METAREC_CHECK(items[e] >= 0 && items[e] < shape.items, "deeprec_ae: item ", items[e],
                  " out of range");
    h.noalias() += values[e] * w[0].value.row(items[e]);
  }
  activate_row(activation_of(0), h);
  RowVector next;
  for (int l = 1; l + 1 < layers(); ++l) {
    bool transposed = false;
    const Matrix& wl = weight_of(l, transposed);
    next = b[l].value.row(0);
    if (transposed) {
      for (Eigen::Index j = 0; j < next.size(); ++j) next[j] += h.dot(wl.row(j));
    } else {
      for (Eigen::Index r = 0; r < wl.rows(); ++r)
        if (h[r] != 0) next.noalias() += h[r] * wl.row(r);
    }
    activate_row(activation_of(l), next);
    std::swap(h, next);
  }
}

float DeepRecNetwork::output_at(std::span<const float> h, int32_t item) const {
  const int l = layers() - 1;
  const Eigen::Map<const RowVector> hv(h.data(), static_cast<Eigen::Index>(h.size()));
  bool transposed = false;
  const Matrix& wl = weight_of(l, transposed);
  const float z = (transposed ? hv.dot(wl.row(item)) : hv.dot(wl.col(item))) + b[l].value(0, item);
  return activate_scalar(activation_of(l), z);
}

void DeepRecNetwork::output_row(std::span<const float> h, std::span<float> out) const {
  const int l = layers() - 1;
  METAREC_CHECK(static_cast<int64_t>(out.size()) == shape.items, "deeprec_ae: output has size ",
                out.size(), ", expected ", shape.items);
  const Eigen::Map<const RowVector> hv(h.data(), static_cast<Eigen::Index>(h.size()));
  Eigen::Map<RowVector> o(out.data(), static_cast<Eigen::Index>(out.size()));
  bool transposed = false;
  const Matrix& wl = weight_of(l, transposed);
  o = b[l].value.row(0);
  if (transposed) {
    for (Eigen::Index i = 0; i < o.size(); ++i) o[i] += hv.dot(wl.row(i));
  } else {
    for (Eigen::Index r = 0; r < wl.rows(); ++r)
      if (hv[r] != 0) o.noalias() += hv[r] * wl.row(r);
  }
  const Activation act = activation_of(l);
  for (float& v : out) v = activate_scalar(act, v);
}

}  // namespace metarec
