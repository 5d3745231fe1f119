// SVD++: the update is the gradient of its rating loss, and predictions follow Koren's formula
// from the stored parameters.
#include <gtest/gtest.h>
#include <metarec/algorithms/catalog.h>
#include <metarec/algorithms/mf/svdpp.h>
#include <metarec/core/rng.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace metarec {
namespace {

// For one rating, the per-rating step followed by the once-per-user y step equals one gradient
// step on svdpp_rating_loss (z and g are built as the trainer builds them).
TEST(SvdPlusPlus, StepsAreTheNegativeGradientOfTheRatingLoss) {
  const int k = 4, n = 3;  // three items in N(u)
  Rng rng(1);
  auto vec = [&](int len) {
    std::vector<float> v(static_cast<size_t>(len));
    for (auto& x : v) x = static_cast<float>(rng.normal() * 0.4);
    return v;
  };
  std::vector<float> p = vec(k), q = vec(k);
  std::vector<std::vector<float>> y = {vec(k), vec(k), vec(k)};
  float bu = 0.2f, bi = -0.1f;
  const float mu = 3.6f, r = 5.0f;
  detail::SvdppRates h{0.1f, 0.05f, 0.1f, 0.02f, 0.1f, 0.03f};
  auto loss = [&] {
    std::vector<const float*> ys;
    for (auto& v : y) ys.push_back(v.data());
    return detail::svdpp_rating_loss(p.data(), q.data(), bu, bi, ys, k, mu, r, h);
  };
  std::vector<float*> params;
  for (auto& x : p) params.push_back(&x);
  for (auto& x : q) params.push_back(&x);
  for (auto& v : y)
    for (auto& x : v) params.push_back(&x);
  params.push_back(&bu);
  params.push_back(&bi);
  std::vector<double> numeric;
  const double eps = 1e-3;
  for (float* x : params) {
    const float old = *x;
    *x = static_cast<float>(old + eps);
    const double up = loss();
    *x = static_cast<float>(old - eps);
    const double down = loss();
    *x = old;
    numeric.push_back((up - down) / (2 * eps));
  }
  std::vector<float> before;
  for (float* x : params) before.push_back(*x);
  const float norm = 1.0f / std::sqrt(static_cast<float>(n));
  std::vector<float> z(k, 0.0f), g(k, 0.0f);
  for (auto& v : y)
    for (int f = 0; f < k; ++f) z[f] += v[f];
  for (auto& x : z) x *= norm;
  detail::svdpp_rating_step(p.data(), q.data(), z.data(), g.data(), &bu, &bi, k, mu, r, h);
  for (auto& v : y) detail::svdpp_y_step(v.data(), g.data(), norm, k, h);
  for (size_t j = 0; j < params.size(); ++j) {
    const double analytic = -(*params[j] - before[j]) / 0.1;
    EXPECT_NEAR(analytic, numeric[j], 2e-3 * std::max(1.0, std::abs(numeric[j])))
        << "parameter " << j;
  }
}

Interactions small_ratings() {
  InteractionsBuilder b;
  Rng rng(4);
  for (int u = 0; u < 40; ++u) b.users().intern("u" + std::to_string(u));
  for (int i = 0; i < 30; ++i) b.items().intern("i" + std::to_string(i));
  // Rank-2 preferences around 3 stars.
  std::vector<double> a(80), c(60);
  for (auto& x : a) x = rng.normal();
  for (auto& x : c) x = rng.normal();
  for (int u = 0; u < 40; ++u)
    for (int i = 0; i < 30; ++i)
      if (rng.uniform() < 0.3) {
        const double r = 3 + a[2 * u] * c[2 * i] + a[2 * u + 1] * c[2 * i + 1];
        b.add(u, i, static_cast<float>(std::clamp(r, 1.0, 5.0)));
      }
  InteractionsBuilder::Options o;
  o.feedback = "explicit";
  o.scale_min = 1;
  o.scale_max = 5;
  return b.build(o);
}

TEST(SvdPlusPlus, PredictionFollowsTheModelFormula) {
  const Interactions d = small_ratings();
  auto m = make_recommender("svdpp", {"factors=3", "epochs=3"});
  m->fit(d);
  const auto& f = dynamic_cast<const SvdPlusPlus&>(*m);
  const int k = f.factors();
  const auto P = f.user_factors(), Q = f.item_factors(), Y = f.implicit_factors();
  for (int32_t u = 0; u < 5; ++u) {
    const auto items = d.user_items(u);
    std::vector<double> v(k, 0.0);
    for (int32_t j : items)
      for (int t = 0; t < k; ++t) v[t] += Y[j * k + t];
    const double norm = items.empty() ? 0.0 : 1.0 / std::sqrt(static_cast<double>(items.size()));
    for (int32_t i = 0; i < 5; ++i) {
      double s = f.global_mean() + f.user_bias()[u] + f.item_bias()[i];
      for (int t = 0; t < k; ++t) s += Q[i * k + t] * (P[u * k + t] + norm * v[t]);
      s = std::clamp(s, 1.0, 5.0);
      EXPECT_NEAR(f.predict(u, i), s, 1e-5);
    }
  }
}

TEST(SvdPlusPlus, TrainingReducesTrainingError) {
  const Interactions d = small_ratings();
  auto err = [&](int epochs) {
    auto m = make_recommender("svdpp", {"factors=4", "epochs=" + std::to_string(epochs), "lr=0.02",
                                        "reg=0.01", "lr_decay=1", "lr_y=0.005", "init_std=0.1"});
    FitContext ctx;
    ctx.threads = 1;
    m->fit(d, ctx);
    const auto& f = dynamic_cast<const RatingPredictor&>(*m);
    double s = 0;
    for (int64_t e = 0; e < d.nnz(); ++e) {
      const double x = f.predict(d.entry_users()[e], d.entry_items()[e]) - d.entry_values()[e];
      s += x * x;
    }
    return std::sqrt(s / static_cast<double>(d.nnz()));
  };
  const double e1 = err(1), e50 = err(50);
  EXPECT_LT(e50, 0.8 * e1) << e1 << " -> " << e50;
}

}  // namespace
}  // namespace metarec
