// The seed design's selector network: a residual MLP that maps a dataset's meta-features into the
// space of algorithm embeddings, its contrastive loss on the cosine-similarity matrix, training
// (Adam, 300 epochs, lr 1e-3, dropout 0.3) and the similarity functions of the seed's study.
//
//   x (F) -> fc1 (H) -> LayerNorm -> ReLU -> Dropout -> fc2 (H) -> LayerNorm -> ReLU -> Dropout
//         -> + fc1 output (skip) -> fc3 (H) -> LayerNorm -> + previous sum (skip) -> fc_out (D)
//
// With F = 50, H = 256, D = 768 its linear layers hold exactly 342,016 weights (biases included).
#pragma once

#include <metarec/nn/layers.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace metarec {

struct SelectorConfig {
  int inputs = 50, hidden = 256, outputs = 768;
  float dropout = 0.3f;
  float learning_rate = 1e-3f;
  float weight_decay = 0;
  int epochs = 300;
  int batch = 32;            ///< examples per Adam step (shuffled every epoch)
  float margin = 0.2f;       ///< incorrect pairs are pushed below this cosine
  float hard_weight = 1.0f;  ///< extra weight on the most similar incorrect algorithm
  /// Weight of the listwise term (listwise_loss) added to the seed's loss; 0 trains the seed's
  /// design exactly.
  float listwise_weight = 0;
  float listwise_temperature = 0.1f;  ///< of both softmaxes of the listwise term
  uint64_t seed = 42;
};

class SelectorNet {
 public:
  explicit SelectorNet(const SelectorConfig& c);
  /// x: n x inputs -> n x outputs. `training` switches dropout on.
  nn::Matrix forward(const nn::Matrix& x, bool training);
  /// Backpropagates d(loss)/d(output) of the last forward pass into the parameters' gradients.
  void backward(const nn::Matrix& dout);
  std::vector<nn::Parameter*> parameters();
  /// Weights and biases of the four linear layers.
  int64_t linear_weight_count() const;

 private:
  Rng rng_;
  nn::Linear fc1_, fc2_, fc3_, out_;
  nn::LayerNorm ln1_, ln2_, ln3_;
  nn::Relu relu1_, relu2_;
  nn::Dropout drop1_, drop2_;
};

/// The contrastive loss on S (n x A cosine similarities of predictions and algorithm embeddings),
/// with y[i] the correct algorithm of example i:
///   L_i = (1 - S[i,y]) + mean_{j != y} max(0, S[i,j] - margin)
///         + hard_weight * max(0, S[i,h] - S[i,y] + margin),  h = argmax_{j != y} S[i,j]
/// averaged over the n examples: pull the correct pair up, push every incorrect one below the
/// margin, and the most similar incorrect one below the correct one by the margin.
/// Returns the loss; fills `ds` (n x A) with its gradient when non-null.
double contrastive_loss(const nn::Matrix& s, const std::vector<int>& y, float margin,
                        float hard_weight, nn::Matrix* ds);

/// The listwise term: on each row of S, the cross-entropy between a softmax of the eligible
/// algorithms' distances from the best (p_j ~ exp(-D[i,j] / T)) and a softmax of their
/// similarities (q_j ~ exp(S[i,j] / T)):
///   L_i = -sum_j p_j log q_j,  dL_i/dS[i,j] = (q_j - p_j) / T,
/// averaged over the rows. D holds normalized distances in [0, 1], NaN for an ineligible
/// algorithm (left out of both softmaxes). The seed's loss only names the best algorithm; this
/// term asks the similarities to order all of them. Fills `ds` (n x A) when non-null.
double listwise_loss(const nn::Matrix& s, const nn::Matrix& d, float temperature, nn::Matrix* ds);

struct SelectorEpoch {
  double loss = 0;         ///< mean training loss
  double mean_cosine = 0;  ///< mean cosine of predictions with their correct embedding
};

/// Trains `net` on meta-features X (n x inputs) labelled with y (index into the rows of
/// `embeddings`, A x outputs). With c.listwise_weight > 0, `distances` (n x A, see
/// listwise_loss) feeds the listwise term. Deterministic by the config's seed. `on_epoch` may be
/// empty.
std::vector<SelectorEpoch> train_selector(
    SelectorNet& net, const nn::Matrix& x, const std::vector<int>& y, const nn::Matrix& embeddings,
    const SelectorConfig& c, const std::function<void(int, const SelectorEpoch&)>& on_epoch = {},
    const nn::Matrix& distances = {});

/// The seed's similarity gap of each example: S[i,y] - max_{j != y} S[i,j] (positive: the correct
/// algorithm is the most similar).
std::vector<double> similarity_gaps(const nn::Matrix& s, const std::vector<int>& y);

/// Similarity functions of the seed's study, all on vectors x, y:
///   cosine; iht = 1 - tanh(arccos(cosine)); sigmoid_dot = 1 / (1 + exp(-x.y));
///   relu_cosine = max(0, cosine); tanh_dot = tanh(x.y);
///   norm_contrast = cosine * min(|x|, |y|) / max(|x|, |y|) (the seed names it without a
///   definition; this one contrasts direction and length).
double similarity(const std::string& name, const float* x, const float* y, int dim);
const std::vector<std::string>& similarity_names();

}  // namespace metarec
