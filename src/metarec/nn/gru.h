// A gated recurrent unit layer (Cho et al. 2014, in PyTorch's formulation) run over one sequence
// at a time, with backpropagation through the whole sequence.
#pragma once

#include <metarec/core/rng.h>
#include <metarec/nn/layers.h>

#include <string>
#include <vector>

namespace metarec::nn {

/// One GRU layer of `hidden` units over inputs of size `in`. For a sequence x_0 .. x_{T-1}
/// (the rows of a T x in matrix) and h_{-1} = 0, step t computes
///   r = sigmoid(x_t W_r + b_ir + h_{t-1} U_r + b_hr)          reset gate
///   z = sigmoid(x_t W_z + b_iz + h_{t-1} U_z + b_hz)          update gate
///   n = tanh(x_t W_n + b_in + r * (h_{t-1} U_n + b_hn))       candidate
///   h_t = (1 - z) * n + z * h_{t-1}
/// with W_ih = [W_r W_z W_n] (in x 3 hidden), W_hh = [U_r U_z U_n] (hidden x 3 hidden) and the
/// biases b_ih, b_hh (1 x 3 hidden) in the same gate order, as PyTorch's nn.GRU (whose matrices
/// are the transposes of these). Every weight and bias starts uniform in +-1/sqrt(hidden), as
/// PyTorch's.
///
///   Gru gru(64, 32, rng, "gru");
///   Gru::Pass pass = gru.new_pass();
///   const Matrix& h = gru.forward(x, pass);  // x: T x 64, h: T x 32 (h_0 .. h_{T-1})
///   Matrix dx = gru.backward(dh, pass);      // dh = dL/dh, T x 32; sums dW, db in the pass
///   gru.add_gradients(pass);                 // into parameters()' grad
///
/// forward() and backward() are const: any number of threads may run them at once, each with its
/// own Pass, as long as no one changes the weights meanwhile. A forward pass costs T x 3 hidden x
/// (in + hidden) multiply-adds (the input products in one matrix product, the recurrent ones one
/// step at a time); the backward pass twice that.
class Gru {
 public:
  /// What one pass keeps for its backward pass, and the gradient sums of its backward passes.
  struct Pass {
    Matrix x;      ///< T x in, the inputs
    Matrix gates;  ///< T x 3 hidden: r, z (after the sigmoid), n (after the tanh)
    Matrix hn;     ///< T x hidden: h_{t-1} U_n + b_hn, the candidate's recurrent term before r
    Matrix h;      ///< T x hidden, the outputs
    Matrix dw_ih, dw_hh, db_ih, db_hh;  ///< gradient sums, the parameters' shapes
  };

  Gru() = default;
  Gru(int in, int hidden, Rng& rng, const std::string& name);

  /// A pass with zeroed gradient sums.
  Pass new_pass() const;
  /// x: T x in_dim() (T >= 1) -> T x hidden() (a reference into the pass, valid until its next
  /// forward).
  const Matrix& forward(const Matrix& x, Pass& pass) const;
  /// dh: dL/dh_t for every step of the pass's last forward (T x hidden). Backpropagates through
  /// the whole sequence, adds dL/dW, dL/db to the pass and returns dL/dx (T x in).
  Matrix backward(const Matrix& dh, Pass& pass) const;
  /// The last state h_{T-1} of x (T x in_dim(); T = 0 gives h_{-1} = 0) into `h`, keeping
  /// nothing for a backward pass.
  void last_state(const Matrix& x, RowVector& h) const;
  /// Adds the pass's gradient sums into the parameters' grad and zeroes them in the pass.
  void add_gradients(Pass& pass);

  /// W_ih, W_hh, b_ih, b_hh.
  std::vector<Parameter*> parameters() { return {&w_ih, &w_hh, &b_ih, &b_hh}; }
  int in_dim() const { return static_cast<int>(w_ih.value.rows()); }
  int hidden() const { return static_cast<int>(w_hh.value.rows()); }

  /// The parameters (public so models can save, load and initialize them directly).
  Parameter w_ih, w_hh, b_ih, b_hh;

 private:
  // One step from the input term gi = x_t W_ih + b_ih (1 x 3H) and h_{t-1} (null: zero): writes
  // the gates, the candidate's recurrent term and h_t; gh is scratch (1 x 3H).
  void step(const float* gi, const float* h_prev, float* gates, float* hn, float* h,
            RowVector& gh) const;
};

}  // namespace metarec::nn
