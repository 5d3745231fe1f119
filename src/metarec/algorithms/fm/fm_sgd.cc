// Factorization machine learning by SGD (libFM's SGD; BPR or logistic loss for implicit data),
// plus the initialization and clean-up every learner shares.
#include <metarec/algorithms/fm/fm_train.h>
#include <metarec/algorithms/mf/sgd_kernel.h>
#include <metarec/core/error.h>
#include <metarec/core/parallel.h>
#include <metarec/core/rng.h>
#include <metarec/data/negative_sampling.h>

#include <algorithm>
#include <cmath>
#include <mutex>

namespace metarec {

void init_fm_weights(FmWeights& m, int32_t n, int k, float std, uint64_t seed) {
  m.k = k;
  m.w0 = 0;
  m.w.assign(static_cast<size_t>(n), 0.0f);
  m.v.resize(static_cast<size_t>(n) * k);
  Rng rng(seed);
  for (auto& x : m.v) x = static_cast<float>(rng.normal()) * std;
}

void clear_unused_features(FmWeights& m, const Interactions& train, const FmFeatureMap& map,
                           bool implicit) {
  std::vector<uint8_t> used(static_cast<size_t>(map.num_features()), 0);
  for (int32_t u = 0; u < train.num_users(); ++u)
    if (train.user_count(u) > 0)
      for (int32_t f : map.user_features(u)) used[f] = 1;
  // Implicit learners draw negatives from every item, so every item's features see data.
  for (int32_t i = 0; i < train.num_items(); ++i)
    if (implicit || train.item_count(i) > 0)
      for (int32_t f : map.item_features(i)) used[f] = 1;
  if (map.uses_time())
    for (int64_t t : train.entry_times()) used[map.time_feature(t)] = 1;
  for (int32_t f = 0; f < map.num_features(); ++f)
    if (!used[f]) {
      m.w[f] = 0.0f;
      std::fill(m.vrow(f), m.vrow(f) + m.k, 0.0f);
    }
}

namespace {

// One per thread, each on its own cache lines: the vectors' end pointers move on every step.
// ia/xa (and ib/xb, a negative's) hold a row, sa/sb its factor sums, order a cell's visit order.
struct alignas(64) Scratch {
  std::vector<int32_t> ia, ib, order;
  std::vector<float> xa, xb, sa, sb;
};

// The sums are written on every step and allocated here, one thread's next to another's: padding
// keeps them off each other's cache lines (false sharing made 2 threads slower than 1).
std::vector<Scratch> make_scratch(int threads, int k) {
  std::vector<Scratch> out(static_cast<size_t>(threads));
  for (auto& s : out) {
    s.sa.resize(padded_stride<float>(static_cast<size_t>(k)));
    s.sb.resize(padded_stride<float>(static_cast<size_t>(k)));
  }
  return out;
}

inline float sigmoid(double x) { return static_cast<float>(1.0 / (1.0 + std::exp(-x))); }

}  // namespace

namespace {

// Private per-thread copies of the features that rows of many users and many items share (user
// attributes, time bins, genres) and of w0: every worker would write them on every step, and
// two cores writing the same cache lines made two threads slower than one. Thread t's copies
// are rows [base + t * stride, + ns) appended to m.w and m.v, whole cache lines apart; a row's
// shared features are renumbered to them, and each thread adds its copies' change to the model
// at every sync(). Nothing is appended when disabled (one thread): rows keep the model's ids.
class PrivateSharedFeatures {
 public:
  PrivateSharedFeatures(FmWeights& m, const FmFeatureMap& map, int threads, bool enabled)
      : m_(m), n_(m.n()), k_(m.k), slots_(static_cast<size_t>(threads)) {
    if (enabled)
      for (FmGroup g : {FmGroup::kUserAttribute, FmGroup::kTime, FmGroup::kGenre})
        for (int32_t f = map.group_begin(g); f < map.group_end(g); ++f) shared_.push_back(f);
    const auto ns = static_cast<int32_t>(shared_.size());
    base_ = static_cast<int32_t>(padded_stride<float>(static_cast<size_t>(n_)));
    stride_ = static_cast<int32_t>(padded_stride<float>(static_cast<size_t>(ns)));
    local_.assign(static_cast<size_t>(n_), -1);
    for (int32_t q = 0; q < ns; ++q) local_[shared_[q]] = q;
    if (ns > 0) {
      m_.w.resize(static_cast<size_t>(base_) + static_cast<size_t>(threads) * stride_);
      m_.v.resize(m_.w.size() * static_cast<size_t>(k_));
    }
    for (auto& s : slots_) {
      s.start_w.resize(static_cast<size_t>(ns));
      s.start_v.resize(static_cast<size_t>(ns) * k_);
    }
  }
  ~PrivateSharedFeatures() {
    m_.w.resize(static_cast<size_t>(n_));
    m_.v.resize(static_cast<size_t>(n_) * k_);
  }

