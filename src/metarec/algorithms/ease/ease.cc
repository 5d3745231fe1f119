// EASE: Gram matrix, in-place Cholesky inverse, scoring and persistence.
#include <metarec/algorithms/ease/ease.h>
#include <metarec/algorithms/ease/item_gram.h>
#include <metarec/core/blas_threads.h>
#include <metarec/core/error.h>
#include <metarec/core/parallel.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>

// LAPACK (from OpenBLAS, which CMake links as the BLAS). The trailing size_t is gfortran's hidden
// length of the character argument.
extern "C" {
void spotrf_(const char* uplo, const int* n, float* a, const int* lda, int* info, size_t uplo_len);
void spotri_(const char* uplo, const int* n, float* a, const int* lda, int* info, size_t uplo_len);
}

namespace metarec {

ParamSchema Ease::schema() {
  return {
      ParamSpec::real("lambda", 300, 0, 1e7,
                      "L2 regularization added to the diagonal of X^T X (larger for denser data)",
                      true)
          .tune(1, 1e5, true),
  };
}

void Ease::do_fit(const Interactions& train, const FitContext& ctx) {
  const int32_t n = train.num_items();
  const double lambda = params().get_float("lambda");
  dense_item_matrix_bytes(n, "ease");
  const size_t nn = static_cast<size_t>(n) * static_cast<size_t>(n);
  // Release any previous model first: the fit's peak memory is one items x items matrix.
  std::vector<float>().swap(b_);
  b_.reserve(nn);  // allocated, not yet touched: advise huge pages before zeroing
  advise_huge_pages(std::span<float>(b_.data(), nn));
  b_.assign(nn, 0.0f);
  std::span<float> a(b_);

  ctx.report(0.0, "Gram matrix");
  add_item_gram_lower(train, ctx.threads, a);
  for (int32_t i = 0; i < n; ++i) a[static_cast<size_t>(i) * n + i] += static_cast<float>(lambda);
  ctx.check_cancel();

  {
    const ScopedBlasThreads blas_threads(resolve_threads(ctx.threads));
    int info = 0;
    ctx.report(0.2, "Cholesky factorization");
    spotrf_("L", &n, a.data(), &n, &info, 1);
    METAREC_CHECK(info == 0,
                  "ease: X^T X + lambda I is not positive definite in float32 (LAPACK "
                  "spotrf info ",
                  info, "); increase lambda (now ", lambda, ")");
    ctx.check_cancel();
    ctx.report(0.45, "inverse");
    spotri_("L", &n, a.data(), &n, &info, 1);
    METAREC_CHECK(info == 0, "ease: inverse failed (LAPACK spotri info ", info, ")");
  }
  ctx.check_cancel();
  ctx.report(0.9, "B = I - P diag(1/diag(P))");
  symmetrize_from_lower(n, a, ctx.threads);
  // P is symmetric now, so row i (row-major) is column i: B[i][j] = -P[i][j] / P[j][j].
  std::vector<float> neg_inv_diag(static_cast<size_t>(n));
  for (int32_t j = 0; j < n; ++j)
    neg_inv_diag[j] =
        static_cast<float>(-1.0 / static_cast<double>(a[static_cast<size_t>(j) * n + j]));
  parallel_for(
      n, ctx.threads,
      [&](int64_t i) {
        float* row = a.data() + static_cast<size_t>(i) * n;
        for (int32_t j = 0; j < n; ++j) row[j] *= neg_inv_diag[j];
        row[i] = 0.0f;
      },
      64);

  popularity_.assign(static_cast<size_t>(n), 0.0f);
  const float scale = 1.0f / (static_cast<float>(train.num_users()) + 1.0f);
  for (int32_t i = 0; i < n; ++i) popularity_[i] = static_cast<float>(train.item_count(i)) * scale;
  ctx.report(1.0, "done");
}

void Ease::add_rows(std::span<const int32_t> items, std::span<float> out) const {
  const size_t n = static_cast<size_t>(num_items());
  std::fill(out.begin(), out.end(), 0.0f);
  float* o = out.data();
  for (int32_t i : items) {
    const float* row = b_.data() + static_cast<size_t>(i) * n;
    for (size_t j = 0; j < n; ++j) o[j] += row[j];
  }
}

void Ease::score(int32_t user, std::span<float> out) const {
  require_fitted();
  auto items = seen_items(user);
  if (items.empty()) {
    std::copy(popularity_.begin(), popularity_.end(), out.begin());
    return;
  }
  add_rows(items, out);
}

void Ease::score_new_user(std::span<const int32_t> items, std::span<const float> values,
                          std::span<float> out) const {
  require_fitted();
  METAREC_CHECK(values.empty() || values.size() == items.size(),
                "fold-in: values and items differ in length");
  for (int32_t i : items)
    METAREC_CHECK(i >= 0 && i < num_items(), "fold-in: item ", i, " out of range");
  if (items.empty()) {
    std::copy(popularity_.begin(), popularity_.end(), out.begin());
    return;
  }
  add_rows(items, out);
}

std::vector<ScoredItem> Ease::similar_items(int32_t item, int k) const {
  require_fitted();
  METAREC_CHECK(item >= 0 && item < num_items(), "item index ", item, " out of range");
  METAREC_CHECK(k > 0, "k must be > 0, got ", k);
  std::vector<float> row(b_.begin() + static_cast<ptrdiff_t>(item) * num_items(),
                         b_.begin() + static_cast<ptrdiff_t>(item + 1) * num_items());
  row[item] = -std::numeric_limits<float>::infinity();
  return top_k(row, k);
}

void Ease::do_save(ModelWriter& w) const {
  const int64_t n = num_items();
  w.add_view("ease.b", std::span<const float>(b_), {n, n});
  w.add_view("ease.popularity", std::span<const float>(popularity_), {n});
}

void Ease::do_load(const ModelReader& r) {
  const int64_t n = num_items();
  b_ = r.f32("ease.b", {n, n});
  popularity_ = r.f32("ease.popularity", {n});
}

}  // namespace metarec
