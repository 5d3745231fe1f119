// AutoRec: the network's sparse forward and backward passes, training, and the
// catalog model's parameters, prediction and persistence.
#include <metarec/algorithms/autoencoder/autorec.h>
#include <metarec/core/error.h>
#include <metarec/core/parallel.h>
#include <metarec/nn/activations.h>
#include <metarec/nn/train.h>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace metarec {

using nn::Matrix;
using nn::RowVector;

AutoRecNetwork::AutoRecNetwork(int32_t columns, int hidden, Rng& rng) {
  METAREC_CHECK(columns > 0 && hidden > 0, "AutoRec: bad shape ", columns, " x ", hidden);
  const double bound = std::sqrt(6.0 / (columns + hidden));
  auto init = [&](nn::Parameter& p, const std::string& name, Eigen::Index r, Eigen::Index c,
                  bool random) {
    p.name = name;
    p.value = Matrix::Zero(r, c);
    if (random)
      for (Eigen::Index k = 0; k < p.value.size(); ++k)
        p.value.data()[k] = static_cast<float>((2 * rng.uniform() - 1) * bound);
    p.zero_grad();
  };
  init(v, "v", columns, hidden, true);
  init(b_enc, "b_enc", 1, hidden, false);
  init(w, "w", columns, hidden, true);
  init(b_dec, "b_dec", 1, columns, false);
}

void AutoRecNetwork::encode(std::span<const int32_t> cols, std::span<const float> vals,
                            RowVector& h) const {
  h = b_enc.value.row(0);
  for (size_t e = 0; e < cols.size(); ++e) h.noalias() += vals[e] * v.value.row(cols[e]);
  for (Eigen::Index k = 0; k < h.size(); ++k) h[k] = nn::sigmoid(h[k]);
}

double AutoRecNetwork::batch_loss(std::span<const int64_t> rows, std::span<const int64_t> ptr,
                                  std::span<const int32_t> cols, std::span<const float> vals,
                                  bool backward, int threads) {
  const Eigen::Index n = static_cast<Eigen::Index>(rows.size()), k = v.value.cols();
  // Batches of under about four million multiply-adds run on one thread: there a parallel
  // region costs more than it saves. (The result does not depend on the thread count.)
  int64_t work = 0;
  for (int64_t r : rows) work += (ptr[r + 1] - ptr[r]) * k;
  if (work < (int64_t{1} << 22)) threads = 1;
  h_.resize(n, k);
  dh_.resize(n, k);
  // Per example: the code, the squared errors of its observed outputs and, for
  // the backward pass, dL/d(pre-activation) in dh_ and each output's dL/dout
  // stored per entry in `dout`.
  std::vector<double> sse(static_cast<size_t>(n));
  std::vector<float> dout(backward ? cols.size() : 0);
  parallel_for(
      n, threads,
      [&](int64_t b) {
        const int64_t lo = ptr[rows[b]], hi = ptr[rows[b] + 1];
        RowVector h;
        encode(cols.subspan(lo, hi - lo), vals.subspan(lo, hi - lo), h);
        h_.row(b) = h;
        RowVector dh = RowVector::Zero(k);
        double s = 0;
        for (int64_t e = lo; e < hi; ++e) {
          const float out = w.value.row(cols[e]).dot(h) + b_dec.value(0, cols[e]);
          const float err = out - vals[e];
          s += static_cast<double>(err) * err;
          if (backward) {
            dout[e] = 2 * err;
            dh.noalias() += (2 * err) * w.value.row(cols[e]);
          }
        }
        sse[b] = s;
        if (backward) dh_.row(b) = dh.array() * h.array() * (1.0f - h.array());
      },
      16);
  double total = 0;
  for (double s : sse) total += s;
  if (!backward) return total;
  b_enc.grad += dh_.colwise().sum();
  // dW, db_dec and dV by column: each column's gradient row summed by one
  // thread, in batch order.
  by_col_.resize(static_cast<size_t>(v.value.rows()));
  std::vector<int32_t> touched;
  for (Eigen::Index b = 0; b < n; ++b)
    for (int64_t e = ptr[rows[b]]; e < ptr[rows[b] + 1]; ++e) {
      auto& list = by_col_[cols[e]];
      if (list.empty()) touched.push_back(cols[e]);
      list.emplace_back(static_cast<int32_t>(b), static_cast<int32_t>(e));
    }
  parallel_for(
      static_cast<int64_t>(touched.size()), threads,
      [&](int64_t t) {
        const int32_t c = touched[t];
        auto gw = w.grad.row(c);
        auto gv = v.grad.row(c);
        for (const auto& [b, e] : by_col_[c]) {
          gw.noalias() += dout[e] * h_.row(b);
          b_dec.grad(0, c) += dout[e];
          gv.noalias() += vals[e] * dh_.row(b);
        }
        by_col_[c].clear();
      },
      64);
  return total;
}

