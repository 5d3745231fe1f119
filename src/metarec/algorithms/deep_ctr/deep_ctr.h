// Deep click-through-rate models over the factorization machine's sparse features (user and item
// ids, genres, user attributes, time bins): Wide&Deep, DeepFM, NFM and xDeepFM, sharing one
// network class (a linear "wide" part plus one interaction component) and one training loop.
//
// H.-T. Cheng et al. Wide & Deep Learning for Recommender Systems. DLRS 2016.
// H. Guo, R. Tang, Y. Ye, Z. Li, X. He. DeepFM: A Factorization-Machine based Neural Network for
//   CTR Prediction. IJCAI 2017.
// X. He, T.-S. Chua. Neural Factorization Machines for Sparse Predictive Analytics. SIGIR 2017.
// J. Lian, X. Zhou, F. Zhang, Z. Chen, X. Xie, G. Sun. xDeepFM: Combining Explicit and Implicit
//   Feature Interactions for Recommender Systems. KDD 2018.
#pragma once

#include <metarec/algorithms/fm/fm_features.h>
#include <metarec/algorithms/recommender.h>
#include <metarec/nn/embedding.h>
#include <metarec/nn/mlp.h>

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace metarec {

/// The four models; each is w0 + sum_j w_j x_j plus its interaction component.
enum class DeepCtrVariant {
  kWideDeep,  ///< + DNN over the concatenated field embeddings
  kDeepFm,    ///< + FM second-order term + DNN, sharing the embeddings
  kNfm,       ///< + MLP over bi-interaction pooling 1/2 [(sum x v)^2 - sum (x v)^2]
  kXDeepFm,   ///< + compressed interaction network (CIN) + DNN
};

/// The catalog name of a variant: "wide_deep", "deepfm", "nfm", "xdeepfm".
const char* deep_ctr_name(DeepCtrVariant v);

/// The sizes of a network. Fields are the FM feature groups present in the map (user id, user
/// attributes, time bin, item id, genres); a field's embedding is the sum of x_j v_j over its
/// features (a one-hot field: its one row; genres: their average).
struct DeepCtrShape {
  DeepCtrVariant variant = DeepCtrVariant::kDeepFm;
  int32_t features = 0;  ///< n, the FM map's feature count
  int fields = 0;        ///< F
  int factors = 8;       ///< k, embedding size
  int hidden = 64;       ///< width of each hidden layer of the DNN (NFM: of its MLP)
  int layers = 2;        ///< hidden layers of the DNN (NFM: of its MLP; 0 = h^T BI(x))
  int cin_maps = 16;     ///< xDeepFM: feature maps per CIN layer
  int cin_layers = 2;    ///< xDeepFM: CIN layers
  float bi_dropout = 0;  ///< NFM: dropout rate on the bi-interaction pooling while training

  bool has_dnn() const { return variant != DeepCtrVariant::kNfm; }
  bool has_fm() const { return variant == DeepCtrVariant::kDeepFm; }
  bool has_nfm() const { return variant == DeepCtrVariant::kNfm; }
  bool has_cin() const { return variant == DeepCtrVariant::kXDeepFm; }
};

/// Sparse input rows, CSR: row r has features idx[ptr[r] .. ptr[r+1]) with values val[...].
struct DeepCtrBatch {
  std::vector<int64_t> ptr{0};
  std::vector<int32_t> idx;
  std::vector<float> val;

  int64_t rows() const { return static_cast<int64_t>(ptr.size()) - 1; }
  void clear();
  /// Appends the FM row of (u, i) at time feature tf (-1: none).
  void add(const FmFeatureMap& map, int32_t u, int32_t i, int32_t tf);
};

/// The network. forward/backward are const and keep their state in a Pass, so threads can
/// process different mini-batches at once (each with its own Pass). Exposed for tests.
///
///   y = w0 + sum_j w_j x_j  [+ FM(x)]  [+ DNN(e)]  [+ NFM-MLP(BI(x))]  [+ CIN(e)]
///
/// e = [e_1, ..., e_F] (F x k) the field embeddings. CIN layer l (Lian et al. eq. 6, no
/// activation): X^l_h = sum_{i,j} W^l_{h,i,j} X^{l-1}_i * X^0_j (element-wise over k), X^0 = e;
/// every layer's maps are sum-pooled over k and all pools feed a linear output.
class DeepCtrNetwork {
 public:
  /// Activations of one pass and the gradients of its backward: dense ones summed over the pass,
  /// sparse ones per feature occurrence (row q of dv, dw for idx[q] of the batch).
  struct Pass {
    const DeepCtrBatch* batch = nullptr;
    nn::Matrix e;                   ///< rows x F k
    nn::Matrix s;                   ///< rows x k: sum_j x_j v_j (FM, NFM)
    nn::Matrix bi;                  ///< rows x k: bi-interaction pooling (NFM), after dropout
    nn::Matrix bi_mask;             ///< rows x k: 0 or 1 / (1 - rate) per unit (training NFM)
    nn::Matrix cin_x0;              ///< F x (rows k): X^0, row r's dimensions in columns r k..
    std::vector<nn::Matrix> cin;    ///< per CIN layer: maps x (rows k)
    std::vector<nn::Matrix> cin_z;  ///< per CIN layer: (previous maps F) x (rows k) products
    nn::Matrix pool;                ///< rows x (sum of maps): CIN sum pools
    nn::Mlp::Pass dnn, nfm;         ///< towers (their dw, db are this pass's sums)
    nn::Matrix de;                  ///< rows x F k
    nn::Matrix d_w0;                ///< 1 x 1
    std::vector<nn::Matrix> d_cin;  ///< per CIN layer: maps x (previous maps F)
    nn::Matrix d_cin_out;           ///< (sum of maps) x 1
    nn::Matrix dv;                  ///< nnz x k
    nn::Matrix dw;                  ///< nnz x 1
  };

  /// `field_of[j]` in [0, shape.fields) for every feature j. Embeddings N(0, init_std^2), linear
  /// weights and w0 zero, towers and CIN Glorot-uniform.
  DeepCtrNetwork(const DeepCtrShape& shape, std::vector<int8_t> field_of, float init_std, Rng& rng);

  Pass new_pass() const;
  /// out[r] = y(row r of `batch`). The batch must outlive the pass's backward. With `dropout`
  /// (training), NFM drops each bi-interaction unit with probability shape.bi_dropout, drawing
  /// from it, and scales the kept ones by 1 / (1 - rate) (inverted dropout: nothing changes at
  /// prediction time); without it the network is deterministic.
  void forward(const DeepCtrBatch& batch, Pass& p, std::span<float> out,
               Rng* dropout = nullptr) const;
  /// dy[r] = dL/dy of row r of the pass's last forward. Adds the dense gradients to the pass's
  /// sums and sets its per-occurrence dv, dw.
  void backward(std::span<const float> dy, Pass& p) const;
  /// Zeroes the pass's dense gradient sums.
  void clear_dense(Pass& p) const;

  /// w0, DNN, NFM tower, CIN weights, CIN output (those the variant has).
  std::vector<nn::Parameter*> dense_parameters();
  /// The pass's gradients of dense_parameters(), in the same order.
  std::vector<const nn::Matrix*> dense_gradients(const Pass& p) const;

  DeepCtrShape shape;
  std::vector<int8_t> field_of;
  nn::Embedding v;                   ///< n x k
  nn::Embedding w;                   ///< n x 1
  nn::Parameter w0;                  ///< 1 x 1
  nn::Mlp dnn;                       ///< F k -> hidden^layers -> 1 (identity output)
  nn::Mlp nfm;                       ///< k -> hidden^layers -> 1 (identity output)
  std::vector<nn::Parameter> cin_w;  ///< layer l: maps x (maps_{l-1} F)
  nn::Parameter cin_out;             ///< (sum of maps) x 1

 private:
  void cin_forward(Pass& p) const;
  void cin_backward(std::span<const float> dy, Pass& p) const;
};

/// How a network is trained (the catalog's defaults are in DeepCtr::schema).
struct DeepCtrTraining {
  int epochs = 20;
  int batch = 256;
  float learning_rate = 1e-3f;
  float reg = 0;          ///< L2 penalty reg/2 (|v_j|^2 + w_j^2) per feature occurrence, per row
  bool implicit = false;  ///< BCE on positives and sampled negatives (else MSE on the values)
  int negatives = 4;      ///< implicit: sampled unobserved items per positive, fresh every epoch
};

/// Trains `net` on the FM rows of `train`: explicit data by mean squared error on the values,
/// implicit data by binary cross-entropy on each positive and `negatives` uniformly sampled
/// unobserved items (fresh every epoch, sharing the positive's time bin). Mini-batches of a
/// per-epoch shuffle; Adam for the dense parameters, lazy Adam for the embedding rows and linear
/// weights a batch touches. Threads run Hogwild over mini-batches (as train_ncf): with one
/// thread and a fixed seed the result is bit-for-bit repeatable.
void train_deep_ctr(DeepCtrNetwork& net, const Interactions& train, const FmFeatureMap& map,
                    const DeepCtrTraining& cfg, const FitContext& ctx);

/// A deep CTR model as a catalog member. Explicit data: a rating predictor (predictions clipped
/// to the rating scale). Implicit data: score() is the logit. The time bin used for a user is
/// that of the user's latest training interaction (as the FM). Features no training row
/// contains get zero weights, so cold users score by their other features alone.
///
///   auto m = make_recommender("deepfm", {"factors=8", "epochs=20"});
///   m->fit(train, ctx);  float r = dynamic_cast<RatingPredictor&>(*m).predict(u, i);
class DeepCtr final : public Recommender, public RatingPredictor, public SubsetScorer {
 public:
  static ParamSchema schema(DeepCtrVariant v);
  DeepCtr(DeepCtrVariant v, const Params& p);
  ~DeepCtr() override;

  void score(int32_t user, std::span<float> out) const override;
  void score_items(int32_t user, std::span<const int32_t> items,
                   std::span<float> out) const override;
  float predict(int32_t user, int32_t item) const override;
  const DeepCtrNetwork& network() const;
  const FmFeatureMap& features() const { return map_; }

 private:
  void do_fit(const Interactions& train, const FitContext& ctx) override;
  void do_save(ModelWriter& w) const override;
  void do_load(const ModelReader& r) override;
  /// out[k] = the score of (user, item k) for k < count, where item k is items[k], or k itself
  /// when `items` is empty (every item). Shared by score() and score_items().
  void score_some(int32_t user, std::span<const int32_t> items, int64_t count,
                  std::span<float> out) const;
  /// The network for the current map and parameters (weights initialized from `rng`).
  std::unique_ptr<DeepCtrNetwork> make_network(Rng& rng) const;

  DeepCtrVariant variant_;
  FmFeatureMap map_;
  std::unique_ptr<DeepCtrNetwork> net_;
  float lo_ = 0, hi_ = 0;  // clipping range for explicit data (lo_ == hi_: none)
};

}  // namespace metarec
