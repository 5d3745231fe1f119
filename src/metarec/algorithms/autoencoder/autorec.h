// AutoRec: an autoencoder of the observed ratings of one item (I-AutoRec) or of
// one user (U-AutoRec), trained to reconstruct only the ratings that were
// observed, for rating prediction.
//
// S. Sedhain, A. K. Menon, S. Sanner, L. Xie. AutoRec: Autoencoders Meet
// Collaborative Filtering. WWW 2015.
//
// For I-AutoRec each item is an example: r (one entry per user, zero where
// unobserved),
//   h = sigmoid(r V + b_enc)   (users -> hidden, 500 in the paper)
//   r_hat = h W^T + b_dec      (hidden -> users, identity output)
// and the loss is the sum over observed entries of (r - r_hat)^2 plus lambda/2
// (|V|^2 + |W|^2). The prediction of user u's rating of item i is r_hat_u of
// item i's reconstruction, clipped to the rating scale. U-AutoRec swaps the
// roles of users and items.
//
// Both the input and the loss are sparse: the encoder sums only the example's
// observed rows of V, and only the observed outputs are computed in training
// (the others receive no gradient), so an epoch costs O(ratings x hidden). The
// paper trains with resilient propagation on the whole data; here Adam on
// mini-batches of examples, with the penalty spread over the batches in
// proportion to their size (an epoch's penalties sum to the paper's lambda/2
// |.|^2).
#pragma once

#include <metarec/algorithms/recommender.h>
#include <metarec/nn/layers.h>

#include <cstdint>
#include <span>
#include <vector>

namespace metarec {

/// The network of one AutoRec orientation; "rows" are the examples (items for
/// I-AutoRec) and "columns" the dimensions of each example's vector (users for
/// I-AutoRec). Exposed for tests.
class AutoRecNetwork {
 public:
  /// V, W (columns x hidden) Glorot-uniform; b_enc, b_dec zero.
  AutoRecNetwork(int32_t columns, int hidden, Rng& rng);

  /// The encoding of one example from its observed (column, value) pairs:
  /// sigmoid(r V + b_enc).
  void encode(std::span<const int32_t> cols, std::span<const float> vals, nn::RowVector& h) const;
  /// Sum of squared errors of the observed entries of the rows [lo, hi) of the
  /// CSR matrix (ptr, cols, vals); with `backward`, adds its gradient to the
  /// parameters' .grad (the penalty is not included). Parallel over rows with
  /// `threads`; deterministic for any thread count.
  double batch_loss(std::span<const int64_t> rows, std::span<const int64_t> ptr,
                    std::span<const int32_t> cols, std::span<const float> vals, bool backward,
                    int threads);

  std::vector<nn::Parameter*> parameters() { return {&v, &b_enc, &w, &b_dec}; }

  nn::Parameter v, b_enc, w, b_dec;

 private:
  nn::Matrix h_, dh_;
  std::vector<std::vector<std::pair<int32_t, int32_t>>> by_col_;  // scratch: column -> (row, entry)
};

/// I-AutoRec ("i_autorec") or U-AutoRec ("u_autorec") as a catalog member.
/// score() returns the predicted ratings of every item (ranking by them);
/// predict() one clipped rating. After fit (or load) it keeps the encoding of
/// every training example (items x hidden for I-AutoRec, users x hidden for
/// U-AutoRec). Users or items without training ratings get the reconstruction
/// of an empty vector.
///
///   auto m = make_recommender("i_autorec", {"hidden=500", "lambda=300"});
///   m->fit(train);  float r = dynamic_cast<RatingPredictor&>(*m).predict(u,
///   i);
class AutoRec final : public Recommender, public RatingPredictor {
 public:
  static ParamSchema schema();
  AutoRec(bool item_based, const Params& p);

  void score(int32_t user, std::span<float> out) const override;
  float predict(int32_t user, int32_t item) const override;

 private:
  void do_fit(const Interactions& train, const FitContext& ctx) override;
  void do_save(ModelWriter& w) const override;
  void do_load(const ModelReader& r) override;
  float raw(int32_t user, int32_t item) const;

  bool item_based_;
  float lo_ = 1, hi_ = 5;
  nn::Matrix codes_;  // rows x hidden: the encoding of every example
  nn::Matrix w_;      // columns x hidden
  nn::RowVector b_dec_, empty_code_;
  // A column without training ratings (a user unseen by I-AutoRec, an item unseen by U-AutoRec)
  // has untrained output weights, so its prediction is the row's training mean instead (the
  // global mean for an empty row): fallback_[r] per row, column_seen_[c] 1 or 0.
  nn::RowVector fallback_, column_seen_;
};

}  // namespace metarec
