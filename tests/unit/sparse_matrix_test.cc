// SparseMatrix: construction from row lists and from compressed arrays, and the transpose.
#include <gtest/gtest.h>
#include <metarec/core/error.h>
#include <metarec/core/sparse_matrix.h>

#include <vector>

namespace metarec {
namespace {

using Ids = std::vector<int32_t>;
using Vals = std::vector<float>;

// [[0, 2, 0], [1, 0, 3]] written both ways.
TEST(SparseMatrix, FromRowsSortsAndFromCsrTakesTheSameMatrix) {
  const SparseMatrix a = SparseMatrix::from_rows(3, {{{1, 2.0f}}, {{2, 3.0f}, {0, 1.0f}}});
  const SparseMatrix b = SparseMatrix::from_csr(3, {0, 1, 3}, {1, 0, 2}, {2.0f, 1.0f, 3.0f});
  for (const SparseMatrix* m : {&a, &b}) {
    EXPECT_EQ(m->rows(), 2);
    EXPECT_EQ(m->cols(), 3);
    EXPECT_EQ(m->nnz(), 3);
    EXPECT_EQ(Ids(m->row_indices(1).begin(), m->row_indices(1).end()), (Ids{0, 2}));
    EXPECT_EQ(Vals(m->row_values(1).begin(), m->row_values(1).end()), (Vals{1.0f, 3.0f}));
  }
  const SparseMatrix t = b.transpose();  // [[0, 1], [2, 0], [0, 3]]
  EXPECT_EQ(t.rows(), 3);
  EXPECT_EQ(t.cols(), 2);
  EXPECT_EQ(Ids(t.row_indices(0).begin(), t.row_indices(0).end()), (Ids{1}));
  EXPECT_EQ(Vals(t.row_values(2).begin(), t.row_values(2).end()), (Vals{3.0f}));
}

TEST(SparseMatrix, FromCsrRejectsArraysThatAreNotAMatrix) {
  EXPECT_THROW(SparseMatrix::from_csr(3, {0, 2}, {2, 1}, {1, 1}), InvalidArgument);  // unsorted
  EXPECT_THROW(SparseMatrix::from_csr(3, {0, 2}, {1, 1}, {1, 1}), InvalidArgument);  // repeated
  EXPECT_THROW(SparseMatrix::from_csr(3, {0, 1}, {3}, {1}), InvalidArgument);        // column 3
  EXPECT_THROW(SparseMatrix::from_csr(3, {0, 1}, {0, 1}, {1, 1}), InvalidArgument);  // ptr short
  EXPECT_THROW(SparseMatrix::from_csr(3, {0, 2, 1}, {0}, {1}), InvalidArgument);     // decreases
  EXPECT_THROW(SparseMatrix::from_csr(3, {0, 1}, {0}, {}), InvalidArgument);         // no values
  EXPECT_THROW(SparseMatrix::from_rows(3, {{{1, 1.0f}, {1, 2.0f}}}), InvalidArgument);
}

}  // namespace
}  // namespace metarec
