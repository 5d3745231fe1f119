// Embedding tables (num x dim rows looked up by id) with sparse gradients: a batch's backward
// pass yields only the rows it looked up, duplicates summed, so optimizers can update just
// those rows (see optim.h: SparseSgd, SparseAdagrad, LazyAdam).
#pragma once

#include <metarec/core/rng.h>
#include <metarec/nn/layers.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace metarec::nn {

/// The gradient of a loss with respect to some rows of a table: row ids[k] of the table has
/// gradient values.row(k). After coalesce() the ids are sorted and distinct.
struct SparseGrad {
  std::vector<int32_t> ids;
  Matrix values;  ///< ids.size() x dim

  bool empty() const { return ids.empty(); }
  /// Sorts the rows by id and sums the rows of repeated ids.
  void coalesce();
  /// The dense num x dim equivalent (for tests and small tables).
  Matrix to_dense(Eigen::Index num) const;
};

/// How an embedding table is initialized.
enum class EmbeddingInit {
  kNormal,   ///< N(0, scale^2)
  kUniform,  ///< uniform in [-scale, scale]
  kGlorot,   ///< uniform in [-b, b], b = sqrt(6 / (num + dim)) (scale unused), as Keras does
};

/// Parses "normal", "uniform" or "glorot"; InvalidArgument otherwise.
EmbeddingInit parse_embedding_init(const std::string& name);

/// A num x dim float32 table. forward() gathers rows, backward() scatters the output gradient
/// back into a SparseGrad. Both are const, so any number of threads may look up and
/// differentiate concurrently; only the optimizer step writes the table.
///
///   Embedding users(num_users, 8, EmbeddingInit::kNormal, 0.01f, rng, "user");
///   Matrix e = users.forward(ids);            // ids.size() x 8
///   SparseGrad g = users.backward(ids, de);   // de: ids.size() x 8
class Embedding {
 public:
  Embedding() = default;
  Embedding(int64_t num, int dim, EmbeddingInit init, float scale, Rng& rng,
            const std::string& name);

  /// The rows of `ids` (each in [0, num)), one output row per id: ids.size() x dim.
  Matrix forward(std::span<const int32_t> ids) const;
  /// The same into `out` (resized), without allocating when its size already fits.
  void forward(std::span<const int32_t> ids, Matrix& out) const;
  /// Gradient of the loss with respect to the table, given dL/d(output) of forward(ids):
  /// coalesced (sorted distinct ids, duplicate rows summed).
  SparseGrad backward(std::span<const int32_t> ids, const Matrix& dout) const;

  int64_t num() const { return table.value.rows(); }
  int dim() const { return static_cast<int>(table.value.cols()); }
  const float* row(int32_t id) const {
    return table.value.data() + static_cast<size_t>(id) * dim();
  }
  float* row(int32_t id) { return table.value.data() + static_cast<size_t>(id) * dim(); }

  /// The table; table.grad is left empty (gradients are sparse). Public so models can save,
  /// load and initialize it directly.
  Parameter table;
};

}  // namespace metarec::nn
