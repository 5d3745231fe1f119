// SVAE: a sequential variational autoencoder for implicit feedback. A recurrent encoder reads
// the user's items in time order and, after each item, a Gaussian latent code is decoded into a
// softmax over all items that should put its mass on the next items of the sequence.
//
// N. Sachdeva, G. Manco, E. Ritacco, V. Pudi. Sequential Variational Autoencoders for
// Collaborative Filtering. WSDM 2019.
//
// The network, for the items s_0 .. s_{T-1} of a user:
//   e_t = E[s_t]                                  item embedding (dropout in training)
//   h_t = GRU(e_0 .. e_t)                         one GRU layer (nn/gru.h)
//   [mu_t, logvar_t] = tanh(h_t We + be) Wq + bq  encoder
//   z_t = mu_t + eps * exp(logvar_t / 2)          in training; z_t = mu_t to score
//   logits_t = tanh(z_t Wd + bd) Wo + bo          decoder, one logit per item
// The loss of step t < T - 1 is the multinomial negative log-likelihood of the next k items
// s_{t+1} .. s_{t+k} (fewer at the end) under softmax(logits_t), i.e. k log-sum-exp minus their
// logits, plus beta KL(N(mu_t, exp(logvar_t)) || N(0, I)); a batch's loss is the mean over all
// steps of its users. beta follows Mult-VAE's annealing (nn::KlAnnealing). The embedding table
// is updated by lazy Adam (only the rows a batch looked up), every other weight by Adam.
//
// Defaults (chosen on ML-1M, docs/neural.md): embedding 64, GRU 100, hidden 150, latent 64,
// next_k 16, Adam lr 3e-3, batches of 16 users, 20 epochs. The authors' ML-1M code uses embedding
// 256, GRU 200 and k = 4; on ML-1M the larger sizes were slower and no better, and k = 16 was
// better than 4.
//
// Departures from the authors' code, which trains on one user per update, divides the
// likelihood by k, averages the KL term over the steps, and samples z even to score: here
// batches of users (for threads), the likelihood and KL of each step summed as in the paper's
// objective, logvar used consistently as the log-variance (the code samples with exp(logvar) as
// the standard deviation), and the mean to score.
//
// Order (parameter `order`). With order=time (the default) a user whose entries carry
// timestamps that are not all equal is read in time order (ties keep the stored order) and, when
// longer than `max_length`, cut to their latest `max_length` items. A user without such
// timestamps has no order: the stored order (ascending item index, i.e. the order in which items
// first appear in the data) is an artefact that correlates with popularity, and a model trained
// on it learns to predict ever later-indexed items (NDCG@100 0.014 on ML-1M, docs/neural.md). So
// such a user's items are trained in a fresh random order each epoch (a random max_length of them
// when there are more) and scored in a fixed pseudo-random order of the catalogue (the same for
// every user): the model learns to complete a set. order=shuffled treats every user so, ignoring
// timestamps (better when the held-out items are a random sample rather than the latest ones);
// order=stored keeps the stored order of untimed users.
//
// Scoring a training user runs their history through the GRU once at the end of fit and keeps
// the last state (users x rnn floats, saved with the model); score() then costs one pass of the
// encoder and decoder. New users are folded in from their items (FoldIn: as untimed;
// HistoryFoldIn: with their timestamps).
#pragma once

