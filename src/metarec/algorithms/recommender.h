// The Recommender interface every algorithm implements, its small optional abilities, and
// recommend(), written once for all models.
#pragma once

#include <metarec/core/model_file.h>
#include <metarec/core/params.h>
#include <metarec/core/top_k.h>
#include <metarec/data/interactions.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace metarec {

/// Everything fit() needs besides the data: seed, threads, progress and cancellation.
struct FitContext {
  uint64_t seed = 42;
  int threads = 0;  ///< 0 = all cores
  /// Called with the fraction done in [0, 1] and a short message; may be empty.
  std::function<void(double, const std::string&)> progress;
  /// When set and true, fit() stops at the next check and throws Cancelled.
  const std::atomic<bool>* cancel = nullptr;

  void report(double fraction, const std::string& message = "") const {
    if (progress) progress(fraction, message);
  }
  void check_cancel() const;
};

/// A trained (or trainable) recommender. Public entry points are non-virtual and do the shared
/// work (recording dimensions, the training items to exclude, id maps, the model file's
/// metadata); algorithms implement the do_* hooks. score() is thread-safe after fit/load.
class Recommender {
 public:
  Recommender(std::string algorithm, Params params);
  virtual ~Recommender() = default;
  Recommender(const Recommender&) = delete;
  Recommender& operator=(const Recommender&) = delete;

  /// Trains on `train`. Replaces any previous state.
  void fit(const Interactions& train, const FitContext& ctx = {});
  /// Scores of every item for `user` into `out` (size num_items()); higher is better. Users
  /// without training data get the model's fallback (e.g. popularity or global mean).
  virtual void score(int32_t user, std::span<float> out) const = 0;

  /// Writes the model atomically to `path` (safetensors layout with metarec metadata).
  void save(const std::string& path) const;
  /// Reads a model written by save(); the algorithm is taken from the file.
  static std::unique_ptr<Recommender> load(const std::string& path);
  /// The bytes save() would write: a model file held in memory (a hybrid keeps its members'
  /// files inside its own).
  std::string serialize() const;
  /// Reads a model from bytes made by serialize(), validated as load() validates a file; `name`
  /// stands for the file in error messages.
  static std::unique_ptr<Recommender> deserialize(std::string bytes, const std::string& name);

  const std::string& algorithm() const { return algorithm_; }
  const Params& params() const { return params_; }
  bool fitted() const { return fitted_; }
  int32_t num_users() const { return num_users_; }
  int32_t num_items() const { return num_items_; }
  /// The training items of `user` (sorted), excluded from recommendations by default.
  std::span<const int32_t> seen_items(int32_t user) const;
  const IdMap& user_ids() const { return *user_ids_; }
  const IdMap& item_ids() const { return *item_ids_; }

 protected:
  virtual void do_fit(const Interactions& train, const FitContext& ctx) = 0;
  virtual void do_save(ModelWriter& w) const = 0;
  virtual void do_load(const ModelReader& r) = 0;
  void require_fitted() const;

 private:
  ModelWriter writer() const;
  static std::unique_ptr<Recommender> read(const ModelReader& r);

  std::string algorithm_;
  Params params_;
  bool fitted_ = false;
  int32_t num_users_ = 0, num_items_ = 0;
  std::vector<int64_t> seen_ptr_{0};
  std::vector<int32_t> seen_items_;
  std::shared_ptr<const IdMap> user_ids_, item_ids_;
};

/// Predicts a rating for one (user, item) pair, clipped to the training scale.
class RatingPredictor {
 public:
  virtual ~RatingPredictor() = default;
  virtual float predict(int32_t user, int32_t item) const = 0;
};

/// Items similar to an item.
class ItemSimilarity {
 public:
  virtual ~ItemSimilarity() = default;
  virtual std::vector<ScoredItem> similar_items(int32_t item, int k) const = 0;
};

/// Scores for a user who was not in training, from their items, without refitting.
class FoldIn {
 public:
  virtual ~FoldIn() = default;
  /// `items` sorted, `values` parallel to it (ratings or 1); out has size num_items().
  virtual void score_new_user(std::span<const int32_t> items, std::span<const float> values,
                              std::span<float> out) const = 0;
};

/// Scores of chosen items only, for models whose cost grows with every item scored (a network
/// per item, as NCF's tower): the sampled protocol ranks each test item among 99 others, so it
/// asks for 100 of a catalogue's thousands, and recommend() re-ranks a Filter's `allow` list
/// with it. out[k] is what score() gives items[k], up to float rounding (a matrix product over
/// fewer rows may be blocked differently); items may repeat and come in any order.
class SubsetScorer {
 public:
  virtual ~SubsetScorer() = default;
  virtual void score_items(int32_t user, std::span<const int32_t> items,
                           std::span<float> out) const = 0;
};

/// score_items()'s checks: `model` is fitted, `out` has one entry per item and every item is in
/// [0, model.num_items()).
void check_score_items(const Recommender& model, std::span<const int32_t> items,
                       std::span<const float> out);

/// Restrictions applied by recommend(). `allow` and `deny` are item indices (any order).
struct Filter {
  bool exclude_seen = true;
  std::vector<int32_t> allow;  ///< when non-empty, only these items
  std::vector<int32_t> deny;
};

/// The k best items for `user` under `filter`, best first. Works for every Recommender.
std::vector<ScoredItem> recommend(const Recommender& model, int32_t user, int k,
                                  const Filter& filter = {});

/// Sets the scores of `user`'s training items to -infinity (the shared "exclude seen" step).
void exclude_seen(const Recommender& model, int32_t user, std::span<float> scores);

}  // namespace metarec
