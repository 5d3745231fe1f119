// Neural Collaborative Filtering: GMF, MLP and their fusion NeuMF, trained on implicit feedback
// with sampled negatives and binary cross-entropy.
//
// X. He, L. Liao, H. Zhang, L. Nie, X. Hu, T.-S. Chua. Neural Collaborative Filtering. WWW 2017.
#pragma once

#include <metarec/algorithms/recommender.h>
#include <metarec/nn/embedding.h>
#include <metarec/nn/mlp.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

namespace metarec {

/// The three models of the paper.
enum class NcfVariant {
  kGmf,    ///< generalized matrix factorization: h^T (p_u * q_i)
  kMlp,    ///< a ReLU tower over [p_u, q_i]
  kNeuMf,  ///< both, their last layers concatenated before the output
};

/// The sizes of an NCF network, as the paper's section 4.1 describes them: with `factors` = 8 and
/// `layers` = 3 the MLP's hidden layers are 32 -> 16 -> 8 over user and item embeddings of 16
/// each (concatenated: 32). (The authors' released code for ML-1M used embeddings of 32,
/// [64, 32, 16, 8]; the text's sizes are used here and in perf/ncf_torch.py.)
struct NcfShape {
  NcfVariant variant = NcfVariant::kNeuMf;
  int32_t users = 0, items = 0;
  int factors = 8;  ///< GMF embedding size and width of the MLP's last layer
  int layers = 3;   ///< MLP hidden layers, widest first: factors * 2^(layers-1), ..., factors
  /// Each side's MLP embedding size; 0 means the paper's text, half the first hidden layer.
  int embedding = 0;

  bool has_gmf() const { return variant != NcfVariant::kMlp; }
  bool has_mlp() const { return variant != NcfVariant::kGmf; }
  /// Size of each side's MLP embedding: `embedding` if set, else half the first hidden layer,
  /// factors * 2^(layers-2) (at least 1).
  int mlp_embedding() const {
    return embedding > 0 ? embedding : std::max(1, (factors << (layers - 1)) / 2);
  }
  /// Width of the vector the output layer sees (factors, or 2 factors for NeuMF).
  int predictive() const { return (has_gmf() ? factors : 0) + (has_mlp() ? factors : 0); }
};

/// The network: embeddings, MLP tower and output layer, with forward and backward passes over a
/// batch of (user, item) pairs. forward/backward are const and keep their state in a Pass, so
/// threads can process parts of a batch at once (each with its own Pass). Exposed for tests.
///
///   logit(u, i) = h^T z + b,  z = [p_u * q_i (GMF) ; tower([p'_u, q'_i]) (MLP)]
class NcfNetwork {
 public:
  /// One pass's activations and gradients. Embedding gradients are per row of the pass
  /// (n x dim, row k for pair k); dense ones are sums over the pass.
  struct Pass {
    nn::Matrix ug, ig, um, im, x, z, dz;
    nn::Mlp::Pass tower;
    nn::Matrix d_ug, d_ig, d_um, d_im;
    nn::Matrix d_out_w;  ///< predictive x 1
    double d_out_b = 0;
  };

  /// Embeddings N(0, init_std^2) (the paper's 0.01), tower and output Glorot-uniform, biases 0.
  NcfNetwork(const NcfShape& shape, float init_std, Rng& rng);

  Pass new_pass() const;
  /// logits[k] = logit(users[k], items[k]).
  void forward(std::span<const int32_t> users, std::span<const int32_t> items, Pass& p,
               std::span<float> logits) const;
  /// dlogits[k] = dL/dlogit of pair k of the pass's last forward. Fills the pass's embedding row
  /// gradients and adds to its dense sums (tower in p.tower, output in d_out_w, d_out_b).
  void backward(std::span<const float> dlogits, Pass& p) const;
  /// Zeroes the pass's dense gradient sums.
  void clear_dense(Pass& p) const;

