// Optimizers beyond Adam/AdamW (layers.h): SGD with momentum and Adagrad for dense parameters,
// and the sparse (lazy) updates of embedding tables: SGD, Adagrad and lazy Adam touch only the
// rows present in a batch's SparseGrad, so a step costs O(rows in the batch), not O(table).
//
// Optimizers keep pointers to the parameters or tables they were built with: those must outlive
// the optimizer and must not move. Not thread-safe (one step at a time).
#pragma once

#include <metarec/nn/embedding.h>
#include <metarec/nn/layers.h>

#include <cmath>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace metarec::nn {

/// Stochastic gradient descent, PyTorch's formulation: g' = g + weight_decay * p;
/// with momentum mu > 0, v = mu v + g' and p -= lr v (or, with nesterov, p -= lr (g' + mu v));
/// without, p -= lr g'.
class Sgd {
 public:
  explicit Sgd(std::vector<Parameter*> params, float lr, float momentum = 0, float weight_decay = 0,
               bool nesterov = false);
  void step();
  /// One step with gradients held outside the parameters (grads[k] for parameter k); like
  /// Adam::step(grads), safe to call concurrently for Hogwild-style training (without momentum).
  void step(std::span<const Matrix* const> grads);
  void zero_grad();
  void set_learning_rate(float lr);

 private:
  std::vector<Parameter*> params_;
  std::vector<Matrix> velocity_;
  float lr_, momentum_, wd_;
  bool nesterov_;
};

/// Adagrad (Duchi, Hazan, Singer 2011): G += g^2 element-wise, p -= lr g / (sqrt(G) + eps).
/// `initial_accumulator` starts G (PyTorch 0; TensorFlow 0.1).
class Adagrad {
 public:
  explicit Adagrad(std::vector<Parameter*> params, float lr = 1e-2f, float eps = 1e-10f,
                   float initial_accumulator = 0);
  void step();
  void zero_grad();

 private:
  std::vector<Parameter*> params_;
  std::vector<Matrix> sum_;
  float lr_, eps_;
};

/// Plain SGD on the rows of a table present in a gradient: row -= lr (g + weight_decay row).
/// Rows absent from the gradient (and their decay) are left exactly unchanged.
class SparseSgd {
 public:
  SparseSgd(Embedding& table, float lr, float weight_decay = 0);
  /// `g` must be coalesced (sorted, distinct ids: Embedding::backward's output).
  void step(const SparseGrad& g);
  void set_learning_rate(float lr);

 private:
  Parameter* table_;
  float lr_, wd_;
};

/// Adagrad on the rows present in a gradient; each row's accumulator changes only when the row
/// is updated.
class SparseAdagrad {
 public:
  SparseAdagrad(Embedding& table, float lr = 1e-2f, float eps = 1e-10f,
                float initial_accumulator = 0);
  void step(const SparseGrad& g);

 private:
  Parameter* table_;
  Matrix sum_;
  float lr_, eps_;
};

/// Lazy Adam (as PyTorch's SparseAdam and TensorFlow Addons' LazyAdam): the first and second
/// moments of a row are updated, and the row moved, only on steps whose gradient contains the
/// row; bias correction uses the global step count. Rows never looked up stay exactly as
/// initialized. `weight_decay` > 0 adds decoupled decay (AdamW) to the updated rows only.
/// Concurrent step() calls are allowed (Hogwild): the step count is atomic, the rows race.
///
/// With `catch_up`, a row also gets the moves dense Adam would have given it on the steps it
/// missed: with a zero gradient its moments decay (m by beta1, v by beta2 per step) and it keeps
/// moving by lr m^ / sqrt(v^). Those k moves sum in closed form, lr m / sqrt(v) times
/// sum_j (beta1 / sqrt(beta2))^j sqrt(1 - beta2^(s+j)) / (1 - beta1^(s+j)), so they are applied
/// when the row is next updated, at the cost of that one update, not of k steps over the table
/// (the sum and the powers come from tables; catch-up needs beta1 < sqrt(beta2)).
/// The trajectory is dense Adam's (PyTorch's Adam on a dense embedding) except that eps is
/// taken at the row's last update, and that a batch reads a row before its catch-up (it sees
/// the row as of its last update; under Hogwild rows are read stale anyway). With weight_decay,
/// the missed steps' decay is applied too, before their moves (dense AdamW interleaves them).
/// Call catch_up() before the table is used: it brings every row to the current step.
class LazyAdam {
 public:
  LazyAdam(Embedding& table, float lr = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f,
           float eps = 1e-8f, float weight_decay = 0, bool catch_up = false);
  void step(const SparseGrad& g);
  /// With catch_up: gives every row the moves of the steps it has missed so far (idempotent;
  /// not concurrent with step()). Without: does nothing.
  void catch_up();
  int64_t steps() const { return t_; }

 private:
  /// base^k for whole k >= 0 as base^(k mod 256) times base^(256 floor(k / 256)), two small
  /// tables instead of a pow() per row update (0 <= base < 1).
  class Powers {
   public:
    Powers() = default;
    explicit Powers(double base);
    double operator()(int64_t k) const {
      const auto high = static_cast<uint64_t>(k) >> 8;
      if (high < high_.size()) return low_[static_cast<size_t>(k & 255)] * high_[high];
      return vanished_ ? 0.0 : std::pow(base_, static_cast<double>(k));
    }

   private:
    double base_ = 0;
    std::vector<double> low_, high_;
    bool vanished_ = false;  // the high table stops where the powers are below any float
  };
  /// What the `k` steps after step `last` (each with a zero gradient) do to a row: its entries
  /// are scaled by `decay` and then moved by -move m / (sqrt(v) + eps); m and v are scaled by
  /// keep1 and keep2. Nothing when no step was missed or the row was never updated (its
  /// moments are zero).
  struct Missed {
    float decay = 1, move = 0, eps = 0, keep1 = 1, keep2 = 1;
  };
  std::optional<Missed> missed(int64_t last, int64_t k) const;
  /// sum over j = 1..k of (beta1 / sqrt(beta2))^j bias(s + j).
  double missed_sum(int64_t s, int64_t k) const;
  Parameter* table_;
  // Row r holds the first moments of table row r, then its second moments: one region of
  // memory per updated row (the rows of a batch are scattered, so each costs cache misses).
  Matrix moments_;
  float lr_, beta1_, beta2_, eps_, wd_;
  int64_t t_ = 0;
  // With catch_up: the step each row was last brought to; tail_[u] = the whole sum over
  // j >= 1 of ratio^j bias(u + j), bias(u) = sqrt(1 - beta2^u) / (1 - beta1^u), for the steps
  // before bias settles at 1 (to about 1e-7), so that a sum of k terms is
  // tail(s) - ratio^k tail(s + k); past the table tail is ratio / (1 - ratio).
  std::vector<int64_t> last_;
  double ratio_ = 0;  // beta1 / sqrt(beta2) < 1, the sum's ratio
  std::vector<double> tail_;
  Powers beta1_to_, beta2_to_, ratio_to_;
};

}  // namespace metarec::nn
