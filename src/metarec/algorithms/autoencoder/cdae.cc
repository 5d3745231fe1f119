// CDAE: the network's loss and backward pass over sampled outputs, the training
// loop with corruption and negative sampling, and the catalog model's
// parameters, scoring, fold-in and persistence.
#include <metarec/algorithms/autoencoder/cdae.h>
#include <metarec/core/error.h>
#include <metarec/core/parallel.h>
#include <metarec/nn/activations.h>
#include <metarec/nn/train.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

namespace metarec {

using nn::Matrix;
using nn::RowVector;

CdaeNetwork::CdaeNetwork(const CdaeShape& s, Rng& rng) : shape(s) {
  METAREC_CHECK(s.items > 0 && s.users >= 0 && s.hidden > 0, "CDAE: bad shape ", s.items,
                " items, ", s.users, " users, hidden ", s.hidden);
  init_glorot(w, "w", s.items, s.hidden, rng);
  v.name = "v";
  v.value = Matrix::Zero(s.users, s.hidden);
  v.zero_grad();
  init_small_bias(b, "b", s.hidden, rng);
  init_glorot(w_out, "w_out", s.items, s.hidden, rng);
  init_small_bias(b_out, "b_out", s.items, rng);
}

double CdaeNetwork::loss(const SparseRows& in, std::span<const int32_t> users,
                         const SparseRows& target, float l2, bool backward, int threads) {
  const Eigen::Index n = in.rows(), k = shape.hidden;
  METAREC_CHECK(target.rows() == n && static_cast<Eigen::Index>(users.size()) == n,
                "CDAE: ", in.rows(), " input rows, ", target.rows(), " target rows and ",
                users.size(), " users in one batch");
  if (n == 0) return 0;
  // Batches of under about four million multiply-adds run on one thread: there
  // a parallel region costs more than it saves. (The result does not depend on
  // the thread count.)
  const int64_t work = static_cast<int64_t>(in.index.size() + target.index.size()) * k;
  if (work < (int64_t{1} << 22)) threads = 1;
  const float inv_n = 1.0f / static_cast<float>(n);
  h_.resize(n, k);
  if (backward) {
    dpre_.resize(n, k);
    dout_.ptr = target.ptr;
    dout_.index = target.index;
    dout_.value.resize(target.value.size());
  }
  std::vector<double> row_loss(static_cast<size_t>(n));
  parallel_for(
      n, threads,
      [&](int64_t r) {
        auto h = h_.row(r);
        h = b.value.row(0);
        const int32_t u = users[r];
        METAREC_CHECK(u >= -1 && u < shape.users, "CDAE: user ", u, " out of range");
        if (u >= 0) h.noalias() += v.value.row(u);
        for (int64_t e = in.ptr[r]; e < in.ptr[r + 1]; ++e) {
          METAREC_CHECK(in.index[e] >= 0 && in.index[e] < shape.items, "CDAE: item ", in.index[e],
                        " out of range");
          h.noalias() += in.value[e] * w.value.row(in.index[e]);
        }
        for (Eigen::Index q = 0; q < k; ++q) h[q] = nn::sigmoid(h[q]);
        RowVector dh;
        if (backward) dh.setZero(k);
        double s = 0;
        for (int64_t e = target.ptr[r]; e < target.ptr[r + 1]; ++e) {
          const int32_t j = target.index[e];
          METAREC_CHECK(j >= 0 && j < shape.items, "CDAE: item ", j, " out of range");
          const float y = target.value[e];
          const float o = w_out.value.row(j).dot(h) + b_out.value(0, j);
          // Logistic loss -y log s(o) - (1 - y) log(1 - s(o)) = softplus(o) - y o.
          s += nn::softplus(o) - static_cast<double>(y) * o;
          if (backward) {
            const float g = (nn::sigmoid(o) - y) * inv_n;
            dout_.value[e] = g;
            dh.noalias() += g * w_out.value.row(j);
          }
        }
        row_loss[r] = s;
        if (backward) dpre_.row(r) = dh.array() * h.array() * (1.0f - h.array());
      },
      8);
  double total = 0, v_norm = 0;
  for (double s : row_loss) total += s;
  for (int32_t u : users)
    if (u >= 0) v_norm += static_cast<double>(v.value.row(u).squaredNorm());
  total = (total + l2 * v_norm) / static_cast<double>(n) +
          l2 * (static_cast<double>(w.value.squaredNorm()) +
                static_cast<double>(w_out.value.squaredNorm()));
  if (!backward) return total;

  b.grad += dpre_.colwise().sum();
  const float v_decay = 2 * l2 * inv_n;
  for (Eigen::Index r = 0; r < n; ++r)
    if (users[r] >= 0) v.grad.row(users[r]) += dpre_.row(r) + v_decay * v.value.row(users[r]);
  for (size_t e = 0; e < dout_.index.size(); ++e) b_out.grad(0, dout_.index[e]) += dout_.value[e];
  dw_.accumulate(in, dpre_, w.grad, threads);
  dw_out_.accumulate(dout_, h_, w_out.grad, threads);
  if (l2 > 0) {
    w.grad += (2 * l2) * w.value;
    w_out.grad += (2 * l2) * w_out.value;
  }
  return total;
}

void CdaeNetwork::score_row(std::span<const int32_t> items, int32_t user,
                            std::span<float> out) const {
  METAREC_CHECK(static_cast<int64_t>(out.size()) == shape.items, "CDAE: score buffer has size ",
                out.size(), ", expected ", shape.items);
  METAREC_CHECK(user >= -1 && user < shape.users, "CDAE: user ", user, " out of range");
  RowVector h = b.value.row(0);
  if (user >= 0) h.noalias() += v.value.row(user);
  for (int32_t i : items) {
    METAREC_CHECK(i >= 0 && i < shape.items, "CDAE: item ", i, " out of range");
    h.noalias() += w.value.row(i);
  }
  for (Eigen::Index q = 0; q < h.size(); ++q) h[q] = nn::sigmoid(h[q]);
  // One dot product per item (no BLAS: called from many threads at once).
  for (int32_t j = 0; j < shape.items; ++j) out[j] = w_out.value.row(j).dot(h) + b_out.value(0, j);
}

double train_cdae(CdaeNetwork& net, const Interactions& train, const CdaeTraining& cfg,
                  const FitContext& ctx, uint64_t seed) {
  METAREC_CHECK(train.num_items() == net.shape.items && train.num_users() == net.shape.users,
                "CDAE: network has ", net.shape.users, " users and ", net.shape.items,
                " items, data ", train.num_users(), " and ", train.num_items());
  std::vector<int32_t> users;
  for (int32_t u = 0; u < train.num_users(); ++u)
    if (train.user_count(u) > 0) users.push_back(u);
  if (users.empty()) return 0;
  const int threads = resolve_threads(ctx.threads);
  nn::ScopedBlasThreads blas(1);
  Rng rng(seed);
  nn::MiniBatches batches(static_cast<int64_t>(users.size()), cfg.batch);
  auto params = net.parameters();
  nn::Adam adam(params, cfg.learning_rate);
  const int32_t items = net.shape.items;
  SparseRows input, target;
  std::vector<int32_t> batch_users;
  double epoch_loss = 0;
  for (int epoch = 0; epoch < cfg.epochs; ++epoch) {
    ctx.check_cancel();
    batches.shuffle(rng);
    epoch_loss = 0;
    for (int64_t bi = 0; bi < batches.count(); ++bi) {
      input.clear();
      target.clear();
      batch_users.clear();
      for (int64_t k : batches.batch(bi)) {
        const int32_t u = users[k];
        const auto pos = train.user_items(u);
        batch_users.push_back(u);
        input.add_dropped(pos, cfg.corruption, rng);
        target.index.insert(target.index.end(), pos.begin(), pos.end());
        target.value.insert(target.value.end(), pos.size(), 1.0f);
        // `negatives` unobserved items per positive, uniformly with replacement
        // (rejecting the user's own items; pos is sorted).
        if (static_cast<int64_t>(pos.size()) < items) {
          const int64_t draws = static_cast<int64_t>(pos.size()) * cfg.negatives;
          for (int64_t d = 0; d < draws; ++d) {
            int32_t j;
            do {
              j = static_cast<int32_t>(rng.uniform_int(static_cast<uint64_t>(items)));
            } while (std::binary_search(pos.begin(), pos.end(), j));
            target.index.push_back(j);
            target.value.push_back(0.0f);
          }
        }
        target.ptr.push_back(static_cast<int64_t>(target.index.size()));
      }
      for (auto* p : params) p->zero_grad();
      epoch_loss += net.loss(input, batch_users, target, cfg.l2, true, threads);
      adam.step();
    }
    epoch_loss /= static_cast<double>(batches.count());
    ctx.report(static_cast<double>(epoch + 1) / cfg.epochs,
               "epoch " + std::to_string(epoch + 1) + " loss " + std::to_string(epoch_loss));
  }
  return epoch_loss;
}

ParamSchema Cdae::schema() {
  return {
      ParamSpec::integer("hidden", 50, 1, 16384, "width of the hidden layer").tune(20, 500, true),
      ParamSpec::integer("epochs", 30, 1, 10000, "passes over the training users")
          .tune(10, 200, true),
      ParamSpec::integer("batch_size", 64, 1, 1 << 20, "users per Adam step").tune(16, 512, true),
      ParamSpec::real("learning_rate", 5e-3, 0, 1, "Adam step size", true).tune(1e-4, 3e-2, true),
      ParamSpec::real("corruption", 0.2, 0, 0.99,
                      "probability q of dropping each input entry in training (survivors are "
                      "scaled by 1 / (1 - q))")
          .tune(0, 0.8),
      ParamSpec::integer("negatives", 5, 0, 1000,
                         "unobserved items sampled per positive, afresh each epoch")
          .tune(1, 20, true),
      ParamSpec::real("l2", 1e-5, 0, 10,
                      "penalty l2 * (|W|^2 + |W'|^2 + the batch's mean |V_u|^2) added to the loss")
          .tune(1e-7, 1e-2, true),
  };
}

Cdae::Cdae(const Params& p) : Recommender("cdae", p) {}
Cdae::~Cdae() = default;

const CdaeNetwork& Cdae::network() const {
  require_fitted();
  return *net_;
}

void Cdae::do_fit(const Interactions& train, const FitContext& ctx) {
  const Params& p = params();
  CdaeTraining cfg;
  cfg.epochs = static_cast<int>(p.get_int("epochs"));
  cfg.batch = static_cast<int>(p.get_int("batch_size"));
  cfg.learning_rate = static_cast<float>(p.get_float("learning_rate"));
  cfg.corruption = static_cast<float>(p.get_float("corruption"));
  cfg.negatives = static_cast<int>(p.get_int("negatives"));
  cfg.l2 = static_cast<float>(p.get_float("l2"));
  CdaeShape s;
  s.items = train.num_items();
  s.users = train.num_users();
  s.hidden = static_cast<int>(p.get_int("hidden"));
  Rng rng = Rng(ctx.seed).fork(0xCDAE);
  net_ = std::make_unique<CdaeNetwork>(s, rng);
  train_cdae(*net_, train, cfg, ctx, ctx.seed ^ 0x5EED);
}

void Cdae::score(int32_t user, std::span<float> out) const {
  require_fitted();
  const bool known = user >= 0 && user < num_users();
  net_->score_row(known ? seen_items(user) : std::span<const int32_t>(), known ? user : -1, out);
}

void Cdae::score_new_user(std::span<const int32_t> items, std::span<const float> values,
                          std::span<float> out) const {
  require_fitted();
  METAREC_CHECK(values.empty() || values.size() == items.size(),
                "fold-in: values and items differ in length");
  net_->score_row(items, -1, out);
}

void Cdae::do_save(ModelWriter& w) const {
  for (auto* p : net_->parameters())
    w.add("cdae." + p->name,
          std::span<const float>(p->value.data(), static_cast<size_t>(p->value.size())),
          {p->value.rows(), p->value.cols()});
}

void Cdae::do_load(const ModelReader& r) {
  CdaeShape s;
  s.items = num_items();
  s.users = num_users();
  s.hidden = static_cast<int>(params().get_int("hidden"));
  Rng rng(0);
  auto net = std::make_unique<CdaeNetwork>(s, rng);
  for (auto* p : net->parameters()) {
    const std::vector<float> v = r.f32("cdae." + p->name, {p->value.rows(), p->value.cols()});
    std::memcpy(p->value.data(), v.data(), sizeof(float) * v.size());
  }
  net_ = std::move(net);
}

}  // namespace metarec
