// The evaluator's protocols on a tiny dataset with a model whose scores are fixed by hand.
#include <gtest/gtest.h>
#include <metarec/algorithms/recommender.h>
#include <metarec/core/error.h>
#include <metarec/eval/evaluator.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <string>
#include <vector>

namespace metarec {
namespace {

// Scores item i as 10 - i for every user (item 0 best), predicts rating 3 + 0.5 * (i % 2).
class FixedModel final : public Recommender, public RatingPredictor {
 public:
  FixedModel() : Recommender("fixed", Params()) {}
  void score(int32_t, std::span<float> out) const override {
    for (size_t i = 0; i < out.size(); ++i) out[i] = 10.0f - static_cast<float>(i);
  }
  float predict(int32_t, int32_t i) const override {
    return 3.0f + 0.5f * static_cast<float>(i % 2);
  }

 private:
  void do_fit(const Interactions&, const FitContext&) override {}
  void do_save(ModelWriter&) const override {}
  void do_load(const ModelReader&) override {}
};

// 2 users, 6 items. Train: u0 {0, 2}, u1 {1}. Test: u0 {3 (r=4), 5 (r=2)}, u1 {0 (r=5)}.
struct Fixture {
  Interactions all, train, test;
  Fixture() {
    InteractionsBuilder b;
    for (int u = 0; u < 2; ++u) b.users().intern_int(u);
    for (int i = 0; i < 6; ++i) b.items().intern_int(i);
    b.add(0, 0, 3);
    b.add(0, 2, 4);
    b.add(1, 1, 2);
    b.add(0, 3, 4);
    b.add(0, 5, 2);
    b.add(1, 0, 5);
    InteractionsBuilder::Options o;
    o.feedback = "explicit";
    all = b.build(o);
    // Entries are ordered by (user, item): u0: 0,2,3,5 -> entries 0..3; u1: 0,1 -> entries 4,5.
    std::vector<int64_t> tr = {0, 1, 5}, te = {2, 3, 4};
    train = all.subset(tr);
    test = all.subset(te);
  }
};

TEST(Evaluator, FullRankingMatchesHandComputation) {
  Fixture f;
  FixedModel m;
  m.fit(f.train);
  EvalOptions o;
  o.metrics = {"precision", "recall", "hr", "ndcg", "mrr", "map", "auc", "topk_acc"};
  o.ks = {2};
  o.threads = 1;
  EvalResult r = evaluate(m, f.train, f.test, o);
  // u0 candidates (train 0, 2 excluded): 1, 3, 4, 5 ranked 1 > 3 > 4 > 5; relevant {3, 5}.
  //   top2 = [1, 3]: P = 1/2, R = 1/2, HR = 1, NDCG = (1/log2 3) / (1 + 1/log2 3), RR = 1/2,
  //   AP = (1/2) / 2 = 1/4, AUC: pairs (3 vs 1,4) -> 3>4 only = 1 of 2; (5 vs 1,4) -> 0 => 1/4.
  // u1 candidates (train 1 excluded): 0, 2, 3, 4, 5 ranked 0 first; relevant {0}.
  //   P = 1/2, R = 1, HR = 1, NDCG = 1, RR = 1, AP = 1, AUC = 1.
  const double ndcg0 = (1 / std::log2(3.0)) / (1 + 1 / std::log2(3.0));
  EXPECT_EQ(r.users, 2);
  EXPECT_NEAR(r.get("precision@2"), 0.5, 1e-12);
  EXPECT_NEAR(r.get("recall@2"), 0.75, 1e-12);
  EXPECT_NEAR(r.get("hr@2"), 1.0, 1e-12);
  EXPECT_NEAR(r.get("ndcg@2"), (ndcg0 + 1) / 2, 1e-12);
  EXPECT_NEAR(r.get("mrr@2"), 0.75, 1e-12);
  EXPECT_NEAR(r.get("map@2"), (0.25 + 1) / 2, 1e-12);
  EXPECT_NEAR(r.get("auc"), (0.25 + 1) / 2, 1e-12);
  // Top-K accuracy per test interaction: ranks 1 (item 3 of u0), 3 (item 5), 0 (u1's item 0).
  EXPECT_NEAR(r.get("topk_acc@2"), 2.0 / 3, 1e-12);
  EXPECT_EQ(r.protocol, "full");
}

// TFRS-style top-K accuracy ranks among all items, training items included: scores 10 - i give
// u0's item 3 rank 3 (items 0, 1, 2 above), item 5 rank 5, u1's item 0 rank 0.
TEST(Evaluator, TopKAccuracyOverAllItemsCountsTrainingItems) {
  Fixture f;
  FixedModel m;
  m.fit(f.train);
  EvalOptions o;
  o.metrics = {"topk_acc_all", "topk_acc"};
  o.ks = {2, 4};
  o.threads = 1;
  EvalResult r = evaluate(m, f.train, f.test, o);
  EXPECT_NEAR(r.get("topk_acc_all@2"), 1.0 / 3, 1e-12);
  EXPECT_NEAR(r.get("topk_acc_all@4"), 2.0 / 3, 1e-12);
  // With training items excluded (u0: 0, 2), item 3 ranks 1, item 5 ranks 3.
  EXPECT_NEAR(r.get("topk_acc@2"), 2.0 / 3, 1e-12);
  EXPECT_NEAR(r.get("topk_acc@4"), 1.0, 1e-12);
}

TEST(Evaluator, PrecisionCappedIsARatioOfSums) {
  Fixture f;
  FixedModel m;
  m.fit(f.train);
  EvalOptions o;
  o.metrics = {"precision", "precision_capped"};
  o.ks = {1, 2, 5};
  o.threads = 1;
  EvalResult r = evaluate(m, f.train, f.test, o);
  // Ranked lists (train items excluded): u0 [1, 3, 4, 5], relevant {3, 5}; u1 [0, 2, 3, 4, 5],
  // relevant {0}.
  // k=1: hits 0 + 1 over min(1, 2) + min(1, 1) = 2 -> 1/2 (precision@1 is also 1/2).
  // k=2: hits 1 + 1 over min(2, 2) + min(2, 1) = 3 -> 2/3, where the mean of per-user ratios
  //      would be (1/2 + 1) / 2 = 3/4 and precision@2 is (1/2 + 1/2) / 2 = 1/2.
  // k=5: hits 2 + 1 over 2 + 1 -> 1, precision@5 = (2/5 + 1/5) / 2 = 3/10.
  EXPECT_NEAR(r.get("precision_capped@1"), 0.5, 1e-12);
  EXPECT_NEAR(r.get("precision_capped@2"), 2.0 / 3, 1e-12);
  EXPECT_NEAR(r.get("precision_capped@5"), 1.0, 1e-12);
  EXPECT_NEAR(r.get("precision@2"), 0.5, 1e-12);
  EXPECT_NEAR(r.get("precision@5"), 0.3, 1e-12);
}

TEST(Evaluator, RatingMetricsAndRelevanceThreshold) {
  Fixture f;
  FixedModel m;
  m.fit(f.train);
  EvalOptions o;
  o.metrics = {"rmse", "mae", "recall"};
  o.ks = {1};
  o.relevance_threshold = 4;  // u0's item 5 (rated 2) is not relevant
  EvalResult r = evaluate(m, f.train, f.test, o);
  // Predictions: (0,3) -> 3.5 vs 4; (0,5) -> 3.5 vs 2; (1,0) -> 3 vs 5.
  EXPECT_NEAR(r.get("rmse"), std::sqrt((0.25 + 2.25 + 4) / 3), 1e-6);
  EXPECT_NEAR(r.get("mae"), (0.5 + 1.5 + 2) / 3, 1e-6);
  // recall@1: u0 top1 = [1], relevant {3} -> 0; u1 -> 1.
  EXPECT_NEAR(r.get("recall@1"), 0.5, 1e-12);
}

// Neighbourhood explainability on a hand-made neighbourhood: u1 is u0's only co-rater and u0 is
// u1's; u2 shares no item with either, so it is nobody's neighbour.
TEST(Evaluator, ExplainabilityPrecisionAndRecallMatchHandComputation) {
  InteractionsBuilder b;
  for (int u = 0; u < 3; ++u) b.users().intern_int(u);
  for (int i = 0; i < 6; ++i) b.items().intern_int(i);
  b.add(0, 0, 5);
  b.add(0, 1, 5);
  b.add(0, 5, 4);  // test
  b.add(1, 0, 5);
  b.add(1, 1, 4);
  b.add(1, 2, 3);  // test
  b.add(1, 3, 5);
  b.add(2, 2, 1);
  b.add(2, 4, 2);
  InteractionsBuilder::Options opt;
  opt.feedback = "explicit";
  const Interactions all = b.build(opt);
  // Entries by (user, item): u0 0,1,5 -> 0..2; u1 0,1,2,3 -> 3..6; u2 2,4 -> 7,8.
  const Interactions train = all.subset(std::vector<int64_t>{0, 1, 3, 4, 6, 7, 8});
  const Interactions test = all.subset(std::vector<int64_t>{2, 5});
  FixedModel m;
  m.fit(train);
  EvalOptions o;
  o.metrics = {"mep", "mer"};
  o.ks = {2};
  o.threads = 1;
  o.explain_neighbors = 1;
  // u0: neighbour u1 rated 0, 1, 3; unseen by u0: {3}. List (10 - i, training items out):
  //   [2, 3]: MEP 1/2, MER 1/1. u1: neighbour u0 rated 0, 1 in training, both seen by u1: no
  //   explainable item. List [2, 4]: MEP 0; MER undefined, so u1 is left out of its mean.
  EvalResult r = evaluate(m, train, test, o);
  EXPECT_NEAR(r.get("mep@2"), 0.25, 1e-12);
  EXPECT_NEAR(r.get("mer@2"), 1.0, 1e-12);
  // k = 1: [2] and [4], neither explainable.
  o.ks = {1};
  r = evaluate(m, train, test, o);
  EXPECT_NEAR(r.get("mep@1"), 0.0, 1e-12);
  EXPECT_NEAR(r.get("mer@1"), 0.0, 1e-12);
  // Two neighbours wanted, one exists: every score is 1/2, not above a threshold of 0.5.
  o.ks = {2};
  o.explain_neighbors = 2;
  o.explain_threshold = 0.5f;
  r = evaluate(m, train, test, o);
  EXPECT_NEAR(r.get("mep@2"), 0.0, 1e-12);
  EXPECT_NEAR(r.get("mer@2"), 0.0, 1e-12);
  o.explain_threshold = 0.4f;
  r = evaluate(m, train, test, o);
  EXPECT_NEAR(r.get("mep@2"), 0.25, 1e-12);
}

// Three given cases under the sampled protocol, for a model scoring item i as 10 - i; checks the
// hand-computed metrics and returns the result.
EvalResult expect_given_cases_ranked(const Recommender& m, const Fixture& f) {
  std::vector<SampledCase> cases = {{0, 3, {1, 4}}, {1, 0, {2, 3}}, {0, 5, {4}}};
  EvalOptions o;
  o.protocol = "sampled";
  o.given_cases = &cases;
  o.metrics = {"hr", "ndcg", "auc"};
  o.ks = {1};
  EvalResult r = evaluate(m, f.train, f.test, o);
  // Ranks: item 3 vs {1, 4}: 1 is better -> rank 1; item 0 vs {2, 3} -> 0; item 5 vs {4} -> 1.
  EXPECT_NEAR(r.get("hr@1"), 1.0 / 3, 1e-12);
  EXPECT_NEAR(r.get("ndcg@1"), 1.0 / 3, 1e-12);
  EXPECT_NEAR(r.get("auc"), (0.5 + 1 + 0) / 3, 1e-12);
  return r;
}

TEST(Evaluator, SampledProtocolWithGivenNegatives) {
  Fixture f;
  FixedModel m;
  m.fit(f.train);
  EvalResult r = expect_given_cases_ranked(m, f);
  EXPECT_EQ(r.protocol, "sampled:file");
  EXPECT_EQ(r.test_entries, 3);
}

// FixedModel's scores, also for chosen items; counts the calls of each kind.
class SubsetModel final : public Recommender, public SubsetScorer {
 public:
  SubsetModel() : Recommender("fixed_subset", Params()) {}
  void score(int32_t, std::span<float> out) const override {
    ++full_calls;
    for (size_t i = 0; i < out.size(); ++i) out[i] = 10.0f - static_cast<float>(i);
  }
  void score_items(int32_t, std::span<const int32_t> items, std::span<float> out) const override {
    ++subset_calls;
    scored += static_cast<int64_t>(items.size());
    for (size_t k = 0; k < items.size(); ++k) out[k] = 10.0f - static_cast<float>(items[k]);
  }
  mutable std::atomic<int64_t> full_calls{0}, subset_calls{0}, scored{0};