  /// Points the shared features of `idx` (with values `x`) at thread `tid`'s copies and restores
  /// ascending order (the pairwise SGD step merges two rows by index).
  void renumber(std::vector<int32_t>& idx, std::vector<float>& x, int tid) const {
    if (shared_.empty()) return;
    const int32_t mine = base_ + tid * stride_;
    bool moved = false;
    for (int32_t& j : idx)
      if (local_[j] >= 0) {
        j = mine + local_[j];
        moved = true;
      }
    if (!moved) return;
    for (size_t a = 1; a < idx.size(); ++a)  // rows are short: insertion sort
      for (size_t b = a; b > 0 && idx[b - 1] > idx[b]; --b) {
        std::swap(idx[b - 1], idx[b]);
        std::swap(x[b - 1], x[b]);
      }
  }

  /// Adds thread `tid`'s change since its last sync to the model (unless `first`), then, unless
  /// `last`, refreshes its copies and `w0` from the model.
  void sync(int tid, double& w0, bool first, bool last) {
    Slot& s = slots_[static_cast<size_t>(tid)];
    const int32_t mine = base_ + tid * stride_;
    const auto ns = static_cast<int32_t>(shared_.size());
    std::lock_guard<std::mutex> lock(mu_);
    if (!first) {
      m_.w0 += w0 - s.w0_start;
      for (int32_t q = 0; q < ns; ++q) {
        m_.w[shared_[q]] += m_.w[mine + q] - s.start_w[q];
        float* to = m_.vrow(shared_[q]);
        const float* from = m_.vrow(mine + q);
        const float* start = s.start_v.data() + static_cast<size_t>(q) * k_;
        for (int f = 0; f < k_; ++f) to[f] += from[f] - start[f];
      }
    }
    if (last) return;
    w0 = s.w0_start = m_.w0;
    for (int32_t q = 0; q < ns; ++q) {
      s.start_w[q] = m_.w[mine + q] = m_.w[shared_[q]];
      std::copy_n(m_.vrow(shared_[q]), k_, s.start_v.data() + static_cast<size_t>(q) * k_);
      std::copy_n(m_.vrow(shared_[q]), k_, m_.vrow(mine + q));
    }
  }

