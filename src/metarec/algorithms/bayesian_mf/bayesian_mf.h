// Bayesian probabilistic matrix factorization by Gibbs sampling: R. Salakhutdinov, A. Mnih,
// "Bayesian Probabilistic Matrix Factorization using Markov Chain Monte Carlo", ICML 2008.
#pragma once

#include <metarec/algorithms/common/factor_model.h>
#include <metarec/core/rng.h>

#include <cstdint>
#include <span>
#include <vector>

namespace metarec {

/// r_ui - mu ~ N(<U_u, V_i>, 1/alpha) with U_u ~ N(mu_U, Lambda_U^-1), V_i ~ N(mu_V, Lambda_V^-1)
/// and Gaussian-Wishart hyperpriors on (mu_U, Lambda_U) and (mu_V, Lambda_V) (mu0 = 0,
/// beta0, W0 = I, nu0 = D). Each Gibbs iteration samples both hyperparameter pairs, then every
/// user row, then every item row, from their conditionals (OpenMP over rows; each row draws from
/// its own random stream, so the chain depends on the seed only, not on the thread count).
///
/// The prediction is the Monte Carlo average over the `samples` iterations after `burn_in`:
///   r(u,i) = mu + (1/S) sum_s <U_u^s, V_i^s>,
/// stored exactly as one factor model with k = D * S: user row u is the concatenation of its S
/// samples divided by S, item row i the concatenation of its S samples. Scoring therefore costs
/// D * S per item. Users without ratings average draws from the learned prior.
///
///   auto m = make_recommender("bayesian_mf", {"factors=10", "samples=100"});
class BayesianMf final : public FactorModel {
 public:
  static ParamSchema schema();
  explicit BayesianMf(const Params& p) : FactorModel("bayesian_mf", p) {}

 private:
  void do_fit(const Interactions& train, const FitContext& ctx) override;
};

namespace detail {

/// A Gamma(shape, 1) draw (Marsaglia and Tsang 2000; shape < 1 by the boost U^(1/shape)).
double sample_gamma(Rng& rng, double shape);

/// A draw from the Wishart distribution with `dof` degrees of freedom and the d x d scale
/// matrix whose lower Cholesky factor is `scale_chol` (row-major), by the Bartlett
/// decomposition. `out` (row-major d x d) receives the draw; requires dof > d - 1.
void sample_wishart(Rng& rng, std::span<const double> scale_chol, int d, double dof,
                    std::span<double> out);

/// One draw from N(P^-1 h, P^-1). `precision` (row-major d x d, lower triangle read) is
/// overwritten by its Cholesky factor, `h` by the draw; `z` is scratch of size d. Returns false
/// when P is not positive definite.
bool sample_gaussian(Rng& rng, double* precision, double* h, double* z, int d);

/// A draw of (mean, precision) from their Gaussian-Wishart conditional given the n x d rows `x`
/// (row-major), under the prior mu0 = 0, beta0, W0 = I, nu0 = d (Salakhutdinov and Mnih 2008,
/// eq. 14). `mean` gets d values, `precision` d x d (row-major, symmetric).
void sample_gaussian_wishart(Rng& rng, std::span<const float> x, int64_t n, int d, double beta0,
                             std::vector<double>& mean, std::vector<double>& precision);

}  // namespace detail

}  // namespace metarec