  /// Tower weights and biases, then the output weight and bias.
  std::vector<nn::Parameter*> dense_parameters();
  /// The embedding tables the variant uses (GMF user, GMF item, MLP user, MLP item).
  std::vector<nn::Embedding*> embeddings();

  NcfShape shape;
  nn::Embedding user_gmf, item_gmf, user_mlp, item_mlp;
  nn::Mlp tower;
  nn::Parameter out_w;  ///< predictive x 1 (GMF part first for NeuMF)
  nn::Parameter out_b;  ///< 1 x 1
};

/// How one network is trained.
struct NcfTraining {
  int epochs = 20;
  int negatives = 4;  ///< sampled unobserved items per positive, fresh every epoch
  int batch = 256;
  float learning_rate = 1e-3f;
  bool sgd = false;  ///< plain SGD instead of Adam (NeuMF's fine-tuning after pretraining)
  /// Adam on the embedding tables (when not sgd): kCatchUp, lazy Adam that catches each row up
  /// to dense Adam when it is next updated (nn::LazyAdam); kLazy, only the batch's rows move;
  /// kDense, every row at every step (PyTorch's Adam on a dense embedding)
  enum class EmbeddingAdam { kCatchUp, kLazy, kDense };
  EmbeddingAdam embedding_adam = EmbeddingAdam::kCatchUp;
  float reg = 0;              ///< L2 penalty reg/2 |e|^2 on every embedding row looked up, per pair
  float diversity_alpha = 0;  ///< weight of the genre-diversity penalty (see ncf_diversity.h)
  /// Called after each epoch (0-based) outside the parallel region, e.g. to evaluate on
  /// validation data for early stopping (nn::EarlyStopping); training stops when it returns
  /// false. When set, it reports the epoch's progress instead of train_ncf. May be empty.
  std::function<bool(int)> after_epoch;
};

/// Trains `net` on the positives of `train`: each epoch pairs every positive with
/// `negatives` items drawn uniformly among the user's unobserved ones, shuffles, and takes one
/// optimizer step per mini-batch on the mean binary cross-entropy (Adam with lazy updates of the
/// embedding rows in the batch, caught up to dense Adam unless told otherwise, or SGD). Threads run
/// Hogwild over mini-batches (Niu et al. 2011): each takes whole batches, computes their gradients
/// on its own and steps the shared parameters without locks, so there is one parallel region per
/// epoch and no barrier per batch. The users are cut into one band per thread (row_balanced_bands),
/// each band shuffled into its own batches; a thread drains its own band before helping the others,
/// so a user's rows stay on one core for most of the epoch. With one thread and a fixed seed the
/// result is bit-for-bit repeatable; with more, the order of concurrent updates varies from run to
/// run. `progress_lo`/`hi` map the epochs into ctx.report's range.
void train_ncf(NcfNetwork& net, const Interactions& train, const NcfTraining& cfg,
               const FitContext& ctx, uint64_t seed, double progress_lo = 0,
               double progress_hi = 1);

/// Early stopping's validation set: one held-out training positive per user, ranked among
/// `group - 1` items the user never interacted with, as the NCF protocol ranks its test item.
struct NcfValidation {
  int group = 100;                    ///< pairs per user: the positive, then the negatives
  std::vector<int32_t> users, items;  ///< `group` pairs per validation user
  /// Mean NDCG@k of the positives within their groups under `net` (ties count against the
  /// positive, a NaN positive scores 0); 0 for an empty set.
  double ndcg(const NcfNetwork& net, int k, int threads) const;
};

struct NcfValidationSplit {
  Interactions train;  ///< the training entries left (same users and items)
  NcfValidation validation;
};

/// Holds out one uniformly drawn positive of every user with at least two whose unobserved
/// items number at least `negatives`, and draws that many distinct unobserved items for it.
/// Deterministic by seed.
NcfValidationSplit ncf_validation_split(const Interactions& train, int negatives, uint64_t seed);

/// What train_ncf_early_stopping did.
struct NcfEarlyStop {
  int epochs = 0;      ///< epochs trained
  int best_epoch = 0;  ///< the epoch whose weights were kept (1-based; 0: the starting weights)
  double best = 0;     ///< its validation NDCG@10
};

/// train_ncf with early stopping: the validation NDCG@10 is measured before training and after
/// each epoch; training stops once `patience` epochs in a row have not improved on the best (or
/// after cfg.epochs), and `net` gets the best epoch's weights back (the starting ones when no
/// epoch beat them, as when fine-tuning a pretrained NeuMF only hurts).
NcfEarlyStop train_ncf_early_stopping(NcfNetwork& net, const Interactions& train,
                                      const NcfValidation& validation, int patience,
                                      const NcfTraining& cfg, const FitContext& ctx, uint64_t seed,
                                      double progress_lo = 0, double progress_hi = 1);

namespace detail {
/// Cuts users [0, n) into at most `parts` contiguous bands of about equal row counts, where user u
/// owns rows [offset[u], offset[u + 1]) (offset has n + 1 entries). Returns the first user of
/// every band and then n. Every band but the last ends at the first user whose end passes its
/// share; a user heavier than a share still gets a band of its own.
std::vector<int32_t> row_balanced_bands(std::span<const int64_t> offset, int parts);
}  // namespace detail

/// GMF, MLP or NeuMF as a catalog member ("gmf", "ncf_mlp", "neumf"). score() returns the logit
/// (the sigmoid is monotone, so the ranking is the same). Users without training data get zero
/// embeddings: their scores depend on the item alone (a learned popularity-like fallback).
/// NeuMF with `pretrain` first trains GMF and MLP with Adam, then starts from their weights with
/// the output layer [0.5 h_gmf ; 0.5 h_mlp], b = 0.5 (b_gmf + b_mlp), as in the paper, and
/// fine-tunes (`finetune`: the paper's plain SGD at `finetune_learning_rate` by default, or Adam).
///
///   auto m = make_recommender("neumf", {"factors=8", "epochs=20"});
///   m->fit(train, ctx);  auto top = recommend(*m, user, 10);
class Ncf final : public Recommender, public SubsetScorer {
 public:
  static ParamSchema schema(NcfVariant v);
  Ncf(NcfVariant v, const Params& p);
  ~Ncf() override;

