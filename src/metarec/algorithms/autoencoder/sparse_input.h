// Building blocks shared by the autoencoders whose first layer reads a sparse
// row of items (Mult-VAE / Mult-DAE, CDAE): the batch of input rows in CSR
// form with its corruption (inverted dropout), the weight initializations, and
// the first layer's weight gradient X^T D accumulated item by item.
//
// The sparse first layer costs nnz(x) * width instead of items * width, and its
// weight gradient touches only the rows of the batch's items.
#pragma once

#include <metarec/core/rng.h>
#include <metarec/nn/layers.h>

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace metarec {

/// A batch of sparse input rows in CSR form (row r's entries are [ptr[r], ptr[r
/// + 1])).
struct SparseRows {
  std::vector<int64_t> ptr{0};
  std::vector<int32_t> index;
  std::vector<float> value;

  int64_t rows() const { return static_cast<int64_t>(ptr.size()) - 1; }
  void clear() {
    ptr.assign(1, 0);
    index.clear();
    value.clear();
  }
  /// Appends a row: `items` with value 1 / sqrt(size) (the L2-normalized binary
  /// row), each kept with probability 1 - dropout and then scaled by 1 / (1 -
  /// dropout) (inverted dropout; one rng.uniform() per item when dropout > 0,
  /// none otherwise).
  void add_normalized(std::span<const int32_t> items, float dropout, Rng& rng);
  /// Appends the binary row of `items` (value 1 each) corrupted like
  /// add_normalized(): each kept with probability 1 - dropout and scaled by
  /// 1 / (1 - dropout), one rng.uniform() per item when dropout > 0.
  void add_dropped(std::span<const int32_t> items, float dropout, Rng& rng);
  /// Appends a row of `items` with value 1 each (the binary target).
  void add_binary(std::span<const int32_t> items);
};

/// Sets `p` to an in x out weight drawn Glorot-uniform, +-sqrt(6 / (in + out)),
/// with a zero gradient.
void init_glorot(nn::Parameter& p, const std::string& name, int64_t in, int64_t out, Rng& rng);
/// Sets `p` to a 1 x out bias drawn N(0, 0.001^2), with a zero gradient.
void init_small_bias(nn::Parameter& p, const std::string& name, int64_t out, Rng& rng);

/// Accumulates grad += X^T D for a sparse X (the rows of a batch, columns
/// indexing grad's rows) and a dense D (one row per batch row): each touched
/// row of grad is summed by one thread, in batch-row order, so the result does
/// not depend on the thread count. Keeps its scratch between calls; not
/// thread-safe.
class SparseRowGradient {
 public:
  void accumulate(const SparseRows& x, const nn::Matrix& d, nn::Matrix& grad, int threads);

 private:
  std::vector<std::vector<std::pair<int32_t, float>>> by_row_;  // grad row -> (batch row, x value)
};

}  // namespace metarec
