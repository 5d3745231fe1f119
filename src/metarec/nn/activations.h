// Element-wise activations (ReLU lives in layers.h; here sigmoid, tanh and SELU), the row-wise
// softmax and log-softmax, and numerically stable scalar helpers shared by the losses and the
// models.
//
// Every layer keeps what its backward pass needs from its last forward pass, so one object
// serves one forward/backward at a time (not thread-safe); the free functions are pure.
#pragma once

#include <metarec/nn/layers.h>

#include <cmath>
#include <span>

namespace metarec::nn {

/// 1 / (1 + e^-x) without overflow for large |x|.
inline float sigmoid(float x) {
  if (x >= 0) return 1.0f / (1.0f + std::exp(-x));
  const float e = std::exp(x);
  return e / (1.0f + e);
}

/// log(1 + e^x) (softplus), finite for every x: max(x, 0) + log1p(e^-|x|).
inline double softplus(double x) { return std::max(x, 0.0) + std::log1p(std::exp(-std::fabs(x))); }

/// log sigmoid(x) = -softplus(-x), finite for every x.
inline double log_sigmoid(double x) { return -softplus(-x); }

/// SELU's constants (Klambauer, Unterthiner, Mayr, Hochreiter, "Self-Normalizing Neural
/// Networks", NIPS 2017): selu(x) = lambda x for x > 0, lambda alpha (e^x - 1) otherwise.
inline constexpr float kSeluLambda = 1.0507009873554804934f;
inline constexpr float kSeluAlpha = 1.6732632423543772848f;

/// selu(x), with expm1 so that small negative x keep their precision.
inline float selu(float x) {
  return x > 0 ? kSeluLambda * x : kSeluLambda * kSeluAlpha * std::expm1(x);
}

/// The activations a layer can apply after its affine map. Each derivative is a function of the
/// activation's output y: ReLU 1[y > 0], sigmoid y (1 - y), tanh 1 - y^2, identity 1, SELU
/// lambda for y > 0 and y + lambda alpha (= lambda alpha e^x) otherwise.
enum class Activation { kIdentity, kRelu, kSigmoid, kTanh, kSelu };

/// Parses "identity", "relu", "sigmoid", "tanh" or "selu"; InvalidArgument otherwise.
Activation parse_activation(const std::string& name);

/// Applies `act` to every entry of `x` in place.
void activate(Activation act, Matrix& x);
/// The same on contiguous values, e.g. a block of whole rows of a row-major matrix.
void activate(Activation act, std::span<float> x);

/// Given y = act(x) and dy = dL/dy, turns dy into dL/dx in place (same shapes).
void activation_backward(Activation act, const Matrix& y, Matrix& dy);
/// The same on contiguous values (same lengths).
void activation_backward(Activation act, std::span<const float> y, std::span<float> dy);

/// 1 / (1 + e^-x), element-wise.
class Sigmoid {
 public:
  Matrix forward(const Matrix& x);
  Matrix backward(const Matrix& dy) const;

 private:
  Matrix y_;
};

/// tanh(x), element-wise.
class Tanh {
 public:
  Matrix forward(const Matrix& x);
  Matrix backward(const Matrix& dy) const;

 private:
  Matrix y_;
};

/// Row-wise softmax: y[r, c] = e^(x[r, c] - max_r) / sum_c' e^(x[r, c'] - max_r). Subtracting the
/// row maximum keeps every exponent <= 0, so no row overflows; sums are taken in double.
Matrix softmax(const Matrix& x);

/// Row-wise log-softmax: x[r, c] - max_r - log sum_c' e^(x[r, c'] - max_r).
Matrix log_softmax(const Matrix& x);

/// Softmax as a layer. backward: dx = y * (dy - rowsum(dy * y)).
class Softmax {
 public:
  Matrix forward(const Matrix& x);
  Matrix backward(const Matrix& dy) const;

 private:
  Matrix y_;
};

/// Log-softmax as a layer. backward: dx = dy - softmax(x) * rowsum(dy).
class LogSoftmax {
 public:
  Matrix forward(const Matrix& x);
  Matrix backward(const Matrix& dy) const;

 private:
  Matrix y_;  // the log-probabilities
};

}  // namespace metarec::nn
