// Mult-VAE / Mult-DAE: the network's forward and backward passes, the training
// loop, and the catalog model's parameters, scoring, fold-in and persistence.
#include <metarec/algorithms/autoencoder/mult_vae.h>
#include <metarec/algorithms/common/fold_in_validation.h>
#include <metarec/core/error.h>
#include <metarec/core/parallel.h>
#include <metarec/nn/train.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>

namespace metarec {

using nn::Matrix;
using nn::RowVector;

namespace {

// out = b + x W for one row, as a sum of W's rows (no BLAS: called from many
// threads at once).
void row_times(const float* x, const Matrix& w, const Matrix& b, RowVector& out) {
  out = b.row(0);
  for (Eigen::Index k = 0; k < w.rows(); ++k)
    if (x[k] != 0) out.noalias() += x[k] * w.row(k);
}

}  // namespace

MultVaeNetwork::MultVaeNetwork(const MultVaeShape& s, Rng& rng) : shape(s) {
  METAREC_CHECK(s.items > 0 && s.hidden > 0 && s.latent > 0, "Mult-VAE: bad shape ", s.items,
                " items, hidden ", s.hidden, ", latent ", s.latent);
  const int code = s.variational ? 2 * s.latent : s.latent;
  init_glorot(w1, "w1", s.items, s.hidden, rng);
  init_small_bias(b1, "b1", s.hidden, rng);
  init_glorot(wq, "wq", s.hidden, code, rng);
  init_small_bias(bq, "bq", code, rng);
  init_glorot(wd1, "wd1", s.latent, s.hidden, rng);
  init_small_bias(bd1, "bd1", s.hidden, rng);
  init_glorot(wd2, "wd2", s.hidden, s.items, rng);
  init_small_bias(bd2, "bd2", s.items, rng);
}

std::vector<nn::Parameter*> MultVaeNetwork::parameters() {
  return {&w1, &b1, &wq, &bq, &wd1, &bd1, &wd2, &bd2};
}

std::vector<nn::Parameter*> MultVaeNetwork::weights() { return {&w1, &wq, &wd1, &wd2}; }

void MultVaeNetwork::forward(const SparseRows& in, Pass& p, int threads) const {
  const Eigen::Index n = in.rows(), z = shape.latent;
  p.h1.resize(n, shape.hidden);
  parallel_for(
      n, threads,
      [&](int64_t r) {
        auto h = p.h1.row(r);
        h = b1.value.row(0);
        for (int64_t e = in.ptr[r]; e < in.ptr[r + 1]; ++e) {
          METAREC_CHECK(in.index[e] >= 0 && in.index[e] < shape.items, "Mult-VAE: item ",
                        in.index[e], " out of range");
          h.noalias() += in.value[e] * w1.value.row(in.index[e]);
        }
        h = h.array().tanh();
      },
      8);
  p.q.noalias() = p.h1 * wq.value;
  p.q.rowwise() += bq.value.row(0);
  if (shape.variational) {
    if (p.eps.size() > 0) {
      METAREC_CHECK(p.eps.rows() == n && p.eps.cols() == z, "Mult-VAE: noise is ", p.eps.rows(),
                    " x ", p.eps.cols(), ", expected ", n, " x ", z);
      p.z = p.q.leftCols(z).array() + p.eps.array() * (0.5f * p.q.rightCols(z).array()).exp();
    } else {
      p.z = p.q.leftCols(z);
    }
  } else {
    p.z = p.q.array().tanh();
  }
  p.h2.noalias() = p.z * wd1.value;
  p.h2.rowwise() += bd1.value.row(0);
  p.h2 = p.h2.array().tanh();
  p.logits.noalias() = p.h2 * wd2.value;
  p.logits.rowwise() += bd2.value.row(0);
}

double MultVaeNetwork::loss(const SparseRows& in, const SparseRows& target, float beta, Pass& p,
                            bool backward, int threads) {
  const Eigen::Index n = p.logits.rows(), z = shape.latent;
  METAREC_CHECK(target.rows() == n && in.rows() == n, "Mult-VAE: ", target.rows(),
                " target rows and ", in.rows(), " input rows for a batch of ", n);
  const double inv_n = 1.0 / static_cast<double>(n);
  // Multinomial NLL of row r: count * logsumexp(logits_r) - sum of the target
  // logits; its gradient (count * softmax - x) / n replaces the logits.
  std::vector<double> nll(static_cast<size_t>(n));
  parallel_for(
      n, threads,
      [&](int64_t r) {
        auto row = p.logits.row(r);
        const float m = row.maxCoeff();
        double count = 0, picked = 0;
        for (int64_t e = target.ptr[r]; e < target.ptr[r + 1]; ++e) {
          count += target.value[e];
          picked += static_cast<double>(target.value[e]) * row[target.index[e]];
        }
        if (!backward) {
          const double s = (row.array() - m).exp().cast<double>().sum();
          nll[r] = count * (m + std::log(s)) - picked;
          return;
        }
        row = (row.array() - m).exp();
        const double s = row.cast<double>().sum();
        nll[r] = count * (m + std::log(s)) - picked;
        row *= static_cast<float>(count / s * inv_n);
        for (int64_t e = target.ptr[r]; e < target.ptr[r + 1]; ++e)
          row[target.index[e]] -= static_cast<float>(target.value[e] * inv_n);
      },
      8);
  double total = 0;
  for (double v : nll) total += v;
  total *= inv_n;
  if (shape.variational && beta > 0) {
    const auto mu = p.q.leftCols(z).array();
    const auto lv = p.q.rightCols(z).array();
    const double kl = 0.5 * (lv.exp() + mu.square() - 1.0f - lv).cast<double>().sum() * inv_n;
    total += beta * kl;
  }
  if (!backward) return total;

  const Matrix& dlogits = p.logits;
  wd2.grad.noalias() += p.h2.transpose() * dlogits;
  bd2.grad += dlogits.colwise().sum();
  Matrix da2 = dlogits * wd2.value.transpose();
  da2.array() *= 1.0f - p.h2.array().square();
  wd1.grad.noalias() += p.z.transpose() * da2;
  bd1.grad += da2.colwise().sum();
  const Matrix dz = da2 * wd1.value.transpose();
  Matrix dq(n, wq.value.cols());
  if (shape.variational) {
    const float b = static_cast<float>(beta * inv_n);
    const auto mu = p.q.leftCols(z).array();
    const auto lv = p.q.rightCols(z).array();
    dq.leftCols(z).array() = dz.array() + b * mu;
    dq.rightCols(z).array() = 0.5f * b * (lv.exp() - 1.0f);
    if (p.eps.size() > 0)
      dq.rightCols(z).array() += dz.array() * p.eps.array() * 0.5f * (0.5f * lv).exp();
  } else {
    dq.array() = dz.array() * (1.0f - p.z.array().square());
  }
  wq.grad.noalias() += p.h1.transpose() * dq;
  bq.grad += dq.colwise().sum();
  Matrix da1 = dq * wq.value.transpose();
  da1.array() *= 1.0f - p.h1.array().square();
  b1.grad += da1.colwise().sum();
  // dW1 = X^T da1 with X sparse, each row of dW1 summed by one thread in row
  // order.
  dw1_.accumulate(in, da1, w1.grad, threads);
  return total;
}

void MultVaeNetwork::score_row(std::span<const int32_t> items, std::span<float> out) const {
  METAREC_CHECK(static_cast<int64_t>(out.size()) == shape.items, "Mult-VAE: score buffer has size ",
                out.size(), ", expected ", shape.items);
  RowVector h1 = b1.value.row(0);
  if (!items.empty()) {
    const float v = 1.0f / std::sqrt(static_cast<float>(items.size()));
    for (int32_t i : items) {
      METAREC_CHECK(i >= 0 && i < shape.items, "Mult-VAE: item ", i, " out of range");
      h1.noalias() += v * w1.value.row(i);
    }
  }
  h1 = h1.array().tanh();
  RowVector q, h2, logits;
  row_times(h1.data(), wq.value, bq.value, q);
  RowVector z = q.head(shape.latent);
  if (!shape.variational) z = z.array().tanh();
  row_times(z.data(), wd1.value, bd1.value, h2);
  h2 = h2.array().tanh();
  row_times(h2.data(), wd2.value, bd2.value, logits);
  std::copy(logits.data(), logits.data() + logits.size(), out.begin());
}

double train_mult_vae(MultVaeNetwork& net, const Interactions& train, const MultVaeTraining& cfg,
                      const FitContext& ctx, uint64_t seed) {
  METAREC_CHECK(train.num_items() == net.shape.items, "Mult-VAE: network has ", net.shape.items,
                " items, data ", train.num_items());
  std::vector<int32_t> users;
  for (int32_t u = 0; u < train.num_users(); ++u)
    if (train.user_count(u) > 0) users.push_back(u);
  if (users.empty()) return 0;
  // Batches smaller than about a million logits run on one thread: there, waking a second
  // thread (OpenMP and BLAS) costs more than it saves.
  const int64_t batch_rows = std::min<int64_t>(cfg.batch, static_cast<int64_t>(users.size()));
  const int threads =
      batch_rows * net.shape.items >= (int64_t{1} << 20) ? resolve_threads(ctx.threads) : 1;
  nn::ScopedBlasThreads blas(threads);
  Rng rng(seed);
  nn::MiniBatches batches(static_cast<int64_t>(users.size()), cfg.batch);
  auto params = net.parameters();
  nn::Adam adam(params, cfg.learning_rate);
  const int64_t total_updates = static_cast<int64_t>(cfg.epochs) * batches.count();
  const nn::KlAnnealing anneal(cfg.beta_max, cfg.anneal_fraction, total_updates);
  int64_t updates = 0;
  SparseRows input, target;
  MultVaeNetwork::Pass pass;
  double epoch_loss = 0;
  for (int epoch = 0; epoch < cfg.epochs; ++epoch) {
    ctx.check_cancel();
    batches.shuffle(rng);
    epoch_loss = 0;
    for (int64_t b = 0; b < batches.count(); ++b) {
      const auto idx = batches.batch(b);
      input.clear();
      target.clear();
      for (int64_t k : idx) {
        const auto items = train.user_items(users[k]);
        input.add_normalized(items, cfg.dropout, rng);
        target.add_binary(items);
      }
      float beta = 0;
      if (net.shape.variational) {
        beta = anneal.beta(updates);
        pass.eps.resize(static_cast<Eigen::Index>(idx.size()), net.shape.latent);
        for (Eigen::Index k = 0; k < pass.eps.size(); ++k)
          pass.eps.data()[k] = static_cast<float>(rng.normal());
      }
      for (auto* p : params) p->zero_grad();
      net.forward(input, pass, threads);
      epoch_loss += net.loss(input, target, beta, pass, true, threads);
      if (cfg.l2 > 0)
        for (auto* w : net.weights()) w->grad += (2 * cfg.l2) * w->value;
      adam.step();
      ++updates;
    }
    epoch_loss /= static_cast<double>(batches.count());
    const std::string done =
        "epoch " + std::to_string(epoch + 1) + " loss " + std::to_string(epoch_loss);
    if (!cfg.after_epoch)
      ctx.report(static_cast<double>(epoch + 1) / cfg.epochs, done);
    else if (!cfg.after_epoch(epoch, done))  // the hook reports the epoch itself
      break;
  }
  return epoch_loss;
}

ParamSchema MultVae::schema(bool variational) {
  ParamSchema s = {
      ParamSpec::integer("hidden", 600, 1, 16384,
                         "width of the encoder's and decoder's hidden layer")
          .tune(100, 2000, true),
      ParamSpec::integer("latent", 200, 1, 4096, "size of the latent code").tune(32, 600, true),
      ParamSpec::integer("epochs", 100, 1, 10000, "passes over the training users")
          .tune(20, 300, true),
      ParamSpec::integer("batch_size", 500, 1, 1 << 20, "users per Adam step")
          .tune(100, 1000, true),
      ParamSpec::real("learning_rate", 1e-3, 0, 1, "Adam step size", true).tune(1e-4, 1e-2, true),
      ParamSpec::real("dropout", 0.5, 0, 0.99,
                      "share of each input row's entries dropped in training")
          .tune(0, 0.8),
      ParamSpec::real("l2", 0, 0, 10, "penalty l2 * sum of squared weights added to the loss")
          .tune(1e-7, 1e-3, true),
      ParamSpec::integer("early_stopping", 0, 0, 10000,
                         "patience: hold `validation_users` out of training, score each from 80% "
                         "of their items after every epoch, stop once NDCG@100 on the rest has "
                         "not improved for this many epochs and keep the best epoch's weights "
                         "(0: off, train `epochs`)"),
      ParamSpec::real("validation_users", 0.1, 0, 1e9,
                      "early stopping's held-out users: a count when >= 1, else a share of the "
                      "users",
                      true),
      ParamSpec::boolean("refit", true,
                         "after early stopping, train again on all users for the chosen number "
                         "of epochs (false: keep the best epoch's weights, trained without the "
                         "held-out users)"),
  };
  if (variational) {
    s.push_back(ParamSpec::real("beta_max", 0.2, 0, 10,
                                "final weight of the KL term (the paper's anneal cap)")
                    .tune(0.05, 1, true));
    s.push_back(ParamSpec::real("anneal_fraction", 0.8, 0, 1,
                                "share of all updates over which the KL weight rises linearly "
                                "from 0 to beta_max",
                                true)
                    .tune(0.2, 1));
  }
  return s;
}

MultVae::MultVae(bool variational, const Params& p)
    : Recommender(variational ? "mult_vae" : "mult_dae", p), variational_(variational) {}
MultVae::~MultVae() = default;

const MultVaeNetwork& MultVae::network() const {
  require_fitted();
  return *net_;
}

MultVaeShape MultVae::shape_for(int32_t items) const {
  MultVaeShape s;
  s.items = items;
  s.hidden = static_cast<int>(params().get_int("hidden"));
  s.latent = static_cast<int>(params().get_int("latent"));
  s.variational = variational_;
  return s;
}

void MultVae::do_fit(const Interactions& train, const FitContext& ctx) {
  const Params& p = params();
  MultVaeTraining cfg;
  cfg.epochs = static_cast<int>(p.get_int("epochs"));
  cfg.batch = static_cast<int>(p.get_int("batch_size"));
  cfg.learning_rate = static_cast<float>(p.get_float("learning_rate"));
  cfg.dropout = static_cast<float>(p.get_float("dropout"));
  cfg.l2 = static_cast<float>(p.get_float("l2"));
  if (variational_) {
    cfg.beta_max = static_cast<float>(p.get_float("beta_max"));
    cfg.anneal_fraction = static_cast<float>(p.get_float("anneal_fraction"));
  }
  Rng rng = Rng(ctx.seed).fork(0xAE);
  net_ = std::make_unique<MultVaeNetwork>(shape_for(train.num_items()), rng);
  const int patience = static_cast<int>(p.get_int("early_stopping"));
  best_epoch_ = 0;
  if (patience == 0) {
    train_mult_vae(*net_, train, cfg, ctx, ctx.seed ^ 0x5EED);
    return;
  }
  // Liang et al.'s protocol: the epoch is chosen on users held out of training.
  const FoldInValidation held =
      fold_in_validation(train, p.get_float("validation_users"), ctx.seed ^ 0x7A1);
  const bool refit = p.get_bool("refit");
  // The starting weights, for the refit (a copy of the whole network only when it is needed).
  std::optional<MultVaeNetwork> start;
  if (refit) start = *net_;
  std::vector<nn::Matrix*> weights;
  for (auto* q : net_->parameters()) weights.push_back(&q->value);
  nn::BestEpoch best(std::move(weights), patience);
  const MultVaeNetwork& net = *net_;
  const auto score = [&net](std::span<const int32_t> items, std::span<float> out) {
    net.score_row(items, out);
  };
  MultVaeTraining es = cfg;
  // Progress: the first run takes the bar's first half, the refit its second.
  const double share = refit ? 0.5 : 1.0;
  es.after_epoch = [&](int e, const std::string& done) {
    const double m = held.ndcg(score, 100, ctx.threads);
    const bool go_on = best.update(m);
    ctx.report(share * (e + 1) / cfg.epochs, done + ", validation NDCG@100 " + std::to_string(m) +
                                                 ", best at epoch " +
                                                 std::to_string(best.stopping().best_epoch() + 1));
    return go_on;
  };
  train_mult_vae(*net_, held.train, es, ctx, ctx.seed ^ 0x5EED);
  // The validation NDCG is never NaN (top_k ranks NaN scores last), so the first epoch is a best
  // and this is at least 1 already; the max guards the refit should that ever change.
  best_epoch_ = std::max(1, best.stopping().best_epoch() + 1);
  if (!refit) {
    best.restore();
    return;
  }
  // The same run on every user, stopped after the chosen epoch (the KL annealing keeps the
  // schedule of `epochs`, as in the run that chose it).
  *net_ = *start;
  MultVaeTraining again = cfg;
  again.after_epoch = [&](int e, const std::string& done) {
    ctx.report(0.5 + 0.5 * (e + 1) / best_epoch_,
               "refit on every user (" + std::to_string(best_epoch_) + " epochs): " + done);
    return e + 1 < best_epoch_;
  };
  train_mult_vae(*net_, train, again, ctx, ctx.seed ^ 0x5EED);
}

void MultVae::score(int32_t user, std::span<float> out) const {
  require_fitted();
  const bool known = user >= 0 && user < num_users();
  net_->score_row(known ? seen_items(user) : std::span<const int32_t>(), out);
}

void MultVae::score_new_user(std::span<const int32_t> items, std::span<const float> values,
                             std::span<float> out) const {
  require_fitted();
  METAREC_CHECK(values.empty() || values.size() == items.size(),
                "fold-in: values and items differ in length");
  net_->score_row(items, out);
}

void MultVae::do_save(ModelWriter& w) const {
  for (auto* p : net_->parameters())
    w.add("mult_vae." + p->name,
          std::span<const float>(p->value.data(), static_cast<size_t>(p->value.size())),
          {p->value.rows(), p->value.cols()});
}

void MultVae::do_load(const ModelReader& r) {
  Rng rng(0);
  auto net = std::make_unique<MultVaeNetwork>(shape_for(num_items()), rng);
  for (auto* p : net->parameters()) {
    const std::vector<float> v = r.f32("mult_vae." + p->name, {p->value.rows(), p->value.cols()});
    std::memcpy(p->value.data(), v.data(), sizeof(float) * v.size());
  }
  net_ = std::move(net);
}

}  // namespace metarec
