// Implicit ALS against the dense closed form of Hu, Koren and Volinsky: the Cholesky sweep is
// the exact weighted ridge solution, conjugate gradient converges to it, and neither solver
// ever increases the objective.
#include <gtest/gtest.h>
#include <metarec/algorithms/ials/ials.h>
#include <metarec/core/rng.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <memory>

namespace metarec {
namespace {

// A users x items implicit matrix of counts (0 = no interaction), row-major.
Interactions from_counts(int users, int items, const std::vector<float>& r) {
  InteractionsBuilder b;
  for (int u = 0; u < users; ++u) b.users().intern("u" + std::to_string(u));
  for (int i = 0; i < items; ++i) b.items().intern("i" + std::to_string(i));
  for (int u = 0; u < users; ++u)
    for (int i = 0; i < items; ++i)
      if (r[u * items + i] > 0) b.add(u, i, r[u * items + i]);
  InteractionsBuilder::Options o;
  o.feedback = "implicit";
  return b.build(o);
}

Interactions tiny() {
  return from_counts(5, 6, {3, 1, 0, 0, 2, 0,  //
                            0, 2, 1, 0, 0, 0,  //
                            1, 0, 0, 4, 0, 1,  //
                            0, 0, 2, 1, 1, 0,  //
                            5, 1, 0, 0, 0, 1});
}

Interactions random_counts(int users, int items, double density, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> r(static_cast<size_t>(users) * items, 0.0f);
  for (auto& x : r)
    if (rng.uniform() < density) x = static_cast<float>(1 + rng.uniform_int(4));
  return from_counts(users, items, r);
}

std::unique_ptr<Ials> fit_ials(const Interactions& d, std::map<std::string, ParamValue> p,
                               int threads = 1) {
  auto m = std::make_unique<Ials>(Params(Ials::schema(), p));
  FitContext ctx;
  ctx.seed = 5;
  ctx.threads = threads;
  m->fit(d, ctx);
  return m;
}

double confidence_minus_1(float v, double alpha, bool log_scaling, double eps) {
  return log_scaling ? alpha * std::log1p(v / eps) : alpha * v;
}

// x_row = (Y^T C Y + reg I)^-1 Y^T C p over ALL cells of the row (dense, in double).
Eigen::VectorXd dense_solve(const Interactions& d, bool user_side, int32_t row,
                            std::span<const float> fixed, int k, double reg, double alpha,
                            bool log_scaling = false, double eps = 1) {
  const int n = user_side ? d.num_items() : d.num_users();
  Eigen::MatrixXd y(n, k);
  for (int j = 0; j < n; ++j)
    for (int f = 0; f < k; ++f) y(j, f) = fixed[j * k + f];
  Eigen::VectorXd c = Eigen::VectorXd::Ones(n), p = Eigen::VectorXd::Zero(n);
  for (int j = 0; j < n; ++j) {
    const float* v = user_side ? d.find(row, j) : d.find(j, row);
    if (v) {
      c(j) = 1 + confidence_minus_1(*v, alpha, log_scaling, eps);
      p(j) = 1;
    }
  }
  const Eigen::MatrixXd a =
      y.transpose() * c.asDiagonal() * y + reg * Eigen::MatrixXd::Identity(k, k);
  return a.ldlt().solve(y.transpose() * c.asDiagonal() * p);
}

void expect_cholesky_sweep_is_closed_form(const std::string& confidence) {
  const Interactions d = tiny();
  const int k = 3;
  const double reg = 0.1, alpha = 2, eps = 0.5;
  const bool log_scaling = confidence == "log";
  std::map<std::string, ParamValue> p = {
      {"factors", int64_t{k}},    {"reg", reg},
      {"alpha", alpha},           {"solver", std::string("cholesky")},
      {"confidence", confidence}, {"epsilon", eps},
      {"init_std", 0.5}};
  p["iterations"] = int64_t{1};
  const auto one = fit_ials(d, p);
  p["iterations"] = int64_t{2};
  const auto two = fit_ials(d, p);
  for (int32_t u = 0; u < d.num_users(); ++u) {
    const Eigen::VectorXd want =
        dense_solve(d, true, u, one->item_factors(), k, reg, alpha, log_scaling, eps);
    for (int f = 0; f < k; ++f) EXPECT_NEAR(two->user_factors()[u * k + f], want(f), 1e-5) << u;
  }
  for (int32_t i = 0; i < d.num_items(); ++i) {
    const Eigen::VectorXd want =
        dense_solve(d, false, i, two->user_factors(), k, reg, alpha, log_scaling, eps);
    for (int f = 0; f < k; ++f) EXPECT_NEAR(two->item_factors()[i * k + f], want(f), 1e-5) << i;
  }
}

TEST(Ials, CholeskySweepIsTheDenseClosedForm) { expect_cholesky_sweep_is_closed_form("linear"); }
TEST(Ials, CholeskySweepIsTheDenseClosedFormWithLogConfidence) {
  expect_cholesky_sweep_is_closed_form("log");
}

double max_abs_diff(std::span<const float> a, std::span<const float> b) {
  double m = 0;
  for (size_t e = 0; e < a.size(); ++e) m = std::max(m, std::abs(double(a[e]) - b[e]));
  return m;
}

TEST(Ials, ConjugateGradientConvergesToTheCholeskySolution) {
  const Interactions d = random_counts(30, 25, 0.2, 3);
  std::map<std::string, ParamValue> p = {{"factors", int64_t{8}},
                                         {"reg", 0.5},
                                         {"alpha", 3.0},
                                         {"iterations", int64_t{2}},
                                         {"init_std", 0.3}};
  p["solver"] = std::string("cholesky");
  const auto exact = fit_ials(d, p);
  p["solver"] = std::string("cg");
  p["cg_steps"] = int64_t{1};
  const auto rough = fit_ials(d, p);
  p["cg_steps"] = int64_t{40};
  const auto cg = fit_ials(d, p);
  const double err_many = max_abs_diff(cg->user_factors(), exact->user_factors());
  const double err_one = max_abs_diff(rough->user_factors(), exact->user_factors());
  EXPECT_LT(err_many, 1e-4);
  EXPECT_LT(max_abs_diff(cg->item_factors(), exact->item_factors()), 1e-4);
  EXPECT_GT(err_one, 100 * err_many);  // one step is far from the answer: the test can tell
}

// sum over all cells of c (p - <x_u, y_i>)^2 + reg (|X|^2 + |Y|^2), in double.
double objective(const Interactions& d, const Ials& m, double reg, double alpha) {
  const int k = m.factors();
  auto x = m.user_factors();
  auto y = m.item_factors();
  double loss = 0;
  for (int32_t u = 0; u < d.num_users(); ++u)
    for (int32_t i = 0; i < d.num_items(); ++i) {
      const float* v = d.find(u, i);
      const double c = v ? 1 + alpha * *v : 1, p = v ? 1 : 0;
      double s = 0;
      for (int f = 0; f < k; ++f) s += double(x[u * k + f]) * y[i * k + f];
      loss += c * (p - s) * (p - s);
    }
  for (float a : x) loss += reg * a * a;
  for (float a : y) loss += reg * a * a;
  return loss;
}

TEST(Ials, ObjectiveNeverIncreasesForEitherSolver) {
  const Interactions d = random_counts(40, 30, 0.15, 8);
  for (const std::string solver : {"cholesky", "cg"}) {
    double prev = INFINITY;
    for (int it = 1; it <= 6; ++it) {
      const auto m = fit_ials(d, {{"factors", int64_t{6}},
                                  {"reg", 0.2},
                                  {"alpha", 4.0},
                                  {"iterations", int64_t{it}},
                                  {"solver", solver},
                                  {"cg_steps", int64_t{2}},
                                  {"init_std", 0.1}});
      const double obj = objective(d, *m, 0.2, 4.0);
      EXPECT_LE(obj, prev * (1 + 1e-5)) << solver << " iteration " << it;
      prev = obj;
    }
  }
}

TEST(Ials, FoldInSolvesTheUserAgainstTheFinalItemFactors) {
  const Interactions d = tiny();
  const auto m = fit_ials(
      d, {{"factors", int64_t{3}}, {"reg", 0.1}, {"alpha", 2.0}, {"iterations", int64_t{4}}});
  const int32_t u = 2;
  const Eigen::VectorXd x = dense_solve(d, true, u, m->item_factors(), 3, 0.1, 2.0);
  std::vector<float> out(static_cast<size_t>(d.num_items()));
  m->score_new_user(d.user_items(u), d.user_values(u), out);
  for (int32_t i = 0; i < d.num_items(); ++i) {
    double want = 0;
    for (int f = 0; f < 3; ++f) want += x(f) * m->item_factors()[i * 3 + f];
    EXPECT_NEAR(out[i], want, 1e-5);
  }
  std::vector<float> empty(static_cast<size_t>(d.num_items()), 1.0f);
  m->score_new_user({}, {}, empty);
  for (float s : empty) EXPECT_EQ(s, 0.0f);
}

TEST(Ials, ResultDoesNotDependOnTheThreadCount) {
  const Interactions d = random_counts(60, 50, 0.1, 4);
  for (const std::string solver : {"cholesky", "cg"}) {
    const std::map<std::string, ParamValue> p = {
        {"factors", int64_t{8}}, {"iterations", int64_t{3}}, {"solver", solver}};
    const auto one = fit_ials(d, p, 1);
    const auto two = fit_ials(d, p, 2);
    EXPECT_TRUE(std::ranges::equal(one->user_factors(), two->user_factors())) << solver;
    EXPECT_TRUE(std::ranges::equal(one->item_factors(), two->item_factors())) << solver;
  }
}

}  // namespace
}  // namespace metarec
