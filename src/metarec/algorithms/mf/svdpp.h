// SVD++: biased MF whose user vector also sums implicit factors of the items the user rated
// (Y. Koren, "Factorization Meets the Neighborhood: a Multifaceted Collaborative Filtering
// Model", KDD 2008, eq. 15), trained by the shared lock-free block SGD.
#pragma once

#include <metarec/algorithms/common/factor_model.h>

#include <vector>

namespace metarec {

/// r(u,i) = mu + b_u + b_i + <q_i, p_u + |N(u)|^-1/2 sum_{j in N(u)} y_j>, N(u) = u's rated items.
///
/// Training (the efficient variant): at the start of each epoch z_u = |N(u)|^-1/2 sum y_j is
/// computed once per user and held fixed through the epoch; the ratings are swept by block SGD,
/// each rating updating b_u, b_i, p_u, q_i and adding e * q_i to the user's accumulated y-gradient
/// g_u; after the sweep every y_j takes, once per user u with j in N(u) (users in ascending order),
/// the step y_j += lr_y (|N(u)|^-1/2 g_u - reg_y y_j). Applying the y steps after the sweep rather
/// than after each user's visit keeps the sweep lock-free (y_j is shared by all of j's raters) and
/// the y step parallel over items, so results depend on the thread count only through the grid;
/// the price is that an epoch's steps on y_j add up without feedback, so lr_y must be far below
/// lr (ML-100K: 0.001 vs 0.03; 0.003 already overshoots). Scoring caches p_u + z_u.
class SvdPlusPlus final : public FactorModel {
 public:
  static ParamSchema schema();
  explicit SvdPlusPlus(const Params& p) : FactorModel("svdpp", p) {}
  /// The implicit item factors y (num_items x factors, row-major).
  std::span<const float> implicit_factors() const { return y_; }

 private:
  void do_fit(const Interactions& train, const FitContext& ctx) override;
  void save_extra(ModelWriter& w) const override;
  void load_extra(const ModelReader& r) override;
  void effective_user(int32_t user, float* out) const override;
  /// Rebuilds N(u) from the seen items and the cached p_u + z_u from y_.
  void cache_user_vectors();

  std::vector<float> y_;         // num_items x k
  std::vector<float> user_vec_;  // num_users x k: p_u + z_u (derived, not saved)
};

namespace detail {

struct SvdppRates {
  float lr = 0.007f, reg = 0.02f, lr_bias = 0.007f, reg_bias = 0.02f, lr_y = 0.007f, reg_y = 0.02f;
};

/// One SGD step on rating r given the epoch's cached implicit sum z = |N(u)|^-1/2 sum y_j:
/// updates bu, bi, p, q and adds e * q (old q) to g. Returns e.
inline float svdpp_rating_step(float* __restrict p, float* __restrict q, const float* __restrict z,
                               float* __restrict g, float* bu, float* bi, int k, float mu, float r,
                               const SvdppRates& h) {
  float d = 0;
#pragma omp simd reduction(+ : d)
  for (int f = 0; f < k; ++f) d += q[f] * (p[f] + z[f]);
  const float e = r - (mu + *bu + *bi + d);
  *bu += h.lr_bias * (e - h.reg_bias * *bu);
  *bi += h.lr_bias * (e - h.reg_bias * *bi);
#pragma omp simd
  for (int f = 0; f < k; ++f) {
    const float pf = p[f], qf = q[f];
    g[f] += e * qf;
    p[f] = pf + h.lr * (e * qf - h.reg * pf);
    q[f] = qf + h.lr * (e * (pf + z[f]) - h.reg * qf);
  }
  return e;
}

/// The once-per-user step of one implicit factor: y += lr_y (norm * g - reg_y * y).
inline void svdpp_y_step(float* __restrict y, const float* __restrict g, float norm, int k,
                         const SvdppRates& h) {
#pragma omp simd
  for (int f = 0; f < k; ++f) y[f] += h.lr_y * (norm * g[f] - h.reg_y * y[f]);
}

/// The loss of one rating with N(u) = the rows `ys` (each k floats):
/// 1/2 e^2 + reg/2 (|p|^2 + |q|^2) + reg_bias/2 (bu^2 + bi^2) + reg_y/2 sum |y_j|^2.
double svdpp_rating_loss(const float* p, const float* q, float bu, float bi,
                         const std::vector<const float*>& ys, int k, double mu, double r,
                         const SvdppRates& h);

}  // namespace detail
}  // namespace metarec
