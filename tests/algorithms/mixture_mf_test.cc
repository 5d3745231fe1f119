// Mixture-of-tastes: the score against its definition, both losses' gradients against central
// differences, and a user with two disjoint interests served better by two tastes than by one.
#include <gtest/gtest.h>
#include <metarec/algorithms/mixture_mf/mixture_mf.h>
#include <metarec/core/rng.h>
#include <metarec/data/split.h>
#include <metarec/eval/evaluator.h>

#include <algorithm>
#include <cmath>
#include <memory>

namespace metarec {
namespace {

TEST(MixtureMf, ScoreIsTheSoftmaxWeightedTasteScore) {
  const int m = 2, k = 2;
  const double tastes[] = {1, 0, 0, 2}, attention[] = {1, 1, -1, 0}, e[] = {0.5, 1.0};
  // attention scores: 1.5, -0.5 -> softmax weights e^1.5 / (e^1.5 + e^-0.5), ...
  const double w0 = std::exp(1.5) / (std::exp(1.5) + std::exp(-0.5)), w1 = 1 - w0;
  const double want = w0 * 0.5 + w1 * 2.0;
  double w[2], s[2];
  EXPECT_NEAR(detail::mixture_score(tastes, attention, e, m, k, w, s), want, 1e-12);
  EXPECT_NEAR(w[0], w0, 1e-12);
  EXPECT_NEAR(s[1], 2.0, 1e-12);
  // One taste: the softmax weight is 1 and the score a plain dot product.
  EXPECT_NEAR(detail::mixture_score(tastes, attention, e, 1, k, w, s), 0.5, 1e-12);
}

// Central differences of the case loss against the analytic gradient, every parameter.
void check_gradient(bool bpr) {
  const int m = 3, k = 4;
  Rng rng(bpr ? 1 : 2);
  std::vector<double> t(m * k), a(m * k), p(k), n(k);
  for (auto* v : {&t, &a, &p, &n})
    for (auto& x : *v) x = rng.normal();
  double bp = 0.3, bn = -0.2;
  std::vector<double> gt(m * k, 0), ga(m * k, 0), gp(k, 0), gn(k, 0), scratch(4 * m);
  double gbp = 0, gbn = 0;
  detail::mixture_case(bpr, m, k, t.data(), a.data(), p.data(), bp, n.data(), bn, gt.data(),
                       ga.data(), gp.data(), &gbp, gn.data(), &gbn, scratch.data());
  auto loss = [&] {
    std::vector<double> d1(m * k), d2(m * k), d3(k), d4(k);
    double d5 = 0, d6 = 0;
    return detail::mixture_case(bpr, m, k, t.data(), a.data(), p.data(), bp, n.data(), bn,
                                d1.data(), d2.data(), d3.data(), &d5, d4.data(), &d6,
                                scratch.data());
  };
  const double h = 1e-6;
  auto check = [&](double& x, double analytic, const char* what, int idx) {
    const double keep = x;
    x = keep + h;
    const double up = loss();
    x = keep - h;
    const double down = loss();
    x = keep;
    EXPECT_NEAR(analytic, (up - down) / (2 * h), 1e-7 + 1e-6 * std::abs(analytic)) << what << idx;
  };
  for (int i = 0; i < m * k; ++i) check(t[i], gt[i], "taste ", i);
  for (int i = 0; i < m * k; ++i) check(a[i], ga[i], "attention ", i);
  for (int i = 0; i < k; ++i) check(p[i], gp[i], "positive ", i);
  for (int i = 0; i < k; ++i) check(n[i], gn[i], "negative ", i);
  check(bp, gbp, "positive bias", 0);
  check(bn, gbn, "negative bias", 0);
  // The gradient is not trivially zero.
  double norm = 0;
  for (double g : ga) norm += g * g;
  EXPECT_GT(norm, 1e-6);
}

TEST(MixtureMf, BprGradientMatchesCentralDifferences) { check_gradient(true); }
TEST(MixtureMf, LogisticGradientMatchesCentralDifferences) { check_gradient(false); }

TEST(MixtureMf, LossesHaveTheirDefiningValues) {
  // With all-zero vectors every score is the bias: BPR = log(1 + e^-(bp - bn)),
  // logistic = log(1 + e^-bp) + log(1 + e^bn).
  const int m = 2, k = 3;
  std::vector<double> z(m * k, 0), e(k, 0), g1(m * k), g2(m * k), g3(k), g4(k), scratch(4 * m);
  double b1 = 0, b2 = 0;
  EXPECT_NEAR(
      detail::mixture_case(true, m, k, z.data(), z.data(), e.data(), 0.7, e.data(), -0.4, g1.data(),
                           g2.data(), g3.data(), &b1, g4.data(), &b2, scratch.data()),
      std::log1p(std::exp(-1.1)), 1e-12);
  EXPECT_NEAR(
      detail::mixture_case(false, m, k, z.data(), z.data(), e.data(), 0.7, e.data(), -0.4,
                           g1.data(), g2.data(), g3.data(), &b1, g4.data(), &b2, scratch.data()),
      std::log1p(std::exp(-0.7)) + std::log1p(std::exp(-0.4)), 1e-12);
}

// Users each love two of four disjoint item groups (every pair of groups equally often) and
// never touch the others. A single taste vector has to average two opposite directions; two
// tastes can hold both.
Interactions two_interest_users() {
  InteractionsBuilder b;
  const int groups = 4, per_group = 15, users = 240;
  for (int i = 0; i < groups * per_group; ++i) b.items().intern("i" + std::to_string(i));
  Rng rng(3);
  for (int u = 0; u < users; ++u) {
    const int32_t uid = b.users().intern("u" + std::to_string(u));
    const int g1 = u % groups, g2 = (g1 + 1 + (u / groups) % (groups - 1)) % groups;
    for (int g : {g1, g2})
      for (int i = 0; i < per_group; ++i)
        if (rng.uniform() < 0.6) b.add(uid, g * per_group + i, 1.0f);
  }
  InteractionsBuilder::Options o;
  o.feedback = "implicit";
  return b.build(o);
}

// Mean recall@10 over three random held-out splits (the representational gap, not one split's
// luck). Explicit, weakly regularized settings: this tests capacity, not the defaults.
double recall(const Interactions& data, int tastes) {
  double sum = 0;
  for (int seed = 1; seed <= 3; ++seed) {
    const Split sp =
        make_split(data, SplitSpec::parse("user_random:test=0.25,seed=" + std::to_string(seed)));
    MixtureMf m(Params(MixtureMf::schema(), {{"factors", int64_t{1}},
                                             {"tastes", int64_t{tastes}},
                                             {"epochs", int64_t{40}},
                                             {"learning_rate", 0.1},
                                             {"reg", 1e-5},
                                             {"negative_candidates", int64_t{1}}}));
    FitContext ctx;
    ctx.threads = 1;
    m.fit(sp.train, ctx);
    EvalOptions o;
    o.metrics = {"recall"};
    o.ks = {10};
    sum += evaluate(m, sp.train, sp.test, o).get("recall@10");
  }
  return sum / 3;
}

TEST(MixtureMf, TwoTastesServeTwoInterestUsersBetterThanOne) {
  // With k = 1 a single taste ranks items along one line, so only pairs of groups at one end of
  // it are served; two tastes, each attended on its side of the line, can serve any pair.
  const Interactions d = two_interest_users();
  const double one = recall(d, 1), two = recall(d, 2);
  RecordProperty("recall_one_taste", std::to_string(one));
  RecordProperty("recall_two_tastes", std::to_string(two));
  EXPECT_GT(two, one + 0.05) << "one taste " << one << ", two tastes " << two;
}

TEST(MixtureMf, ScoreAndPredictAgree) {
  const Interactions d = two_interest_users();
  MixtureMf m(Params(MixtureMf::schema(), {{"epochs", int64_t{2}}}));
  m.fit(d);
  std::vector<float> s(static_cast<size_t>(d.num_items()));
  m.score(5, s);
  for (int32_t i = 0; i < d.num_items(); ++i) EXPECT_FLOAT_EQ(s[i], m.predict(5, i));
}

}  // namespace
}  // namespace metarec
