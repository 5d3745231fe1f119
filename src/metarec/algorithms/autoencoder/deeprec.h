// DeepRec: a deep autoencoder of each user's vector of explicit ratings (one input per item), with
// SELU activations, heavy dropout on the code layer, a masked mean squared error and dense
// re-feeding, for rating prediction.
//
// O. Kuchaiev, B. Ginsburg. Training Deep AutoEncoders for Collaborative Filtering.
// arXiv:1708.01715, 2017 (NVIDIA DeepRecommender).
//
// The network f, for a user's row x (the ratings, zero where unobserved):
//   encoder  h_1 = a(x W_1 + b_1), ..., h_k = a(h_{k-1} W_k + b_k)    items -> e_1 ... -> e_k
//   decoder  the mirror image, e_k -> ... -> e_1 -> items, with its own biases and either its
//            own weights or (tied) the transposes of the encoder's
// with a = SELU, inverted dropout on the code h_k in training, and a linear output layer (or a
// there too, with activate_output). Masked MSE: the mean over a batch's observed ratings of
// (x - f(x))^2; unobserved outputs get no gradient. SGD with momentum (the paper's) or Adam over
// batches of users, an L2 penalty on the weights.
//
// Dense re-feeding: after the step on x, the (dense) output y = f(x) of that training pass, dropout
// included, is treated as a new example, input and target at once, and a second step is taken on
// the mean of (y - f(y))^2 over every item (with a fresh dropout mask). A perfect autoencoder has
// f(f(x)) = f(x); the second step pushes towards that and gives the outputs at unrated items a
// training signal.
//
// Defaults: the paper's Netflix network is 512,512,1024 (about 17.8k items, 477k users); for
// MovieLens-sized data (hundreds to thousands of users) 256,256,512 did better on ML-100K, with the
// paper's dropout 0.8 and momentum 0.9 (docs/neural.md has the runs).
//
// Rating scales: the network sees every rating divided by max(|lo|, |hi|) / 5 of the training
// scale, as input and as target, and its outputs are multiplied back. 1-5 stars enter unchanged, as
// in the paper (the defaults were tuned there); 1-10 or -10..10 ratings are halved. With raw 1-10
// ratings the default step size diverges (anime-caserec); dividing by the maximum itself (ratings
// in [0.2, 1] on ML-100K) trained clearly worse at every step size tried (u1 RMSE 0.979 at best,
// against 0.938).
//
// Predicting: r(u, i) = output i of user u's row, clipped to the rating scale. The output layer is
// the only one that depends on the item, so after fit the model keeps every training user's last
// hidden layer (users x e_1) and a prediction costs O(e_1). Items without training ratings (their
// output was trained only by re-feeding, i.e. on the network's own guesses) get the user's training
// mean; users without training ratings get the item's training mean; both cold, the global mean.
//
// Speed: the first layer reads the sparse row (nnz x e_1, as the other autoencoders in this folder,
// through sparse_input.h); the other products go to single-threaded BLAS through Eigen. Threads
// split each batch into contiguous blocks of rows, one per thread, each running the whole forward
// and backward pass of its rows (two synchronizations per step instead of one per product); the
// blocks' weight gradients are added in block order. One thread gives the same bits every time, and
// so does any fixed thread count.
#pragma once

#include <metarec/algorithms/autoencoder/sparse_input.h>
#include <metarec/algorithms/recommender.h>
#include <metarec/nn/activations.h>
#include <metarec/nn/layers.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace metarec {

/// Sizes and kinds of a DeepRec network: items -> encoder[0] -> ... -> encoder.back() -> ... ->
/// encoder[0] -> items.
struct DeepRecShape {
  int32_t items = 0;
  std::vector<int> encoder = {256, 256, 512};
  bool tied = false;  ///< decoder weights are the encoder's transposes
  nn::Activation activation = nn::Activation::kSelu;
  bool activate_output = false;  ///< apply the activation on the output layer too
  float dropout = 0.8f;          ///< dropout on the code layer in training
};

/// Parses a layer list such as "512,512,1024" (1 to 8 sizes, each in [1, 16384]); throws
/// InvalidArgument otherwise.
std::vector<int> parse_deeprec_layers(const std::string& text);

/// The network's parameters with its batch forward pass, the masked and dense losses and their full
/// backward pass. Training calls (forward with a dropout Rng, the losses) are one at a time, each
/// splitting the batch into `threads` blocks of rows run on OpenMP threads (call it with BLAS
/// single-threaded); code_row(), output_at() and output_row() are const and thread-safe. Exposed
/// for tests.
class DeepRecNetwork {
 public:
  /// One batch's activations: a[l] is layer l's output (rows = the batch's users); the code layer's
  /// dropout mask (empty: none) and the dropped-out code fed to the decoder.
  struct Pass {
    std::vector<nn::Matrix> a;
    nn::Matrix mask, code;
  };

  /// Weights Glorot-uniform, biases zero.
  DeepRecNetwork(const DeepRecShape& shape, Rng& rng);

