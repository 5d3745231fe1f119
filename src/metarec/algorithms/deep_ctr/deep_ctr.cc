// The deep CTR catalog models: parameters, fitting, scoring and persistence.
#include <metarec/algorithms/deep_ctr/deep_ctr.h>
#include <metarec/algorithms/fm/fm_train.h>
#include <metarec/core/error.h>
#include <metarec/core/rng.h>

#include <algorithm>
#include <cstring>

namespace metarec {

using nn::Matrix;

ParamSchema DeepCtr::schema(DeepCtrVariant v) {
  const bool nfm = v == DeepCtrVariant::kNfm;
  ParamSchema s = {
      ParamSpec::integer("factors", 8, 1, 512, "embedding size of every feature").tune(4, 64, true),
      ParamSpec::choice("features", "ids+genres", FmFeatureSet::names(),
                        "feature groups besides user and item ids (as the factorization machine; "
                        "used when the data has them)")
          .tune(FmFeatureSet::names()),
      ParamSpec::integer("time_bins", 8, 2, 1000, "equal-frequency bins of the timestamps")
          .tune(2, 32, true),
      ParamSpec::integer("hidden", 64, 1, 4096,
                         nfm ? "width of each hidden layer over the bi-interaction pooling"
                             : "width of each hidden layer of the DNN")
          .tune(16, 256, true),
      ParamSpec::integer("layers", nfm ? 0 : 2, nfm ? 0 : 1, 6,
                         nfm ? "hidden layers over the bi-interaction pooling (0: NFM-0, an FM "
                               "with a learned weight per factor; see docs/neural.md for why 0)"
                             : "hidden ReLU layers of the DNN")
          .tune(nfm ? 0 : 1, 3),
  };
  if (nfm)
    s.push_back(ParamSpec::real("dropout", 0.5, 0, 0.99,
                                "dropout rate on the bi-interaction pooling while training (the "
                                "paper's main regularizer)")
                    .tune(0, 0.8));
  if (v == DeepCtrVariant::kXDeepFm) {
    s.push_back(
        ParamSpec::integer("cin_maps", 16, 1, 512, "feature maps per CIN layer").tune(4, 64, true));
    s.push_back(ParamSpec::integer("cin_layers", 2, 1, 6, "CIN layers").tune(1, 3));
  }
  // Defaults chosen on a random 80/20 split of ML-100K (seed 7), not on u1.test: 10 epochs and
  // reg 0.1 (DeepFM 0.919; 20 epochs 0.932, 40 epochs 0.979, reg 0 0.938: the networks overfit
  // without dropout). NFM: dropout 0.5 on the pooling lets it train 40 epochs (0.9155; without
  // dropout 10 epochs 0.9216, 20 epochs 0.9307); NFM-1 (reg 0.3, dropout 0.5, 40 epochs) gets
  // 0.9169 but without dropout overfits whatever reg and width (0.956-0.99), so NFM-0 stays.
  s.push_back(ParamSpec::integer("epochs", nfm ? 40 : 10, 1, 1000, "passes over the training rows")
                  .tune(5, 60, true));
  s.push_back(ParamSpec::integer("batch_size", 256, 1, 1 << 20, "rows per optimizer step")
                  .tune(64, 2048, true));
  s.push_back(
      ParamSpec::real("learning_rate", 1e-3, 0, 1, "Adam step size", true).tune(1e-4, 1e-2, true));
  s.push_back(ParamSpec::real("reg", nfm ? 0.3 : 0.1, 0, 100,
                              "L2 penalty on the embedding and linear weight of each feature "
                              "occurrence (per row)")
                  .tune(1e-6, 1, true));
  s.push_back(ParamSpec::integer("negatives", 4, 1, 100,
                                 "implicit data: unobserved items sampled per positive, fresh "
                                 "every epoch")
                  .tune(1, 10));
  s.push_back(ParamSpec::real("init_std", nfm ? 0.1 : 0.01, 0, 1,
                              "standard deviation of the initial embeddings"));
  return s;
}

DeepCtr::DeepCtr(DeepCtrVariant v, const Params& p)
    : Recommender(deep_ctr_name(v), p), variant_(v) {}
DeepCtr::~DeepCtr() = default;

const DeepCtrNetwork& DeepCtr::network() const {
  require_fitted();
  return *net_;
}

std::unique_ptr<DeepCtrNetwork> DeepCtr::make_network(Rng& rng) const {
  const Params& p = params();
  DeepCtrShape s;
  s.variant = variant_;
  s.features = map_.num_features();
  s.factors = static_cast<int>(p.get_int("factors"));
  s.hidden = static_cast<int>(p.get_int("hidden"));
  s.layers = static_cast<int>(p.get_int("layers"));
  if (variant_ == DeepCtrVariant::kNfm) s.bi_dropout = static_cast<float>(p.get_float("dropout"));
  if (variant_ == DeepCtrVariant::kXDeepFm) {
    s.cin_maps = static_cast<int>(p.get_int("cin_maps"));
    s.cin_layers = static_cast<int>(p.get_int("cin_layers"));
  }
  // One field per feature group present.
  int8_t field[kFmGroups];
  for (int g = 0; g < kFmGroups; ++g) {
    const auto group = static_cast<FmGroup>(g);
    field[g] = static_cast<int8_t>(s.fields);
    if (map_.group_begin(group) < map_.group_end(group)) ++s.fields;
  }
  std::vector<int8_t> field_of(static_cast<size_t>(s.features));
  for (int32_t j = 0; j < s.features; ++j) field_of[j] = field[static_cast<int>(map_.group_of(j))];
  return std::make_unique<DeepCtrNetwork>(s, std::move(field_of),
                                          static_cast<float>(p.get_float("init_std")), rng);
}

void DeepCtr::do_fit(const Interactions& train, const FitContext& ctx) {
  const Params& p = params();
  DeepCtrTraining cfg;
  cfg.epochs = static_cast<int>(p.get_int("epochs"));
  cfg.batch = static_cast<int>(p.get_int("batch_size"));
  cfg.learning_rate = static_cast<float>(p.get_float("learning_rate"));
  cfg.reg = static_cast<float>(p.get_float("reg"));
  cfg.implicit = train.feedback() == Feedback::kImplicit;
  cfg.negatives = static_cast<int>(p.get_int("negatives"));
  lo_ = hi_ = 0;
  if (!cfg.implicit && train.scale_min() < train.scale_max()) {
    lo_ = train.scale_min();
    hi_ = train.scale_max();
  }
  map_.build(train, FmFeatureSet::parse(p.get_string("features")),
             static_cast<int>(p.get_int("time_bins")));
  Rng rng = Rng(ctx.seed).fork(0xDC);
  net_ = make_network(rng);
  if (!cfg.implicit) net_->w0.value(0, 0) = static_cast<float>(train.global_mean());
  train_deep_ctr(*net_, train, map_, cfg, ctx);

  // Features no training row contains (users without data, items never rated) keep no random
  // embedding: the factorization machine's rule, applied through its weights layout.
  FmWeights fm;
  fm.k = net_->shape.factors;
  const Matrix& v = net_->v.table.value;
  const Matrix& w = net_->w.table.value;
  fm.v.assign(v.data(), v.data() + v.size());
  fm.w.assign(w.data(), w.data() + w.size());
  clear_unused_features(fm, train, map_, cfg.implicit);
  std::memcpy(net_->v.table.value.data(), fm.v.data(), sizeof(float) * fm.v.size());
  std::memcpy(net_->w.table.value.data(), fm.w.data(), sizeof(float) * fm.w.size());
}

void DeepCtr::score(int32_t user, std::span<float> out) const {
  require_fitted();
  METAREC_CHECK(static_cast<int64_t>(out.size()) == num_items(), algorithm(),
                ": score buffer has size ", out.size(), ", expected ", num_items());
  score_some(user, {}, num_items(), out);
}

void DeepCtr::score_items(int32_t user, std::span<const int32_t> items,
                          std::span<float> out) const {
  check_score_items(*this, items, out);
  if (!items.empty()) score_some(user, items, static_cast<int64_t>(items.size()), out);
}

void DeepCtr::score_some(int32_t user, std::span<const int32_t> items, int64_t count,
                         std::span<float> out) const {
  METAREC_CHECK(user >= 0 && user < num_users(), algorithm(), ": user ", user, " outside [0, ",
                num_users(), ")");
  const int32_t tf = map_.prediction_time_feature(user);
  DeepCtrNetwork::Pass pass = net_->new_pass();
  DeepCtrBatch batch;
  constexpr int64_t kBlock = 256;
  for (int64_t lo = 0; lo < count; lo += kBlock) {
    const int64_t hi = std::min(count, lo + kBlock);
    batch.clear();
    for (int64_t k = lo; k < hi; ++k)
      batch.add(map_, user, items.empty() ? static_cast<int32_t>(k) : items[k], tf);
    net_->forward(batch, pass, out.subspan(static_cast<size_t>(lo), static_cast<size_t>(hi - lo)));
  }
}

float DeepCtr::predict(int32_t user, int32_t item) const {
  require_fitted();
  METAREC_CHECK(user >= 0 && user < num_users() && item >= 0 && item < num_items(), algorithm(),
                ": (user ", user, ", item ", item, ") outside the ", num_users(), " x ",
                num_items(), " model");
  DeepCtrNetwork::Pass pass = net_->new_pass();
  DeepCtrBatch batch;
  batch.add(map_, user, item, map_.prediction_time_feature(user));
  float y = 0;
  net_->forward(batch, pass, std::span<float>(&y, 1));
  return lo_ < hi_ ? std::clamp(y, lo_, hi_) : y;
}

namespace {

// Every tensor of the network with its name in the model file.
template <typename Net, typename Fn>
void for_each_tensor(Net& n, Fn&& fn) {
  fn("v", n.v.table.value);
  fn("w", n.w.table.value);
  fn("w0", n.w0.value);
  auto tower = [&](const std::string& name, auto& mlp) {
    for (int l = 0; l < mlp.layers(); ++l) {
      fn(name + "." + std::to_string(l) + ".weight", mlp.weight(l).value);
      fn(name + "." + std::to_string(l) + ".bias", mlp.bias(l).value);
    }
  };
  if (n.shape.has_dnn()) tower("dnn", n.dnn);
  if (n.shape.has_nfm()) tower("nfm", n.nfm);
  for (size_t l = 0; l < n.cin_w.size(); ++l)
    fn("cin." + std::to_string(l) + ".weight", n.cin_w[l].value);
  if (n.shape.has_cin()) fn("cin.output", n.cin_out.value);
}

}  // namespace

void DeepCtr::do_save(ModelWriter& w) const {
  const double range[2] = {lo_, hi_};
  w.add("deep_ctr.range", std::span<const double>(range, 2), {2});
  for_each_tensor(*net_, [&](const std::string& name, const Matrix& m) {
    w.add("deep_ctr." + name, std::span<const float>(m.data(), static_cast<size_t>(m.size())),
          {m.rows(), m.cols()});
  });
  map_.save(w);
}

void DeepCtr::do_load(const ModelReader& r) {
  const auto range = r.f64("deep_ctr.range", {2});
  map_.load(r, num_users(), num_items());
  Rng rng(0);
  auto net = make_network(rng);
  for_each_tensor(*net, [&](const std::string& name, Matrix& m) {
    const std::vector<float> v = r.f32("deep_ctr." + name, {m.rows(), m.cols()});
    std::memcpy(m.data(), v.data(), sizeof(float) * v.size());
  });
  lo_ = static_cast<float>(range[0]);
  hi_ = static_cast<float>(range[1]);
  net_ = std::move(net);
}

}  // namespace metarec
