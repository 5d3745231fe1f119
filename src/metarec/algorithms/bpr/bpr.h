// BPR-MF: matrix factorization trained for pairwise ranking with Bayesian Personalized Ranking.
//
// S. Rendle, C. Freudenthaler, Z. Gantner, L. Schmidt-Thieme. BPR: Bayesian Personalized Ranking
// from Implicit Feedback. UAI 2009.
#pragma once

#include <metarec/algorithms/common/factor_model.h>

#include <cmath>

namespace metarec {

/// Regularization of one BPR triple: `reg` on the three factor vectors, `reg_bias` on b_i, b_j.
struct BprRegularization {
  float reg = 0;
  float reg_bias = 0;
};

/// The loss of one triple (u, i, j), user u preferring positive i over negative j:
///   x = b_i - b_j + <p_u, q_i - q_j>
///   loss = -ln sigmoid(x) + reg/2 (|p_u|^2 + |q_i|^2 + |q_j|^2) + reg_bias/2 (b_i^2 + b_j^2).
/// Vectors have length k. Exposed so tests can differentiate it numerically.
double bpr_triple_loss(const float* pu, const float* qi, const float* qj, float bi, float bj, int k,
                       const BprRegularization& r);

/// One SGD step on bpr_triple_loss: every parameter moves by -lr times its gradient, all
/// gradients taken at the parameters before the step. Returns x (the score difference before
/// the step). `pu`, `qi`, `qj` must not alias (i != j).
inline float bpr_step(float* pu, float* qi, float* qj, float* bi, float* bj, int k, float lr,
                      const BprRegularization& r) {
  float x = 0;
  // omp simd lets the compiler split the sum into vector lanes (a fixed order: still repeatable).
#pragma omp simd reduction(+ : x)
  for (int f = 0; f < k; ++f) x += pu[f] * (qi[f] - qj[f]);
  x += *bi - *bj;
  const float g = 1.0f / (1.0f + std::exp(x));  // sigmoid(-x) = -d(-ln sigmoid(x))/dx
  for (int f = 0; f < k; ++f) {
    const float p = pu[f], a = qi[f], b = qj[f];
    pu[f] = p + lr * (g * (a - b) - r.reg * p);
    qi[f] = a + lr * (g * p - r.reg * a);
    qj[f] = b + lr * (-g * p - r.reg * b);
  }
  *bi += lr * (g - r.reg_bias * *bi);
  *bj += lr * (-g - r.reg_bias * *bj);
  return x;
}

/// BPR-MF: score(u, i) = b_i + <p_u, q_i>, trained by SGD on triples (u, i, j): i one of u's
/// positives, j a negative drawn uniformly (or by popularity) from the items u has not
/// interacted with; with negative_candidates > 1 the highest-scored of that many draws (dynamic
/// negative sampling). Each epoch visits the users in a fresh random order and gives each as
/// many triples as it has positives (positives drawn with replacement), so the user's factors
/// and item bitmap stay in cache: on MovieLens 1M this is 3x faster than drawing entries at
/// random, at equal accuracy. The users are cut into a fixed number of blocks, each with its own
/// random stream, so one thread is bit-for-bit repeatable; more threads run the blocks
/// Hogwild-style (lock-free; races on shared item factors are tolerated), from 32,768 items
/// up (item_hogwild_threads: on smaller catalogues two threads were slower than one).
///
///   Bpr m(Params(Bpr::schema(), {{"factors", int64_t{64}}}));
///   m.fit(train, ctx);  auto top = recommend(m, user, 10);
class Bpr final : public FactorModel {
 public:
  static ParamSchema schema();
  explicit Bpr(const Params& p) : FactorModel("bpr", p) {}

 private:
  void do_fit(const Interactions& train, const FitContext& ctx) override;
};

}  // namespace metarec
