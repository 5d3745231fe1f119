// SparseMatrix construction, transpose and persistence.
#include <metarec/core/error.h>
#include <metarec/core/model_file.h>
#include <metarec/core/sparse_matrix.h>

#include <algorithm>

namespace metarec {

SparseMatrix SparseMatrix::from_rows(int32_t cols,
                                     std::vector<std::vector<std::pair<int32_t, float>>> rows) {
  SparseMatrix m;
  m.cols_ = cols;
  m.ptr_.assign(rows.size() + 1, 0);
  size_t total = 0;
  for (const auto& r : rows) total += r.size();
  m.idx_.reserve(total);
  m.val_.reserve(total);
  for (size_t r = 0; r < rows.size(); ++r) {
    auto& row = rows[r];
    std::sort(row.begin(), row.end());
    for (size_t k = 0; k < row.size(); ++k) {
      METAREC_CHECK(row[k].first >= 0 && row[k].first < cols, "sparse matrix: column ",
                    row[k].first, " out of range");
      METAREC_CHECK(k == 0 || row[k].first != row[k - 1].first, "sparse matrix: duplicate column ",
                    row[k].first, " in row ", r);
      m.idx_.push_back(row[k].first);
      m.val_.push_back(row[k].second);
    }
    m.ptr_[r + 1] = static_cast<int64_t>(m.idx_.size());
    std::vector<std::pair<int32_t, float>>().swap(row);
  }
  return m;
}

SparseMatrix SparseMatrix::from_csr(int32_t cols, std::vector<int64_t> ptr,
                                    std::vector<int32_t> idx, std::vector<float> val) {
  SparseMatrix m;
  m.cols_ = cols;
  m.ptr_ = std::move(ptr);
  m.idx_ = std::move(idx);
  m.val_ = std::move(val);
  const std::string why = m.invalid();
  METAREC_CHECK(why.empty(), "sparse matrix: ", why);
  return m;
}

std::string SparseMatrix::invalid() const {
  if (ptr_.empty() || ptr_.front() != 0 || ptr_.back() != nnz() || val_.size() != idx_.size())
    return "row pointers do not match the entries";
  for (int32_t row = 0; row < rows(); ++row)
    if (ptr_[row] > ptr_[row + 1]) return "row pointers decrease";
  for (int32_t row = 0; row < rows(); ++row) {
    for (int64_t p = ptr_[row]; p < ptr_[row + 1]; ++p)
      if (idx_[p] < 0 || idx_[p] >= cols_ || (p > ptr_[row] && idx_[p] <= idx_[p - 1]))
        return "column indices out of range or unsorted";
  }
  return {};
}

void SparseMatrix::add_row(int32_t r, float scale, std::span<float> out) const {
  const int64_t b = ptr_[r], e = ptr_[r + 1];
  for (int64_t p = b; p < e; ++p) out[idx_[p]] += scale * val_[p];
}

SparseMatrix SparseMatrix::transpose() const {
  SparseMatrix t;
  t.cols_ = rows();
  t.ptr_.assign(static_cast<size_t>(cols_) + 1, 0);
  for (int32_t c : idx_) ++t.ptr_[static_cast<size_t>(c) + 1];
  for (int32_t c = 0; c < cols_; ++c) t.ptr_[c + 1] += t.ptr_[c];
  t.idx_.resize(idx_.size());
  t.val_.resize(val_.size());
  std::vector<int64_t> next(t.ptr_.begin(), t.ptr_.end() - 1);
  for (int32_t r = 0; r < rows(); ++r)
    for (int64_t p = ptr_[r]; p < ptr_[r + 1]; ++p) {
      const int64_t q = next[idx_[p]]++;
      t.idx_[q] = r;
      t.val_[q] = val_[p];
    }
  return t;
}

void SparseMatrix::save(ModelWriter& w, const std::string& prefix) const {
  const int64_t shape[2] = {rows(), cols_};
  w.add(prefix + ".shape", std::span<const int64_t>(shape, 2), {2});
  w.add_view(prefix + ".ptr", std::span<const int64_t>(ptr_), {static_cast<int64_t>(ptr_.size())});
  w.add_view(prefix + ".idx", std::span<const int32_t>(idx_), {nnz()});
  w.add_view(prefix + ".val", std::span<const float>(val_), {nnz()});
}

SparseMatrix SparseMatrix::load(const ModelReader& r, const std::string& prefix) {
  auto shape = r.i64(prefix + ".shape", {2});
  SparseMatrix m;
  m.cols_ = static_cast<int32_t>(shape[1]);
  m.ptr_ = r.i64(prefix + ".ptr", {shape[0] + 1});
  m.idx_ = r.i32(prefix + ".idx");
  m.val_ = r.f32(prefix + ".val", {static_cast<int64_t>(m.idx_.size())});
  const std::string why = m.invalid();
  if (!why.empty()) throw FormatError(r.path(), 0, prefix + ": " + why);
  return m;
}

}  // namespace metarec
