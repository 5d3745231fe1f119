// Algorithm selectors that learn from the knowledge base, and their leave-one-family-out
// evaluation: the seed's residual contrastive network and its honest rivals (the single best
// algorithm, nearest datasets by meta-features). Selectors in selectors.cc, their evaluation
// in selection_eval.cc.
#pragma once

#include <metarec/core/model_file.h>
#include <metarec/meta/knowledge.h>
#include <metarec/meta/selector_net.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace metarec {

/// Z-scores of meta-features with the training datasets' means and standard deviations (a
/// constant feature gets std 1), clipped to [-5, 5] so one extreme dataset cannot dominate.
struct Standardizer {
  std::vector<double> mean, stddev;
  void fit(const Knowledge& k, const std::vector<size_t>& rows);
  std::vector<double> apply(const std::vector<double>& x) const;
};

class AlgorithmSelector {
 public:
  virtual ~AlgorithmSelector() = default;
  virtual std::string name() const = 0;
  /// Learns from the datasets `train` (indices into k.datasets).
  virtual void fit(const Knowledge& k, const std::vector<size_t>& train) = 0;
  /// One score per algorithm of the knowledge (k.algorithms order); higher is more recommended.
  virtual std::vector<double> score(const std::vector<double>& features) const = 0;
  /// Adds the fitted state to a selector file; false for selectors that keep none and are simply
  /// fitted again from the knowledge when loaded.
  virtual bool save_state(ModelWriter& w) const {
    (void)w;
    return false;
  }
  /// Restores what save_state() wrote; false when the file holds no state for this selector.
  virtual bool load_state(const ModelReader& r) {
    (void)r;
    return false;
  }
};

struct SelectorOptions {
  int neighbours = 5;               ///< nearest-datasets selector
  int trees = 100, tree_depth = 4;  ///< boosted-trees selector (XGBoost)
  SelectorConfig network;           ///< contrastive selector (inputs set from the features)
  /// Contrastive selector: one embedding per algorithm, rows in Knowledge::algorithms order.
  nn::Matrix embeddings;
};

/// The seed's residual contrastive network (selector_net.h) as a selector: meta-features are
/// standardized with the training datasets' statistics, the network is trained to map each
/// training dataset onto the embedding of its best algorithm, and an algorithm's score is the
/// cosine of the prediction with its embedding. "contrastive_listwise" (network.listwise_weight
/// > 0) adds the listwise term, which asks the cosines to order every algorithm by its distance
/// from the best. Not thread-safe (the network keeps activations).
class ContrastiveSelector : public AlgorithmSelector {
 public:
  explicit ContrastiveSelector(SelectorOptions o);
  std::string name() const override {
    return o_.network.listwise_weight > 0 ? "contrastive_listwise" : "contrastive";
  }
  void fit(const Knowledge& k, const std::vector<size_t>& train) override;
  std::vector<double> score(const std::vector<double>& features) const override;
  /// Loss and mean cosine per epoch of the last fit().
  const std::vector<SelectorEpoch>& history() const { return history_; }
  /// Adds the trained state (config, weights, embeddings, standardizer) to a model file, every
  /// key starting with `prefix` (the seed's network, which every selector file carries, has none).
  void save(ModelWriter& w, const std::string& prefix = "") const;
  /// Reads what save() wrote; FormatError naming the file when it is missing or inconsistent.
  static ContrastiveSelector load(const ModelReader& r, const std::string& prefix = "");
  /// The listwise network's state under the prefix "listwise." (alone or inside
  /// ensemble_listwise); the seed's network keeps none here (save() stores it).
  bool save_state(ModelWriter& w) const override;
  bool load_state(const ModelReader& r) override;
  static inline const std::string kListwisePrefix = "listwise.";

 private:
  SelectorOptions o_;
  SelectorConfig cfg_;
  Standardizer z_;
  std::unique_ptr<SelectorNet> net_;
  std::vector<SelectorEpoch> history_;
};

/// One of selector_names(). Throws InvalidArgument otherwise.
std::unique_ptr<AlgorithmSelector> make_selector(const std::string& name, const SelectorOptions& o);
const std::vector<std::string>& selector_names();
/// The XGBoost per-algorithm regressors (boosted_selector.cc).
std::unique_ptr<AlgorithmSelector> make_boosted_selector(const SelectorOptions& o);
/// One XGBoost pairwise ranker over (meta-features, algorithm one-hot) rows grouped by dataset.
std::unique_ptr<AlgorithmSelector> make_ranker_selector(const SelectorOptions& o);

