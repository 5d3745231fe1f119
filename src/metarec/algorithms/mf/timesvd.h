// timeSVD: biased MF with time-binned item biases and a drifting user bias (Y. Koren,
// "Collaborative Filtering with Temporal Dynamics", KDD 2009, eqs. 6-10), trained by the shared
// lock-free block SGD.
#pragma once

#include <metarec/algorithms/common/factor_model.h>

#include <vector>

namespace metarec {

/// r(u,i,t) = mu + b_u + alpha_u dev_u(t) + b_i + b_{i,bin(t)} + <p_u, q_i>, where
/// dev_u(t) = sign(t - t_u) |t - t_u|^beta with t in days and t_u the user's mean rating day, and
/// bin(t) cuts the training time span into `bins` equal bins.
///
/// Prediction without a time (every score() and predict() call): with predict_at=user_mean
/// (default) the pair is predicted at the user's mean rating time t_u, i.e. the item bias of the
/// bin containing t_u and no drift (dev_u(t_u) = 0), which suits random splits where a user's
/// test ratings fall around their training ones; with predict_at=latest it is predicted at the
/// end of the training span (last bin, dev_u(t_max)), which suits temporal splits. Users without
/// training ratings use the last bin. Without timestamps the model is plain biased MF.
class TimeSvd final : public FactorModel {
 public:
  static ParamSchema schema();
  explicit TimeSvd(const Params& p) : FactorModel("timesvd", p) {}
  void score(int32_t user, std::span<float> out) const override;
  float predict(int32_t user, int32_t item) const override;

 private:
  void do_fit(const Interactions& train, const FitContext& ctx) override;
  void save_extra(ModelWriter& w) const override;
  void load_extra(const ModelReader& r) override;
  /// The time terms b_{i,bin} + alpha_u dev_u at the user's prediction time.
  float time_terms(int32_t user, int32_t item) const;

  int bins_ = 0;                   // 0: no timestamps, no time terms
  std::vector<float> bin_bias_;    // num_items x bins_
  std::vector<float> alpha_;       // num_users
  std::vector<int32_t> user_bin_;  // num_users: the bin used at prediction time
  std::vector<float> user_dev_;    // num_users: dev_u at prediction time
};

namespace detail {

struct TimeSvdRates {
  float lr = 0.01f, reg = 0.02f, lr_bias = 0.01f, reg_bias = 0.02f, lr_alpha = 1e-4f,
        reg_alpha = 0.1f, reg_bin = 0.1f;
};

/// The time-dependent parameters of one rating: the item's bin bias and the user's alpha.
struct TimeSvdRating {
  float* p;
  float* q;
  float* bu;
  float* bi;
  float* bit;    ///< b_{i,bin(t)}
  float* alpha;  ///< alpha_u
  float dev;     ///< dev_u(t)
};

/// One SGD step (the negative gradient of timesvd_rating_loss times the rates). Returns e.
inline float timesvd_step(const TimeSvdRating& x, int k, float mu, float r, const TimeSvdRates& h);

/// 1/2 e^2 + reg/2 (|p|^2 + |q|^2) + reg_bias/2 (bu^2 + bi^2) + reg_bin/2 bit^2
///   + reg_alpha/2 alpha^2.
double timesvd_rating_loss(const TimeSvdRating& x, int k, double mu, double r,
                           const TimeSvdRates& h);

/// sign(t - tu) |t - tu|^beta (days).
double timesvd_dev(double t_days, double tu_days, double beta);

}  // namespace detail
}  // namespace metarec

#include <metarec/algorithms/mf/sgd_kernel.h>

namespace metarec::detail {

inline float timesvd_step(const TimeSvdRating& x, int k, float mu, float r, const TimeSvdRates& h) {
  const float e = r - (mu + *x.bu + *x.alpha * x.dev + *x.bi + *x.bit + sgd_dot(x.p, x.q, k));
  *x.bu += h.lr_bias * (e - h.reg_bias * *x.bu);
  *x.bi += h.lr_bias * (e - h.reg_bias * *x.bi);
  *x.bit += h.lr_bias * (e - h.reg_bin * *x.bit);
  *x.alpha += h.lr_alpha * (e * x.dev - h.reg_alpha * *x.alpha);
  sgd_step_pq(x.p, x.q, k, e, h.lr, h.reg, h.reg);
  return e;
}

}  // namespace metarec::detail
