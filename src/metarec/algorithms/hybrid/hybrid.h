// Hybrid recommenders: weighted and switching combinations of other catalog members (Burke,
// "Hybrid Recommender Systems: Survey and Experiments", User Modeling and User-Adapted
// Interaction 12(4), 2002: the "weighted" and "switching" designs).
//
// The members are named by the `members` parameter, each with its own parameters:
//   members=ease:lambda=200+item_knn:k=50:similarity=cosine   weights=0.7+0.3
// Weighted: each member's scores of a user are standardized over the items (z-scores, so that
// members on different scales mix as the weights say), then added with the weights. Switching:
// users with fewer than `min_ratings` training items are scored by the second member (e.g. a
// content or popularity model), the others by the first. When every member predicts ratings the
// hybrid does too: the weighted mean of the members' predictions, or the switched member's.
// The members' own model files are kept inside the hybrid's file.
#pragma once

#include <metarec/algorithms/recommender.h>

#include <memory>
#include <string>
#include <vector>

namespace metarec {

/// One member of a hybrid as written in the `members` parameter: "name:key=value:key=value".
struct HybridMember {
  std::string algorithm;
  std::vector<std::string> params;  ///< "key=value"
};

/// Parses "a:k=v+b" into members (throws InvalidArgument naming the problem: empty member,
/// unknown algorithm, bad parameter, a hybrid inside a hybrid).
std::vector<HybridMember> parse_hybrid_members(const std::string& text);
/// Parses "0.7+0.3" (non-negative, finite, not all zero); empty text gives `count` equal weights.
std::vector<double> parse_hybrid_weights(const std::string& text, size_t count);

class Hybrid : public Recommender {
 public:
  static ParamSchema schema();
  explicit Hybrid(const Params& params);

  void score(int32_t user, std::span<float> out) const override;

  size_t num_members() const { return members_.size(); }
  const Recommender& member(size_t m) const { return *members_[m]; }
  /// The member that scores `user` (switching), or -1 when all of them do (weighted).
  int member_for(int32_t user) const;

 protected:
  void do_fit(const Interactions& train, const FitContext& ctx) override;
  void do_save(ModelWriter& w) const override;
  void do_load(const ModelReader& r) override;

  bool switching_ = false;
  std::vector<double> weights_;  ///< weighted mode, one per member
  int64_t min_ratings_ = 0;
  std::vector<std::unique_ptr<Recommender>> members_;
};

/// A hybrid whose members all predict ratings.
class RatingHybrid : public Hybrid, public RatingPredictor {
 public:
  using Hybrid::Hybrid;
  float predict(int32_t user, int32_t item) const override;
};

/// A Hybrid, or a RatingHybrid when every member named in `params` predicts ratings.
std::unique_ptr<Recommender> make_hybrid(const Params& params);

}  // namespace metarec
