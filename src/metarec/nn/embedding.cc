// Embedding lookup, sparse backward and initialization.
#include <metarec/core/error.h>
#include <metarec/nn/embedding.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
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
  // Positions sorted by id with a stable LSD radix sort, 8 bits per pass and only as many passes
  // as the largest id needs: repeated ids keep their batch order, so their rows are summed in
  // batch order (bit-for-bit repeatable), in O(n) per pass. It replaced a std::sort of
  // (id, position) keys that took a fifth of a GMF epoch (two sorts of 256 ids per batch).
  uint32_t max_id = 0;
  for (size_t k = 0; k < n; ++k) max_id = std::max(max_id, static_cast<uint32_t>(ids[k]));
  std::vector<uint32_t> order(n), next(n);
  for (size_t k = 0; k < n; ++k) order[k] = static_cast<uint32_t>(k);
  for (int shift = 0; shift < 32 && (shift == 0 || (max_id >> shift) != 0); shift += 8) {
    std::array<uint32_t, 257> start{};
    for (size_t k = 0; k < n; ++k)
      ++start[((static_cast<uint32_t>(ids[order[k]]) >> shift) & 255u) + 1];
    for (size_t b = 1; b < start.size(); ++b) start[b] += start[b - 1];
    for (size_t k = 0; k < n; ++k)
      next[start[(static_cast<uint32_t>(ids[order[k]]) >> shift) & 255u]++] = order[k];
    order.swap(next);
  }
  std::vector<int32_t> out_ids;
  out_ids.reserve(n);
  Matrix out(static_cast<Eigen::Index>(n), values.cols());
  Eigen::Index rows = -1;
  for (size_t k = 0; k < n; ++k) {
    const size_t src = order[k];
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
