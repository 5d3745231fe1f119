// Matrix factorization of ratings trained by SGD: Funk's unbiased MF and the biased "SVD"
// (S. Funk, "Netflix Update: Try This at Home", 2006; Y. Koren, R. Bell, C. Volinsky, "Matrix
// Factorization Techniques for Recommender Systems", IEEE Computer 42(8), 2009, eq. 5), both on
// the shared lock-free block SGD of sgd_kernel.h.
#pragma once

#include <metarec/algorithms/common/factor_model.h>

namespace metarec {

/// svd:     r(u,i) = mu + b_u + b_i + <p_u, q_i>   (Surprise's SVD)
/// funk_mf: r(u,i) = <p_u, q_i>                    (no mean, no biases)
/// Each rating contributes 1/2 e^2 + reg/2 (|p_u|^2 + |q_i|^2) + reg_bias/2 (b_u^2 + b_i^2) and
/// every epoch takes one SGD step per rating in the grid's seeded order; the learning rate is
/// multiplied by lr_decay after each epoch. Users and items without ratings keep zero factors
/// (they score by item bias).
///
///   auto m = make_recommender("svd", {"factors=64"});
///   m->fit(train);
class Svd final : public FactorModel {
 public:
  /// `biased` selects svd (true) or funk_mf (false).
  static ParamSchema schema(bool biased);
  Svd(bool biased, const Params& p);

 private:
  void do_fit(const Interactions& train, const FitContext& ctx) override;
  bool biased_;
};

namespace detail {

/// Hyper-parameters of one SGD step of (biased) MF.
struct SvdRates {
  float lr = 0.01f, reg = 0.02f, lr_bias = 0.01f, reg_bias = 0.02f;
};

/// One SGD step of biased MF on rating r (bu, bi may be null for the unbiased model): the exact
/// negative gradient of svd_rating_loss times the learning rates. Returns the error before it.
inline float svd_step(float* __restrict p, float* __restrict q, float* bu, float* bi, int k,
                      float mu, float r, const SvdRates& h);

/// svd_step on rating a then on rating b, for two ratings that share neither user nor item: the
/// same arithmetic, with both errors computed before either update so the CPU can overlap them.
inline void svd_step_pair(float* __restrict pa, float* __restrict qa, float* bua, float* bia,
                          float* __restrict pb, float* __restrict qb, float* bub, float* bib, int k,
                          float mu, float ra, float rb, const SvdRates& h);

/// 1/2 (r - mu - bu - bi - <p, q>)^2 + reg/2 (|p|^2 + |q|^2) + reg_bias/2 (bu^2 + bi^2).
double svd_rating_loss(const float* p, const float* q, float bu, float bi, int k, double mu,
                       double r, const SvdRates& h);

}  // namespace detail
}  // namespace metarec

#include <metarec/algorithms/mf/sgd_kernel.h>

namespace metarec::detail {

inline float svd_step(float* __restrict p, float* __restrict q, float* bu, float* bi, int k,
                      float mu, float r, const SvdRates& h) {
  float pred = mu + sgd_dot(p, q, k);
  if (bu) pred += *bu + *bi;
  const float e = r - pred;
  if (bu) {
    *bu += h.lr_bias * (e - h.reg_bias * *bu);
    *bi += h.lr_bias * (e - h.reg_bias * *bi);
  }
  sgd_step_pq(p, q, k, e, h.lr, h.reg, h.reg);
  return e;
}

inline void svd_step_pair(float* __restrict pa, float* __restrict qa, float* bua, float* bia,
                          float* __restrict pb, float* __restrict qb, float* bub, float* bib, int k,
                          float mu, float ra, float rb, const SvdRates& h) {
  float pred_a = mu + sgd_dot(pa, qa, k);
  float pred_b = mu + sgd_dot(pb, qb, k);
  if (bua) {
    pred_a += *bua + *bia;
    pred_b += *bub + *bib;
  }
  const float ea = ra - pred_a, eb = rb - pred_b;
  if (bua) {
    *bua += h.lr_bias * (ea - h.reg_bias * *bua);
    *bia += h.lr_bias * (ea - h.reg_bias * *bia);
    *bub += h.lr_bias * (eb - h.reg_bias * *bub);
    *bib += h.lr_bias * (eb - h.reg_bias * *bib);
  }
  sgd_step_pq(pa, qa, k, ea, h.lr, h.reg, h.reg);
  sgd_step_pq(pb, qb, k, eb, h.lr, h.reg, h.reg);
}

}  // namespace metarec::detail
