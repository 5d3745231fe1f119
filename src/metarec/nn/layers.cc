// Layers, Adam and the cosine-similarity matrix of the neural-network core.
#include <metarec/core/error.h>
#include <metarec/nn/layers.h>

#include <algorithm>
#include <atomic>
#include <cmath>

namespace metarec::nn {

std::vector<const Matrix*> gradients_of(const std::vector<Parameter*>& params) {
  std::vector<const Matrix*> grads;
  grads.reserve(params.size());
  for (auto* p : params) grads.push_back(&p->grad);
  return grads;
}

Linear::Linear(int in, int out, Rng& rng, const std::string& name) {
  METAREC_CHECK(in > 0 && out > 0, "Linear ", name, ": sizes must be > 0, got ", in, " x ", out);
  w_.name = name + ".weight";
  b_.name = name + ".bias";
  const double bound = std::sqrt(6.0 / (in + out));
  w_.value.resize(in, out);
  for (Eigen::Index k = 0; k < w_.value.size(); ++k)
    w_.value.data()[k] = static_cast<float>((2 * rng.uniform() - 1) * bound);
  b_.value = Matrix::Zero(1, out);
  w_.zero_grad();
  b_.zero_grad();
}

Matrix Linear::forward(const Matrix& x) {
  METAREC_CHECK(x.cols() == w_.value.rows(), w_.name, ": input has ", x.cols(),
                " columns, expected ", w_.value.rows());
  x_ = x;
  Matrix y = x * w_.value;
  y.rowwise() += b_.value.row(0);
  return y;
}

Matrix Linear::backward(const Matrix& dy) {
  w_.grad.noalias() += x_.transpose() * dy;
  b_.grad += dy.colwise().sum();
  return dy * w_.value.transpose();
}

LayerNorm::LayerNorm(int dim, const std::string& name, float eps) : eps_(eps) {
  gamma_.name = name + ".weight";
  beta_.name = name + ".bias";
  gamma_.value = Matrix::Ones(1, dim);
  beta_.value = Matrix::Zero(1, dim);
  gamma_.zero_grad();
  beta_.zero_grad();
}

Matrix LayerNorm::forward(const Matrix& x) {
  const Eigen::Index n = x.rows(), d = x.cols();
  METAREC_CHECK(d == gamma_.value.cols(), gamma_.name, ": input has ", d, " columns, expected ",
                gamma_.value.cols());
  xhat_.resize(n, d);
  inv_std_.resize(n);
  Matrix y(n, d);
  for (Eigen::Index r = 0; r < n; ++r) {
    const double mean = x.row(r).cast<double>().mean();
    const double var = (x.row(r).cast<double>().array() - mean).square().mean();
    const float inv = static_cast<float>(1.0 / std::sqrt(var + eps_));
    inv_std_[r] = inv;
    xhat_.row(r) = (x.row(r).array() - static_cast<float>(mean)) * inv;
    y.row(r) = xhat_.row(r).cwiseProduct(gamma_.value.row(0)) + beta_.value.row(0);
  }
  return y;
}

Matrix LayerNorm::backward(const Matrix& dy) {
  const Eigen::Index n = dy.rows(), d = dy.cols();
  gamma_.grad += dy.cwiseProduct(xhat_).colwise().sum();
  beta_.grad += dy.colwise().sum();
  Matrix dx(n, d);
  for (Eigen::Index r = 0; r < n; ++r) {
    const RowVector g = dy.row(r).cwiseProduct(gamma_.value.row(0));
    const float sum_g = g.sum(), sum_gx = g.dot(xhat_.row(r));
    dx.row(r) =
        (inv_std_[r] / static_cast<float>(d)) *
        (static_cast<float>(d) * g.array() - sum_g - xhat_.row(r).array() * sum_gx).matrix();
  }
  return dx;
}

Matrix Relu::forward(const Matrix& x) {
  mask_ = (x.array() > 0).cast<float>();
  return x.cwiseProduct(mask_);
}

Matrix Relu::backward(const Matrix& dy) const { return dy.cwiseProduct(mask_); }

Matrix Dropout::forward(const Matrix& x, bool training, Rng& rng) {
  active_ = training && p_ > 0;
  if (!active_) return x;
  mask_.resize(x.rows(), x.cols());
  const float keep = 1.0f / (1.0f - p_);
  for (Eigen::Index k = 0; k < mask_.size(); ++k)
    mask_.data()[k] = rng.uniform() < p_ ? 0.0f : keep;
  return x.cwiseProduct(mask_);
}

Matrix Dropout::backward(const Matrix& dy) const { return active_ ? dy.cwiseProduct(mask_) : dy; }

Adam::Adam(std::vector<Parameter*> params, float lr, float beta1, float beta2, float eps,
           float weight_decay)
    : params_(std::move(params)),
      lr_(lr),
      beta1_(beta1),
      beta2_(beta2),
      eps_(eps),
      wd_(weight_decay) {
  METAREC_CHECK(
      lr > 0 && beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1 && eps > 0 && weight_decay >= 0,
      "Adam: invalid hyper-parameters");
  for (auto* p : params_) {
    m_.push_back(Matrix::Zero(p->value.rows(), p->value.cols()));
    v_.push_back(Matrix::Zero(p->value.rows(), p->value.cols()));
  }
}

void Adam::step() { step(gradients_of(params_)); }

void Adam::step(std::span<const Matrix* const> grads) {
  METAREC_CHECK(grads.size() == params_.size(), "Adam: ", grads.size(), " gradients for ",
                params_.size(), " parameters");
  const int64_t t = std::atomic_ref<int64_t>(t_).fetch_add(1) + 1;
  const float c1 = 1.0f - std::pow(beta1_, static_cast<float>(t));
  const float c2 = 1.0f - std::pow(beta2_, static_cast<float>(t));
  // lr (m / c1) / (sqrt(v / c2) + eps) as step m / (sqrt(v) + eps sqrt(c2)), step =
  // lr sqrt(c2) / c1: one division per entry instead of three (as LazyAdam::step).
  const float step = lr_ * std::sqrt(c2) / c1, eps = eps_ * std::sqrt(c2);
  for (size_t k = 0; k < params_.size(); ++k) {
    Parameter& p = *params_[k];
    const Matrix& g = *grads[k];
    m_[k] = beta1_ * m_[k] + (1 - beta1_) * g;
    v_[k] = beta2_ * v_[k] + (1 - beta2_) * g.cwiseProduct(g);
    if (wd_ > 0) p.value *= 1.0f - lr_ * wd_;
    p.value.array() -= step * m_[k].array() / (v_[k].array().sqrt() + eps);
  }
}

void Adam::zero_grad() {
  for (auto* p : params_) p->zero_grad();
}

Matrix CosineMatrix::forward(const Matrix& a, const Matrix& b) {
  METAREC_CHECK(a.cols() == b.cols(), "cosine: dimensions differ (", a.cols(), " vs ", b.cols(),
                ")");
  a_norm_ = a.rowwise().norm();
  an_ = a;
  for (Eigen::Index r = 0; r < a.rows(); ++r)
    an_.row(r) = a_norm_[r] > 0 ? (a.row(r) / a_norm_[r]).eval() : RowVector::Zero(a.cols());
  bn_ = b;
  for (Eigen::Index r = 0; r < b.rows(); ++r) {
    const float n = b.row(r).norm();
    bn_.row(r) = n > 0 ? (b.row(r) / n).eval() : RowVector::Zero(b.cols());
  }
  return an_ * bn_.transpose();
}

Matrix CosineMatrix::backward(const Matrix& ds) const {
  const Matrix dan = ds * bn_;  // gradient with respect to the normalized rows
  Matrix da(an_.rows(), an_.cols());
  for (Eigen::Index r = 0; r < an_.rows(); ++r) {
    if (a_norm_[r] <= 0) {
      da.row(r).setZero();
      continue;
    }
    const float proj = dan.row(r).dot(an_.row(r));
    da.row(r) = (dan.row(r) - proj * an_.row(r)) / a_norm_[r];
  }
  return da;
}

namespace {

#if defined(__GNUC__)
// Eight floats as one value (GCC's vector extension): two SSE registers in the baseline build, one
// AVX register in the x86-64-v3 clone below. `F8u` reads and writes float arrays: unaligned, and
// allowed to alias them.
typedef float F8 __attribute__((vector_size(32)));
typedef float F8u __attribute__((vector_size(32), aligned(4), may_alias));

// Rows [r, r + R) and columns [j, j + 16) of out = x W + b: R x 16 sums kept in registers while k
// runs over the inputs, so each load of a row of W serves R rows of x.
template <int R>
inline void affine_tile16(const float* x, Eigen::Index in, const float* w, Eigen::Index width,
                          const float* b, bool relu, float* out) {
  F8 lo[R], hi[R];
  for (int i = 0; i < R; ++i) {
    lo[i] = *reinterpret_cast<const F8u*>(b);
    hi[i] = *reinterpret_cast<const F8u*>(b + 8);
  }
  for (Eigen::Index k = 0; k < in; ++k) {
    const F8 wl = *reinterpret_cast<const F8u*>(w + k * width);
    const F8 wh = *reinterpret_cast<const F8u*>(w + k * width + 8);
    for (int i = 0; i < R; ++i) {
      const float a = x[i * in + k];
      lo[i] += a * wl;
      hi[i] += a * wh;
    }
  }
  const F8 zero = {};
  for (int i = 0; i < R; ++i) {
    if (relu) {
      lo[i] = lo[i] > zero ? lo[i] : zero;
      hi[i] = hi[i] > zero ? hi[i] : zero;
    }
    *reinterpret_cast<F8u*>(out + i * width) = lo[i];
    *reinterpret_cast<F8u*>(out + i * width + 8) = hi[i];
  }
}
#endif

}  // namespace

// Compiled twice and chosen when the program loads: for x86-64-v3 (AVX2, FMA) and for the
// baseline the rest of the build targets, so scoring is fast without -march=native.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("arch=x86-64-v3", "default")))
#endif
void affine_rows(const Matrix& x, const Matrix& w, const Matrix& b, bool relu, Matrix& out) {
  const Eigen::Index n = x.rows(), in = w.rows(), width = w.cols();
  METAREC_CHECK(x.cols() == in && b.cols() == width, "affine_rows: x is ", n, " x ", x.cols(),
                ", W ", in, " x ", width, ", b has ", b.cols(), " columns");
  out.resize(n, width);
  const float* xp = x.data();
  const float* wp = w.data();
  const float* bp = b.data();
  float* op = out.data();
  Eigen::Index j = 0;
#if defined(__GNUC__)
  // Tiles of 4 rows x 16 columns, then single rows; the last width % 16 columns below.
  for (; j + 16 <= width; j += 16) {
    Eigen::Index r = 0;
    for (; r + 4 <= n; r += 4)
      affine_tile16<4>(xp + r * in, in, wp + j, width, bp + j, relu, op + r * width + j);
    for (; r < n; ++r)
      affine_tile16<1>(xp + r * in, in, wp + j, width, bp + j, relu, op + r * width + j);
  }
#endif
  for (; j < width; ++j)
    for (Eigen::Index r = 0; r < n; ++r) {
      float sum = bp[j];
      for (Eigen::Index k = 0; k < in; ++k) sum += xp[r * in + k] * wp[k * width + j];
      op[r * width + j] = relu ? std::max(sum, 0.0f) : sum;
    }
}

}  // namespace metarec::nn
