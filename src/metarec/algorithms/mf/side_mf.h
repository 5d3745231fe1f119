// Matrix factorization with side features: user attributes and item genres add embeddings to the
// user and item vectors and biases (T. Chen, W. Zhang, Q. Lu, K. Chen, Z. Zheng, Y. Yu,
// "SVDFeature: A Toolkit for Feature-based Collaborative Filtering", JMLR 13, 2012), trained by
// the shared lock-free block SGD.
#pragma once

#include <metarec/algorithms/common/factor_model.h>

#include <span>
#include <vector>

namespace metarec {

/// r(u,i) = mu + b_u + b_i + mean_{a in F(u)} c_a + mean_{g in G(i)} d_g
///          + <p_u + mean_{a in F(u)} A_a, q_i + mean_{g in G(i)} B_g>
/// F(u): the user's categorical attribute values ("gender=F", "occupation=writer"; numbers are
/// categories too) from the data's UserMeta; G(i): the item's genres from ItemMeta. Users and
/// items without ratings keep p_u = 0 / q_i = 0 and b_u = 0 / b_i = 0, so they are scored through
/// their features alone (cold start). Without metadata the model is plain biased MF.
///
/// The feature tables are shared by all users (items), so with several threads each thread
/// updates its own copy during an epoch and the copies' changes are summed at the epoch's end;
/// with one thread the updates are exactly sequential SGD. After training the feature terms are
/// folded into the stored user and item vectors and biases, so scoring costs what biased MF does.
class SideMf final : public FactorModel {
 public:
  static ParamSchema schema();
  explicit SideMf(const Params& p) : FactorModel("side_mf", p) {}
  /// Learned feature embeddings (rows of k floats) and biases, in the order of the vocabularies.
  std::span<const float> user_feature_factors() const { return user_feat_factors_; }
  std::span<const float> item_feature_factors() const { return item_feat_factors_; }

 private:
  void do_fit(const Interactions& train, const FitContext& ctx) override;
  void save_extra(ModelWriter& w) const override;
  void load_extra(const ModelReader& r) override;

  std::vector<float> user_feat_factors_, item_feat_factors_;  // features x k
  std::vector<float> user_feat_bias_, item_feat_bias_;        // features
};

namespace detail {

struct SideMfRates {
  float lr = 0.01f, reg = 0.05f, lr_bias = 0.01f, reg_bias = 0.02f, reg_feature = 0.05f;
};

/// Feature tables: A (user features x k), B (item features x k), c, d their biases.
struct SideMfTables {
  float* A;
  float* B;
  float* c;
  float* d;
};

/// One rating's own parameters and feature lists.
struct SideMfRating {
  float* p;
  float* q;
  float* bu;
  float* bi;
  std::span<const int32_t> user_features;
  std::span<const int32_t> item_features;
};

/// Per-row feature lists (CSR), re-indexed so that list s belongs to the row a band-slot grid
/// stores at slot s (SgdGrid::user_slots / item_slots).
struct FeatureLists {
  std::vector<int64_t> ptr;
  std::vector<int32_t> features;
  std::span<const int32_t> of(int32_t slot) const {
    return {features.data() + ptr[slot], features.data() + ptr[slot + 1]};
  }
  /// The lists of `ptr`/`features` (by id) reordered by `slots` (a permutation of the ids).
  static FeatureLists by_slot(std::span<const int64_t> ptr, std::span<const int32_t> features,
                              std::span<const int32_t> slots);
};

/// One SGD step (the negative gradient of side_mf_rating_loss times the rates) with `scratch` of
/// 2k floats. Returns the error before the step.
inline float side_mf_step(const SideMfRating& x, const SideMfTables& t, int k, float mu, float r,
                          const SideMfRates& h, float* scratch);

/// 1/2 e^2 + reg/2 (|p|^2 + |q|^2) + reg_bias/2 (bu^2 + bi^2 + sum c_a^2 + sum d_g^2)
///   + reg_feature/2 (sum |A_a|^2 + sum |B_g|^2), over the rating's own features.
double side_mf_rating_loss(const SideMfRating& x, const SideMfTables& t, int k, double mu, double r,
                           const SideMfRates& h);

/// The features of every user (CSR: ptr of size num_users + 1) from `meta`: one feature per
/// distinct (attribute, non-empty value); `names` receives "attribute=value".
void user_features(const UserMeta* meta, int32_t num_users, std::vector<int64_t>& ptr,
                   std::vector<int32_t>& features, std::vector<std::string>& names);

}  // namespace detail
}  // namespace metarec

#include <metarec/algorithms/mf/sgd_kernel.h>

namespace metarec::detail {

inline float side_mf_step(const SideMfRating& x, const SideMfTables& t, int k, float mu, float r,
                          const SideMfRates& h, float* scratch) {
  float* __restrict pe = scratch;
  float* __restrict qe = scratch + k;
  const float wu =
      x.user_features.empty() ? 0.0f : 1.0f / static_cast<float>(x.user_features.size());
  const float wi =
      x.item_features.empty() ? 0.0f : 1.0f / static_cast<float>(x.item_features.size());
#pragma omp simd
  for (int f = 0; f < k; ++f) {
    pe[f] = x.p[f];
    qe[f] = x.q[f];
  }
  float bias = mu + *x.bu + *x.bi;
  for (int32_t a : x.user_features) {
    const float* Aa = t.A + static_cast<size_t>(a) * k;
#pragma omp simd
    for (int f = 0; f < k; ++f) pe[f] += wu * Aa[f];
    bias += wu * t.c[a];
  }
  for (int32_t g : x.item_features) {
    const float* Bg = t.B + static_cast<size_t>(g) * k;
#pragma omp simd
    for (int f = 0; f < k; ++f) qe[f] += wi * Bg[f];
    bias += wi * t.d[g];
  }
  const float e = r - (bias + sgd_dot(pe, qe, k));
  *x.bu += h.lr_bias * (e - h.reg_bias * *x.bu);
  *x.bi += h.lr_bias * (e - h.reg_bias * *x.bi);
  for (int32_t a : x.user_features) t.c[a] += h.lr_bias * (wu * e - h.reg_bias * t.c[a]);
  for (int32_t g : x.item_features) t.d[g] += h.lr_bias * (wi * e - h.reg_bias * t.d[g]);
  float* __restrict p = x.p;
  float* __restrict q = x.q;
#pragma omp simd
  for (int f = 0; f < k; ++f) {
    p[f] += h.lr * (e * qe[f] - h.reg * p[f]);
    q[f] += h.lr * (e * pe[f] - h.reg * q[f]);
  }
  for (int32_t a : x.user_features) {
    float* __restrict Aa = t.A + static_cast<size_t>(a) * k;
#pragma omp simd
    for (int f = 0; f < k; ++f) Aa[f] += h.lr * (wu * e * qe[f] - h.reg_feature * Aa[f]);
  }
  for (int32_t g : x.item_features) {
    float* __restrict Bg = t.B + static_cast<size_t>(g) * k;
#pragma omp simd
    for (int f = 0; f < k; ++f) Bg[f] += h.lr * (wi * e * pe[f] - h.reg_feature * Bg[f]);
  }
  return e;
}

}  // namespace metarec::detail
