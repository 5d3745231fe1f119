// The shared-weight tower of fully connected layers.
#include <metarec/core/error.h>
#include <metarec/nn/mlp.h>

#include <cmath>

namespace metarec::nn {

Mlp::Mlp(const std::vector<int>& sizes, Activation act, bool activate_last, Rng& rng,
         const std::string& name)
    : act_(act), activate_last_(activate_last) {
  METAREC_CHECK(sizes.size() >= 2, "Mlp ", name, ": needs at least an input and an output size");
  for (size_t l = 0; l + 1 < sizes.size(); ++l) {
    const int in = sizes[l], out = sizes[l + 1];
    METAREC_CHECK(in > 0 && out > 0, "Mlp ", name, ": layer ", l, " sizes must be > 0, got ", in,
                  " x ", out);
    Parameter w, b;
    w.name = name + "." + std::to_string(l) + ".weight";
    b.name = name + "." + std::to_string(l) + ".bias";
    const double bound = std::sqrt(6.0 / (in + out));
    w.value.resize(in, out);
    for (Eigen::Index k = 0; k < w.value.size(); ++k)
      w.value.data()[k] = static_cast<float>((2 * rng.uniform() - 1) * bound);
    b.value = Matrix::Zero(1, out);
    w.zero_grad();
    b.zero_grad();
    w_.push_back(std::move(w));
    b_.push_back(std::move(b));
  }
}

Mlp::Pass Mlp::new_pass() const {
  Pass p;
  p.out.resize(w_.size());
  for (size_t l = 0; l < w_.size(); ++l) {
    p.dw.push_back(Matrix::Zero(w_[l].value.rows(), w_[l].value.cols()));
    p.db.push_back(Matrix::Zero(1, w_[l].value.cols()));
  }
  return p;
}

const Matrix& Mlp::forward(const Matrix& x, Pass& pass) const {
  METAREC_CHECK(!w_.empty(), "Mlp: no layers");
  METAREC_CHECK(x.cols() == in_dim(), w_[0].name, ": input has ", x.cols(), " columns, expected ",
                in_dim());
  METAREC_CHECK(pass.out.size() == w_.size(), "Mlp: pass made for another network");
  pass.in = x;
  for (size_t l = 0; l < w_.size(); ++l) {
    const Matrix& in = l == 0 ? pass.in : pass.out[l - 1];
    Matrix& y = pass.out[l];
    y.noalias() = in * w_[l].value;
    y.rowwise() += b_[l].value.row(0);
    activate(layer_activation(l), y);
  }
  return pass.out.back();
}

Matrix Mlp::backward(const Matrix& dy, Pass& pass) const {
  METAREC_CHECK(pass.out.size() == w_.size() && pass.dw.size() == w_.size(),
                "Mlp: pass made for another network");
  METAREC_CHECK(dy.rows() == pass.out.back().rows() && dy.cols() == out_dim(),
                "Mlp: output gradient is ", dy.rows(), "x", dy.cols(), ", expected ",
                pass.out.back().rows(), "x", out_dim());
  Matrix g = dy;
  for (size_t l = w_.size(); l-- > 0;) {
    activation_backward(layer_activation(l), pass.out[l], g);
    const Matrix& in = l == 0 ? pass.in : pass.out[l - 1];
    pass.dw[l].noalias() += in.transpose() * g;
    pass.db[l] += g.colwise().sum();
    Matrix dx = g * w_[l].value.transpose();
    g = std::move(dx);
  }
  return g;
}

void Mlp::add_gradients(Pass& pass) {
  METAREC_CHECK(pass.dw.size() == w_.size(), "Mlp: pass made for another network");
  for (size_t l = 0; l < w_.size(); ++l) {
    w_[l].grad += pass.dw[l];
    b_[l].grad += pass.db[l];
    pass.dw[l].setZero();
    pass.db[l].setZero();
  }
}

std::vector<Parameter*> Mlp::parameters() {
  std::vector<Parameter*> out;
  for (size_t l = 0; l < w_.size(); ++l) {
    out.push_back(&w_[l]);
    out.push_back(&b_[l]);
  }
  return out;
}

}  // namespace metarec::nn
