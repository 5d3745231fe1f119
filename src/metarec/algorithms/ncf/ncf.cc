// The NCF network's forward and backward passes, the catalog model's parameters, fitting
// (with NeuMF's pretraining), scoring and persistence.
#include <metarec/algorithms/ncf/ncf.h>
#include <metarec/core/error.h>
#include <metarec/core/rng.h>

#include <algorithm>
#include <cstring>

namespace metarec {

using nn::Matrix;

const char* ncf_name(NcfVariant v) {
  switch (v) {
    case NcfVariant::kGmf:
      return "gmf";
    case NcfVariant::kMlp:
      return "ncf_mlp";
    case NcfVariant::kNeuMf:
      return "neumf";
  }
  return "neumf";
}

NcfNetwork::NcfNetwork(const NcfShape& s, float init_std, Rng& rng) : shape(s) {
  METAREC_CHECK(s.users > 0 && s.items > 0, "NCF: needs users and items, got ", s.users, " x ",
                s.items);
  METAREC_CHECK(s.factors > 0 && s.layers >= 1 && s.layers <= 8, "NCF: factors ", s.factors,
                " and layers ", s.layers, " out of range");
  const auto init = nn::EmbeddingInit::kNormal;
  if (s.has_gmf()) {
    user_gmf = nn::Embedding(s.users, s.factors, init, init_std, rng, "user_gmf");
    item_gmf = nn::Embedding(s.items, s.factors, init, init_std, rng, "item_gmf");
  }
  if (s.has_mlp()) {
    const int d = s.mlp_embedding();
    user_mlp = nn::Embedding(s.users, d, init, init_std, rng, "user_mlp");
    item_mlp = nn::Embedding(s.items, d, init, init_std, rng, "item_mlp");
    std::vector<int> sizes = {2 * d};
    for (int l = s.layers - 1; l >= 0; --l) sizes.push_back(s.factors << l);
    tower = nn::Mlp(sizes, nn::Activation::kRelu, true, rng, "tower");
  }
  const int p = s.predictive();
  const double bound = std::sqrt(6.0 / (p + 1));
  out_w.name = "output.weight";
  out_w.value.resize(p, 1);
  for (Eigen::Index k = 0; k < p; ++k)
    out_w.value(k, 0) = static_cast<float>((2 * rng.uniform() - 1) * bound);
  out_b.name = "output.bias";
  out_b.value = Matrix::Zero(1, 1);
  out_w.zero_grad();
  out_b.zero_grad();
}

NcfNetwork::Pass NcfNetwork::new_pass() const {
  Pass p;
  if (shape.has_mlp()) p.tower = tower.new_pass();
  p.d_out_w = Matrix::Zero(shape.predictive(), 1);
  return p;
}

void NcfNetwork::clear_dense(Pass& p) const {
  for (auto& m : p.tower.dw) m.setZero();
  for (auto& m : p.tower.db) m.setZero();
  p.d_out_w.setZero();
  p.d_out_b = 0;
}

void NcfNetwork::forward(std::span<const int32_t> users, std::span<const int32_t> items, Pass& p,
                         std::span<float> logits) const {
  METAREC_CHECK(users.size() == items.size() && logits.size() == users.size(),
                "NCF forward: ", users.size(), " users, ", items.size(), " items, ", logits.size(),
                " outputs");
  const Eigen::Index n = static_cast<Eigen::Index>(users.size());
  const int f = shape.factors;
  p.z.resize(n, shape.predictive());
  if (shape.has_gmf()) {
    user_gmf.forward(users, p.ug);
    item_gmf.forward(items, p.ig);
    p.z.leftCols(f) = p.ug.cwiseProduct(p.ig);
  }
  if (shape.has_mlp()) {
    const int d = shape.mlp_embedding();
    user_mlp.forward(users, p.um);
    item_mlp.forward(items, p.im);
    p.x.resize(n, 2 * d);
    p.x.leftCols(d) = p.um;
    p.x.rightCols(d) = p.im;
    p.z.rightCols(f) = tower.forward(p.x, p.tower);
  }
  Eigen::Map<Eigen::VectorXf> out(logits.data(), n);
  out.noalias() = p.z * out_w.value.col(0);
  out.array() += out_b.value(0, 0);
}

void NcfNetwork::backward(std::span<const float> dlogits, Pass& p) const {
  const Eigen::Index n = p.z.rows();
  METAREC_CHECK(static_cast<Eigen::Index>(dlogits.size()) == n, "NCF backward: ", dlogits.size(),
                " gradients for a pass of ", n);
  const int f = shape.factors;
  const Eigen::Map<const Eigen::VectorXf> dl(dlogits.data(), n);
  p.d_out_w.col(0).noalias() += p.z.transpose() * dl;
  p.d_out_b += dl.cast<double>().sum();
  p.dz.noalias() = dl * out_w.value.col(0).transpose();  // n x predictive
  if (shape.has_gmf()) {
    p.d_ug = p.dz.leftCols(f).cwiseProduct(p.ig);
    p.d_ig = p.dz.leftCols(f).cwiseProduct(p.ug);
  }
  if (shape.has_mlp()) {
    const int d = shape.mlp_embedding();
    const Matrix dx = tower.backward(p.dz.rightCols(f), p.tower);
    p.d_um = dx.leftCols(d);
    p.d_im = dx.rightCols(d);
  }
}

std::vector<nn::Parameter*> NcfNetwork::dense_parameters() {
  std::vector<nn::Parameter*> out;
  if (shape.has_mlp()) out = tower.parameters();
  out.push_back(&out_w);
  out.push_back(&out_b);
  return out;
}

std::vector<nn::Embedding*> NcfNetwork::embeddings() {
  std::vector<nn::Embedding*> out;
  if (shape.has_gmf()) {
    out.push_back(&user_gmf);
    out.push_back(&item_gmf);
  }
  if (shape.has_mlp()) {
    out.push_back(&user_mlp);
    out.push_back(&item_mlp);
  }
  return out;
}

ParamSchema Ncf::schema(NcfVariant v) {
  ParamSchema s = {
      ParamSpec::integer("factors", 8, 1, 1024,
                         "predictive factors: the GMF embedding size and the MLP's last layer")
          .tune(8, 64, true),
  };
  if (v != NcfVariant::kGmf)
    s.push_back(ParamSpec::integer("layers", 3, 1, 6,
                                   "MLP hidden layers, widest first (factors * 2^(layers-1) ... "
                                   "factors); each side's embedding is half the first")
                    .tune(1, 4));
  // The paper's text (factors 8: hidden 32 -> 16 -> 8 over embeddings of 16) against the
  // authors' released code and the PyTorch reimplementation the anchors quote, whose embeddings
  // are as wide as the first hidden layer (factors * 2^(layers-1): 32 each at factors 8).
  if (v != NcfVariant::kGmf)
    s.push_back(ParamSpec::integer("mlp_embedding", 0, 0, 4096,
                                   "each side's MLP embedding size (0: half the first hidden "
                                   "layer, the paper's text; the released code uses the whole "
                                   "first layer's width)"));
  s.push_back(
      ParamSpec::integer("epochs", 20, 1, 1000, "passes over the positives").tune(5, 40, true));
  s.push_back(ParamSpec::integer(
      "early_stopping", 0, 0, 100,
      "patience: hold out one training positive per user, rank it among " +
          std::to_string(kValidationNegatives) +
          " unobserved items after every epoch, stop once NDCG@10 has not improved for this many "
          "epochs and keep the best epoch's weights; the model keeps those weights, trained "
          "without the held-out positives (0: off, train `epochs`)"));
  s.push_back(ParamSpec::integer("negatives", 4, 1, 100,
                                 "unobserved items sampled per positive, fresh every epoch")
                  .tune(1, 10));
  s.push_back(ParamSpec::integer("batch_size", 256, 1, 1 << 20, "pairs per optimizer step")
                  .tune(128, 2048, true));
  s.push_back(
      ParamSpec::real("learning_rate", 1e-3, 0, 1, "Adam step size", true).tune(1e-4, 1e-2, true));
  s.push_back(
      ParamSpec::real("reg", 0, 0, 10, "L2 penalty on each embedding row looked up (per pair)")
          .tune(1e-7, 1e-2, true));
  s.push_back(ParamSpec::choice(
      "embedding_adam", "catchup", {"catchup", "lazy", "dense"},
      "Adam on the embeddings: catchup (only the batch's rows are updated, and a row also gets "
      "the moves dense Adam gives it on the steps it missed when it is next updated: dense "
      "Adam's learning at lazy Adam's cost), lazy (only the batch's rows move) or dense (every "
      "row at every step, as PyTorch on a dense embedding; several times slower)"));
  s.push_back(ParamSpec::real("init_std", 0.01, 0, 1,
                              "standard deviation of the initial embeddings (the paper's 0.01)",
                              true));
  if (v == NcfVariant::kNeuMf) {
    s.push_back(ParamSpec::boolean("pretrain", true,
                                   "first train GMF and MLP (same settings), start NeuMF from "
                                   "their weights and fine-tune"));
    // The paper fine-tunes with plain SGD because the pretrained models' Adam moments are not
    // carried over; a fresh Adam at a tenth of the pretraining step is the other gentle option.
    // On the ML-1M NCF split (factors 8, sampled HR@10 / NDCG@10, 2 threads) neither clearly
    // wins: after 20 + 20 + 20 epochs SGD 1e-3 gave 0.671 / 0.388 and Adam 1e-4 0.664 / 0.393;
    // after 15 + 15 + 6 epochs Adam 1e-4 0.672, SGD 1e-3 0.668, SGD 1e-2 0.669, SGD 5e-2 0.671
    // (run-to-run noise is about 0.005). So the default is the paper's SGD at 1e-3.
    s.push_back(ParamSpec::choice("finetune", "sgd", {"sgd", "adam"},
                                  "optimizer of the NeuMF fine-tuning after pretraining")
                    .tune({"sgd", "adam"}));
    s.push_back(ParamSpec::real("finetune_learning_rate", 1e-3, 0, 10,
                                "step size of the fine-tuning after pretraining", true)
                    .tune(1e-5, 1e-1, true));
    s.push_back(ParamSpec::integer("finetune_epochs", 0, 0, 1000,
                                   "epochs of the fine-tuning after pretraining (0: `epochs`)")
                    .tune(1, 20));
  }
  s.push_back(ParamSpec::real("diversity_alpha", 1e-3, 0, 10,
                              "weight of the genre-diversity penalty on each user's top-10 (0 = "
                              "off; only used when the items have genres)")
                  .tune(1e-4, 1e-1, true));
  return s;
}

Ncf::Ncf(NcfVariant v, const Params& p) : Recommender(ncf_name(v), p), variant_(v) {}
Ncf::~Ncf() = default;

const NcfNetwork& Ncf::network() const {
  require_fitted();
  return *net_;
}

NcfShape Ncf::shape_for(int32_t users, int32_t items) const {
  NcfShape s;
  s.variant = variant_;
  s.users = users;
  s.items = items;
  s.factors = static_cast<int>(params().get_int("factors"));
  s.layers = variant_ == NcfVariant::kGmf ? 1 : static_cast<int>(params().get_int("layers"));
  if (variant_ != NcfVariant::kGmf)
    s.embedding = static_cast<int>(params().get_int("mlp_embedding"));
  return s;
}

NcfTraining Ncf::training() const {
  const Params& p = params();
  NcfTraining t;
  t.epochs = static_cast<int>(p.get_int("epochs"));
  t.negatives = static_cast<int>(p.get_int("negatives"));
  t.batch = static_cast<int>(p.get_int("batch_size"));
  t.learning_rate = static_cast<float>(p.get_float("learning_rate"));
  t.reg = static_cast<float>(p.get_float("reg"));
  const std::string adam = p.get_string("embedding_adam");
  t.embedding_adam = adam == "dense"  ? NcfTraining::EmbeddingAdam::kDense
                     : adam == "lazy" ? NcfTraining::EmbeddingAdam::kLazy
                                      : NcfTraining::EmbeddingAdam::kCatchUp;
  t.diversity_alpha = static_cast<float>(p.get_float("diversity_alpha"));
  return t;
}

void Ncf::do_fit(const Interactions& train, const FitContext& ctx) {
  const NcfShape shape = shape_for(train.num_users(), train.num_items());
  const float init_std = static_cast<float>(params().get_float("init_std"));
  const NcfTraining cfg = training();
  Rng rng = Rng(ctx.seed).fork(0x9CF);
  net_.reset();
  early_stops_.clear();  // before training can throw: a failed fit shows no earlier fit's stages
  // With early stopping every stage trains on `train` minus the validation positives.
  const int patience = static_cast<int>(params().get_int("early_stopping"));
  NcfValidationSplit held;
  if (patience > 0) {
    held = ncf_validation_split(train, kValidationNegatives, ctx.seed ^ 0x5);
    if (held.validation.users.empty())
      throw InvalidArgument(
          "early_stopping: no user can hold out a positive for validation (one needs at least two "
          "items and " +
          std::to_string(kValidationNegatives) +
          " unobserved ones); use early_stopping=0 on this data");
  }
  const bool early = patience > 0;
  auto run = [&](NcfNetwork& n, const NcfTraining& c, uint64_t seed, double lo, double hi) {
    if (early)
      early_stops_.push_back(
          train_ncf_early_stopping(n, held.train, held.validation, patience, c, ctx, seed, lo, hi));
    else
      train_ncf(n, train, c, ctx, seed, lo, hi);
  };
  if (variant_ == NcfVariant::kNeuMf && params().get_bool("pretrain")) {
    NcfShape gs = shape, ms = shape;
    gs.variant = NcfVariant::kGmf;
    ms.variant = NcfVariant::kMlp;
    NcfNetwork gmf(gs, init_std, rng), mlp(ms, init_std, rng);
    run(gmf, cfg, ctx.seed ^ 0x1, 0, 1.0 / 3);
    run(mlp, cfg, ctx.seed ^ 0x2, 1.0 / 3, 2.0 / 3);
    net_ = std::make_unique<NcfNetwork>(shape, init_std, rng);
    net_->user_gmf = std::move(gmf.user_gmf);
    net_->item_gmf = std::move(gmf.item_gmf);
    net_->user_mlp = std::move(mlp.user_mlp);
    net_->item_mlp = std::move(mlp.item_mlp);
    net_->tower = std::move(mlp.tower);
    // The paper's alpha = 0.5: each pretrained model contributes half of the output.
    const int f = shape.factors;
    net_->out_w.value.topRows(f) = 0.5f * gmf.out_w.value;
    net_->out_w.value.bottomRows(f) = 0.5f * mlp.out_w.value;
    net_->out_b.value(0, 0) = 0.5f * (gmf.out_b.value(0, 0) + mlp.out_b.value(0, 0));
    NcfTraining fine = cfg;
    fine.sgd = params().get_string("finetune") == "sgd";
    fine.learning_rate = static_cast<float>(params().get_float("finetune_learning_rate"));
    if (params().get_int("finetune_epochs") > 0)
      fine.epochs = static_cast<int>(params().get_int("finetune_epochs"));
    run(*net_, fine, ctx.seed ^ 0x3, 2.0 / 3, 1);
  } else {
    net_ = std::make_unique<NcfNetwork>(shape, init_std, rng);
    run(*net_, cfg, ctx.seed ^ 0x3, 0, 1);
  }
  // Users without training data keep no random embeddings: they score by the item alone.
  for (int32_t u = 0; u < train.num_users(); ++u) {
    if (train.user_count(u) > 0) continue;
    if (shape.has_gmf()) net_->user_gmf.table.value.row(u).setZero();
    if (shape.has_mlp()) net_->user_mlp.table.value.row(u).setZero();
  }
  prepare_scoring();
}

void Ncf::prepare_scoring() {
  const NcfShape& s = net_->shape;
  if (!s.has_mlp()) return;
  const int d = s.mlp_embedding();
  const nn::Parameter& w1 = net_->tower.weight(0);
  item_first_layer_.noalias() = net_->item_mlp.table.value * w1.value.bottomRows(d);
  item_first_layer_.rowwise() += net_->tower.bias(0).value.row(0);
}

void Ncf::score(int32_t user, std::span<float> out) const {
  require_fitted();
  METAREC_CHECK(static_cast<int64_t>(out.size()) == num_items(), algorithm(),
                ": score buffer has size ", out.size(), ", expected ", num_items());
  score_some(user, {}, num_items(), out);
}

void Ncf::score_items(int32_t user, std::span<const int32_t> items, std::span<float> out) const {
  check_score_items(*this, items, out);
  if (!items.empty()) score_some(user, items, static_cast<int64_t>(items.size()), out);
}

void Ncf::score_some(int32_t user, std::span<const int32_t> items, int64_t count,
                     std::span<float> out) const {
  const NcfNetwork& n = *net_;
  const NcfShape& s = n.shape;
  const int f = s.factors;
  const bool known = user >= 0 && user < num_users();
  auto item_at = [&](int64_t k) { return items.empty() ? static_cast<int32_t>(k) : items[k]; };
  const Matrix& h = n.out_w.value;
  std::fill_n(out.begin(), count, n.out_b.value(0, 0));
  if (s.has_gmf() && known) {
    // h_gmf^T (p_u * q_i) = q_i . (p_u * h_gmf).
    const nn::RowVector v =
        n.user_gmf.table.value.row(user).cwiseProduct(h.col(0).head(f).transpose());
    for (int64_t k = 0; k < count; ++k) out[k] += n.item_gmf.table.value.row(item_at(k)).dot(v);
  }
  if (s.has_mlp()) {
    const int d = s.mlp_embedding();
    const Matrix& w1 = n.tower.weight(0).value;
    nn::RowVector up = nn::RowVector::Zero(w1.cols());
    if (known)
      for (int k = 0; k < d; ++k) up += n.user_mlp.table.value(user, k) * w1.row(k);
    const nn::RowVector hm = h.col(0).tail(f).transpose();
    // Blocks of items through the rest of the tower, without BLAS: score() runs concurrently on
    // many threads.
    constexpr int64_t kBlock = 256;
    Matrix a, b;
    for (int64_t lo = 0; lo < count; lo += kBlock) {
      const int64_t m = std::min(kBlock, count - lo);
      a.resize(m, w1.cols());
      for (int64_t r = 0; r < m; ++r)
        a.row(r) = (item_first_layer_.row(item_at(lo + r)) + up).cwiseMax(0.0f);
      for (int l = 1; l < n.tower.layers(); ++l) {
        nn::affine_rows(a, n.tower.weight(l).value, n.tower.bias(l).value, true, b);
        a.swap(b);
      }
      for (int64_t r = 0; r < m; ++r) out[lo + r] += a.row(r).dot(hm);
    }
  }
}

void Ncf::do_save(ModelWriter& w) const {
  const NcfNetwork& n = *net_;
  auto put = [&](const std::string& name, const Matrix& m) {
    w.add("ncf." + name, std::span<const float>(m.data(), static_cast<size_t>(m.size())),
          {m.rows(), m.cols()});
  };
  if (n.shape.has_gmf()) {
    put("user_gmf", n.user_gmf.table.value);
    put("item_gmf", n.item_gmf.table.value);
  }
  if (n.shape.has_mlp()) {
    put("user_mlp", n.user_mlp.table.value);
    put("item_mlp", n.item_mlp.table.value);
    for (int l = 0; l < n.tower.layers(); ++l) {
      put("tower." + std::to_string(l) + ".weight", n.tower.weight(l).value);
      put("tower." + std::to_string(l) + ".bias", n.tower.bias(l).value);
    }
  }
  put("output.weight", n.out_w.value);
  put("output.bias", n.out_b.value);
}

void Ncf::do_load(const ModelReader& r) {
  const NcfShape shape = shape_for(num_users(), num_items());
  Rng rng(0);
  auto net = std::make_unique<NcfNetwork>(shape, 0.01f, rng);
  auto get = [&](const std::string& name, Matrix& m) {
    const std::vector<float> v = r.f32("ncf." + name, {m.rows(), m.cols()});
    std::memcpy(m.data(), v.data(), sizeof(float) * v.size());
  };
  if (shape.has_gmf()) {
    get("user_gmf", net->user_gmf.table.value);
    get("item_gmf", net->item_gmf.table.value);
  }
  if (shape.has_mlp()) {
    get("user_mlp", net->user_mlp.table.value);
    get("item_mlp", net->item_mlp.table.value);
    for (int l = 0; l < net->tower.layers(); ++l) {
      get("tower." + std::to_string(l) + ".weight", net->tower.weight(l).value);
      get("tower." + std::to_string(l) + ".bias", net->tower.bias(l).value);
    }
  }
  get("output.weight", net->out_w.value);
  get("output.bias", net->out_b.value);
  net_ = std::move(net);
  early_stops_.clear();  // not saved: a loaded model has no training history
  prepare_scoring();
}

}  // namespace metarec
