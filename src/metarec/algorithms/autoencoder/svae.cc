// SVAE: the network's forward and backward passes over one sequence, the training loop over batches
// of users, and the catalog model's parameters, scoring, fold-in and persistence.
#include <metarec/algorithms/autoencoder/svae.h>
#include <metarec/core/error.h>
#include <metarec/core/parallel.h>
#include <metarec/nn/optim.h>
#include <metarec/nn/train.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

namespace metarec {

using nn::Matrix;
using nn::RowVector;

namespace {

const SvaeShape& checked(const SvaeShape& s) {
  METAREC_CHECK(s.items > 0 && s.embedding > 0 && s.rnn > 0 && s.hidden > 0 && s.latent > 0,
                "SVAE: bad shape ", s.items, " items, embedding ", s.embedding, ", rnn ", s.rnn,
                ", hidden ", s.hidden, ", latent ", s.latent);
  return s;
}

// A fixed bijective scramble of an item index (the SplitMix64 finalizer): sorting by it gives the
// pseudo-random catalogue order of untimed histories.
uint64_t scramble(int32_t item) {
  uint64_t z = static_cast<uint64_t>(static_cast<uint32_t>(item)) + 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// y = x W + b for one row.
void affine(const RowVector& x, const nn::Parameter& w, const nn::Parameter& b, RowVector& y) {
  y.noalias() = x * w.value;
  y += b.value.row(0);
}

}  // namespace

SvaeNetwork::SvaeNetwork(const SvaeShape& s, Rng& rng)
    : shape(checked(s)),
      embedding(s.items, s.embedding, nn::EmbeddingInit::kNormal, 1.0f, rng, "item_embedding"),
      gru(s.embedding, s.rnn, rng, "gru"),
      encoder({s.rnn, s.hidden, 2 * s.latent}, nn::Activation::kTanh, false, rng, "encoder"),
      decoder({s.latent, s.hidden}, nn::Activation::kTanh, true, rng, "decoder") {
  // Glorot-uniform like the Mlp layers, zero bias.
  const double bound = std::sqrt(6.0 / (s.hidden + s.items));
  out_w.name = "output.weight";
  out_w.value.resize(s.hidden, s.items);
  for (Eigen::Index k = 0; k < out_w.value.size(); ++k)
    out_w.value.data()[k] = static_cast<float>((2 * rng.uniform() - 1) * bound);
  out_b.name = "output.bias";
  out_b.value = Matrix::Zero(1, s.items);
  out_w.zero_grad();
  out_b.zero_grad();
}

SvaeNetwork::Pass SvaeNetwork::new_pass() const {
  Pass p;
  p.gru = gru.new_pass();
  p.encoder = encoder.new_pass();
  p.decoder = decoder.new_pass();
  p.d_out_w = Matrix::Zero(out_w.value.rows(), out_w.value.cols());
  p.d_out_b = Matrix::Zero(1, out_b.value.cols());
  return p;
}

void SvaeNetwork::forward(std::span<const int32_t> inputs, Pass& p) const {
  const Eigen::Index n = static_cast<Eigen::Index>(inputs.size()), l = shape.latent;
  METAREC_CHECK(n >= 1, "SVAE: a forward pass needs at least one input item");
  embedding.forward(inputs, p.e);
  if (p.mask.size() > 0) {
    METAREC_CHECK(p.mask.rows() == n && p.mask.cols() == shape.embedding, "SVAE: dropout mask is ",
                  p.mask.rows(), " x ", p.mask.cols(), ", expected ", n, " x ", shape.embedding);
    p.e.array() *= p.mask.array();
  }
  const Matrix& q = encoder.forward(gru.forward(p.e, p.gru), p.encoder);
  if (p.eps.size() > 0) {
    METAREC_CHECK(p.eps.rows() == n && p.eps.cols() == l, "SVAE: noise is ", p.eps.rows(), " x ",
                  p.eps.cols(), ", expected ", n, " x ", l);
    p.z = q.leftCols(l).array() + p.eps.array() * (0.5f * q.rightCols(l).array()).exp();
  } else {
    p.z = q.leftCols(l);
  }
  const Matrix& d = decoder.forward(p.z, p.decoder);
  if (p.logits.rows() < n || p.logits.cols() != shape.items)
    p.logits.resize(std::max(n, p.logits.rows()), shape.items);
  auto logits = p.logits.topRows(n);
  logits.noalias() = d * out_w.value;
  logits.rowwise() += out_b.value.row(0);
  p.steps = n;
}

double SvaeNetwork::loss(std::span<const int32_t> sequence, int k, float beta, float scale, Pass& p,
                         bool backward) const {
  const Eigen::Index n = p.steps, l = shape.latent;
  METAREC_CHECK(n >= 1 && static_cast<Eigen::Index>(sequence.size()) == n + 1,
                "SVAE: a sequence of ", sequence.size(), " items for a forward pass over ", n,
                " inputs");
  METAREC_CHECK(k >= 1, "SVAE: next_k must be >= 1, got ", k);
  // Step t's targets are sequence[t+1 .. t+k] (up to the end): count * logsumexp - their logits.
  // With backward, the row becomes its gradient scale * (count * softmax - targets).
  double nll = 0;
  for (Eigen::Index t = 0; t < n; ++t) {
    auto row = p.logits.row(t);
    const Eigen::Index last = std::min<Eigen::Index>(t + k, n);
    const double count = static_cast<double>(last - t);
    double picked = 0;
    for (Eigen::Index j = t + 1; j <= last; ++j) {
      METAREC_CHECK(sequence[j] >= 0 && sequence[j] < shape.items, "SVAE: item ", sequence[j],
                    " out of range");
      picked += row[sequence[j]];
    }
    const float m = row.maxCoeff();
    if (!backward) {
      const double s = (row.array() - m).exp().cast<double>().sum();
      nll += count * (m + std::log(s)) - picked;
      continue;
    }
    row = (row.array() - m).exp();
    const double s = row.cast<double>().sum();
    nll += count * (m + std::log(s)) - picked;
    row *= static_cast<float>(count / s * scale);
    for (Eigen::Index j = t + 1; j <= last; ++j) row[sequence[j]] -= scale;
  }
  const Matrix& q = p.encoder.out.back();
  const auto mu = q.leftCols(l).array();
  const auto lv = q.rightCols(l).array();
  const double kl = 0.5 * (lv.exp() + mu.square() - 1.0f - lv).cast<double>().sum();
  const double total = scale * (nll + beta * kl);
  if (!backward) return total;

  const auto dlogits = p.logits.topRows(n);
  const Matrix& d = p.decoder.out.back();
  p.d_out_w.noalias() += d.transpose() * dlogits;
  p.d_out_b += dlogits.colwise().sum();
  const Matrix dd = dlogits * out_w.value.transpose();
  const Matrix dz = decoder.backward(dd, p.decoder);
  const float b = beta * scale;
  Matrix dq(n, 2 * l);
  dq.leftCols(l).array() = dz.array() + b * mu;
  dq.rightCols(l).array() = 0.5f * b * (lv.exp() - 1.0f);
  if (p.eps.size() > 0)
    dq.rightCols(l).array() += dz.array() * p.eps.array() * 0.5f * (0.5f * lv).exp();
  p.d_emb = gru.backward(encoder.backward(dq, p.encoder), p.gru);
  if (p.mask.size() > 0) p.d_emb.array() *= p.mask.array();
  return total;
}

void SvaeNetwork::add_gradients(Pass& p) {
  gru.add_gradients(p.gru);
  encoder.add_gradients(p.encoder);
  decoder.add_gradients(p.decoder);
  out_w.grad += p.d_out_w;
  out_b.grad += p.d_out_b;
  p.d_out_w.setZero();
  p.d_out_b.setZero();
}

void SvaeNetwork::last_state(std::span<const int32_t> items, RowVector& h) const {
  Matrix x;
  embedding.forward(items, x);
  gru.last_state(x, h);
}

void SvaeNetwork::score_state(const RowVector& h, std::span<float> out) const {
  METAREC_CHECK(static_cast<int64_t>(out.size()) == shape.items, "SVAE: score buffer has size ",
                out.size(), ", expected ", shape.items);
  METAREC_CHECK(h.size() == shape.rnn, "SVAE: state has size ", h.size(), ", expected ", shape.rnn);
  RowVector a, q, d, logits;
  affine(h, encoder.weight(0), encoder.bias(0), a);
  a = a.array().tanh();
  affine(a, encoder.weight(1), encoder.bias(1), q);
  const RowVector mu = q.head(shape.latent);
  affine(mu, decoder.weight(0), decoder.bias(0), d);
  d = d.array().tanh();
  affine(d, out_w, out_b, logits);
  std::copy(logits.data(), logits.data() + logits.size(), out.begin());
}

std::vector<nn::Parameter*> SvaeNetwork::dense_parameters() {
  std::vector<nn::Parameter*> out = gru.parameters();
  for (auto* p : encoder.parameters()) out.push_back(p);
  for (auto* p : decoder.parameters()) out.push_back(p);
  out.push_back(&out_w);
  out.push_back(&out_b);
  return out;
}

std::vector<nn::Parameter*> SvaeNetwork::parameters() {
  std::vector<nn::Parameter*> out = {&embedding.table};
  for (auto* p : dense_parameters()) out.push_back(p);
  return out;
}

double train_svae(SvaeNetwork& net, const std::vector<SvaeSequence>& sequences,
                  const SvaeTraining& cfg, const FitContext& ctx, uint64_t seed) {
  METAREC_CHECK(cfg.epochs >= 1 && cfg.batch >= 1 && cfg.next_k >= 1 && cfg.dropout >= 0 &&
                    cfg.dropout < 1 && cfg.max_length >= 0,
                "SVAE: invalid training settings (epochs ", cfg.epochs, ", batch ", cfg.batch,
                ", next_k ", cfg.next_k, ", dropout ", cfg.dropout, ", max_length ", cfg.max_length,
                ")");
  std::vector<const SvaeSequence*> train;
  for (const auto& s : sequences)
    if (s.items.size() >= 2) train.push_back(&s);
  if (train.empty()) return 0;
  const int64_t nt = static_cast<int64_t>(train.size());
  // The length a sequence trains with.
  auto used_length = [&](const SvaeSequence& s) {
    const int64_t n = static_cast<int64_t>(s.items.size());
    return cfg.max_length > 0 ? std::min<int64_t>(n, cfg.max_length) : n;
  };
  nn::MiniBatches batches(nt, cfg.batch);
  const int workers = static_cast<int>(
      std::min<int64_t>(resolve_threads(ctx.threads), std::min<int64_t>(cfg.batch, nt)));
  nn::ScopedBlasThreads blas(1);
  auto dense = net.dense_parameters();
  nn::Adam adam(dense, cfg.learning_rate);
  nn::LazyAdam lazy(net.embedding, cfg.learning_rate);
  const nn::KlAnnealing anneal(cfg.beta_max, cfg.anneal_fraction,
                               static_cast<int64_t>(cfg.epochs) * batches.count());
  std::vector<SvaeNetwork::Pass> passes;
  for (int w = 0; w < workers; ++w) passes.push_back(net.new_pass());
  // Per place in the batch: the sequence as trained, its embedding-row gradients and its loss.
  std::vector<std::vector<int32_t>> used(static_cast<size_t>(cfg.batch));
  std::vector<Matrix> d_emb(static_cast<size_t>(cfg.batch));
  std::vector<double> losses(static_cast<size_t>(cfg.batch));
  std::vector<std::vector<int64_t>> plan(static_cast<size_t>(workers));  // places per worker
  std::vector<int64_t> load(static_cast<size_t>(workers)), places;
  Rng order(seed);
  const Rng noise = Rng(seed).fork(0x5AE);
  const Eigen::Index dim = net.shape.embedding, latent = net.shape.latent;
  nn::SparseGrad g;
  int64_t updates = 0;
  double epoch_loss = 0;
  for (int epoch = 0; epoch < cfg.epochs; ++epoch) {
    ctx.check_cancel();
    batches.shuffle(order);
    epoch_loss = 0;
    for (int64_t b = 0; b < batches.count(); ++b) {
      const auto idx = batches.batch(b);
      const int64_t nb = static_cast<int64_t>(idx.size());
      int64_t steps = 0;
      for (int64_t k : idx) steps += used_length(*train[k]) - 1;
      const float scale = 1.0f / static_cast<float>(steps);
      const float beta = anneal.beta(updates);
      // The batch's places, longest first, each to the least-loaded worker: a plan fixed by the
      // batch, so the gradient sums (added in worker order below) do not depend on which thread
      // runs which worker.
      places.resize(static_cast<size_t>(nb));
      std::iota(places.begin(), places.end(), int64_t{0});
      if (workers > 1)
        std::stable_sort(places.begin(), places.end(), [&](int64_t a, int64_t c) {
          return used_length(*train[idx[a]]) > used_length(*train[idx[c]]);
        });
      for (auto& w : plan) w.clear();
      std::fill(load.begin(), load.end(), 0);
      for (int64_t k : places) {
        const size_t w =
            static_cast<size_t>(std::min_element(load.begin(), load.end()) - load.begin());
        plan[w].push_back(k);
        load[w] += used_length(*train[idx[k]]);
      }
      auto run = [&](int64_t w) {
        SvaeNetwork::Pass& p = passes[static_cast<size_t>(w)];
        for (int64_t k : plan[static_cast<size_t>(w)]) {
          const SvaeSequence& s = *train[idx[k]];
          std::vector<int32_t>& seq = used[static_cast<size_t>(k)];
          const int64_t len = used_length(s);
          Rng rng = noise.fork((static_cast<uint64_t>(epoch) << 32) +
                               static_cast<uint64_t>(b * cfg.batch + k));
          if (s.shuffled) {
            seq = s.items;
            for (size_t j = seq.size(); j > 1; --j) std::swap(seq[j - 1], seq[rng.uniform_int(j)]);
            seq.resize(static_cast<size_t>(len));
          } else {
            seq.assign(s.items.end() - len, s.items.end());
          }
          const Eigen::Index n = static_cast<Eigen::Index>(len) - 1;
          if (cfg.dropout > 0) {
            const float keep = 1.0f / (1.0f - cfg.dropout);
            p.mask.resize(n, dim);
            for (Eigen::Index e = 0; e < p.mask.size(); ++e)
              p.mask.data()[e] = rng.uniform() < cfg.dropout ? 0.0f : keep;
          }
          p.eps.resize(n, latent);
          for (Eigen::Index e = 0; e < p.eps.size(); ++e)
            p.eps.data()[e] = static_cast<float>(rng.normal());
          net.forward(std::span<const int32_t>(seq.data(), static_cast<size_t>(n)), p);
          losses[static_cast<size_t>(k)] = net.loss(seq, cfg.next_k, beta, scale, p, true);
          d_emb[static_cast<size_t>(k)].swap(p.d_emb);
        }
      };
      if (workers == 1) {
        run(0);
      } else {
        parallel_for(workers, workers, run, 1);
      }
      for (auto* q : dense) q->zero_grad();
      for (auto& p : passes) net.add_gradients(p);
      adam.step();
      // The embedding rows of every input, in batch order, summed per row by coalesce().
      g.ids.clear();
      g.values.resize(steps, dim);
      Eigen::Index row = 0;
      for (int64_t k = 0; k < nb; ++k) {
        const std::vector<int32_t>& seq = used[static_cast<size_t>(k)];
        const Matrix& d = d_emb[static_cast<size_t>(k)];
        g.ids.insert(g.ids.end(), seq.begin(), seq.end() - 1);
        g.values.middleRows(row, d.rows()) = d;
        row += d.rows();
        epoch_loss += losses[static_cast<size_t>(k)];
      }
      g.coalesce();
      lazy.step(g);
      ++updates;
    }
    epoch_loss /= static_cast<double>(batches.count());
    ctx.report(static_cast<double>(epoch + 1) / cfg.epochs,
               "epoch " + std::to_string(epoch + 1) + " loss " + std::to_string(epoch_loss));
  }
  return epoch_loss;
}

ParamSchema Svae::schema() {
  return {
      ParamSpec::integer("embedding", 64, 1, 4096, "size of the item embeddings fed to the GRU")
          .tune(32, 512, true),
      ParamSpec::integer("rnn", 100, 1, 4096, "units of the GRU").tune(32, 512, true),
      ParamSpec::integer("hidden", 150, 1, 16384,
                         "width of the encoder's and decoder's hidden layers")
          .tune(50, 600, true),
      ParamSpec::integer("latent", 64, 1, 4096, "size of the latent code").tune(16, 256, true),
      ParamSpec::integer("next_k", 16, 1, 1000,
                         "each step is trained to predict this many following items")
          .tune(1, 64, true),
      ParamSpec::integer("max_length", 200, 0, 1 << 24,
                         "longer histories keep their latest (shuffled: a random) max_length "
                         "items (0: no limit)")
          .tune(50, 1000, true),
      ParamSpec::choice("order", "time", {"time", "shuffled", "stored"},
                        "time: histories in time order, those without distinct timestamps "
                        "shuffled; shuffled: every history in a fresh random order each epoch "
                        "(a set model; scored in a fixed pseudo-random order); stored: time "
                        "order, untimed histories in the stored order (ascending item index)"),
      ParamSpec::integer("epochs", 20, 1, 10000, "passes over the training users")
          .tune(5, 100, true),
      ParamSpec::integer("batch_size", 16, 1, 1 << 20, "users per Adam step").tune(1, 128, true),
      ParamSpec::real("learning_rate", 3e-3, 0, 1, "Adam step size", true).tune(1e-4, 1e-2, true),
      ParamSpec::real("dropout", 0, 0, 0.99,
                      "share of the input embeddings' entries dropped in training")
          .tune(0, 0.5),
      ParamSpec::real("beta_max", 0.2, 0, 10, "final weight of the KL term").tune(0.05, 1, true),
      ParamSpec::real("anneal_fraction", 0.8, 0, 1,
                      "share of all updates over which the KL weight rises linearly from 0 to "
                      "beta_max",
                      true)
          .tune(0.2, 1),
  };
}

Svae::Svae(const Params& p) : Recommender("svae", p) {}
Svae::~Svae() = default;

const SvaeNetwork& Svae::network() const {
  require_fitted();
  return *net_;
}

SvaeShape Svae::shape_for(int32_t items) const {
  SvaeShape s;
  s.items = items;
  s.embedding = static_cast<int>(params().get_int("embedding"));
  s.rnn = static_cast<int>(params().get_int("rnn"));
  s.hidden = static_cast<int>(params().get_int("hidden"));
  s.latent = static_cast<int>(params().get_int("latent"));
  return s;
}

std::vector<int32_t> Svae::in_time_order(std::span<const int32_t> items,
                                         std::span<const int64_t> times, bool* timed) {
  METAREC_CHECK(times.empty() || times.size() == items.size(), "SVAE: ", times.size(),
                " times for ", items.size(), " items");
  std::vector<int32_t> out(items.begin(), items.end());
  const bool varies = !times.empty() && std::any_of(times.begin(), times.end(),
                                                    [&](int64_t t) { return t != times.front(); });
  if (timed) *timed = varies;
  if (!varies) return out;
  std::vector<size_t> order(items.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return times[a] < times[b]; });
  for (size_t j = 0; j < order.size(); ++j) out[j] = items[order[j]];
  return out;
}

std::vector<int32_t> Svae::in_catalogue_order(std::span<const int32_t> items) {
  std::vector<std::pair<uint64_t, int32_t>> keyed;
  keyed.reserve(items.size());
  for (int32_t i : items) keyed.emplace_back(scramble(i), i);
  std::sort(keyed.begin(), keyed.end());
  std::vector<int32_t> out;
  out.reserve(items.size());
  for (const auto& [key, i] : keyed) out.push_back(i);
  return out;
}

void Svae::prepare(std::vector<int32_t>& items, bool timed) const {
  if (!timed && params().get_string("order") != "stored") items = in_catalogue_order(items);
  const int64_t max_length = params().get_int("max_length");
  if (max_length > 0 && static_cast<int64_t>(items.size()) > max_length)
    items.erase(items.begin(), items.end() - max_length);
}

void Svae::do_fit(const Interactions& train, const FitContext& ctx) {
  const Params& p = params();
  SvaeTraining cfg;
  cfg.epochs = static_cast<int>(p.get_int("epochs"));
  cfg.batch = static_cast<int>(p.get_int("batch_size"));
  cfg.learning_rate = static_cast<float>(p.get_float("learning_rate"));
  cfg.dropout = static_cast<float>(p.get_float("dropout"));
  cfg.beta_max = static_cast<float>(p.get_float("beta_max"));
  cfg.anneal_fraction = static_cast<float>(p.get_float("anneal_fraction"));
  cfg.next_k = static_cast<int>(p.get_int("next_k"));
  cfg.max_length = static_cast<int>(p.get_int("max_length"));
  const std::string& order = p.get_string("order");
  const int32_t nu = train.num_users();
  std::vector<SvaeSequence> sequences(static_cast<size_t>(nu));
  for (int32_t u = 0; u < nu; ++u) {
    SvaeSequence& s = sequences[static_cast<size_t>(u)];
    bool timed = false;
    s.items =
        in_time_order(train.user_items(u),
                      train.has_timestamps() && order != "shuffled" ? train.user_times(u)
                                                                    : std::span<const int64_t>(),
                      &timed);
    s.shuffled = !timed && order != "stored";
  }
  Rng rng = Rng(ctx.seed).fork(0x5AE0);
  net_ = std::make_unique<SvaeNetwork>(shape_for(train.num_items()), rng);
  train_svae(*net_, sequences, cfg, ctx, ctx.seed ^ 0x5EED);
  // Each training user's last GRU state, so score() needs only the encoder and decoder.
  user_state_.resize(nu, net_->shape.rnn);
  nn::ScopedBlasThreads blas(1);
  parallel_for(nu, resolve_threads(ctx.threads), [&](int64_t u) {
    SvaeSequence& s = sequences[static_cast<size_t>(u)];
    prepare(s.items, !s.shuffled);  // as score_new_history would order and cut them
    RowVector h;
    net_->last_state(s.items, h);
    user_state_.row(u) = h;
  });
}

void Svae::score_history(std::vector<int32_t> items, bool timed, std::span<float> out) const {
  for (int32_t i : items)
    METAREC_CHECK(i >= 0 && i < num_items(), "fold-in: item ", i, " out of range");
  prepare(items, timed);
  RowVector h;
  net_->last_state(items, h);
  net_->score_state(h, out);
}

void Svae::score(int32_t user, std::span<float> out) const {
  require_fitted();
  if (user >= 0 && user < user_state_.rows()) {
    net_->score_state(user_state_.row(user), out);
  } else {
    net_->score_state(RowVector::Zero(net_->shape.rnn), out);
  }
}

void Svae::score_new_user(std::span<const int32_t> items, std::span<const float> values,
                          std::span<float> out) const {
  require_fitted();
  METAREC_CHECK(values.empty() || values.size() == items.size(),
                "fold-in: values and items differ in length");
  score_history(std::vector<int32_t>(items.begin(), items.end()), false, out);
}

void Svae::score_new_history(std::span<const int32_t> items, std::span<const float> values,
                             std::span<const int64_t> times, std::span<float> out) const {
  require_fitted();
  METAREC_CHECK(values.empty() || values.size() == items.size(),
                "fold-in: values and items differ in length");
  METAREC_CHECK(times.size() == items.size(), "fold-in: ", times.size(), " times for ",
                items.size(), " items");
  bool timed = false;
  std::vector<int32_t> ordered = in_time_order(
      items, params().get_string("order") == "shuffled" ? std::span<const int64_t>() : times,
      &timed);
  score_history(std::move(ordered), timed, out);
}

void Svae::do_save(ModelWriter& w) const {
  for (auto* p : net_->parameters())
    w.add("svae." + p->name,
          std::span<const float>(p->value.data(), static_cast<size_t>(p->value.size())),
          {p->value.rows(), p->value.cols()});
  w.add("svae.user_state",
        std::span<const float>(user_state_.data(), static_cast<size_t>(user_state_.size())),
        {user_state_.rows(), user_state_.cols()});
}

void Svae::do_load(const ModelReader& r) {
  Rng rng(0);
  auto net = std::make_unique<SvaeNetwork>(shape_for(num_items()), rng);
  for (auto* p : net->parameters()) {
    const std::vector<float> v = r.f32("svae." + p->name, {p->value.rows(), p->value.cols()});
    std::memcpy(p->value.data(), v.data(), sizeof(float) * v.size());
  }
  const std::vector<float> s = r.f32("svae.user_state", {num_users(), net->shape.rnn});
  user_state_.resize(num_users(), net->shape.rnn);
  std::memcpy(user_state_.data(), s.data(), sizeof(float) * s.size());
  net_ = std::move(net);
}

}  // namespace metarec
