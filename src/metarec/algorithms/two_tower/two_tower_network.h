// The two-tower network: a user tower and an item tower, each an MLP over concatenated id and
// side-information embeddings, with L2-normalized outputs scored by a tempered dot product and
// trained with the in-batch softmax, plus an optional rating head on both towers' outputs.
//
// X. Yi, J. Yang, L. Hong, D. Z. Cheng, L. Heldt, A. Kumthekar, Z. Zhao, L. Wei, E. Chi,
// Sampling-Bias-Corrected Neural Modeling for Large Corpus Item Recommendations, RecSys 2019.
#pragma once

#include <metarec/core/rng.h>
#include <metarec/nn/embedding.h>
#include <metarec/nn/mlp.h>

#include <cstdint>
#include <span>
#include <vector>

namespace metarec {

/// A bag of ids per entity (CSR): entity e owns ids[ptr[e], ptr[e + 1]) into a vocabulary.
struct IdBags {
  std::vector<int64_t> ptr{0};
  std::vector<int32_t> ids;
  int32_t vocabulary = 0;
  std::span<const int32_t> of(int32_t e) const {
    return {ids.data() + ptr[e], static_cast<size_t>(ptr[e + 1] - ptr[e])};
  }
  bool empty() const { return vocabulary == 0; }
};

/// Everything the towers read besides ids: user attribute values, item genres and text tokens,
/// and each user's training items (the history). Empty bags switch a block off.
struct TwoTowerFeatures {
  IdBags user_attributes;  ///< per user: ids of (attribute, value) pairs
  IdBags item_genres;      ///< per item: genre ids
  IdBags item_tokens;      ///< per item: distinct text-token ids
  IdBags history;          ///< per user: training items (vocabulary = items), sorted
  /// Dense item vectors computed elsewhere (items x TwoTowerShape::vector_dim, row-major), fed
  /// to the item tower as they are: its first layer learns their projection.
  std::vector<float> item_vectors;
};

/// Sizes of the network.
struct TwoTowerShape {
  int32_t users = 0, items = 0;
  int embedding = 32;  ///< width of every embedding block
  int hidden = 64;     ///< width of the hidden layers of each tower
  int layers = 2;      ///< linear layers per tower (ReLU between, none after the last)
  int output = 32;     ///< width of the towers' outputs
  int32_t attribute_vocabulary = 0, genre_vocabulary = 0, token_vocabulary = 0;
  int32_t vector_dim = 0;  ///< width of the dense item vectors (0: none)
  bool history = true;     ///< the user tower sees the mean embedding of the user's items
  bool rating_head = false;

  int user_input() const {
    return embedding * (1 + (attribute_vocabulary > 0) + (history ? 1 : 0));
  }
  int item_input() const {
    return embedding * (1 + (genre_vocabulary > 0) + (token_vocabulary > 0)) + vector_dim;
  }
  /// Tower sizes, in -> hidden ... -> output.
  std::vector<int> tower_sizes(int in) const;
};

/// One batch of (user, item, rating) training examples.
struct TwoTowerBatch {
  std::vector<int32_t> users, items;
  std::vector<float> ratings;  ///< centred targets of the rating head (empty: head unused)
  std::vector<float> log_q;    ///< log sampling probability of each item (empty: no correction)
};

/// Loss weights and temperature.
struct TwoTowerLoss {
  float temperature = 0.1f;
  float retrieval_weight = 1.0f;
  float rating_weight = 0.0f;
};

/// The network. forward/backward keep their state in a Pass (const methods: any number of passes
/// may run at once while nobody updates the weights). For training pairs, the user's history
/// excludes the pair's item (else the target would leak into the query).
///
///   u_raw = tower_u([e_u ; mean attr(u) ; mean hist(u) \ {i}]),  q = u_raw / |u_raw|
///   i_raw = tower_i([e_i ; mean genre(i) ; mean token(i) ; v_i]),  k = i_raw / |i_raw|
///   (v_i: the item's dense vector, a constant input)
///   L = w_ret * in_batch_softmax(q, k / t, log_q, duplicates masked)
///     + w_rat * mean (head([u_raw ; i_raw]) - r)^2
class TwoTowerNetwork {
 public:
  struct Pass {
    nn::Matrix xu, xi, yu, yi, q, k, dq, dk, z, rhat, drhat;
    Eigen::VectorXf nu, ni;  // norms of yu, yi
    nn::Mlp::Pass user, item, head;
    nn::SparseGrad d_user_id, d_attr, d_hist, d_item_id, d_genre, d_token;
    double retrieval_loss = 0, rating_loss = 0;
    /// Scratch of the bag gradients (attributes, history, genres, tokens): a dense
    /// vocabulary x embedding accumulator whose touched rows are listed, so a batch costs its
    /// rows, not a sort of every (example, id) pair.
    struct BagScratch {
      nn::Matrix acc;
      std::vector<uint8_t> mark;
      std::vector<int32_t> touched;
    };
    BagScratch scratch[4];
  };

  TwoTowerNetwork(const TwoTowerShape& shape, Rng& rng);

  Pass new_pass() const;
  /// User tower inputs for `users` into x (n x user_input()). exclude[k] >= 0 drops that item
  /// from user k's history mean (pass an empty span for none).
  void user_inputs(const TwoTowerFeatures& f, std::span<const int32_t> users,
                   std::span<const int32_t> exclude, nn::Matrix& x) const;
  void item_inputs(const TwoTowerFeatures& f, std::span<const int32_t> items, nn::Matrix& x) const;
  /// The weighted loss of a batch; fills the pass for backward().
  double forward(const TwoTowerFeatures& f, const TwoTowerBatch& b, const TwoTowerLoss& loss,
                 Pass& p) const;
  /// Gradients of the last forward's loss: MLP sums in the passes, embedding rows in d_*.
  void backward(const TwoTowerFeatures& f, const TwoTowerBatch& b, const TwoTowerLoss& loss,
                Pass& p) const;

  /// Every MLP weight and bias (user tower, item tower, then the head).
  std::vector<nn::Parameter*> dense_parameters();

  TwoTowerShape shape;
  nn::Embedding user_id, attribute, history_item, item_id, genre, token;
  nn::Mlp user_tower, item_tower, head;
};

}  // namespace metarec
