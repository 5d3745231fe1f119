// Embedding lookup, sparse backward and initialization.
#include <metarec/core/error.h>
#include <metarec/nn/embedding.h>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace metarec::nn {

void SparseGrad::coalesce() {
  const size_t n = ids.size();
  METAREC_CHECK(static_cast<Eigen::Index>(n) == values.rows(), "SparseGrad: ", n, " ids but ",
                values.rows(), " rows");
  if (n == 0) return;
  bool sorted_distinct = true;
  for (size_t k = 1; k < n && sorted_distinct; ++k) sorted_distinct = ids[k - 1] < ids[k];
  if (sorted_distinct) return;
  // Sort (id, position) keys: positions break ties, so repeated ids are summed in batch order
  // (bit-for-bit repeatable). Plain 64-bit keys sort several times faster than an index sort
  // with a comparator.
  std::vector<uint64_t> keys(n);
  for (size_t k = 0; k < n; ++k)
    keys[k] = static_cast<uint64_t>(static_cast<uint32_t>(ids[k])) << 32 | k;
  std::sort(keys.begin(), keys.end());
  std::vector<int32_t> out_ids;
  out_ids.reserve(n);
  Matrix out(static_cast<Eigen::Index>(n), values.cols());
  Eigen::Index rows = -1;
  for (size_t k = 0; k < n; ++k) {
    const size_t src = static_cast<size_t>(keys[k] & 0xFFFFFFFFu);
    if (out_ids.empty() || out_ids.back() != ids[src]) {
      out_ids.push_back(ids[src]);
      out.row(++rows) = values.row(static_cast<Eigen::Index>(src));
    } else {
      out.row(rows) += values.row(static_cast<Eigen::Index>(src));
    }
  }
  ids = std::move(out_ids);
  values = out.topRows(rows + 1);
}

Matrix SparseGrad::to_dense(Eigen::Index num) const {
  Matrix d = Matrix::Zero(num, values.cols());
  for (size_t k = 0; k < ids.size(); ++k) {
    METAREC_CHECK(ids[k] >= 0 && ids[k] < num, "SparseGrad: id ", ids[k], " outside [0, ", num,
                  ")");
    d.row(ids[k]) += values.row(static_cast<Eigen::Index>(k));
  }
  return d;
}

EmbeddingInit parse_embedding_init(const std::string& name) {
  if (name == "normal") return EmbeddingInit::kNormal;
  if (name == "uniform") return EmbeddingInit::kUniform;
  if (name == "glorot") return EmbeddingInit::kGlorot;
  METAREC_THROW(InvalidArgument, "unknown embedding initialization \"", name,
                "\" (valid: normal, uniform, glorot)");
}

Embedding::Embedding(int64_t num, int dim, EmbeddingInit init, float scale, Rng& rng,
                     const std::string& name) {
  METAREC_CHECK(num > 0 && dim > 0, "Embedding ", name, ": sizes must be > 0, got ", num, " x ",
                dim);
  METAREC_CHECK(scale >= 0 && std::isfinite(scale), "Embedding ", name,
                ": scale must be finite and >= 0, got ", scale);
  table.name = name + ".weight";
  table.value.resize(num, dim);
  float* v = table.value.data();
  const Eigen::Index n = table.value.size();
  switch (init) {
    case EmbeddingInit::kNormal:
      for (Eigen::Index k = 0; k < n; ++k) v[k] = static_cast<float>(scale * rng.normal());
      break;
    case EmbeddingInit::kUniform:
      for (Eigen::Index k = 0; k < n; ++k)
        v[k] = static_cast<float>(scale * (2 * rng.uniform() - 1));
      break;
    case EmbeddingInit::kGlorot: {
      const double bound = std::sqrt(6.0 / static_cast<double>(num + dim));
      for (Eigen::Index k = 0; k < n; ++k)
        v[k] = static_cast<float>(bound * (2 * rng.uniform() - 1));
      break;
    }
  }
}

void Embedding::forward(std::span<const int32_t> ids, Matrix& out) const {
  const int d = dim();
  const int64_t n = num();
  out.resize(static_cast<Eigen::Index>(ids.size()), d);
  for (size_t k = 0; k < ids.size(); ++k) {
    METAREC_CHECK(ids[k] >= 0 && ids[k] < n, table.name, ": id ", ids[k], " outside [0, ", n, ")");
    std::memcpy(out.data() + k * static_cast<size_t>(d), row(ids[k]),
                sizeof(float) * static_cast<size_t>(d));
  }
}

Matrix Embedding::forward(std::span<const int32_t> ids) const {
  Matrix out;
  forward(ids, out);
  return out;
}

SparseGrad Embedding::backward(std::span<const int32_t> ids, const Matrix& dout) const {
  METAREC_CHECK(dout.rows() == static_cast<Eigen::Index>(ids.size()) && dout.cols() == dim(),
                table.name, ": output gradient is ", dout.rows(), "x", dout.cols(), ", expected ",
                ids.size(), "x", dim());
  SparseGrad g;
  g.ids.assign(ids.begin(), ids.end());
  g.values = dout;
  g.coalesce();
  return g;
}

}  // namespace metarec::nn