ParamSchema AutoRec::schema() {
  return {
      ParamSpec::integer("hidden", 500, 1, 16384, "width of the hidden (code) layer")
          .tune(50, 1000, true),
      // ML-100K u1 (hidden 500, 100 epochs), I-AutoRec RMSE by lambda: 10 1.076, 100 0.948,
      // 300 0.932, 1000 1.006 (and lambda 1 with 200 epochs: 1.121).
      ParamSpec::real("lambda", 300, 0, 1e4,
                      "L2 penalty lambda/2 (|V|^2 + |W|^2) per pass over the data")
          .tune(1, 3000, true),
      ParamSpec::integer("epochs", 100, 1, 100000, "passes over the examples").tune(50, 500, true),
      ParamSpec::integer("batch_size", 64, 1, 1 << 20, "examples per Adam step")
          .tune(16, 512, true),
      ParamSpec::real("learning_rate", 1e-3, 0, 1, "Adam step size", true).tune(1e-4, 1e-2, true),
  };
}

AutoRec::AutoRec(bool item_based, const Params& p)
    : Recommender(item_based ? "i_autorec" : "u_autorec", p), item_based_(item_based) {}

void AutoRec::do_fit(const Interactions& train, const FitContext& ctx) {
  const Params& p = params();
  const int hidden = static_cast<int>(p.get_int("hidden"));
  const float lambda = static_cast<float>(p.get_float("lambda"));
  const int epochs = static_cast<int>(p.get_int("epochs"));
  const int threads = resolve_threads(ctx.threads);
  lo_ = train.scale_min();
  hi_ = train.scale_max();
  // The examples as CSR: items over users (I-AutoRec) or users over items
  // (U-AutoRec).
  const int32_t rows = item_based_ ? train.num_items() : train.num_users();
  const int32_t columns = item_based_ ? train.num_users() : train.num_items();
  const auto ptr = item_based_ ? train.item_ptr() : train.user_ptr();
  std::vector<int32_t> cols(static_cast<size_t>(train.nnz()));
  std::vector<float> vals(cols.size());
  for (int32_t r = 0; r < rows; ++r) {
    const auto c = item_based_ ? train.item_users(r) : train.user_items(r);
    const auto x = item_based_ ? train.item_values(r) : train.user_values(r);
    std::copy(c.begin(), c.end(), cols.begin() + ptr[r]);
    std::copy(x.begin(), x.end(), vals.begin() + ptr[r]);
  }
  std::vector<int64_t> examples;
  for (int32_t r = 0; r < rows; ++r)
    if (ptr[r + 1] > ptr[r]) examples.push_back(r);
  Rng rng = Rng(ctx.seed).fork(0xA07);
  AutoRecNetwork net(columns, hidden, rng);
  if (!examples.empty()) {
    nn::ScopedBlasThreads blas(1);
    nn::MiniBatches batches(static_cast<int64_t>(examples.size()),
                            static_cast<int64_t>(p.get_int("batch_size")));
    auto params = net.parameters();
    nn::Adam adam(params, static_cast<float>(p.get_float("learning_rate")));
    std::vector<int64_t> batch;
    for (int epoch = 0; epoch < epochs; ++epoch) {
      ctx.check_cancel();
      batches.shuffle(rng);
      for (int64_t b = 0; b < batches.count(); ++b) {
        batch.clear();
        for (int64_t k : batches.batch(b)) batch.push_back(examples[k]);
        for (auto* q : params) q->zero_grad();
        net.batch_loss(batch, ptr, cols, vals, true, threads);
        // This batch's share of the penalty lambda/2 |.|^2: gradient lambda *
        // share * weights.
        const float share =
            lambda * static_cast<float>(batch.size()) / static_cast<float>(examples.size());
        net.v.grad += share * net.v.value;
        net.w.grad += share * net.w.value;
        adam.step();
      }
      ctx.report(static_cast<double>(epoch + 1) / epochs, "epoch " + std::to_string(epoch + 1));
    }
  }
  codes_.resize(rows, hidden);
  parallel_for(
      rows, threads,
      [&](int64_t r) {
        RowVector h;
        net.encode(std::span<const int32_t>(cols).subspan(ptr[r], ptr[r + 1] - ptr[r]),
                   std::span<const float>(vals).subspan(ptr[r], ptr[r + 1] - ptr[r]), h);
        codes_.row(r) = h;
      },
      64);
  net.encode({}, {}, empty_code_);
  fallback_.resize(rows);
  column_seen_ = RowVector::Zero(columns);
  for (int32_t r = 0; r < rows; ++r) {
    double sum = 0;
    for (int64_t e = ptr[r]; e < ptr[r + 1]; ++e) {
      sum += vals[static_cast<size_t>(e)];
      column_seen_[cols[static_cast<size_t>(e)]] = 1;
    }
    const int64_t n = ptr[r + 1] - ptr[r];
    fallback_[r] = static_cast<float>(n > 0 ? sum / static_cast<double>(n) : train.global_mean());
  }
  w_ = std::move(net.w.value);
  b_dec_ = net.b_dec.value.row(0);
}

