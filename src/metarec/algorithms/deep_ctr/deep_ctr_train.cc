// The training loop shared by the deep CTR models: FM rows per interaction (and per sampled
// negative on implicit data), Hogwild over mini-batches, Adam and lazy Adam.
#include <metarec/algorithms/common/user_blocks.h>
#include <metarec/algorithms/deep_ctr/deep_ctr.h>
#include <metarec/core/error.h>
#include <metarec/core/parallel.h>
#include <metarec/data/negative_sampling.h>
#include <metarec/nn/activations.h>
#include <metarec/nn/optim.h>
#include <metarec/nn/train.h>

#include <algorithm>

namespace metarec {

namespace {

// What one thread needs to process a mini-batch on its own.
struct Worker {
  DeepCtrBatch batch;
  DeepCtrNetwork::Pass pass;
  std::vector<const nn::Matrix*> dense_grads;  // in the order of net.dense_parameters()
  std::vector<float> target, out;
};

}  // namespace

void train_deep_ctr(DeepCtrNetwork& net, const Interactions& train, const FmFeatureMap& map,
                    const DeepCtrTraining& cfg, const FitContext& ctx) {
  METAREC_CHECK(cfg.epochs >= 1 && cfg.batch >= 1 && (!cfg.implicit || cfg.negatives >= 1),
                "deep CTR: epochs, batch size and negatives must be >= 1");
  METAREC_CHECK(map.num_features() == net.shape.features, "deep CTR: network has ",
                net.shape.features, " features, the map ", map.num_features());
  const nn::ScopedBlasThreads serial_blas(1);
  const int threads = resolve_threads(ctx.threads);
  const int32_t nu = train.num_users(), ni = train.num_items();
  const auto items = train.entry_items();
  const auto values = train.entry_values();
  const auto times = train.entry_times();
  const auto uptr = train.user_ptr();

  // Rows: explicit, one per entry; implicit, each positive then its negatives (whose items are
  // drawn every epoch). A user who has seen every item has no negatives.
  const int per_pos = cfg.implicit ? 1 + cfg.negatives : 1;
  std::vector<int64_t> offset(static_cast<size_t>(nu) + 1, 0);
  for (int32_t u = 0; u < nu; ++u) {
    const int64_t n = train.user_count(u);
    offset[u + 1] = offset[u] + (cfg.implicit && n < ni ? n * per_pos : n);
  }
  const int64_t rows = offset[nu];
  if (rows == 0) return;
  std::vector<int32_t> row_user(static_cast<size_t>(rows)), row_item(static_cast<size_t>(rows)),
      row_time(static_cast<size_t>(rows));
  std::vector<float> row_target(static_cast<size_t>(rows));
  for (int32_t u = 0; u < nu; ++u) {
    const bool negs = cfg.implicit && train.user_count(u) < ni;
    int64_t r = offset[u];
    for (int64_t e = uptr[u]; e < uptr[u + 1]; ++e) {
      const int32_t tf = map.uses_time() ? map.time_feature(times[e]) : -1;
      row_user[r] = u;
      row_item[r] = items[e];
      row_time[r] = tf;
      row_target[r++] = cfg.implicit ? 1.0f : values[e];
      if (!negs) continue;
      for (int s = 0; s < cfg.negatives; ++s) {
        row_user[r] = u;
        row_time[r] = tf;
        row_target[r++] = 0;
      }
    }
  }

  auto dense = net.dense_parameters();
  nn::Adam adam(dense, cfg.learning_rate);
  nn::LazyAdam adam_v(net.v, cfg.learning_rate), adam_w(net.w, cfg.learning_rate);
  std::vector<Worker> workers(static_cast<size_t>(threads));
  for (Worker& w : workers) {
    w.pass = net.new_pass();
    w.dense_grads = net.dense_gradients(w.pass);
    w.target.resize(static_cast<size_t>(cfg.batch));
    w.out.resize(static_cast<size_t>(cfg.batch));
  }

  const NegativeSampler sampler(train, NegativeMode::kUniform);
  const Rng base = Rng(ctx.seed).fork(0xDC7);
  // Dropout masks: a stream per (epoch, mini-batch), whatever thread runs the batch.
  const Rng drop_base = base.fork(0xD209);
  nn::MiniBatches batches(rows, cfg.batch);

  for (int e = 0; e < cfg.epochs; ++e) {
    ctx.check_cancel();
    if (cfg.implicit) {
      // Fresh negatives: users in a fixed number of blocks (independent of the thread count),
      // each block with its own random stream.
      for_each_user_block(nu, threads, base, e, {}, [&](int32_t u, Rng& rng, int) {
        for (int64_t r = offset[u]; r < offset[u + 1]; ++r)
          if (row_target[r] == 0) row_item[r] = sampler.sample(u, rng);
      });
    }
    Rng shuffle = base.fork(static_cast<uint64_t>(e) << 32);
    batches.shuffle(shuffle);

    // Hogwild over mini-batches, one parallel region per epoch (see train_ncf).
    parallel_for_tid(
        batches.count(), threads,
        [&](int64_t b, int tid) {
          Worker& w = workers[static_cast<size_t>(tid)];
          const auto idx = batches.batch(b);
          const size_t n = idx.size();
          w.batch.clear();
          for (size_t q = 0; q < n; ++q) {
            const int64_t r = idx[q];
            w.batch.add(map, row_user[r], row_item[r], row_time[r]);
            w.target[q] = row_target[r];
          }
          DeepCtrNetwork::Pass& p = w.pass;
          const std::span<float> y(w.out.data(), n);
          net.clear_dense(p);
          Rng drop = drop_base.fork((static_cast<uint64_t>(e) << 32) + static_cast<uint64_t>(b));
          net.forward(w.batch, p, y, &drop);
          // Mean loss over the batch: MSE's d/dy = 2 (y - t) / n, BCE's (sigmoid(y) - t) / n.
          const float inv_n = 1.0f / static_cast<float>(n);
          for (size_t q = 0; q < n; ++q)
            y[q] = cfg.implicit ? (nn::sigmoid(y[q]) - w.target[q]) * inv_n
                                : 2.0f * (y[q] - w.target[q]) * inv_n;
          net.backward(y, p);
          if (cfg.reg > 0) {
            const float reg = cfg.reg * inv_n;
            for (size_t q = 0; q < w.batch.idx.size(); ++q) {
              const int32_t j = w.batch.idx[q];
              p.dv.row(static_cast<Eigen::Index>(q)) += reg * net.v.table.value.row(j);
              p.dw(static_cast<Eigen::Index>(q), 0) += reg * net.w.table.value(j, 0);
            }
          }
          const nn::SparseGrad gv = net.v.backward(w.batch.idx, p.dv);
          const nn::SparseGrad gw = net.w.backward(w.batch.idx, p.dw);
          adam.step(w.dense_grads);
          adam_v.step(gv);
          adam_w.step(gw);
        },
        1);
    ctx.report(static_cast<double>(e + 1) / cfg.epochs, "deep CTR epoch");
  }
}

}  // namespace metarec
