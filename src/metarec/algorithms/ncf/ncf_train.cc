// NCF training: per-epoch negative sampling, Hogwild over mini-batches, Adam (lazy on the
// embedding rows of the batch) or SGD.
#include <metarec/algorithms/bpr/user_item_mask.h>
#include <metarec/algorithms/common/user_blocks.h>
#include <metarec/algorithms/ncf/ncf.h>
#include <metarec/algorithms/ncf/ncf_diversity.h>
#include <metarec/core/error.h>
#include <metarec/core/parallel.h>
#include <metarec/data/negative_sampling.h>
#include <metarec/nn/activations.h>
#include <metarec/nn/optim.h>
#include <metarec/nn/train.h>

#include <algorithm>
#include <atomic>
#include <deque>
#include <memory>
#include <mutex>

namespace metarec {

using nn::Matrix;

namespace {

// One embedding table's optimizer: lazy Adam, sparse SGD, or Adam over the whole table as
// PyTorch runs it on a dense embedding (`dense`: the sparse rows are scattered into `*scratch`,
// a zero table of the worker's, and cleared again after the step; null otherwise). A dense step
// rewrites every row of the table, so under Hogwild two threads' steps would race on all of them
// (not only on the batch's rows): dense steps take the table's lock, one batch's update at a
// time, as PyTorch applies them. The step costs O(rows x dim) against the batch's O(batch x dim),
// so it gains little from threads: other threads' forward passes still read the rows lock-free,
// as Hogwild does everywhere else in NCF.
struct TableOptimizer {
  std::unique_ptr<nn::LazyAdam> adam;
  std::unique_ptr<nn::SparseSgd> sgd;
  std::unique_ptr<nn::Adam> dense;
  std::unique_ptr<std::mutex> dense_lock;
  void step(const nn::SparseGrad& g, nn::Matrix* scratch) {
    if (dense) {
      // The scratch is the worker's own: only the step itself needs the lock.
      for (size_t k = 0; k < g.ids.size(); ++k)
        scratch->row(g.ids[k]) = g.values.row(static_cast<Eigen::Index>(k));
      const nn::Matrix* grads[] = {scratch};
      {
        const std::lock_guard<std::mutex> hold(*dense_lock);
        dense->step(grads);
      }
      for (int32_t id : g.ids) scratch->row(id).setZero();
    } else if (adam) {
      adam->step(g);
    } else {
      sgd->step(g);
    }
  }
};

// What one thread needs to process a mini-batch on its own.
struct Worker {
  NcfNetwork::Pass pass;
  nn::Matrix out_b_grad = nn::Matrix::Zero(1, 1);
  std::vector<const nn::Matrix*> dense_grads;  // in the order of net.dense_parameters()
  std::vector<int32_t> users, items;
  std::vector<float> labels, logits;
  std::vector<nn::SparseGrad> sparse;
  std::vector<nn::Matrix> table_scratch;  // per table, only for dense Adam
  std::unique_ptr<NcfDiversity> diversity;
};

}  // namespace

namespace detail {

std::vector<int32_t> row_balanced_bands(std::span<const int64_t> offset, int parts) {
  METAREC_CHECK(!offset.empty() && parts >= 1, "row_balanced_bands: need offsets and parts >= 1");
  const auto n = static_cast<int32_t>(offset.size() - 1);
  const int64_t rows = offset.back() - offset.front();
  std::vector<int32_t> cut{0};
  for (int t = 0; t < parts && cut.back() < n; ++t) {
    int32_t end = cut.back();
    if (t == parts - 1) {
      end = n;
    } else {
      const int64_t share = offset.front() + rows * (t + 1) / parts;
      while (end < n && (offset[static_cast<size_t>(end) + 1] <= share || end == cut.back())) ++end;
    }
    cut.push_back(end);
  }
  return cut;
}

}  // namespace detail

void train_ncf(NcfNetwork& net, const Interactions& train, const NcfTraining& cfg,
               const FitContext& ctx, uint64_t seed, double progress_lo, double progress_hi) {
  METAREC_CHECK(cfg.epochs >= 1 && cfg.negatives >= 1 && cfg.batch >= 1,
                "NCF: epochs, negatives and batch size must be >= 1");
  METAREC_CHECK(train.num_users() == net.shape.users && train.num_items() == net.shape.items,
                "NCF: network sized for ", net.shape.users, " x ", net.shape.items, ", data is ",
                train.num_users(), " x ", train.num_items());
  const nn::ScopedBlasThreads serial_blas(1);
  const int threads = resolve_threads(ctx.threads);
  const int32_t nu = train.num_users(), ni = train.num_items();
  const int per_pos = 1 + cfg.negatives;

  // Rows of the epoch's training set: each positive, then its negatives. A user who has seen
  // every item has no negatives and contributes positives only.
  std::vector<int64_t> offset(static_cast<size_t>(nu) + 1, 0);
  for (int32_t u = 0; u < nu; ++u) {
    const int64_t n = train.user_count(u);
    offset[u + 1] = offset[u] + (n < ni ? n * per_pos : n);
  }
  const int64_t rows = offset[nu];
  if (rows == 0) return;
  std::vector<int32_t> row_user(static_cast<size_t>(rows)), row_item(static_cast<size_t>(rows));
  std::vector<float> row_label(static_cast<size_t>(rows));
  for (int32_t u = 0; u < nu; ++u) {
    const auto pos = train.user_items(u);
    const bool negs = static_cast<int64_t>(pos.size()) < ni;
    int64_t r = offset[u];
    for (int32_t i : pos) {
      row_user[r] = u;
      row_item[r] = i;
      row_label[r++] = 1;
      if (!negs) continue;
      for (int s = 0; s < cfg.negatives; ++s) {
        row_user[r] = u;
        row_label[r++] = 0;  // item drawn every epoch
      }
    }
  }

  // Optimizers: dense parameters and one per embedding table.
  auto dense = net.dense_parameters();
  std::unique_ptr<nn::Adam> adam;
  std::unique_ptr<nn::Sgd> sgd;
  if (cfg.sgd)
    sgd = std::make_unique<nn::Sgd>(dense, cfg.learning_rate);
  else
    adam = std::make_unique<nn::Adam>(dense, cfg.learning_rate);
  auto tables = net.embeddings();
  const bool dense_tables = cfg.embedding_adam == NcfTraining::EmbeddingAdam::kDense;
  std::vector<TableOptimizer> table_opt(tables.size());
  for (size_t t = 0; t < tables.size(); ++t) {
    if (cfg.sgd)
      table_opt[t].sgd = std::make_unique<nn::SparseSgd>(*tables[t], cfg.learning_rate);
    else if (dense_tables) {
      table_opt[t].dense = std::make_unique<nn::Adam>(
          std::vector<nn::Parameter*>{&tables[t]->table}, cfg.learning_rate);
      table_opt[t].dense_lock = std::make_unique<std::mutex>();
    } else
      table_opt[t].adam = std::make_unique<nn::LazyAdam>(
          *tables[t], cfg.learning_rate, 0.9f, 0.999f, 1e-8f, 0.0f,
          cfg.embedding_adam == NcfTraining::EmbeddingAdam::kCatchUp);
  }

  const bool gmf = net.shape.has_gmf(), mlp = net.shape.has_mlp();
  std::vector<Worker> workers(static_cast<size_t>(threads));
  for (Worker& w : workers) {
    w.pass = net.new_pass();
    if (mlp) {
      for (size_t l = 0; l < w.pass.tower.dw.size(); ++l) {
        w.dense_grads.push_back(&w.pass.tower.dw[l]);
        w.dense_grads.push_back(&w.pass.tower.db[l]);
      }
    }
    w.dense_grads.push_back(&w.pass.d_out_w);
    w.dense_grads.push_back(&w.out_b_grad);
    w.users.resize(static_cast<size_t>(cfg.batch));
    w.items.resize(static_cast<size_t>(cfg.batch));
    w.labels.resize(static_cast<size_t>(cfg.batch));
    w.logits.resize(static_cast<size_t>(cfg.batch));
    w.sparse.resize(tables.size());
    if (!cfg.sgd && dense_tables)
      for (nn::Embedding* e : tables)
        w.table_scratch.push_back(nn::Matrix::Zero(e->table.value.rows(), e->table.value.cols()));
    w.diversity = std::make_unique<NcfDiversity>(train, cfg.diversity_alpha);
  }

  const NegativeSampler sampler(train, NegativeMode::kUniform);
  std::vector<UserItemMask> masks(static_cast<size_t>(threads), UserItemMask(ni));
  const Rng base = Rng(seed).fork(0x9CF7);
  // With several threads, one band of users (equal shares of the rows) per thread.
  struct Band {
    int64_t first_row, first_batch;
    nn::MiniBatches batches;
    std::atomic<int64_t> next{0};
    Band(int64_t first, int64_t count, int64_t first_b, int64_t batch)
        : first_row(first), first_batch(first_b), batches(count, batch) {}
  };
  std::deque<Band> bands;
  if (threads > 1) {
    const auto cut = detail::row_balanced_bands(offset, threads);
    int64_t first_batch = 0;
    for (size_t t = 0; t + 1 < cut.size(); ++t) {
      const int64_t lo = offset[static_cast<size_t>(cut[t])];
      bands.emplace_back(lo, offset[static_cast<size_t>(cut[t + 1])] - lo, first_batch, cfg.batch);
      first_batch += bands.back().batches.count();
    }
  }
  // One thread (or one band): a single shuffled order over all rows.
  nn::MiniBatches batches(bands.size() > 1 ? 0 : rows, cfg.batch);

  for (int e = 0; e < cfg.epochs; ++e) {
    ctx.check_cancel();
    // Fresh negatives: users in a fixed number of blocks, each with its own random stream.
    for_each_user_block(nu, threads, base, e, {}, [&](int32_t u, Rng& rng, int tid) {
      const auto pos = train.user_items(u);
      if (pos.empty() || static_cast<int64_t>(pos.size()) >= ni) return;
      UserItemMask& seen = masks[static_cast<size_t>(tid)];
      seen.set(pos);
      auto fallback = [&] { return sampler.sample(u, rng); };
      for (int64_t r = offset[u]; r < offset[u + 1]; ++r)
        if (row_label[r] == 0) row_item[r] = seen.sample(rng, fallback);
      seen.clear(pos);
    });
    // One mini-batch: rows first + idx[k]; b numbers the batch within the epoch.
    auto run_batch = [&](std::span<const int64_t> idx, int64_t first, int64_t b, int tid) {
      Worker& w = workers[static_cast<size_t>(tid)];
      const size_t n = idx.size();
      for (size_t k = 0; k < n; ++k) {
        w.users[k] = row_user[first + idx[k]];
        w.items[k] = row_item[first + idx[k]];
        w.labels[k] = row_label[first + idx[k]];
      }
      const std::span<const int32_t> us(w.users.data(), n), is(w.items.data(), n);
      const std::span<float> z(w.logits.data(), n);
      NcfNetwork::Pass& p = w.pass;
      net.clear_dense(p);
      net.forward(us, is, p, z);
      // d(mean BCE)/d logit = (sigmoid(z) - y) / n.
      const float inv_n = 1.0f / static_cast<float>(n);
      for (size_t k = 0; k < n; ++k) z[k] = (nn::sigmoid(z[k]) - w.labels[k]) * inv_n;
      net.backward(z, p);
      const float reg = cfg.reg * inv_n;
      size_t t = 0;
      // One pair of embedding tables (GMF's or the MLP's): the L2 penalty, then the sparse rows.
      auto tables_backward = [&](nn::Embedding& user_t, nn::Embedding& item_t, nn::Matrix& du,
                                 nn::Matrix& di, const nn::Matrix& u, const nn::Matrix& i) {
        if (reg > 0) {
          du += reg * u;
          di += reg * i;
        }
        w.sparse[t++] = user_t.backward(us, du);
        w.sparse[t++] = item_t.backward(is, di);
      };
      if (gmf) tables_backward(net.user_gmf, net.item_gmf, p.d_ug, p.d_ig, p.ug, p.ig);
      if (mlp) tables_backward(net.user_mlp, net.item_mlp, p.d_um, p.d_im, p.um, p.im);
      // The penalty's gradients join this batch's (the pass's dense sums, the sparse rows).
      if (w.diversity->active() && w.diversity->due(b))
        w.diversity->add_gradients(net, us[0], p, w.sparse);
      w.out_b_grad(0, 0) = static_cast<float>(p.d_out_b);
      if (adam)
        adam->step(w.dense_grads);
      else
        sgd->step(w.dense_grads);
      for (size_t k = 0; k < tables.size(); ++k)
        table_opt[k].step(w.sparse[k], k < w.table_scratch.size() ? &w.table_scratch[k] : nullptr);
    };
    if (bands.size() <= 1) {
      Rng shuffle = base.fork(static_cast<uint64_t>(e) << 32);
      batches.shuffle(shuffle);
      // Hogwild over mini-batches: each thread takes whole batches and steps the shared
      // parameters without locks. One parallel region per epoch: no barrier per batch, which on
      // a busy machine (a descheduled thread holding up the others) cost 7x on ML-1M.
      parallel_for_tid(
          batches.count(), threads,
          [&](int64_t b, int tid) { run_batch(batches.batch(b), 0, b, tid); }, 1);
    } else {
      // Hogwild with user bands: thread t first takes the batches of band t, then helps the
      // others, so until the tail of the epoch a user's embedding rows (and their Adam moments)
      // are written by one core only; only the item rows move between the cores.
      parallel_for(
          static_cast<int64_t>(bands.size()), threads,
          [&](int64_t k) {
            Rng shuffle =
                base.fork((static_cast<uint64_t>(e) << 32) | static_cast<uint64_t>(k + 1));
            bands[static_cast<size_t>(k)].batches.shuffle(shuffle);
            bands[static_cast<size_t>(k)].next.store(0);
          },
          1);
      parallel_for_tid(
          static_cast<int64_t>(bands.size()), threads,
          [&](int64_t own, int tid) {
            for (size_t step = 0; step < bands.size(); ++step) {
              Band& band = bands[(static_cast<size_t>(own) + step) % bands.size()];
              while (true) {
                const int64_t j = band.next.fetch_add(1);
                if (j >= band.batches.count()) break;
                run_batch(band.batches.batch(j), band.first_row, band.first_batch + j, tid);
              }
            }
          },
          1);
    }
    // Rows behind on their missed steps are brought up before anyone reads the tables.
    for (TableOptimizer& o : table_opt)
      if (o.adam) o.adam->catch_up();
    if (!cfg.after_epoch)
      ctx.report(progress_lo + (progress_hi - progress_lo) * (e + 1) / cfg.epochs, "NCF epoch");
    else if (!cfg.after_epoch(e))  // the hook reports the epoch itself
      break;
  }
}

}  // namespace metarec
