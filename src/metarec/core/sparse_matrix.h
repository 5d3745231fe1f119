// A compressed sparse row matrix of float32 weights: item-item similarity graphs (KNN, SLIM,
// RP3beta) and other sparse models. Immutable once built; rows hold ascending column indices.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace metarec {

class ModelWriter;
class ModelReader;

class SparseMatrix {
 public:
  SparseMatrix() = default;
  /// Builds from per-row lists (each sorted or not; duplicates within a row are an error).
  static SparseMatrix from_rows(int32_t cols,
                                std::vector<std::vector<std::pair<int32_t, float>>> rows);
  /// Takes compressed arrays as they are: ptr (rows + 1, from 0 to nnz, non-decreasing), and per
  /// row ascending column indices in [0, cols). Throws InvalidArgument when they are not.
  static SparseMatrix from_csr(int32_t cols, std::vector<int64_t> ptr, std::vector<int32_t> idx,
                               std::vector<float> val);

  int32_t rows() const { return static_cast<int32_t>(ptr_.size()) - 1; }
  int32_t cols() const { return cols_; }
  int64_t nnz() const { return static_cast<int64_t>(idx_.size()); }
  std::span<const int32_t> row_indices(int32_t r) const {
    return {idx_.data() + ptr_[r], static_cast<size_t>(ptr_[r + 1] - ptr_[r])};
  }
  std::span<const float> row_values(int32_t r) const {
    return {val_.data() + ptr_[r], static_cast<size_t>(ptr_[r + 1] - ptr_[r])};
  }
  /// out += scale * row r (out has size cols()).
  void add_row(int32_t r, float scale, std::span<float> out) const;
  /// The transpose (cols x rows).
  SparseMatrix transpose() const;
  /// Bytes held by the arrays.
  size_t memory_bytes() const { return ptr_.size() * 8 + idx_.size() * 4 + val_.size() * 4; }

  /// Adds the matrix to `w` without copying it (ModelWriter::add_view): keep it alive and
  /// unchanged until w is written.
  void save(ModelWriter& w, const std::string& prefix) const;
  /// Validates shape, ordering and index ranges; throws FormatError on inconsistency.
  static SparseMatrix load(const ModelReader& r, const std::string& prefix);

 private:
  /// Why the arrays do not form a valid matrix, or empty.
  std::string invalid() const;

  int32_t cols_ = 0;
  std::vector<int64_t> ptr_{0};
  std::vector<int32_t> idx_;
  std::vector<float> val_;
};

}  // namespace metarec