 private:
  struct alignas(64) Slot {
    double w0_start = 0;
    std::vector<float> start_w, start_v;
  };
  FmWeights& m_;
  int32_t n_;
  int k_;
  std::vector<int32_t> shared_, local_;
  int32_t base_ = 0, stride_ = 0;
  std::vector<Slot> slots_;
  std::mutex mu_;
};

// Steps between two merges of a cell's private copies into the model.
constexpr int64_t kSyncSteps = 256;

// The user-id and item-id rows of m.w and m.v stored by the grid's band slots while training, as
// the MF models store theirs (mf/sgd_kernel.h, SgdGrid::Numbering::kBandSlots): each band's rows
// in one stretch of memory, away from the rows another thread is writing. Built, the rows are in
// slot order and row() maps a feature to its training row; the destructor puts them back.
class IdSlots {
 public:
  IdSlots(FmWeights& m, const FmFeatureMap& map, const detail::SgdGrid& grid)
      : m_(m),
        ub_(map.group_begin(FmGroup::kUser)),
        ue_(map.group_end(FmGroup::kUser)),
        ib_(map.group_begin(FmGroup::kItem)),
        ie_(map.group_end(FmGroup::kItem)),
        us_(grid.user_slots()),
        is_(grid.item_slots()) {
    // Only the id groups the grid numbers (one row per user / item) move.
    if (static_cast<size_t>(ue_ - ub_) != us_.size()) ue_ = ub_;
    if (static_cast<size_t>(ie_ - ib_) != is_.size()) ie_ = ib_;
    uid_ = inverse(us_);
    iid_ = inverse(is_);
    move(true);
  }
  ~IdSlots() { move(false); }
  IdSlots(const IdSlots&) = delete;
  IdSlots& operator=(const IdSlots&) = delete;

  /// False with one block: rows stay by id.
  bool active() const { return !uid_.empty(); }
  /// The user and item ids of an SgdEntry's user and item (slots, or ids without slots).
  int32_t user(int32_t x) const { return uid_.empty() ? x : uid_[x]; }
  int32_t item(int32_t x) const { return iid_.empty() ? x : iid_[x]; }
  /// The training row of feature f.
  int32_t row(int32_t f) const {
    if (f >= ub_ && f < ue_) return ub_ + us_[f - ub_];
    if (f >= ib_ && f < ie_) return ib_ + is_[f - ib_];
    return f;
  }

 private:
  // to_slots: row begin + j goes to begin + slot[j]; else back.
  void move(bool to_slots) {
    const size_t k = static_cast<size_t>(m_.k);
    auto group = [&](int32_t begin, int32_t end, std::span<const int32_t> slot) {
      const size_t n = static_cast<size_t>(end - begin);
      std::vector<float> w(m_.w.begin() + begin, m_.w.begin() + end);
      std::vector<float> v(m_.v.begin() + begin * k, m_.v.begin() + end * k);
      for (size_t j = 0; j < n; ++j) {
        const size_t from = to_slots ? j : static_cast<size_t>(slot[j]);
        const size_t to = to_slots ? static_cast<size_t>(slot[j]) : j;
        m_.w[begin + to] = w[from];
        std::copy_n(v.begin() + from * k, k, m_.v.begin() + (begin + to) * k);
      }
    };
    group(ub_, ue_, us_);
    group(ib_, ie_, is_);
  }

  static std::vector<int32_t> inverse(std::span<const int32_t> slot) {
    std::vector<int32_t> id(slot.size());
    for (size_t j = 0; j < slot.size(); ++j) id[slot[j]] = static_cast<int32_t>(j);
    return id;
  }

