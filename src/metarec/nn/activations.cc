// Sigmoid, tanh, SELU, softmax and log-softmax: forward and backward passes.
#include <metarec/core/error.h>
#include <metarec/nn/activations.h>

#include <algorithm>
#include <cmath>

namespace metarec::nn {

Activation parse_activation(const std::string& name) {
  if (name == "identity") return Activation::kIdentity;
  if (name == "relu") return Activation::kRelu;
  if (name == "sigmoid") return Activation::kSigmoid;
  if (name == "tanh") return Activation::kTanh;
  if (name == "selu") return Activation::kSelu;
  METAREC_THROW(InvalidArgument, "unknown activation \"", name,
                "\" (valid: identity, relu, sigmoid, tanh, selu)");
}

void activate(Activation act, Matrix& x) {
  activate(act, std::span<float>(x.data(), static_cast<size_t>(x.size())));
}

void activate(Activation act, std::span<float> x) {
  float* v = x.data();
  const size_t n = x.size();
  switch (act) {
    case Activation::kIdentity:
      break;
    case Activation::kRelu:
      for (size_t k = 0; k < n; ++k) v[k] = v[k] > 0 ? v[k] : 0.0f;
      break;
    case Activation::kSigmoid:
      for (size_t k = 0; k < n; ++k) v[k] = sigmoid(v[k]);
      break;
    case Activation::kTanh:
      for (size_t k = 0; k < n; ++k) v[k] = std::tanh(v[k]);
      break;
    case Activation::kSelu:
      for (size_t k = 0; k < n; ++k) v[k] = selu(v[k]);
      break;
  }
}

void activation_backward(Activation act, const Matrix& y, Matrix& dy) {
  METAREC_CHECK(y.rows() == dy.rows() && y.cols() == dy.cols(), "activation_backward: shapes ",
                y.rows(), "x", y.cols(), " and ", dy.rows(), "x", dy.cols(), " differ");
  activation_backward(act, std::span<const float>(y.data(), static_cast<size_t>(y.size())),
                      std::span<float>(dy.data(), static_cast<size_t>(dy.size())));
}

void activation_backward(Activation act, std::span<const float> y, std::span<float> dy) {
  METAREC_CHECK(y.size() == dy.size(), "activation_backward: ", y.size(), " outputs and ",
                dy.size(), " gradients");
  const float* o = y.data();
  float* g = dy.data();
  const size_t n = y.size();
  switch (act) {
    case Activation::kIdentity:
      break;
    case Activation::kRelu:
      for (size_t k = 0; k < n; ++k) g[k] = o[k] > 0 ? g[k] : 0.0f;
      break;
    case Activation::kSigmoid:
      for (size_t k = 0; k < n; ++k) g[k] *= o[k] * (1.0f - o[k]);
      break;
    case Activation::kTanh:
      for (size_t k = 0; k < n; ++k) g[k] *= 1.0f - o[k] * o[k];
      break;
    case Activation::kSelu:
      for (size_t k = 0; k < n; ++k)
        g[k] *= o[k] > 0 ? kSeluLambda : o[k] + kSeluLambda * kSeluAlpha;
      break;
  }
}

Matrix Sigmoid::forward(const Matrix& x) {
  y_ = x;
  activate(Activation::kSigmoid, y_);
  return y_;
}

Matrix Sigmoid::backward(const Matrix& dy) const {
  Matrix dx = dy;
  activation_backward(Activation::kSigmoid, y_, dx);
  return dx;
}

Matrix Tanh::forward(const Matrix& x) {
  y_ = x;
  activate(Activation::kTanh, y_);
  return y_;
}

Matrix Tanh::backward(const Matrix& dy) const {
  Matrix dx = dy;
  activation_backward(Activation::kTanh, y_, dx);
  return dx;
}

Matrix log_softmax(const Matrix& x) {
  Matrix y(x.rows(), x.cols());
  for (Eigen::Index r = 0; r < x.rows(); ++r) {
    if (x.cols() == 0) continue;
    const float m = x.row(r).maxCoeff();
    double sum = 0;
    for (Eigen::Index c = 0; c < x.cols(); ++c) sum += std::exp(static_cast<double>(x(r, c)) - m);
    const float log_z = m + static_cast<float>(std::log(sum));
    y.row(r) = x.row(r).array() - log_z;
  }
  return y;
}

Matrix softmax(const Matrix& x) {
  Matrix y(x.rows(), x.cols());
  for (Eigen::Index r = 0; r < x.rows(); ++r) {
    if (x.cols() == 0) continue;
    const float m = x.row(r).maxCoeff();
    double sum = 0;
    for (Eigen::Index c = 0; c < x.cols(); ++c) {
      const double e = std::exp(static_cast<double>(x(r, c)) - m);
      y(r, c) = static_cast<float>(e);
      sum += e;
    }
    y.row(r) /= static_cast<float>(sum);
  }
  return y;
}

Matrix Softmax::forward(const Matrix& x) {
  y_ = softmax(x);
  return y_;
}

Matrix Softmax::backward(const Matrix& dy) const {
  METAREC_CHECK(dy.rows() == y_.rows() && dy.cols() == y_.cols(), "softmax backward: shape ",
                dy.rows(), "x", dy.cols(), ", expected ", y_.rows(), "x", y_.cols());
  Matrix dx(dy.rows(), dy.cols());
  for (Eigen::Index r = 0; r < dy.rows(); ++r) {
    const float s = dy.row(r).dot(y_.row(r));
    dx.row(r) = y_.row(r).array() * (dy.row(r).array() - s);
  }
  return dx;
}

Matrix LogSoftmax::forward(const Matrix& x) {
  y_ = log_softmax(x);
  return y_;
}

Matrix LogSoftmax::backward(const Matrix& dy) const {
  METAREC_CHECK(dy.rows() == y_.rows() && dy.cols() == y_.cols(), "log-softmax backward: shape ",
                dy.rows(), "x", dy.cols(), ", expected ", y_.rows(), "x", y_.cols());
  Matrix dx(dy.rows(), dy.cols());
  for (Eigen::Index r = 0; r < dy.rows(); ++r) {
    const float s = dy.row(r).sum();
    dx.row(r) = dy.row(r).array() - y_.row(r).array().exp() * s;
  }
  return dx;
}

}  // namespace metarec::nn