  void score(int32_t user, std::span<float> out) const override;
  void score_items(int32_t user, std::span<const int32_t> items,
                   std::span<float> out) const override;
  const NcfNetwork& network() const;
  /// What early stopping did in the last fit, one entry per training stage (GMF, MLP, then the
  /// fine-tuning for a pretrained NeuMF); empty without early stopping. Not saved with the model.
  const std::vector<NcfEarlyStop>& early_stops() const { return early_stops_; }

  /// Early stopping ranks each held-out positive among this many unobserved items.
  static constexpr int kValidationNegatives = 99;

 private:
  void do_fit(const Interactions& train, const FitContext& ctx) override;
  void do_save(ModelWriter& w) const override;
  void do_load(const ModelReader& r) override;
  NcfShape shape_for(int32_t users, int32_t items) const;
  NcfTraining training() const;
  /// Precomputes q'_i W1_item + b1 for every item (the item half of the tower's first layer).
  void prepare_scoring();
  /// out[k] = the logit of (user, item k) for k < count, where item k is items[k], or k itself
  /// when `items` is empty (every item). Shared by score() and score_items().
  void score_some(int32_t user, std::span<const int32_t> items, int64_t count,
                  std::span<float> out) const;

  NcfVariant variant_;
  std::unique_ptr<NcfNetwork> net_;
  nn::Matrix item_first_layer_;  // items x first hidden width
  std::vector<NcfEarlyStop> early_stops_;
};

/// The catalog name of a variant: "gmf", "ncf_mlp", "neumf".
const char* ncf_name(NcfVariant v);

}  // namespace metarec