  FmWeights& m_;
  int32_t ub_, ue_, ib_, ie_;
  std::span<const int32_t> us_, is_;
  std::vector<int32_t> uid_, iid_;
};

// Explicit ratings: FPSGD's grid (mf/sgd_kernel.h), so concurrent cells never share a user or an
// item id, and the shared features and w0 as PrivateSharedFeatures, synced every kSyncSteps steps
// and when a part (a cell, or a slice of one with several threads) ends. One thread has a single
// cell and updates the model directly.
void train_explicit(FmWeights& m, const Interactions& train, const FmFeatureMap& map,
                    const FmTrainConfig& c, const FitContext& ctx) {
  const int threads = resolve_threads(ctx.threads);
  const Rng seeds = Rng(ctx.seed).fork(0xF6);
  const int blocks = detail::sgd_grid_blocks(threads);
  const detail::SgdGrid grid(
      train, blocks, seeds.fork(0).next(),
      blocks > 1 ? detail::SgdGrid::Numbering::kBandSlots : detail::SgdGrid::Numbering::kIds,
      threads);
  const IdSlots slots(m, map, grid);  // before the copies, which append rows to m.w and m.v
  PrivateSharedFeatures copies(m, map, threads, grid.blocks() > 1);
  std::vector<Scratch> scratch = make_scratch(threads, m.k);
  const auto times = train.entry_times();
  const bool clip = c.lo < c.hi;
  int epoch = 0;
  auto cell_fn = [&](std::span<const detail::SgdEntry> cell, int tid) {
    Scratch& wk = scratch[static_cast<size_t>(tid)];
    double w0 = 0;
    copies.sync(tid, w0, true, false);
    // The grid groups a cell's ratings by user; FM learns worse in that order (ML-100K u1 RMSE
    // 0.938 against 0.920), so each epoch visits every part (a cell or a slice of one) in a fresh
    // random order.
    const auto size = static_cast<int64_t>(cell.size());
    wk.order.resize(static_cast<size_t>(size));
    for (int64_t q = 0; q < size; ++q) wk.order[q] = static_cast<int32_t>(q);
    // Streams (epoch + 1) << 32 | offset: apart from the grid's (0) and the epochs' cell orders.
    Rng shuffle = seeds.fork((static_cast<uint64_t>(epoch + 1) << 32) +
                             static_cast<uint64_t>(cell.data() - grid.cell(0, 0).data()));
    for (int64_t q = size - 1; q > 0; --q)
      std::swap(wk.order[q], wk.order[shuffle.uniform_int(static_cast<uint64_t>(q) + 1)]);
    int64_t steps = 0;
    for (int32_t q : wk.order) {
      // Concurrent cells change the shared features too, each from the state it last saw; syncing
      // often keeps those changes small (merging once per cell overshot: u1 RMSE 0.95-0.97).
      if (++steps % kSyncSteps == 0 && threads > 1) copies.sync(tid, w0, false, false);
      const detail::SgdEntry& e = cell[static_cast<size_t>(q)];
      const int32_t tf = map.uses_time() ? map.time_feature(times[e.entry]) : -1;
      wk.ia.clear();
      wk.xa.clear();
      map.append_row(slots.user(e.user), slots.item(e.item), tf, wk.ia, wk.xa);
      if (slots.active())
        for (int32_t& f : wk.ia) f = slots.row(f);
      copies.renumber(wk.ia, wk.xa, tid);
      const FmRow row{wk.ia, wk.xa};
      double y = fm_predict(m, row, wk.sa.data(), &w0);
      if (clip) y = std::clamp(y, static_cast<double>(c.lo), static_cast<double>(c.hi));
      fm_sgd_step(m, row, wk.sa.data(), y - e.value, {}, nullptr, 0, c.learning_rate, c.reg, &w0);
    }
    copies.sync(tid, w0, false, true);
  };
  for (epoch = 0; epoch < c.epochs; ++epoch) {
    ctx.check_cancel();
    detail::sgd_epoch(grid, threads, seeds.fork(static_cast<uint64_t>(epoch) + 1).next(), cell_fn);
    ctx.report(static_cast<double>(epoch + 1) / c.epochs, "SGD epoch");
  }
}

}  // namespace

void train_fm_sgd(FmWeights& m, const Interactions& train, const FmFeatureMap& map,
                  const FmTrainConfig& c, const FitContext& ctx) {
  init_fm_weights(m, map.num_features(), c.k, c.init_std, ctx.seed);
  if (!c.implicit) {
    m.w0 = train.global_mean();
    train_explicit(m, train, map, c, ctx);
    return;
  }
  // Implicit data: negatives come from every item, so no grid keeps two threads' rows apart; the
  // ids are updated Hogwild, the shared features and w0 through private copies.
  const int64_t nnz = train.nnz();
  const int32_t ni = train.num_items();
  // Blocks of a per-epoch permutation; the layout never depends on the thread count, so one
  // thread replays the same updates for a seed. More threads update Hogwild-style.
  const int64_t blocks = std::clamp<int64_t>(nnz / 2048, 1, 1024);
  const int threads = resolve_threads(ctx.threads);
  std::vector<Scratch> scratch = make_scratch(threads, c.k);
  const NegativeSampler sampler(train, NegativeMode::kUniform);
  const auto users = train.entry_users();
  const auto items = train.entry_items();
  const auto times = train.entry_times();
  const Rng base = Rng(ctx.seed).fork(0xF5);
  std::vector<int64_t> order(static_cast<size_t>(nnz));
  for (int64_t e = 0; e < nnz; ++e) order[e] = e;
  PrivateSharedFeatures copies(m, map, threads, threads > 1);

  for (int epoch = 0; epoch < c.epochs; ++epoch) {
    ctx.check_cancel();
    Rng shuffle = base.fork(static_cast<uint64_t>(epoch) << 32);
    for (int64_t q = nnz - 1; q > 0; --q)
      std::swap(order[q], order[shuffle.uniform_int(static_cast<uint64_t>(q) + 1)]);
    parallel_for_tid(
        blocks, ctx.threads,
        [&](int64_t b, int tid) {
          Rng rng = base.fork((static_cast<uint64_t>(epoch) << 32) + 1 + b);
          Scratch& s = scratch[static_cast<size_t>(tid)];
          double w0 = 0;
          copies.sync(tid, w0, true, false);
          auto predict = [&](const FmRow& row, float* sums) {
            return fm_predict(m, row, sums, &w0);
          };
          int64_t steps = 0;
          for (int64_t q = nnz * b / blocks; q < nnz * (b + 1) / blocks; ++q) {
            if (++steps % kSyncSteps == 0 && threads > 1) copies.sync(tid, w0, false, false);
            const int64_t entry = order[q];
            const int32_t u = users[entry];
            const int32_t tf = map.uses_time() ? map.time_feature(times[entry]) : -1;
            s.ia.clear();
            s.xa.clear();
            map.append_row(u, items[entry], tf, s.ia, s.xa);
            copies.renumber(s.ia, s.xa, tid);
            const FmRow ra{s.ia, s.xa};
            double ya = predict(ra, s.sa.data());
            if (train.user_count(u) >= ni) continue;  // no negative exists
            if (!c.bpr)
              fm_sgd_step(m, ra, s.sa.data(), sigmoid(ya) - 1.0, {}, nullptr, 0, c.learning_rate,
                          c.reg, &w0);
            for (int n = 0; n < c.negatives; ++n) {
              const int32_t j = sampler.sample(u, rng);
              s.ib.clear();
              s.xb.clear();
              map.append_row(u, j, tf, s.ib, s.xb);
              copies.renumber(s.ib, s.xb, tid);
              const FmRow rb{s.ib, s.xb};
              const double yb = predict(rb, s.sb.data());
              if (c.bpr) {
                // -ln sigmoid(ya - yb): d/dya = sigmoid(ya - yb) - 1, d/dyb = its negative.
                if (n > 0) ya = predict(ra, s.sa.data());
                const double g = sigmoid(ya - yb) - 1.0;
                fm_sgd_step(m, ra, s.sa.data(), g, rb, s.sb.data(), -g, c.learning_rate, c.reg,
                            &w0);
              } else {
                fm_sgd_step(m, rb, s.sb.data(), sigmoid(yb), {}, nullptr, 0, c.learning_rate, c.reg,
                            &w0);
              }
            }
          }
          copies.sync(tid, w0, false, true);
        },
        1);
    ctx.report(static_cast<double>(epoch + 1) / c.epochs, "SGD epoch");
  }
}

}  // namespace metarec
