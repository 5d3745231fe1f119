// Training-loop helpers shared by the neural models: seeded mini-batches, early stopping on a
// validation metric, the KL weight annealing of variational autoencoders, and a scope that runs
// OpenBLAS single-threaded while OpenMP parallelizes over the batch.
#pragma once

#include <metarec/core/blas_threads.h>
#include <metarec/core/rng.h>
#include <metarec/nn/layers.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

namespace metarec::nn {

/// The example indices 0..n-1 cut into mini-batches of `batch_size` (the last one shorter unless
/// `drop_last`), in an order reshuffled by shuffle(). Same Rng state, same batches.
///
///   MiniBatches mb(n, 256);
///   for (int e = 0; e < epochs; ++e) {
///     mb.shuffle(rng);
///     for (int64_t b = 0; b < mb.count(); ++b) train_on(mb.batch(b));
///   }
class MiniBatches {
 public:
  MiniBatches(int64_t examples, int64_t batch_size, bool drop_last = false);
  /// A fresh uniformly random order (Fisher-Yates) from `rng`.
  void shuffle(Rng& rng);
  /// Number of batches.
  int64_t count() const { return count_; }
  /// The indices of batch b, 0 <= b < count().
  std::span<const int64_t> batch(int64_t b) const;
  /// The whole current order.
  std::span<const int64_t> order() const { return order_; }

 private:
  std::vector<int64_t> order_;
  int64_t batch_, count_;
};

/// Tracks a validation metric over epochs: remembers the best value and its epoch and says when
/// `patience` epochs in a row have not improved on it by more than `min_delta`. It holds no
/// parameters: when update() returns true the caller copies its parameters as the best ones,
/// and restores that copy after stopping.
class EarlyStopping {
 public:
  explicit EarlyStopping(int patience, bool higher_is_better = true, double min_delta = 0);
  /// Records the next epoch's metric (epochs count from 0). Returns true when it is a new best.
  /// A NaN never improves.
  bool update(double metric);
  /// True once `patience` consecutive updates have not improved.
  bool should_stop() const { return since_best_ >= patience_; }
  int best_epoch() const { return best_epoch_; }  ///< -1 before the first update
  double best() const { return best_; }
  int epochs() const { return epochs_; }

 private:
  int patience_;
  bool higher_;
  double min_delta_;
  double best_;
  int best_epoch_ = -1, epochs_ = 0, since_best_ = 0;
};

/// Early stopping that keeps the best epoch's weights: update() after every epoch copies the
/// given matrices whenever the metric is a new best, and restore() puts that copy back.
///
///   BestEpoch best(weights, patience);
///   best.update(validate());  // the starting weights, epoch 0 (optional)
///   for (int e = 0; e < epochs; ++e) {
///     train_one_epoch();
///     if (!best.update(validate())) break;
///   }
///   best.restore();
class BestEpoch {
 public:
  BestEpoch(std::vector<Matrix*> weights, int patience);
  /// Records the next epoch's metric (higher is better). Returns false once training should
  /// stop (`patience` epochs without a gain).
  bool update(double metric);
  /// Puts the best epoch's weights back; does nothing before the first update().
  void restore();
  const EarlyStopping& stopping() const { return stop_; }

 private:
  std::vector<Matrix*> weights_;
  std::vector<Matrix> best_;
  EarlyStopping stop_;
};

/// The weight of the KL term of a variational autoencoder under linear annealing, relative to the
/// run's length (Mult-VAE's schedule, see algorithms/autoencoder/mult_vae.h): beta rises
/// linearly with the update count from 0 to `beta_max`, reaching it after `fraction` of
/// `total_updates`, then stays there.
class KlAnnealing {
 public:
  KlAnnealing(float beta_max, float fraction, int64_t total_updates);
  /// beta for update number `update` (counting from 0).
  float beta(int64_t update) const {
    return static_cast<float>(std::min(1.0, static_cast<double>(update) / anneal_updates_) *
                              beta_max_);
  }

 private:
  float beta_max_;
  double anneal_updates_;
};

/// The BLAS thread scope of core/blas_threads.h, under the name the neural core has used.
using metarec::ScopedBlasThreads;

}  // namespace metarec::nn
