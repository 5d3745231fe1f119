// Test helpers of the neural-network core: random matrices and the finite-difference gradient
// check every layer, loss and model is held to.
#pragma once

#include <gtest/gtest.h>
#include <metarec/core/rng.h>
#include <metarec/nn/layers.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>

namespace metarec::testing_nn {

using nn::Matrix;

inline Matrix random_matrix(int r, int c, Rng& rng, double scale = 1.0) {
  Matrix m(r, c);
  for (Eigen::Index k = 0; k < m.size(); ++k)
    m.data()[k] = static_cast<float>(scale * rng.normal());
  return m;
}

// Central differences of `loss` with respect to every entry of `x` (perturbed in place), compared
// with `analytic`. Float32 layers: h = 1e-2 in double-precision sums keeps the truncation error
// near 1e-4 and the rounding error near 1e-5.
inline void expect_gradient(Matrix& x, const Matrix& analytic, const std::function<double()>& loss,
                            const std::string& what, double tol = 2e-3, float h = 1e-2f) {
  ASSERT_EQ(x.rows(), analytic.rows()) << what;
  ASSERT_EQ(x.cols(), analytic.cols()) << what;
  double worst = 0;
  for (Eigen::Index k = 0; k < x.size(); ++k) {
    const float keep = x.data()[k];
    x.data()[k] = keep + h;
    const double up = loss();
    x.data()[k] = keep - h;
    const double down = loss();
    x.data()[k] = keep;
    const double numeric = (up - down) / (2.0 * h);
    const double err = std::fabs(numeric - analytic.data()[k]) / std::max(1.0, std::fabs(numeric));
    worst = std::max(worst, err);
  }
  EXPECT_LT(worst, tol) << what;
}

// Weighted sum with fixed random weights: a scalar loss whose gradient is the weights.
inline double weighted(const Matrix& y, const Matrix& w) {
  return (y.cast<double>().array() * w.cast<double>().array()).sum();
}

}  // namespace metarec::testing_nn
