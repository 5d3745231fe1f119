// DeepRec: the layer-list parameter, the training loop (masked step, then the re-fed step), and the
// catalog model's parameters, prediction, fold-in and persistence. The network is in
// deeprec_network.cc.
#include <metarec/algorithms/autoencoder/deeprec.h>
#include <metarec/core/error.h>
#include <metarec/core/parallel.h>
#include <metarec/core/strings.h>
#include <metarec/nn/optim.h>
#include <metarec/nn/train.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <optional>
#include <utility>

namespace metarec {

using nn::Matrix;
using nn::RowVector;

namespace {

// What the ratings are divided by inside the network: the scale's largest absolute value over 5, so
// that 1-5 stars enter unchanged (deeprec.h says why).
float rating_scale_of(float lo, float hi) {
  const float s = std::max(std::fabs(lo), std::fabs(hi)) / 5;
  return s > 0 ? s : 1.0f;
}

}  // namespace

std::vector<int> parse_deeprec_layers(const std::string& text) {
  std::vector<int> sizes;
  for (const std::string& part : split_list(text)) {
    int v = 0;
    const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
    METAREC_CHECK(ec == std::errc() && end == part.data() + part.size(),
                  "deeprec_ae: layer size \"", part,
                  "\" is not an integer (write the encoder as e.g. 512,512,1024)");
    METAREC_CHECK(v >= 1 && v <= 16384, "deeprec_ae: layer size ", v, " is not in [1, 16384]");
    sizes.push_back(v);
  }
  METAREC_CHECK(!sizes.empty() && sizes.size() <= 8, "deeprec_ae: \"", text, "\" gives ",
                sizes.size(), " encoder layers, expected 1 to 8");
  return sizes;
}

double train_deeprec(DeepRecNetwork& net, const Interactions& train, const DeepRecTraining& cfg,
                     const FitContext& ctx, uint64_t seed) {
  METAREC_CHECK(train.num_items() == net.shape.items, "deeprec_ae: network has ", net.shape.items,
                " items, data ", train.num_items());
  std::vector<int32_t> users;
  for (int32_t u = 0; u < train.num_users(); ++u)
    if (train.user_count(u) > 0) users.push_back(u);
  if (users.empty()) return 0;
  // A batch's products cost about batch x items x encoder[0] multiply-adds per layer at the ends;
  // below about four million (AutoRec's threshold, not measured for this model) the batch is not
  // split.
  const int64_t batch_rows = std::min<int64_t>(cfg.batch, static_cast<int64_t>(users.size()));
  const int threads = batch_rows * net.shape.items * net.shape.encoder[0] >= (int64_t{1} << 22)
                          ? resolve_threads(ctx.threads)
                          : 1;
  nn::ScopedBlasThreads blas(1);  // the threads split each batch's rows instead
  Rng rng(seed);
  nn::MiniBatches batches(static_cast<int64_t>(users.size()), cfg.batch);
  auto params = net.parameters();
  auto weights = net.weights();
  std::optional<nn::Adam> adam;
  std::optional<nn::Sgd> sgd;
  if (cfg.sgd)
    sgd.emplace(params, cfg.learning_rate, cfg.momentum);
  else
    adam.emplace(params, cfg.learning_rate);
  auto step = [&] {
    if (cfg.weight_decay > 0)
      for (auto* q : weights) q->grad += cfg.weight_decay * q->value;
    if (sgd)
      sgd->step();
    else
      adam->step();
    for (auto* q : params) q->zero_grad();
  };
  for (auto* q : params) q->zero_grad();
  SparseRows x;
  DeepRecNetwork::Pass pass;
  Matrix refed;
  double epoch_loss = 0;
  for (int epoch = 0; epoch < cfg.epochs; ++epoch) {
    ctx.check_cancel();
    batches.shuffle(rng);
    epoch_loss = 0;
    for (int64_t b = 0; b < batches.count(); ++b) {
      x.clear();
      for (int64_t k : batches.batch(b)) {
        const auto items = train.user_items(users[k]);
        const auto values = train.user_values(users[k]);
        x.index.insert(x.index.end(), items.begin(), items.end());
        for (float v : values) x.value.push_back(v / cfg.rating_scale);
        x.ptr.push_back(static_cast<int64_t>(x.index.size()));
      }
      net.forward(x, pass, &rng, threads);
      epoch_loss += net.masked_loss(x, pass, true, threads);
      step();
      if (cfg.refeed) {
        refed = pass.a.back();
        net.forward(refed, pass, &rng, threads);
        net.dense_loss(refed, refed, pass, true, threads);
        step();
      }
    }
    epoch_loss /= static_cast<double>(batches.count());
    METAREC_CHECK(std::isfinite(epoch_loss), "deeprec_ae: training diverged in epoch ", epoch + 1,
                  " (masked MSE ", epoch_loss, "); lower learning_rate");
    ctx.report(static_cast<double>(epoch + 1) / cfg.epochs,
               "epoch " + std::to_string(epoch + 1) + " masked MSE " + std::to_string(epoch_loss));
  }
  return epoch_loss;
}

ParamSchema DeepRecAe::schema() {
  // Defaults chosen on ML-100K u1 (docs/neural.md): the paper's Netflix network (512,512,1024) is
  // too big for 943 users (u1 RMSE 0.955 against 0.948 for 256,256,512 at equal settings); SGD with
  // momentum, as in the paper, beat Adam (best Adam 0.983 at 20 epochs, overfitting after); with
  // momentum, lr 0.01 and 120 epochs did best, and weight decay 0.001 helped a little (0.942 ->
  // 0.938).
  return {
      ParamSpec::text(
          "layers", "256,256,512",
          "encoder widths from the input side, comma-separated (1 to 8 layers); the decoder "
          "mirrors them, so the last is the code layer",
          check_by_parsing([](const std::string& v) { parse_deeprec_layers(v); })),
      ParamSpec::choice("activation", "selu", {"selu", "relu", "tanh", "sigmoid"},
                        "activation of every hidden layer")
          .tune({"selu", "relu", "tanh"}),
      ParamSpec::boolean("activate_output", false,
                         "apply the activation on the output layer too (default: linear)"),
      ParamSpec::boolean("tied", false, "decoder weights are the transposes of the encoder's"),
      ParamSpec::real("dropout", 0.8, 0, 0.99, "dropout on the code layer in training")
          .tune(0, 0.9),
      ParamSpec::boolean("refeed", true,
                         "dense re-feeding: a second step per batch on f(x) as input and target"),
      ParamSpec::integer("epochs", 120, 1, 100000, "passes over the training users")
          .tune(20, 300, true),
      ParamSpec::integer("batch_size", 64, 1, 1 << 20, "users per optimizer step")
          .tune(16, 512, true),
      ParamSpec::choice("optimizer", "momentum", {"momentum", "adam"},
                        "SGD with momentum (the paper's) or Adam"),
      ParamSpec::real("learning_rate", 0.01, 0, 1, "step size", true).tune(1e-4, 3e-2, true),
      ParamSpec::real("momentum", 0.9, 0, 0.999, "momentum of the SGD optimizer"),
      ParamSpec::real("weight_decay", 1e-3, 0, 10,
                      "L2 penalty: weight_decay * W added to each weight's gradient per step")
          .tune(1e-5, 1e-2, true),
  };
}

DeepRecAe::DeepRecAe(const Params& p) : Recommender("deeprec_ae", p) {}
DeepRecAe::~DeepRecAe() = default;

const DeepRecNetwork& DeepRecAe::network() const {
  require_fitted();
  return *net_;
}

DeepRecShape DeepRecAe::shape_for(int32_t items) const {
  const Params& p = params();
  DeepRecShape s;
  s.items = items;
  s.encoder = parse_deeprec_layers(p.get_string("layers"));
  s.tied = p.get_bool("tied");
  s.activation = nn::parse_activation(p.get_string("activation"));
  s.activate_output = p.get_bool("activate_output");
  s.dropout = static_cast<float>(p.get_float("dropout"));
  return s;
}

void DeepRecAe::do_fit(const Interactions& train, const FitContext& ctx) {
  const Params& p = params();
  DeepRecTraining cfg;
  cfg.epochs = static_cast<int>(p.get_int("epochs"));
  cfg.batch = static_cast<int>(p.get_int("batch_size"));
  cfg.learning_rate = static_cast<float>(p.get_float("learning_rate"));
  cfg.sgd = p.get_string("optimizer") == "momentum";
  cfg.momentum = static_cast<float>(p.get_float("momentum"));
  cfg.weight_decay = static_cast<float>(p.get_float("weight_decay"));
  cfg.refeed = p.get_bool("refeed");
  lo_ = train.scale_min();
  hi_ = train.scale_max();
  cfg.rating_scale = rating_scale_of(lo_, hi_);
  global_mean_ = static_cast<float>(train.global_mean());
  const int32_t users = train.num_users(), items = train.num_items();
  user_mean_.resize(users);
  for (int32_t u = 0; u < users; ++u) {
    double sum = 0;
    for (float v : train.user_values(u)) sum += v;
    const int64_t n = train.user_count(u);
    user_mean_[u] = n > 0 ? static_cast<float>(sum / static_cast<double>(n)) : global_mean_;
  }
  item_mean_.resize(items);
  item_seen_.resize(items);
  for (int32_t i = 0; i < items; ++i) {
    double sum = 0;
    for (float v : train.item_values(i)) sum += v;
    const int64_t n = train.item_count(i);
    item_mean_[i] = n > 0 ? static_cast<float>(sum / static_cast<double>(n)) : global_mean_;
    item_seen_[i] = n > 0 ? 1.0f : 0.0f;
  }
  Rng rng = Rng(ctx.seed).fork(0xDEE);
  net_ = std::make_unique<DeepRecNetwork>(shape_for(items), rng);
  train_deeprec(*net_, train, cfg, ctx, ctx.seed ^ 0xDEE9EC);
  codes_.resize(users, net_->shape.encoder[0]);
  parallel_for(
      users, resolve_threads(ctx.threads),
      [&](int64_t u) {
        RowVector h;
        code_of(train.user_items(static_cast<int32_t>(u)),
                train.user_values(static_cast<int32_t>(u)), h);
        codes_.row(u) = h;
      },
      16);
}

float DeepRecAe::predict(int32_t user, int32_t item) const {
  require_fitted();
  METAREC_CHECK(item >= 0 && item < num_items(), "deeprec_ae: item ", item, " out of range");
  if (seen_items(user).empty()) return std::clamp(item_mean_[item], lo_, hi_);
  if (item_seen_[item] == 0) return std::clamp(user_mean_[user], lo_, hi_);
  const std::span<const float> h(codes_.row(user).data(), static_cast<size_t>(codes_.cols()));
  return std::clamp(net_->output_at(h, item) * rating_scale_of(lo_, hi_), lo_, hi_);
}

void DeepRecAe::code_of(std::span<const int32_t> items, std::span<const float> ratings,
                        RowVector& h) const {
  const float scale = rating_scale_of(lo_, hi_);
  std::vector<float> scaled(ratings.size());
  for (size_t e = 0; e < ratings.size(); ++e) scaled[e] = ratings[e] / scale;
  net_->code_row(items, scaled, h);
}

void DeepRecAe::fill(std::span<const float> h, float row_mean, std::span<float> out) const {
  const float scale = rating_scale_of(lo_, hi_);
  net_->output_row(h, out);
  for (int32_t i = 0; i < num_items(); ++i)
    out[i] = std::clamp(item_seen_[i] != 0 ? out[i] * scale : row_mean, lo_, hi_);
}

void DeepRecAe::score(int32_t user, std::span<float> out) const {
  require_fitted();
  METAREC_CHECK(static_cast<int64_t>(out.size()) == num_items(),
                "deeprec_ae: score buffer has size ", out.size(), ", expected ", num_items());
  if (seen_items(user).empty()) {
    for (int32_t i = 0; i < num_items(); ++i) out[i] = std::clamp(item_mean_[i], lo_, hi_);
    return;
  }
  fill(std::span<const float>(codes_.row(user).data(), static_cast<size_t>(codes_.cols())),
       user_mean_[user], out);
}

void DeepRecAe::score_new_user(std::span<const int32_t> items, std::span<const float> values,
                               std::span<float> out) const {
  require_fitted();
  METAREC_CHECK(static_cast<int64_t>(out.size()) == num_items(),
                "deeprec_ae: score buffer has size ", out.size(), ", expected ", num_items());
  METAREC_CHECK(values.size() == items.size(),
                "deeprec_ae: fold-in needs one rating per item, got ", values.size(), " for ",
                items.size(), " items");
  if (items.empty()) {
    for (int32_t i = 0; i < num_items(); ++i) out[i] = std::clamp(item_mean_[i], lo_, hi_);
    return;
  }
  RowVector h;
  code_of(items, values, h);
  double sum = 0;
  for (float v : values) sum += v;
  fill(std::span<const float>(h.data(), static_cast<size_t>(h.size())),
       static_cast<float>(sum / static_cast<double>(values.size())), out);
}

void DeepRecAe::do_save(ModelWriter& w) const {
  auto put = [&](const std::string& name, const float* data, Eigen::Index r, Eigen::Index c) {
    w.add("deeprec." + name, std::span<const float>(data, static_cast<size_t>(r * c)), {r, c});
  };
  for (const auto* p : std::as_const(*net_).parameters())
    put(p->name, p->value.data(), p->value.rows(), p->value.cols());
  put("codes", codes_.data(), codes_.rows(), codes_.cols());
  put("user_mean", user_mean_.data(), 1, user_mean_.size());
  put("item_mean", item_mean_.data(), 1, item_mean_.size());
  put("item_seen", item_seen_.data(), 1, item_seen_.size());
  const float scalars[3] = {lo_, hi_, global_mean_};
  put("scale", scalars, 1, 3);
}

void DeepRecAe::do_load(const ModelReader& r) {
  auto get = [&](const std::string& name, float* data, int64_t rows, int64_t cols) {
    const std::vector<float> v = r.f32("deeprec." + name, {rows, cols});
    std::memcpy(data, v.data(), sizeof(float) * v.size());
  };
  Rng rng(0);
  auto net = std::make_unique<DeepRecNetwork>(shape_for(num_items()), rng);
  for (auto* p : net->parameters()) get(p->name, p->value.data(), p->value.rows(), p->value.cols());
  codes_.resize(num_users(), net->shape.encoder[0]);
  get("codes", codes_.data(), codes_.rows(), codes_.cols());
  user_mean_.resize(num_users());
  item_mean_.resize(num_items());
  item_seen_.resize(num_items());
  get("user_mean", user_mean_.data(), 1, num_users());
  get("item_mean", item_mean_.data(), 1, num_items());
  get("item_seen", item_seen_.data(), 1, num_items());
  float scalars[3];
  get("scale", scalars, 1, 3);
  lo_ = scalars[0];
  hi_ = scalars[1];
  global_mean_ = scalars[2];
  net_ = std::move(net);
}

}  // namespace metarec
