// The small neural-network core: float32 row-major batches, layers with explicit forward and
// backward passes (no autograd), parameters with their gradients, Adam/AdamW and SGD.
//
// Shapes: a batch is a (rows = examples) x (columns = features) matrix. Every layer keeps what its
// backward pass needs from the last forward pass, so one layer object serves one forward/backward
// at a time (not thread-safe); parallelism lives inside the matrix products (Eigen).
#pragma once

#include <metarec/core/rng.h>

#include <Eigen/Dense>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace metarec::nn {

using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using RowVector = Eigen::Matrix<float, 1, Eigen::Dynamic>;

/// A trainable tensor and its gradient (same shape). Gradients accumulate until zero_grad().
struct Parameter {
  std::string name;
  Matrix value, grad;
  void zero_grad() { grad.setZero(value.rows(), value.cols()); }
};

/// Pointers to each parameter's gradient, in order (for the optimizers' step(grads)).
std::vector<const Matrix*> gradients_of(const std::vector<Parameter*>& params);

/// out = x W + b, then max(0, .) when `relu`; x: n x in, W: in x out, b: 1 x out (out is resized).
/// For inference inside score(), which runs on many threads at once and so must not enter BLAS:
/// each row of out is the sum of W's rows weighted by that row of x, so the inner loop reads
/// contiguous memory (Eigen's coefficient-wise lazyProduct walks W's columns) and skips the zeros
/// a ReLU layer leaves in x.
void affine_rows(const Matrix& x, const Matrix& w, const Matrix& b, bool relu, Matrix& out);

/// y = x W + b, W: in x out, b: 1 x out. Initialized uniform(+-sqrt(6 / (in + out))) (Glorot),
/// b = 0.
class Linear {
 public:
  Linear(int in, int out, Rng& rng, const std::string& name);
  Matrix forward(const Matrix& x);
  /// Accumulates dW, db; returns dx.
  Matrix backward(const Matrix& dy);
  std::vector<Parameter*> parameters() { return {&w_, &b_}; }
  int64_t weight_count() const { return w_.value.size() + b_.value.size(); }

 private:
  Parameter w_, b_;
  Matrix x_;
};

/// Per-row normalization to zero mean and unit variance, then gamma * xhat + beta (gamma = 1,
/// beta = 0 initially). eps = 1e-5 as PyTorch.
class LayerNorm {
 public:
  LayerNorm(int dim, const std::string& name, float eps = 1e-5f);
  Matrix forward(const Matrix& x);
  Matrix backward(const Matrix& dy);
  std::vector<Parameter*> parameters() { return {&gamma_, &beta_}; }

 private:
  Parameter gamma_, beta_;
  float eps_;
  Matrix xhat_;
  Eigen::VectorXf inv_std_;
};

/// max(0, x).
class Relu {
 public:
  Matrix forward(const Matrix& x);
  Matrix backward(const Matrix& dy) const;

 private:
  Matrix mask_;
};

/// Inverted dropout: in training, zeroes each value with probability p and scales the rest by
/// 1 / (1 - p); at inference, the identity.
class Dropout {
 public:
  explicit Dropout(float p) : p_(p) {}
  Matrix forward(const Matrix& x, bool training, Rng& rng);
  Matrix backward(const Matrix& dy) const;

 private:
  float p_;
  Matrix mask_;
  bool active_ = false;
};

/// Adam (Kingma & Ba 2015) with bias correction; `weight_decay` > 0 makes it AdamW (decoupled
/// decay, Loshchilov & Hutter 2019).
class Adam {
 public:
  explicit Adam(std::vector<Parameter*> params, float lr = 1e-3f, float beta1 = 0.9f,
                float beta2 = 0.999f, float eps = 1e-8f, float weight_decay = 0);
  void step();
  /// One step with gradients held outside the parameters (grads[k] for parameter k, same
  /// shapes). Concurrent calls are allowed for Hogwild-style training: they race, without
  /// locks, on the values and moments (each float written whole); the step count is atomic.
  void step(std::span<const Matrix* const> grads);
  void zero_grad();

 private:
  std::vector<Parameter*> params_;
  std::vector<Matrix> m_, v_;
  float lr_, beta1_, beta2_, eps_, wd_;
  int64_t t_ = 0;
};

/// Row-wise cosine similarity matrix S (n x m) of A (n x d) and B (m x d); rows of zero norm give
/// 0. With `grad_a` non-null, backward: given dS, returns dA (B is treated as constant).
struct CosineMatrix {
  Matrix forward(const Matrix& a, const Matrix& b);
  Matrix backward(const Matrix& ds) const;

 private:
  Matrix an_, bn_;
  Eigen::VectorXf a_norm_;
};

}  // namespace metarec::nn