/// One selector's leave-one-family-out results: each family is held out in turn, the selector is
/// trained on the others, and every held-out dataset gets a choice among the algorithms eligible
/// for it. Values are means over datasets within a family, then over families.
struct SelectionResult {
  std::string selector;
  int families = 0, datasets = 0;
  double top1 = 0;      ///< the true best chosen
  double top3 = 0;      ///< the true best within the top 3
  double distance = 0;  ///< normalized distance of the chosen from the best (0 best, 1 worst)
  double distance_secondary = 0;  ///< the same on the secondary metric (NaN without one)
  double spearman = 0;            ///< predicted vs true ranking of the eligible algorithms
  double regret = 0;              ///< best score - chosen score (a failed choice scores 0)
  /// What `auto` would reach if its verification were exact: the best measured score among the
  /// top 3 choices is within 2% of the dataset's best (share of datasets).
  double auto_within_2pct = 0;
  double auto5_within_2pct = 0;  ///< the same verifying the top 5 (`auto --candidates 5`)
  /// The same for every number of candidates: entry m - 1 verifies the top m, m = 1 to
  /// kMaxVerified (auto_within_2pct is entry 2, auto5_within_2pct entry 4).
  static constexpr int kMaxVerified = 10;
  std::vector<double> within_2pct_by_candidates = std::vector<double>(kMaxVerified, 0.0);
  /// Each family's mean Spearman, in the order the families were evaluated.
  std::vector<std::pair<std::string, double>> spearman_by_family;
  /// Every held-out dataset's own outcome, in evaluation order.
  struct Outcome {
    size_t dataset = 0;   ///< index into k.datasets
    double distance = 0;  ///< normalized distance of the chosen algorithm from the best
    int candidates = 0;   ///< the fewest top choices that verify within 2% (kMaxVerified + 1: none)
  };
  std::vector<Outcome> outcomes;
};

/// `secondary` (may be null) holds the same datasets scored by another metric (e.g. precision@10).
SelectionResult evaluate_selection(const Knowledge& k, const std::string& selector,
                                   const SelectorOptions& o, const Knowledge* secondary = nullptr);

/// A reference, not a selector: how well a dataset's algorithm ranking can be read from its
/// *siblings* (the other datasets of its own family, which leave-one-family-out forbids). Each
/// dataset gets the measured scores of the sibling nearest in standardized meta-features as its
/// prediction; families with one dataset are left out. A reference scale for the Spearman
/// column, not a strict upper bound: a selector could combine many families and beat one sibling.
SelectionResult evaluate_sibling_oracle(const Knowledge& k, const Knowledge* secondary = nullptr);

/// How unlike the rest of the knowledge each dataset is, as leave-one-family-out sees it: the
/// Euclidean distance in z-scores (Standardizer, fitted on the other families) to the nearest
/// dataset of another family. The reference scale for a new dataset's novelty, the first distance
/// of nearest_known_datasets().
std::vector<double> family_novelty(const Knowledge& k);

/// Where `novelty` falls on `sorted_scale` (family_novelty() values, sorted, NaN dropped): the
/// share of them strictly below it; 0 for an empty scale.
double novelty_share(const std::vector<double>& sorted_scale, double novelty);

/// A selector's held-out outcomes (r.outcomes) grouped into `bands` equal-count bands of
/// increasing novelty (family_novelty() values, indexed by dataset): per band the novelty range,
/// the datasets, their mean distance from the best, and the share that verifying the top 3 / 7
/// brings within 2% of the best. Means over datasets, not families.
struct NoveltyBand {
  double lo = 0, hi = 0;
  int datasets = 0;
  double distance = 0, within_at_3 = 0, within_at_7 = 0;
};
std::vector<NoveltyBand> novelty_bands(const SelectionResult& r, const std::vector<double>& novelty,
                                       int bands);

/// The `n` datasets of `k` nearest to `features` in the z-scores of `z` (a feature missing on
/// either side adds nothing), nearest first, as (distance, index into k.datasets). The first
/// distance is the dataset's novelty, on the scale of family_novelty() when `z` was fitted on
/// all of k.
std::vector<std::pair<double, size_t>> nearest_known_datasets(const Knowledge& k,
                                                              const Standardizer& z,
                                                              const std::vector<double>& features,
                                                              size_t n);

/// r's mean Spearman over the families that `families` was evaluated on (NaN when none are shared),
/// so that a selector can be compared with the sibling oracle on the same families.
double mean_spearman_over(const SelectionResult& r, const SelectionResult& families);

/// How far each similarity function agrees with cosine (the seed's Table 2): for every query
/// row, the candidates (rows of `candidates`, the query itself left out when `same` is true) are
/// ranked by the function and by cosine; `overlap` is the mean share of the top k they agree on,
/// `spearman` the mean rank correlation of the two score vectors.
struct SimilarityAgreement {
  std::string similarity;
  double overlap = 0, spearman = 0;
};
std::vector<SimilarityAgreement> similarity_study(const nn::Matrix& queries,
                                                  const nn::Matrix& candidates, int k, bool same);

/// Spearman rank correlation of two equal-length vectors (ties get mean ranks); 0 when either is
/// constant or shorter than 2.
double spearman(const std::vector<double>& a, const std::vector<double>& b);

}  // namespace metarec
