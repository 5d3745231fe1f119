// The GRU layer's forward pass and its backpropagation through time.
#include <metarec/core/error.h>
#include <metarec/nn/gru.h>

#include <cmath>

namespace metarec::nn {

namespace {

using ConstRowMap = Eigen::Map<const RowVector>;

void init_uniform(Parameter& p, const std::string& name, Eigen::Index rows, Eigen::Index cols,
                  double bound, Rng& rng) {
  p.name = name;
  p.value.resize(rows, cols);
  for (Eigen::Index k = 0; k < p.value.size(); ++k)
    p.value.data()[k] = static_cast<float>((2 * rng.uniform() - 1) * bound);
  p.zero_grad();
}

}  // namespace

Gru::Gru(int in, int hidden, Rng& rng, const std::string& name) {
  METAREC_CHECK(in > 0 && hidden > 0, "Gru ", name, ": sizes must be > 0, got ", in, " x ", hidden);
  const double bound = 1.0 / std::sqrt(static_cast<double>(hidden));
  init_uniform(w_ih, name + ".weight_ih", in, 3 * hidden, bound, rng);
  init_uniform(w_hh, name + ".weight_hh", hidden, 3 * hidden, bound, rng);
  init_uniform(b_ih, name + ".bias_ih", 1, 3 * hidden, bound, rng);
  init_uniform(b_hh, name + ".bias_hh", 1, 3 * hidden, bound, rng);
}

Gru::Pass Gru::new_pass() const {
  Pass p;
  p.dw_ih = Matrix::Zero(w_ih.value.rows(), w_ih.value.cols());
  p.dw_hh = Matrix::Zero(w_hh.value.rows(), w_hh.value.cols());
  p.db_ih = Matrix::Zero(1, b_ih.value.cols());
  p.db_hh = Matrix::Zero(1, b_hh.value.cols());
  return p;
}

void Gru::step(const float* gi, const float* h_prev, float* gates, float* hn, float* h,
               RowVector& gh) const {
  using Row = Eigen::Array<float, 1, Eigen::Dynamic>;
  using Array = Eigen::Map<Row>;
  using ConstArray = Eigen::Map<const Row>;
  const Eigen::Index hd = hidden();
  if (h_prev) {
    gh.noalias() = ConstRowMap(h_prev, hd) * w_hh.value;
    gh += b_hh.value.row(0);
  } else {
    gh = b_hh.value.row(0);
  }
  // Eigen's vectorized logistic and tanh (this step is the serial part of a sequence).
  Array r(gates, hd), z(gates + hd, hd), n(gates + 2 * hd, hd), recurrent(hn, hd), out(h, hd);
  r = (ConstArray(gi, hd) + gh.array().head(hd)).logistic();
  z = (ConstArray(gi + hd, hd) + gh.array().segment(hd, hd)).logistic();
  recurrent = gh.array().tail(hd);
  n = (ConstArray(gi + 2 * hd, hd) + r * recurrent).tanh();
  if (h_prev) {
    out = (1.0f - z) * n + z * ConstArray(h_prev, hd);
  } else {
    out = (1.0f - z) * n;
  }
}

const Matrix& Gru::forward(const Matrix& x, Pass& pass) const {
  METAREC_CHECK(x.cols() == in_dim(), w_ih.name, ": input has ", x.cols(), " columns, expected ",
                in_dim());
  METAREC_CHECK(x.rows() >= 1, w_ih.name, ": empty sequence");
  const Eigen::Index t_len = x.rows(), hd = hidden();
  pass.x = x;
  // The input terms of every step in one product; step() overwrites each row with the gates.
  pass.gates.noalias() = x * w_ih.value;
  pass.gates.rowwise() += b_ih.value.row(0);
  pass.hn.resize(t_len, hd);
  pass.h.resize(t_len, hd);
  RowVector gh(3 * hd), gi(3 * hd);
  for (Eigen::Index t = 0; t < t_len; ++t) {
    gi = pass.gates.row(t);
    step(gi.data(), t > 0 ? pass.h.row(t - 1).data() : nullptr, pass.gates.row(t).data(),
         pass.hn.row(t).data(), pass.h.row(t).data(), gh);
  }
  return pass.h;
}

void Gru::last_state(const Matrix& x, RowVector& h) const {
  METAREC_CHECK(x.cols() == in_dim(), w_ih.name, ": input has ", x.cols(), " columns, expected ",
                in_dim());
  const Eigen::Index hd = hidden();
  h = RowVector::Zero(hd);
  if (x.rows() == 0) return;
  Matrix gi = x * w_ih.value;
  gi.rowwise() += b_ih.value.row(0);
  RowVector gates(3 * hd), hn(hd), prev(hd), gh(3 * hd);
  for (Eigen::Index t = 0; t < x.rows(); ++t) {
    prev = h;
    step(gi.row(t).data(), t > 0 ? prev.data() : nullptr, gates.data(), hn.data(), h.data(), gh);
  }
}

Matrix Gru::backward(const Matrix& dh, Pass& pass) const {
  const Eigen::Index t_len = pass.h.rows(), hd = hidden();
  METAREC_CHECK(dh.rows() == t_len && dh.cols() == hd, w_ih.name, ": output gradient is ",
                dh.rows(), "x", dh.cols(), ", expected ", t_len, "x", hd);
  METAREC_CHECK(pass.dw_ih.rows() == w_ih.value.rows() && pass.dw_hh.rows() == hd, w_ih.name,
                ": pass made for another layer");
  // dgi, dgh: dL/d(input term) and dL/d(recurrent term h_{t-1} W_hh + b_hh) of every step.
  Matrix dgi(t_len, 3 * hd), dgh(t_len, 3 * hd);
  RowVector carry = RowVector::Zero(hd), g(hd);  // carry: dL/dh_t from step t + 1
  for (Eigen::Index t = t_len; t-- > 0;) {
    g = dh.row(t) + carry;
    const float* r = pass.gates.row(t).data();
    const float* z = r + hd;
    const float* n = r + 2 * hd;
    const float* hn = pass.hn.row(t).data();
    const float* prev = t > 0 ? pass.h.row(t - 1).data() : nullptr;
    float* di = dgi.row(t).data();
    float* dr = dgh.row(t).data();
    for (Eigen::Index j = 0; j < hd; ++j) {
      const float p = prev ? prev[j] : 0.0f;
      const float da_n = g[j] * (1.0f - z[j]) * (1.0f - n[j] * n[j]);
      const float da_z = g[j] * (p - n[j]) * z[j] * (1.0f - z[j]);
      const float da_r = da_n * hn[j] * r[j] * (1.0f - r[j]);
      di[j] = dr[j] = da_r;
      di[hd + j] = dr[hd + j] = da_z;
      di[2 * hd + j] = da_n;
      dr[2 * hd + j] = da_n * r[j];
    }
    if (t > 0) {
      carry.noalias() = dgh.row(t) * w_hh.value.transpose();
      carry += g.cwiseProduct(ConstRowMap(z, hd));
    }
  }
  pass.dw_ih.noalias() += pass.x.transpose() * dgi;
  pass.db_ih += dgi.colwise().sum();
  if (t_len > 1)
    pass.dw_hh.noalias() += pass.h.topRows(t_len - 1).transpose() * dgh.bottomRows(t_len - 1);
  pass.db_hh += dgh.colwise().sum();
  return dgi * w_ih.value.transpose();
}

void Gru::add_gradients(Pass& pass) {
  METAREC_CHECK(pass.dw_ih.rows() == w_ih.value.rows() && pass.dw_hh.rows() == w_hh.value.rows(),
                w_ih.name, ": pass made for another layer");
  w_ih.grad += pass.dw_ih;
  w_hh.grad += pass.dw_hh;
  b_ih.grad += pass.db_ih;
  b_hh.grad += pass.db_hh;
  pass.dw_ih.setZero();
  pass.dw_hh.setZero();
  pass.db_ih.setZero();
  pass.db_hh.setZero();
}

}  // namespace metarec::nn