#include <metarec/algorithms/history_fold_in.h>
#include <metarec/algorithms/recommender.h>
#include <metarec/nn/embedding.h>
#include <metarec/nn/gru.h>
#include <metarec/nn/mlp.h>

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace metarec {

/// Sizes of an SVAE network.
struct SvaeShape {
  int32_t items = 0;
  int embedding = 64;
  int rnn = 100;
  int hidden = 150;
  int latent = 64;
};

/// The network's parameters, the forward pass over one sequence and the loss's full backward
/// pass. All methods but add_gradients() are const: threads may run passes at once, each with its
/// own Pass, while no one changes the weights. Exposed for tests.
class SvaeNetwork {
 public:
  /// One sequence's activations and the gradient sums of its backward passes.
  struct Pass {
    nn::Matrix e;     ///< n x embedding: the inputs' embeddings, times the dropout mask
    nn::Matrix mask;  ///< n x embedding inverted-dropout mask, or empty (none); set by caller
    nn::Matrix eps;   ///< n x latent reparameterization noise, or empty (z = mu); set by caller
    nn::Matrix z;     ///< n x latent
    /// At least n x items: its first n rows hold the logits of the last forward pass, then
    /// dL/dlogits after a backward loss(). It only grows, so sequences reuse its memory.
    nn::Matrix logits;
    nn::Matrix d_emb;  ///< n x embedding: dL/d(embedding row) of each input, after backward
    nn::Gru::Pass gru;
    nn::Mlp::Pass encoder, decoder;
    nn::Matrix d_out_w, d_out_b;  ///< gradient sums of the output layer
    Eigen::Index steps = 0;       ///< n of the last forward pass
  };

  /// Embedding N(0, 1) (PyTorch's default), GRU uniform +-1/sqrt(rnn), the other weights
  /// Glorot-uniform with zero biases.
  SvaeNetwork(const SvaeShape& shape, Rng& rng);

  /// A pass with zeroed gradient sums.
  Pass new_pass() const;
  /// Forward pass over `inputs` (item indices in sequence order, at least one), with p.mask and
  /// p.eps when they are non-empty (sizes inputs x embedding and inputs x latent).
  void forward(std::span<const int32_t> inputs, Pass& p) const;
  /// Loss of the last forward pass, whose inputs were sequence[0 .. n-1] of `sequence` (n + 1
  /// items): scale * sum over steps t of [NLL of sequence[t+1 .. t+k] + beta KL_t]. With
  /// `backward`, fills p.d_emb and adds the gradients of the GRU, encoder and decoder to the
  /// pass's sums (p.logits becomes dL/dlogits).
  double loss(std::span<const int32_t> sequence, int k, float beta, float scale, Pass& p,
              bool backward) const;
  /// Adds a pass's gradient sums into the GRU's, encoder's and decoder's parameters' grad and
  /// zeroes them in the pass. Not thread-safe.
  void add_gradients(Pass& p);

  /// The GRU's last state after `items` (sequence order; empty: the zero initial state).
  void last_state(std::span<const int32_t> items, nn::RowVector& h) const;
  /// The logits of every item from a GRU state (z = mu): `out` has size items.
  void score_state(const nn::RowVector& h, std::span<float> out) const;

  /// Every weight but the embedding table: the GRU's, the encoder's, the decoder's hidden layer's,
  /// then the output layer's (Wo, bo).
  std::vector<nn::Parameter*> dense_parameters();
  /// The embedding table, then dense_parameters().
  std::vector<nn::Parameter*> parameters();

  SvaeShape shape;
  nn::Embedding embedding;
  nn::Gru gru;
  nn::Mlp encoder;  ///< rnn -> hidden (tanh) -> 2 latent
  nn::Mlp decoder;  ///< latent -> hidden (tanh)
  /// The output layer, hidden -> items (apart from the decoder's Mlp so that its large n x items
  /// products run in place in Pass::logits).
  nn::Parameter out_w, out_b;
};

/// One user's training sequence.
struct SvaeSequence {
  std::vector<int32_t> items;  ///< in time order (timed) or any order (shuffled)
  bool shuffled = false;       ///< train in a fresh random order each epoch
};

/// How an SVAE network is trained (the catalog parameters).
struct SvaeTraining {
  int epochs = 20;
  int batch = 16;  ///< users per update
  float learning_rate = 3e-3f;
  float dropout = 0;  ///< on the input embeddings
  float beta_max = 0.2f;
  float anneal_fraction = 0.8f;
  int next_k = 16;
  int max_length = 0;  ///< > 0: a longer sequence trains on its latest (shuffled: random) ones
};

/// Trains `net` on `sequences` (those of fewer than 2 items are skipped): each epoch shuffles
/// them, cuts batches and takes one Adam step per batch. The users of a batch run in parallel on
/// up to ctx.threads threads (each with its own pass, summed in a fixed order); the order, noise
/// and dropout of a user come from a random stream fixed by the seed, the epoch and the user's
/// place in the epoch, so with one thread a fixed seed gives the same model bit for bit, and
/// with more the same within rounding. Returns the mean loss of the last epoch's batches.
double train_svae(SvaeNetwork& net, const std::vector<SvaeSequence>& sequences,
                  const SvaeTraining& cfg, const FitContext& ctx, uint64_t seed);

/// SVAE ("svae") as a catalog member. score() returns the logits of the user's last step (the
/// softmax is monotone); users without training entries get the logits of the zero GRU state.
///
///   auto m = make_recommender("svae", {"epochs=20"});
///   m->fit(train, ctx);  auto top = recommend(*m, user, 10);
class Svae final : public Recommender, public FoldIn, public HistoryFoldIn {
 public:
  static ParamSchema schema();
  explicit Svae(const Params& p);
  ~Svae() override;

  void score(int32_t user, std::span<float> out) const override;
  /// Folds in a user from `items` without timestamps (values ignored).
  void score_new_user(std::span<const int32_t> items, std::span<const float> values,
                      std::span<float> out) const override;
  /// Folds in a user from `items` with their timestamps (values ignored; times ignored with
  /// order=shuffled).
  void score_new_history(std::span<const int32_t> items, std::span<const float> values,
                         std::span<const int64_t> times, std::span<float> out) const override;
  const SvaeNetwork& network() const;

  /// `items` in time order when `times` (parallel to it, or empty) are not all equal, else as
  /// given; sets *timed accordingly when non-null. Equal times keep the given order.
  static std::vector<int32_t> in_time_order(std::span<const int32_t> items,
                                            std::span<const int64_t> times, bool* timed = nullptr);
  /// `items` in the fixed pseudo-random order of the catalogue that untimed histories are scored
  /// in (a hash of the item index; the same for every user and every model).
  static std::vector<int32_t> in_catalogue_order(std::span<const int32_t> items);

 private:
  void do_fit(const Interactions& train, const FitContext& ctx) override;
  void do_save(ModelWriter& w) const override;
  void do_load(const ModelReader& r) override;
  SvaeShape shape_for(int32_t items) const;
  // The scores of a history: timed ones as given, untimed ones in catalogue order (as given
  // with order=stored); the latest max_length items.
  void score_history(std::vector<int32_t> items, bool timed, std::span<float> out) const;
  // Puts a history in the order it is scored in and cuts it to max_length.
  void prepare(std::vector<int32_t>& items, bool timed) const;

  std::unique_ptr<SvaeNetwork> net_;
  nn::Matrix user_state_;  // num_users x rnn: the GRU's last state over each training history
};

}  // namespace metarec
