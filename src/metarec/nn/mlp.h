// A tower of fully connected layers whose weights are shared by concurrent passes: each pass
// (e.g. one thread's part of a mini-batch) keeps its activations and gradient sums in its own
// Mlp::Pass, so training can run OpenMP over the batch without copying the weights.
#pragma once

#include <metarec/core/rng.h>
#include <metarec/nn/activations.h>
#include <metarec/nn/layers.h>

#include <string>
#include <vector>

namespace metarec::nn {

/// sizes[0] -> sizes[1] -> ... -> sizes.back(): layer l computes act(x W_l + b_l), W_l of shape
/// sizes[l] x sizes[l+1] initialized Glorot-uniform (as Linear), b_l = 0. The last layer's
/// activation is `act` too unless `activate_last` is false (then it is the identity).
///
///   Mlp tower({64, 32, 16, 8}, Activation::kRelu, true, rng, "mlp");
///   Mlp::Pass pass = tower.new_pass();
///   const Matrix& h = tower.forward(x, pass);      // x: n x 64, h: n x 8
///   Matrix dx = tower.backward(dh, pass);          // sums dW, db in the pass
///   tower.add_gradients(pass);                     // into parameters()' grad
///
/// forward() and backward() are const: any number of threads may run them at once, each with its
/// own Pass, as long as no one changes the weights meanwhile.
class Mlp {
 public:
  /// What one pass keeps: its input, each layer's output and the gradient sums dW, db.
  struct Pass {
    Matrix in;
    std::vector<Matrix> out, dw, db;
  };

  Mlp() = default;
  Mlp(const std::vector<int>& sizes, Activation act, bool activate_last, Rng& rng,
      const std::string& name);

  /// A pass with zeroed gradient sums.
  Pass new_pass() const;
  /// x: n x in_dim() -> n x out_dim() (a reference into the pass, valid until its next forward).
  const Matrix& forward(const Matrix& x, Pass& pass) const;
  /// dy: dL/d(output) of the pass's last forward. Adds dL/dW, dL/db to the pass; returns dL/dx.
  Matrix backward(const Matrix& dy, Pass& pass) const;
  /// Adds the pass's gradient sums into the parameters' grad and zeroes them in the pass.
  void add_gradients(Pass& pass);

  /// W_0, b_0, W_1, b_1, ...
  std::vector<Parameter*> parameters();
  int layers() const { return static_cast<int>(w_.size()); }
  int in_dim() const { return w_.empty() ? 0 : static_cast<int>(w_.front().value.rows()); }
  int out_dim() const { return w_.empty() ? 0 : static_cast<int>(w_.back().value.cols()); }
  Parameter& weight(int l) { return w_[static_cast<size_t>(l)]; }
  Parameter& bias(int l) { return b_[static_cast<size_t>(l)]; }
  const Parameter& weight(int l) const { return w_[static_cast<size_t>(l)]; }
  const Parameter& bias(int l) const { return b_[static_cast<size_t>(l)]; }

 private:
  Activation layer_activation(size_t l) const {
    return l + 1 == w_.size() && !activate_last_ ? Activation::kIdentity : act_;
  }
  std::vector<Parameter> w_, b_;
  Activation act_ = Activation::kRelu;
  bool activate_last_ = true;
};

}  // namespace metarec::nn
