// Mixture-of-tastes matrix factorization: M. Kula, "Mixture-of-tastes Models for Representing
// Users with Diverse Interests", arXiv:1711.08379, 2017.
#pragma once

#include <metarec/algorithms/common/factor_model.h>

#include <cmath>
#include <vector>

namespace metarec {

/// Each user u has m taste vectors t_u1..t_um and m attention vectors a_u1..a_um (all of size k);
/// item i has an embedding e_i and a bias b_i. The score
///   s(u, i) = sum_t softmax_t(<a_u., e_i>) <t_ut, e_i> + b_i
/// lets the item decide which of the user's tastes it speaks to. Trained on implicit feedback by
/// Hogwild SGD with per-parameter Adagrad over (user, positive, sampled negative) triples, with
/// the BPR loss -log sigmoid(s(u,i) - s(u,j)) or the logistic loss
/// -log sigmoid(s(u,i)) - log sigmoid(-s(u,j)), plus L2 on the touched parameters. With one
/// thread the updates are sequential and the result is bit-for-bit repeatable.
///
/// Storage: the FactorModel item factors and item biases hold e and b; the user factors are
/// unused (zeros) and the tastes and attention vectors are extra tensors (num_users x m x k).
/// Users without training items have zero vectors and rank items by bias.
///
///   auto m = make_recommender("mixture_mf", {"factors=32", "tastes=4"});
class MixtureMf final : public FactorModel {
 public:
  static ParamSchema schema();
  explicit MixtureMf(const Params& p) : FactorModel("mixture_mf", p) {}
  void score(int32_t user, std::span<float> out) const override;
  /// The raw score s(u, i) (not a rating).
  float predict(int32_t user, int32_t item) const override;

  int tastes() const { return m_; }
  /// Row-major num_users x m x k.
  std::span<const float> taste_vectors() const { return tastes_; }
  std::span<const float> attention_vectors() const { return attention_; }

 private:
  void do_fit(const Interactions& train, const FitContext& ctx) override;
  void save_extra(ModelWriter& w) const override;
  void load_extra(const ModelReader& r) override;

  int m_ = 0;
  std::vector<float> tastes_, attention_;
};

namespace detail {

/// s(u, i) without the bias for one user's tastes and attention (m x k each, row-major) and an
/// item embedding e (k). Fills w (m) with the softmax weights and s (m) with the taste scores.
template <typename T>
[[gnu::always_inline]] inline T mixture_score(const T* tastes, const T* attention, const T* e,
                                              int m, int k, T* w, T* s) {
  T amax = -INFINITY;
  for (int t = 0; t < m; ++t) {
    T a = 0, d = 0;
#pragma omp simd reduction(+ : a, d)
    for (int f = 0; f < k; ++f) {
      a += attention[t * k + f] * e[f];
      d += tastes[t * k + f] * e[f];
    }
    w[t] = a;
    s[t] = d;
    amax = a > amax ? a : amax;
  }
  T z = 0;
  for (int t = 0; t < m; ++t) z += (w[t] = std::exp(w[t] - amax));
  T out = 0;
  for (int t = 0; t < m; ++t) out += (w[t] /= z) * s[t];
  return out;
}

/// Adds g * d s(u,i) / d(parameters) to the gradients, given w, s and the score `sbar` from
/// mixture_score:  d/dt_t = w_t e;  d/da_t = w_t (s_t - sbar) e;
///                 d/de = sum_t w_t t_t + w_t (s_t - sbar) a_t.
template <typename T>
[[gnu::always_inline]] inline void mixture_score_grad(const T* tastes, const T* attention,
                                                      const T* e, int m, int k, const T* w,
                                                      const T* s, T sbar, T g, T* g_tastes,
                                                      T* g_attention, T* g_e) {
  for (int t = 0; t < m; ++t) {
    const T gt = g * w[t], ga = g * w[t] * (s[t] - sbar);
#pragma omp simd
    for (int f = 0; f < k; ++f) {
      g_tastes[t * k + f] += gt * e[f];
      g_attention[t * k + f] += ga * e[f];
      g_e[f] += gt * tastes[t * k + f] + ga * attention[t * k + f];
    }
  }
}

/// One training case (user; positive item p with bias bp; negative item n with bias bn): returns
/// the loss (BPR when `bpr`, else logistic) and ADDS its gradients to the g_* buffers (same
/// shapes as the inputs; g_tastes and g_attention m x k). `scratch` holds 4m values.
template <typename T>
[[gnu::always_inline]] inline T mixture_case(bool bpr, int m, int k, const T* tastes,
                                             const T* attention, const T* p, T bp, const T* n, T bn,
                                             T* g_tastes, T* g_attention, T* g_p, T* g_bp, T* g_n,
                                             T* g_bn, T* scratch) {
  T* wp = scratch;
  T* sp = scratch + m;
  T* wn = scratch + 2 * m;
  T* sn = scratch + 3 * m;
  const T xp = mixture_score(tastes, attention, p, m, k, wp, sp);
  const T xn = mixture_score(tastes, attention, n, m, k, wn, sn);
  // log1p(exp(-x)) = -log sigmoid(x), computed stably; its derivative is -sigmoid(-x).
  auto softplus_neg = [](T x) {
    return x > 0 ? std::log1p(std::exp(-x)) : -x + std::log1p(std::exp(x));
  };
  auto sigmoid = [](T x) {
    return x >= 0 ? T(1) / (T(1) + std::exp(-x)) : std::exp(x) / (T(1) + std::exp(x));
  };
  T loss, gp, gn;
  if (bpr) {
    const T x = (xp + bp) - (xn + bn);
    loss = softplus_neg(x);
    gp = -sigmoid(-x);
    gn = -gp;
  } else {
    loss = softplus_neg(xp + bp) + softplus_neg(-(xn + bn));
    gp = -sigmoid(-(xp + bp));
    gn = sigmoid(xn + bn);
  }
  mixture_score_grad(tastes, attention, p, m, k, wp, sp, xp, gp, g_tastes, g_attention, g_p);
  mixture_score_grad(tastes, attention, n, m, k, wn, sn, xn, gn, g_tastes, g_attention, g_n);
  *g_bp += gp;
  *g_bn += gn;
  return loss;
}

}  // namespace detail

}  // namespace metarec
