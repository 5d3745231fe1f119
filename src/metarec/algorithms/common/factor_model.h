// The shared base of latent-factor models: user factors P (num_users x k), item factors Q
// (num_items x k), optional biases, scoring by dot product, rating prediction, similar items
// and saving/loading. Subclasses only train the parameters.
#pragma once

#include <metarec/algorithms/recommender.h>

#include <vector>

namespace metarec {

/// score(u, i) = mu + b_u + b_i + <P_u, Q_i> (the biases are zero for models without them).
/// Storage is row-major float32: P_u is users_[u*k .. u*k+k). Users without training data score
/// by item bias (+ mu), so they fall back to a popularity-like ranking. Thread-safe to score.
class FactorModel : public Recommender, public RatingPredictor, public ItemSimilarity {
 public:
  using Recommender::Recommender;
  void score(int32_t user, std::span<float> out) const override;
  /// Clipped to the training scale for explicit data.
  float predict(int32_t user, int32_t item) const override;
  /// Cosine similarity of item factors.
  std::vector<ScoredItem> similar_items(int32_t item, int k) const override;

  int factors() const { return k_; }
  std::span<const float> user_factors() const { return users_; }
  std::span<const float> item_factors() const { return items_; }
  std::span<const float> user_bias() const { return user_bias_; }
  std::span<const float> item_bias() const { return item_bias_; }
  double global_mean() const { return mu_; }

 protected:
  /// Sizes the parameters (zeros) and records the clipping range from `train`.
  void init_factors(const Interactions& train, int k, bool biases, double mu = 0);
  /// Fills both factor matrices with N(0, stddev^2) from `seed` (deterministic).
  void randomize(uint64_t seed, float stddev);
  float* user_row(int32_t u) { return users_.data() + static_cast<size_t>(u) * k_; }
  float* item_row(int32_t i) { return items_.data() + static_cast<size_t>(i) * k_; }
  const float* user_row(int32_t u) const { return users_.data() + static_cast<size_t>(u) * k_; }
  const float* item_row(int32_t i) const { return items_.data() + static_cast<size_t>(i) * k_; }
  /// The raw score mu + b_u + b_i + <P_u, Q_i> without clipping.
  float raw(int32_t user, int32_t item) const;

  void do_save(ModelWriter& w) const override;
  void do_load(const ModelReader& r) override;
  /// Subclasses with extra state (e.g. SVD++'s implicit factors) extend these.
  virtual void save_extra(ModelWriter&) const {}
  virtual void load_extra(const ModelReader&) {}
  /// Added to the user vector when scoring (SVD++ overrides to add |N(u)|^-1/2 sum y_j).
  virtual void effective_user(int32_t user, float* out) const;

  int k_ = 0;
  double mu_ = 0;
  float lo_ = 0, hi_ = 0;  // clipping range; lo_ == hi_ disables clipping
  std::vector<float> users_, items_, user_bias_, item_bias_;
};

/// Dot product of two float vectors of length k (auto-vectorized).
inline float dot(const float* a, const float* b, int k) {
  float s = 0;
  for (int f = 0; f < k; ++f) s += a[f] * b[f];
  return s;
}

}  // namespace metarec