float AutoRec::raw(int32_t user, int32_t item) const {
  const int32_t row = item_based_ ? item : user, col = item_based_ ? user : item;
  const bool known = row >= 0 && row < codes_.rows();
  if (column_seen_[col] == 0)
    return std::clamp(known ? fallback_[row] : 0.5f * (lo_ + hi_), lo_, hi_);
  const float r =
      (known ? codes_.row(row).dot(w_.row(col)) : empty_code_.dot(w_.row(col))) + b_dec_[col];
  return std::clamp(r, lo_, hi_);
}

float AutoRec::predict(int32_t user, int32_t item) const {
  require_fitted();
  METAREC_CHECK(item >= 0 && item < num_items(), "AutoRec: item ", item, " out of range");
  if (item_based_ && (user < 0 || user >= num_users())) return 0.5f * (lo_ + hi_);
  return raw(user, item);
}

void AutoRec::score(int32_t user, std::span<float> out) const {
  require_fitted();
  METAREC_CHECK(static_cast<int64_t>(out.size()) == num_items(), algorithm(),
                ": score buffer has size ", out.size(), ", expected ", num_items());
  for (int32_t i = 0; i < num_items(); ++i) out[i] = predict(user, i);
}

void AutoRec::do_save(ModelWriter& w) const {
  auto put = [&](const std::string& name, const float* data, Eigen::Index r, Eigen::Index c) {
    w.add("autorec." + name, std::span<const float>(data, static_cast<size_t>(r * c)), {r, c});
  };
  put("codes", codes_.data(), codes_.rows(), codes_.cols());
  put("w", w_.data(), w_.rows(), w_.cols());
  put("b_dec", b_dec_.data(), 1, b_dec_.size());
  put("empty_code", empty_code_.data(), 1, empty_code_.size());
  put("fallback", fallback_.data(), 1, fallback_.size());
  put("column_seen", column_seen_.data(), 1, column_seen_.size());
  const float scale[2] = {lo_, hi_};
  put("scale", scale, 1, 2);
}

void AutoRec::do_load(const ModelReader& r) {
  const int64_t hidden = params().get_int("hidden");
  const int64_t rows = item_based_ ? num_items() : num_users();
  const int64_t columns = item_based_ ? num_users() : num_items();
  auto get = [&](const std::string& name, float* data, int64_t rr, int64_t cc) {
    const std::vector<float> v = r.f32("autorec." + name, {rr, cc});
    std::memcpy(data, v.data(), sizeof(float) * v.size());
  };
  codes_.resize(rows, hidden);
  w_.resize(columns, hidden);
  b_dec_.resize(columns);
  empty_code_.resize(hidden);
  get("codes", codes_.data(), rows, hidden);
  get("w", w_.data(), columns, hidden);
  get("b_dec", b_dec_.data(), 1, columns);
  get("empty_code", empty_code_.data(), 1, hidden);
  fallback_.resize(rows);
  column_seen_.resize(columns);
  get("fallback", fallback_.data(), 1, rows);
  get("column_seen", column_seen_.data(), 1, columns);
  float scale[2];
  get("scale", scale, 1, 2);
  lo_ = scale[0];
  hi_ = scale[1];
}

}  // namespace metarec
