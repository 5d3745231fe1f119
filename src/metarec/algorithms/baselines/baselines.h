// Baselines every comparison needs: Random, MostPopular, GlobalMean, UserMean, ItemMean, and the
// bias baseline of Koren's baseline predictors (global mean + regularized user and item biases).
#pragma once

#include <metarec/algorithms/recommender.h>

#include <vector>

namespace metarec {

/// Scores are a seeded hash of (user, item): uniform random rankings, reproducible by seed.
class RandomRecommender final : public Recommender, public RatingPredictor {
 public:
  static ParamSchema schema();
  explicit RandomRecommender(const Params& p);
  void score(int32_t user, std::span<float> out) const override;
  /// A rating drawn from the training ratings' normal distribution (as Surprise's NormalPredictor).
  float predict(int32_t user, int32_t item) const override;

 private:
  void do_fit(const Interactions& train, const FitContext& ctx) override;
  void do_save(ModelWriter& w) const override;
  void do_load(const ModelReader& r) override;
  uint64_t seed_ = 0;
  double mean_ = 0, std_ = 0;
  float lo_ = 0, hi_ = 0;
};

/// Items ranked by how many training users interacted with them (the same list for everyone).
class MostPopular final : public Recommender {
 public:
  static ParamSchema schema();
  explicit MostPopular(const Params& p) : Recommender("most_popular", p) {}
  void score(int32_t user, std::span<float> out) const override;

 private:
  void do_fit(const Interactions& train, const FitContext& ctx) override;
  void do_save(ModelWriter& w) const override;
  void do_load(const ModelReader& r) override;
  std::vector<float> scores_;
};

/// One of the mean predictors: the global mean, the user's mean or the item's mean, damped
/// towards the global mean by `damping` pseudo-ratings. Ranking uses the item mean for all three
/// (a user mean cannot rank items), so the three differ only as rating predictors.
class MeanPredictor final : public Recommender, public RatingPredictor {
 public:
  enum class Kind { kGlobal, kUser, kItem };
  static ParamSchema schema(Kind kind);
  MeanPredictor(Kind kind, const Params& p);
  void score(int32_t user, std::span<float> out) const override;
  float predict(int32_t user, int32_t item) const override;

 private:
  void do_fit(const Interactions& train, const FitContext& ctx) override;
  void do_save(ModelWriter& w) const override;
  void do_load(const ModelReader& r) override;
  Kind kind_;
  double mu_ = 0;
  float lo_ = 0, hi_ = 0;
  std::vector<float> user_mean_, item_mean_;
};

/// Baseline predictor r(u,i) = mu + b_u + b_i (Koren 2010, "Factor in the neighbors", sec. 2.1),
/// fitted by alternating least squares on the regularized squared error:
///   b_i = sum_u (r - mu - b_u) / (reg_item + n_i),  b_u = sum_i (r - mu - b_i) / (reg_user + n_u).
/// Ranking uses mu + b_u + b_i, i.e. items by their bias.
class BiasBaseline final : public Recommender, public RatingPredictor {
 public:
  static ParamSchema schema();
  explicit BiasBaseline(const Params& p) : Recommender("bias", p) {}
  void score(int32_t user, std::span<float> out) const override;
  float predict(int32_t user, int32_t item) const override;
  std::span<const float> user_bias() const { return bu_; }
  std::span<const float> item_bias() const { return bi_; }
  double global_mean() const { return mu_; }

 private:
  void do_fit(const Interactions& train, const FitContext& ctx) override;
  void do_save(ModelWriter& w) const override;
  void do_load(const ModelReader& r) override;
  double mu_ = 0;
  float lo_ = 0, hi_ = 0;
  std::vector<float> bu_, bi_;
};

}  // namespace metarec