 private:
  void do_fit(const Interactions&, const FitContext&) override {}
  void do_save(ModelWriter&) const override {}
  void do_load(const ModelReader&) override {}
};

TEST(Evaluator, SampledProtocolScoresOnlyTheCasesItemsWhenTheModelCan) {
  Fixture f;
  SubsetModel m;
  m.fit(f.train);
  expect_given_cases_ranked(m, f);
  // One call per user, with each case's item and negatives: u0 3 + 2, u1 3.
  EXPECT_EQ(m.full_calls.load(), 0);
  EXPECT_EQ(m.subset_calls.load(), 2);
  EXPECT_EQ(m.scored.load(), 8);
  // The full protocol still ranks every item.
  EvalOptions o;
  o.metrics = {"hr"};
  o.ks = {1};
  evaluate(m, f.train, f.test, o);
  EXPECT_EQ(m.full_calls.load(), 2);
}

TEST(Evaluator, SampledNegativesExcludeTrainAndTestItems) {
  Fixture f;
  FixedModel m;
  m.fit(f.train);
  EvalOptions o;
  o.protocol = "sampled";
  o.negatives = 2;  // u0 has 4 positives of 6 items: exactly 2 eligible negatives (1, 4)
  o.metrics = {"hr"};
  o.ks = {1};
  EvalResult r = evaluate(m, f.train, f.test, o);
  // u0 item 3 vs {1, 4} -> rank 1 (miss); u0 item 5 vs {1, 4} -> rank 2 (miss);
  // u1 item 0 vs 2 of {2, 3, 4, 5} -> rank 0 (hit). HR@1 = 1/3 whatever the draw.
  EXPECT_NEAR(r.get("hr@1"), 1.0 / 3, 1e-12);
  EXPECT_EQ(r.protocol, "sampled:2:uniform");
  // Without a list of metrics: the default ones the sampled protocol defines, not an error.
  o.metrics.clear();
  r = evaluate(m, f.train, f.test, o);
  EXPECT_NEAR(r.get("hr@1"), 1.0 / 3, 1e-12);
  for (const char* wanted : {"ndcg@1", "mrr@1", "auc"})
    EXPECT_TRUE(std::any_of(r.metrics.begin(), r.metrics.end(), [&](const auto& e) {
      return e.first == wanted;
    })) << wanted;
  for (const auto& [name, value] : r.metrics)
    EXPECT_TRUE(name.rfind("precision", 0) != 0 && name.rfind("recall", 0) != 0 &&
                name.rfind("coverage", 0) != 0)
        << name;
}

TEST(Evaluator, RejectsUnknownMetricsAndBadProtocols) {
  Fixture f;
  FixedModel m;
  m.fit(f.train);
  EvalOptions o;
  o.metrics = {"ndgc"};
  EXPECT_THROW(evaluate(m, f.train, f.test, o), InvalidArgument);
  o.metrics = {"precision"};
  o.protocol = "sampled";
  EXPECT_THROW(evaluate(m, f.train, f.test, o), InvalidArgument);
}

// Strong generalization. A FoldIn model whose fold-in scores are -j for item j plus 10 for the
// item after each input item ((i + 1) mod 6); score() (for training users) ranks the other way,
// so a fold-in evaluation that used it would get other numbers.
class FoldModel final : public Recommender, public FoldIn {
 public:
  FoldModel() : Recommender("fold", Params()) {}
  void score(int32_t, std::span<float> out) const override {
    for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<float>(i);
  }
  void score_new_user(std::span<const int32_t> items, std::span<const float>,
                      std::span<float> out) const override {
    for (size_t j = 0; j < out.size(); ++j) out[j] = -static_cast<float>(j);
    for (int32_t i : items) out[static_cast<size_t>((i + 1) % 6)] += 10.0f;
  }