  /// Number of layers (twice the encoder's).
  int layers() const { return 2 * static_cast<int>(shape.encoder.size()); }
  /// Forward pass of sparse rows (values = ratings) or dense rows (batch x items). With
  /// `dropout_rng`, draws the code layer's dropout mask from it (training); without, no dropout.
  void forward(const SparseRows& x, Pass& p, Rng* dropout_rng, int threads) const;
  void forward(const nn::Matrix& x, Pass& p, Rng* dropout_rng, int threads) const;
  /// Masked MSE of the last forward pass of `x` against x's own values (its observed entries): sum
  /// of squared errors / x's entry count. With `backward`, adds the gradient of every parameter to
  /// its .grad.
  double masked_loss(const SparseRows& x, Pass& p, bool backward, int threads);
  /// MSE over every entry of the last forward pass of dense `x` against `target` (batch x items;
  /// re-feeding passes target = x). With `backward`, adds the gradients (target held constant).
  double dense_loss(const nn::Matrix& x, const nn::Matrix& target, Pass& p, bool backward,
                    int threads);

  /// The last hidden layer (size encoder[0]) of one row from its observed (item, rating) pairs,
  /// without dropout. Thread-safe; uses no BLAS.
  void code_row(std::span<const int32_t> items, std::span<const float> values,
                nn::RowVector& h) const;
  /// Output `item` (unclipped) of a row whose last hidden layer is `h`. Thread-safe.
  float output_at(std::span<const float> h, int32_t item) const;
  /// Every output of such a row into `out` (size items). Thread-safe; uses no BLAS. Agrees with
  /// output_at() up to float rounding (the sums run in another order).
  void output_row(std::span<const float> h, std::span<float> out) const;

  /// The weights (encoder's, then the decoder's unless tied), then the biases of every layer.
  std::vector<nn::Parameter*> parameters();
  std::vector<const nn::Parameter*> parameters() const;
  /// The weights only (what weight decay applies to).
  std::vector<nn::Parameter*> weights();

  DeepRecShape shape;
  /// w: one weight per layer (the encoder's only, when tied); b: one bias per layer.
  std::vector<nn::Parameter> w, b;

 private:
  int width(int l) const;  // output size of layer l
  nn::Activation activation_of(int l) const;
  // Layer l's weight, in x out, or its transpose's owner when `transposed` (tied decoder).
  const nn::Matrix& weight_of(int l, bool& transposed) const;
  // The forward pass of sparse (xs) or dense (xd) rows, one block of rows per thread.
  void run_forward(const SparseRows* xs, const nn::Matrix* xd, Pass& p, Rng* dropout_rng,
                   int threads) const;
  // Backward from g = dL/d(output) of the last forward pass of xs or xd.
  void backward(nn::Matrix g, const SparseRows* xs, const nn::Matrix* xd, Pass& p, int threads);

  SparseRowGradient dw_first_;
  // Per row block: its weight and bias gradient sums (used with more than one block).
  std::vector<std::vector<nn::Matrix>> dw_part_, db_part_;
};

/// How a network is trained (the catalog parameters).
struct DeepRecTraining {
  int epochs = 120;
  int batch = 64;
  float learning_rate = 0.01f;
  bool sgd = true;        ///< SGD with momentum (the paper's); false: Adam
  float momentum = 0.9f;  ///< SGD only
  /// Adds weight_decay * W to each weight's gradient (biases exempt).
  float weight_decay = 1e-3f;
  bool refeed = true;
  /// The ratings are divided by this before they enter the network, as inputs and as targets.
  float rating_scale = 1;
};

/// Trains `net` on the rows of the users of `train` that have ratings: each epoch shuffles them,
/// cuts batches and takes one optimizer step per batch on the masked MSE, then (with refeed) a
/// second on the re-fed dense output. Randomness (order, dropout masks) comes from one Rng in
/// order, so a fixed seed gives the same network bit for bit with one thread. Returns the mean
/// masked loss of the last epoch.
double train_deeprec(DeepRecNetwork& net, const Interactions& train, const DeepRecTraining& cfg,
                     const FitContext& ctx, uint64_t seed);

/// DeepRec ("deeprec_ae") as a catalog member: predict() gives the clipped rating, score() every
/// item's, score_new_user() folds in a user unseen in training from their ratings.
///
///   auto m = make_recommender("deeprec_ae", {"layers=256,256,512", "dropout=0.8"});
///   m->fit(train);  float r = dynamic_cast<RatingPredictor&>(*m).predict(u, i);
class DeepRecAe final : public Recommender, public RatingPredictor, public FoldIn {
 public:
  static ParamSchema schema();
  explicit DeepRecAe(const Params& p);
  ~DeepRecAe() override;

  void score(int32_t user, std::span<float> out) const override;
  float predict(int32_t user, int32_t item) const override;
  void score_new_user(std::span<const int32_t> items, std::span<const float> values,
                      std::span<float> out) const override;
  const DeepRecNetwork& network() const;

 private:
  void do_fit(const Interactions& train, const FitContext& ctx) override;
  void do_save(ModelWriter& w) const override;
  void do_load(const ModelReader& r) override;
  DeepRecShape shape_for(int32_t items) const;
  // Every item's clipped rating for a row with training ratings: the network's output from its last
  // hidden layer `h`, or `row_mean` at items without training ratings.
  void fill(std::span<const float> h, float row_mean, std::span<float> out) const;
  // The last hidden layer of a row of ratings (divided by the rating scale on the way in).
  void code_of(std::span<const int32_t> items, std::span<const float> ratings,
               nn::RowVector& h) const;

  std::unique_ptr<DeepRecNetwork> net_;
  nn::Matrix codes_;  // users x encoder[0]: every training user's last hidden layer
  // Fallbacks: a user's training mean (global mean without ratings), an item's (likewise), and 1 or
  // 0 per item for "has training ratings".
  nn::RowVector user_mean_, item_mean_, item_seen_;
  float global_mean_ = 0, lo_ = 1, hi_ = 5;
};

}  // namespace metarec