 private:
  void do_fit(const Interactions&, const FitContext&) override {}
  void do_save(ModelWriter&) const override {}
  void do_load(const ModelReader&) override {}
};

// 3 users, 6 items. u0 trains on {0, 1, 2}. Held out: u1 gives {0, 3} and has targets {2, 5};
// u2 gives {5} and has targets {1, 3, 4}.
struct HeldOutFixture {
  Interactions all, train, fold_in, test;
  HeldOutFixture() {
    InteractionsBuilder b;
    for (int u = 0; u < 3; ++u) b.users().intern_int(u);
    for (int i = 0; i < 6; ++i) b.items().intern_int(i);
    for (int i : {0, 1, 2}) b.add(0, i, 1);
    for (int i : {0, 2, 3, 5}) b.add(1, i, 1);
    for (int i : {1, 3, 4, 5}) b.add(2, i, 1);
    InteractionsBuilder::Options o;
    o.feedback = "implicit";
    all = b.build(o);
    // Entries by (user, item): u0 0,1,2 -> 0..2; u1 0,2,3,5 -> 3..6; u2 1,3,4,5 -> 7..10.
    train = all.subset(std::vector<int64_t>{0, 1, 2});
    fold_in = all.subset(std::vector<int64_t>{3, 5, 10});
    test = all.subset(std::vector<int64_t>{4, 6, 7, 8, 9});
  }
};

TEST(Evaluator, FoldInMatchesHandComputation) {
  HeldOutFixture f;
  FoldModel m;
  m.fit(f.train);
  EvalOptions o;
  o.metrics = {"ndcg", "recall", "recall_capped", "precision_capped"};
  o.ks = {2, 4};
  o.threads = 1;
  const EvalResult r = evaluate_fold_in(m, f.train, f.fold_in, f.test, o);
  // u1: scores 0, 9, -2, -3, 6, -5 with 0 and 3 excluded: ranked [1, 4, 2, 5]; targets {2, 5}.
  // u2: scores 10, -1, -2, -3, -4 (5 excluded): ranked [0, 1, 2, 3, 4]; targets {1, 3, 4}.
  // k=2: u1 no hit. u2 hit at rank 1: NDCG (1/log2 3) / (1 + 1/log2 3), recall 1/3,
  //      capped recall 1 / min(2, 3) = 1/2. precision_capped: (0 + 1) / (2 + 2).
  // k=4: u1 hits at ranks 2, 3: NDCG (1/log2 4 + 1/log2 5) / (1 + 1/log2 3), recall 1, capped 1.
  //      u2 hits at ranks 1, 3: NDCG (1/log2 3 + 1/log2 5) / (1 + 1/log2 3 + 1/log2 4),
  //      recall 2/3, capped 2 / min(4, 3) = 2/3. precision_capped: (2 + 2) / (2 + 3).
  const double l3 = 1 / std::log2(3.0), l4 = 0.5, l5 = 1 / std::log2(5.0);
  EXPECT_EQ(r.users, 2);
  EXPECT_EQ(r.protocol, "fold_in");
  EXPECT_NEAR(r.get("ndcg@2"), (0 + l3 / (1 + l3)) / 2, 1e-12);
  EXPECT_NEAR(r.get("recall@2"), (0 + 1.0 / 3) / 2, 1e-12);
  EXPECT_NEAR(r.get("recall_capped@2"), (0 + 0.5) / 2, 1e-12);
  EXPECT_NEAR(r.get("precision_capped@2"), 1.0 / 4, 1e-12);
  EXPECT_NEAR(r.get("ndcg@4"), ((l4 + l5) / (1 + l3) + (l3 + l5) / (1 + l3 + l4)) / 2, 1e-12);
  EXPECT_NEAR(r.get("recall@4"), (1 + 2.0 / 3) / 2, 1e-12);
  EXPECT_NEAR(r.get("recall_capped@4"), (1 + 2.0 / 3) / 2, 1e-12);
  EXPECT_NEAR(r.get("precision_capped@4"), 4.0 / 5, 1e-12);
  // evaluate_split dispatches on the fold-in set.
  Split s;
  s.train = f.train;
  s.fold_in = f.fold_in;
  s.test = f.test;
  EXPECT_EQ(evaluate_split(m, s, o).get("ndcg@4"), r.get("ndcg@4"));
  s.fold_in = Interactions();
  EXPECT_EQ(evaluate_split(m, s, o).protocol, "full");
}

TEST(Evaluator, FoldInNeedsAFoldInModelTheFullProtocolAndRankingMetrics) {
  HeldOutFixture f;
  FixedModel plain;
  plain.fit(f.train);
  EvalOptions o;
  o.metrics = {"ndcg"};
  try {
    evaluate_fold_in(plain, f.train, f.fold_in, f.test, o);
    ADD_FAILURE() << "expected InvalidArgument";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("fixed cannot score users it was not trained on"),
              std::string::npos)
        << e.what();
  }
  FoldModel m;
  m.fit(f.train);
  o.protocol = "sampled";
  EXPECT_THROW(evaluate_fold_in(m, f.train, f.fold_in, f.test, o), InvalidArgument);
  o.protocol = "full";
  o.metrics = {"rmse"};
  EXPECT_THROW(evaluate_fold_in(m, f.train, f.fold_in, f.test, o), InvalidArgument);
  o.metrics = {"mep"};  // held-out users have no neighbours in the training data
  EXPECT_THROW(evaluate_fold_in(m, f.train, f.fold_in, f.test, o), InvalidArgument);
}

}  // namespace
}  // namespace metarec
