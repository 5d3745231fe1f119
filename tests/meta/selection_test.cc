// The knowledge exports read back, selectors on families built so the right answer is known,
// leave-one-family-out without leakage, Spearman by hand.
#include <gtest/gtest.h>
#include <metarec/core/atomic_file.h>
#include <metarec/core/error.h>
#include <metarec/core/model_file.h>
#include <metarec/meta/selectors.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <tuple>

namespace metarec {
namespace {

std::string tmp(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("metarec_selection_" + std::to_string(::getpid()) + "_" + name))
      .string();
}

// The knowledge in a per-job results CSV and a per-dataset features CSV, given as text.
Knowledge knowledge_from(const std::string& results_csv, const std::string& features_csv) {
  const std::string results = tmp("results.csv"), features = tmp("features.csv");
  write_file_atomic(results, results_csv);
  write_file_atomic(features, features_csv);
  Knowledge k = load_knowledge(results, features, "ndcg@10");
  std::filesystem::remove(results);
  std::filesystem::remove(features);
  return k;
}

// Families A and C have a low first feature and "p" wins there; B and D a high one and "q" wins;
// E and F have identical features but opposite winners (only leakage could get both right).
// "r" is always last; "b" is a rating model, incompatible with the implicit family D.
Knowledge fixture() {
  std::string r = "dataset,algorithm,status,seed,ndcg@10,precision@10\n";
  std::string f = "dataset,x,y\n";
  auto add = [&](const std::string& d, double x, double p, double q) {
    r += "\"" + d + "\",p,ok,1," + std::to_string(p) + "," + std::to_string(p / 2) + "\n";
    r += "\"" + d + "\",q,ok,1," + std::to_string(q) + "," + std::to_string(q / 2) + "\n";
    r += "\"" + d + "\",r,ok,1,0.01,0.005\n";
    r += "\"" + d + "\",b," + (d[0] == 'D' ? "incompatible" : "timeout") + ",1,,\n";
    f += "\"" + d + "\"," + std::to_string(x) + ",1\n";
  };
  add("A", 0.0, 0.5, 0.3);
  add("A|kcore:k=2", 0.1, 0.6, 0.2);
  add("C", 0.2, 0.4, 0.3);
  add("C|thin:keep=0.5,seed=1", 0.3, 0.45, 0.25);
  add("B", 10.0, 0.2, 0.5);
  add("B|kcore:k=3", 10.1, 0.1, 0.4);
  add("D", 9.8, 0.3, 0.6);
  add("D|kcore:k=2", 9.9, 0.2, 0.5);
  add("E", 5.0, 0.5, 0.1);
  add("F", 5.0, 0.1, 0.5);
  return knowledge_from(r, f);
}

// A knowledge base of two algorithms, p and q, and one feature x: rows of (dataset, x, p's
// NDCG@10, q's).
Knowledge two_algorithms(const std::vector<std::tuple<std::string, double, double, double>>& rows) {
  std::string r = "dataset,algorithm,status,seed,ndcg@10\n", f = "dataset,x\n";
  for (const auto& [d, x, p, q] : rows) {
    r += "\"" + d + "\",p,ok,1," + std::to_string(p) + "\n";
    r += "\"" + d + "\",q,ok,1," + std::to_string(q) + "\n";
    f += "\"" + d + "\"," + std::to_string(x) + "\n";
  }
  return knowledge_from(r, f);
}

// A family of four datasets where p wins, three one-dataset families where q wins.
Knowledge one_big_family() {
  std::vector<std::tuple<std::string, double, double, double>> rows;
  for (int i = 0; i < 4; ++i)
    rows.emplace_back("big|sample:seed=" + std::to_string(i), 0.0, 0.5, 0.2);
  rows.emplace_back("a", 2.2, 0.2, 0.5);
  rows.emplace_back("b", -2.2, 0.2, 0.5);
  rows.emplace_back("c", 20.0, 0.2, 0.5);
  return two_algorithms(rows);
}

TEST(Knowledge, ReadsScoresEligibilityFamiliesAndDistances) {
  const Knowledge k = fixture();
  ASSERT_EQ(k.datasets.size(), 10u);
  EXPECT_EQ(k.algorithms, (std::vector<std::string>{"p", "q", "r", "b"}));
  EXPECT_EQ(k.feature_names, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(k.datasets[1].family, "A");
  EXPECT_EQ(k.families().size(), 6u);
  EXPECT_EQ(k.best(0), 0);  // p on A
  EXPECT_EQ(k.best(4), 1);  // q on B
  // On A: best 0.5, worst 0.01: q at 0.3 is (0.5 - 0.3) / 0.49 away; the timed-out b counts 1.
  EXPECT_NEAR(k.distance(0, 1), 0.2 / 0.49, 1e-9);
  EXPECT_EQ(k.distance(0, 3), 1.0);
  EXPECT_TRUE(std::isnan(k.distance(6, 3)));  // b is incompatible with D
  EXPECT_FALSE(k.datasets[6].eligible[3]);
}

TEST(Knowledge, BadExportsNameFileAndLine) {
  const std::string results = tmp("bad.csv"), features = tmp("bad_features.csv");
  write_file_atomic(features, "dataset,x\nA,1\n");
  write_file_atomic(results, "dataset,algorithm,status,ndcg@10\nA,p,ok,0.5\nA,q,ok\n");
  try {
    load_knowledge(results, features);
    FAIL() << "no error";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("bad.csv:3"), std::string::npos) << e.what();
  }
  write_file_atomic(results, "dataset,algorithm,status,ndcg@10\nA,p,ok,half\n");
  EXPECT_THROW(load_knowledge(results, features), FormatError);
  write_file_atomic(results, "dataset,algorithm,status,map@10\nA,p,ok,0.5\n");
  EXPECT_THROW(load_knowledge(results, features), FormatError);
  std::filesystem::remove(results);
  std::filesystem::remove(features);
}

TEST(Spearman, HandValues) {
  EXPECT_DOUBLE_EQ(spearman({1, 2, 3}, {10, 20, 30}), 1.0);
  EXPECT_DOUBLE_EQ(spearman({1, 2, 3}, {3, 2, 1}), -1.0);
  // Ranks (1, 2.5, 2.5) and (1, 2, 3) about their mean 2: (-1, .5, .5) . (-1, 0, 1) = 1.5 over
  // sqrt(1.5 * 2).
  EXPECT_NEAR(spearman({1, 5, 5}, {1, 2, 3}), 1.5 / std::sqrt(1.5 * 2.0), 1e-12);
  EXPECT_EQ(spearman({1, 1}, {1, 2}), 0.0);
}

TEST(SimilarityStudy, MonotoneFunctionsOfCosineAgreeFully) {
  Rng rng(7);
  nn::Matrix m(12, 6);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = static_cast<float>(rng.normal());
  const auto rows = similarity_study(m, m, 3, true);
  ASSERT_EQ(rows.size(), similarity_names().size());
  for (const auto& r : rows) {
    if (r.similarity == "cosine" || r.similarity == "iht") {
      // IHT = 1 - tanh(arccos(cos)) is increasing in cos: the same order exactly.
      EXPECT_DOUBLE_EQ(r.overlap, 1.0) << r.similarity;
      EXPECT_NEAR(r.spearman, 1.0, 1e-12) << r.similarity;
    } else {
      EXPECT_GE(r.overlap, 0.0);
      EXPECT_LE(r.overlap, 1.0);
    }
  }
}

TEST(Selection, LeaveOneFamilyOutHasNoLeakage) {
  const Knowledge k = fixture();
  SelectorOptions o;
  o.neighbours = 1;
  // Nearest datasets: right on A-D (a neighbouring family agrees), wrong on E and F (their only
  // feature-twin is the other family, which disagrees): 4 of 6 families.
  const SelectionResult nd = evaluate_selection(k, "nearest_datasets", o);
  EXPECT_EQ(nd.families, 6);
  EXPECT_EQ(nd.datasets, 10);
  EXPECT_NEAR(nd.top1, 4.0 / 6.0, 1e-12);
  // The choice is always among eligible algorithms, so the incompatible b is never chosen; the
  // true best is in the top 3 of 3 or 4 candidates everywhere.
  EXPECT_DOUBLE_EQ(nd.top3, 1.0);
  EXPECT_DOUBLE_EQ(nd.auto_within_2pct, 1.0);  // the best is among the 3 verified
  // Verifying more candidates never hurts; one candidate is the choice itself (within 2% at
  // least where it is the true best).
  const auto& curve = nd.within_2pct_by_candidates;
  ASSERT_EQ(curve.size(), static_cast<size_t>(SelectionResult::kMaxVerified));
  EXPECT_GE(curve[0], nd.top1);
  for (size_t m = 1; m < curve.size(); ++m) EXPECT_GE(curve[m], curve[m - 1]) << m;
  EXPECT_DOUBLE_EQ(curve[2], nd.auto_within_2pct);
  EXPECT_DOUBLE_EQ(curve[4], nd.auto5_within_2pct);
  EXPECT_DOUBLE_EQ(curve.back(), 1.0);
  // The single best (q: mean distance lower than p's over most training sets) is wrong on A, C, E.
  const SelectionResult sb = evaluate_selection(k, "single_best", o);
  EXPECT_LT(sb.top1, nd.top1);
  EXPECT_GT(sb.distance, nd.distance);
  // Boosted trees learn "low x: p, high x: q" from the other families.
  o.trees = 30;
  const SelectionResult bt = evaluate_selection(k, "boosted_trees", o);
  EXPECT_GT(bt.top1, sb.top1);
}

// The sibling oracle reads each dataset's ranking off its own family's other dataset: exact where
// the siblings agree, half right where they disagree, and singletons (E, F) are left out.
TEST(Selection, SiblingOracleReadsTheNearestSiblingAndSkipsSingletons) {
  Knowledge k = fixture();
  const SelectionResult agree = evaluate_sibling_oracle(k);
  EXPECT_EQ(agree.families, 4);
  EXPECT_EQ(agree.datasets, 8);
  EXPECT_DOUBLE_EQ(agree.spearman, 1.0);
  EXPECT_DOUBLE_EQ(agree.top1, 1.0);
  // Swap p and q on B|kcore:k=3: B's ranking (q, p, r) and its sibling's (p, q, r) now differ in
  // one adjacent pair, Spearman 1 - 6 * 2 / (3 * 8) = 0.5 both ways.
  const auto b = std::find_if(k.datasets.begin(), k.datasets.end(),
                              [](const KnowledgeDataset& d) { return d.name == "B|kcore:k=3"; });
  ASSERT_NE(b, k.datasets.end());
  ASSERT_EQ(k.algorithms[0], "p");
  ASSERT_EQ(k.algorithms[1], "q");
  std::swap(b->scores[0], b->scores[1]);
  const SelectionResult swapped = evaluate_sibling_oracle(k);
  EXPECT_DOUBLE_EQ(swapped.spearman, (1 + 1 + 0.5 + 1) / 4.0);
  EXPECT_DOUBLE_EQ(swapped.top1, 3 / 4.0);
  // A selector compared on the oracle's families only: E and F drop out of its mean.
  SelectorOptions o;
  o.neighbours = 1;
  const SelectionResult nd = evaluate_selection(k, "nearest_datasets", o);
  ASSERT_EQ(nd.spearman_by_family.size(), 6u);
  double sum = 0;
  for (const auto& [family, rho] : nd.spearman_by_family)
    if (family != "E" && family != "F") sum += rho;
  EXPECT_DOUBLE_EQ(mean_spearman_over(nd, swapped), sum / 4);
  EXPECT_NE(mean_spearman_over(nd, swapped), nd.spearman);
}

// `s`'s saved state, loaded into a fresh selector of the same name, scores every dataset alike.
void expect_state_round_trips(const AlgorithmSelector& s, const SelectorOptions& o,
                              const Knowledge& k) {
  ModelWriter w;
  ASSERT_TRUE(s.save_state(w));
  const std::string path = tmp(s.name() + ".safetensors");
  w.write(path);
  const ModelReader r(path);
  auto again = make_selector(s.name(), o);
  ASSERT_TRUE(again->load_state(r));
  for (const auto& d : k.datasets) EXPECT_EQ(again->score(d.features), s.score(d.features));
  std::filesystem::remove(path);
}

// The pairwise ranker and the Borda ensemble learn the same rule from the other families, and
// the ensemble's whole state (trees, ranker, neighbours) round-trips to identical scores.
TEST(Selection, RankerAndEnsembleLearnTheRuleAndTheEnsembleRoundTrips) {
  const Knowledge k = fixture();
  SelectorOptions o;
  o.neighbours = 1;
  o.trees = 30;
  const SelectionResult sb = evaluate_selection(k, "single_best", o);
  const SelectionResult rk = evaluate_selection(k, "ranker", o);
  const SelectionResult en = evaluate_selection(k, "ensemble", o);
  EXPECT_GT(rk.top1, sb.top1);
  EXPECT_GT(en.top1, sb.top1);
  EXPECT_DOUBLE_EQ(en.top3, 1.0);

  std::vector<size_t> all(k.datasets.size());
  for (size_t d = 0; d < all.size(); ++d) all[d] = d;
  auto ens = make_selector("ensemble", o);
  ens->fit(k, all);
  // Low x: p (index of "p") beats q; high x: the reverse.
  const auto& algos = k.algorithms;
  const auto at = [&](const std::string& a) {
    return static_cast<size_t>(std::find(algos.begin(), algos.end(), a) - algos.begin());
  };
  const auto low = ens->score({0.05, 1}), high = ens->score({9.95, 1});
  EXPECT_GT(low[at("p")], low[at("q")]);
  EXPECT_GT(high[at("q")], high[at("p")]);
  expect_state_round_trips(*ens, o, k);
}

// Every family weighs the same in the trees' training, as in the evaluation: one family of ten
// datasets where p wins must not outvote three one-dataset families where q wins. The features
// are all equal, so the trees can only learn the (weighted) mean: p's distance is 1 on three of
// the four families (0.75 weighted, 3/13 = 0.23 unweighted), q's 1 on one (0.25, 10/13 = 0.77).
TEST(Selection, TreesWeighEveryFamilyTheSame) {
  std::vector<std::tuple<std::string, double, double, double>> rows;
  for (int i = 0; i < 10; ++i)
    rows.emplace_back("big|sample:seed=" + std::to_string(i), 1, 0.5, 0.2);
  for (const char* d : {"s1", "s2", "s3"}) rows.emplace_back(d, 1, 0.2, 0.5);
  const Knowledge k = two_algorithms(rows);
  ASSERT_EQ(k.families().size(), 4u);
  std::vector<size_t> all(k.datasets.size());
  for (size_t d = 0; d < all.size(); ++d) all[d] = d;
  SelectorOptions o;
  o.trees = 60;
  for (const char* name : {"boosted_trees", "ranker"}) {
    auto s = make_selector(name, o);
    s->fit(k, all);
    const auto score = s->score({1.0});  // algorithms in CSV order: p, q
    EXPECT_GT(score[1], score[0]) << name;
    if (std::string(name) == "boosted_trees") {
      EXPECT_NEAR(score[0], -0.75, 0.05);  // minus the predicted distance
      EXPECT_NEAR(score[1], -0.25, 0.05);
    }
  }
}

TEST(Knowledge, FamilyWeightsGiveEveryFamilyOne) {
  const Knowledge k = one_big_family();
  const std::vector<size_t> train = {0, 1, 2, 4, 5};  // three of big, a, b
  const auto w = k.family_weights(train);
  ASSERT_EQ(w.size(), k.datasets.size());
  for (size_t d : {0, 1, 2}) EXPECT_DOUBLE_EQ(w[d], 1.0 / 3);
  EXPECT_DOUBLE_EQ(w[3], 0.0);  // not in train
  EXPECT_DOUBLE_EQ(w[4], 1.0);
  EXPECT_DOUBLE_EQ(w[6], 0.0);
}

// The single best weighs families equally: p is best on 4 of 7 datasets but 1 of 4 families.
TEST(Selection, SingleBestCountsFamiliesNotDatasets) {
  const Knowledge k = one_big_family();
  std::vector<size_t> all(k.datasets.size());
  for (size_t d = 0; d < all.size(); ++d) all[d] = d;
  auto single = make_selector("single_best", SelectorOptions{});
  single->fit(k, all);
  const auto s = single->score({1.0});
  EXPECT_DOUBLE_EQ(s[0], -0.75);  // p: distance 1 on three of four families
  EXPECT_DOUBLE_EQ(s[1], -0.25);
}

// ensemble_trees is the Borda mean of its two members' ranks: recomputed here from a boosted-trees
// and a ranker fitted on their own (both deterministic for a seed), ties broken by the trees.
TEST(Selection, TreesEnsembleIsTheMeanRankOfTreesAndRanker) {
  const Knowledge k = fixture();
  SelectorOptions o;
  o.trees = 30;
  std::vector<size_t> all(k.datasets.size());
  for (size_t d = 0; d < all.size(); ++d) all[d] = d;
  auto ens = make_selector("ensemble_trees", o);
  auto trees = make_selector("boosted_trees", o);
  auto ranker = make_selector("ranker", o);
  EXPECT_EQ(ens->name(), "ensemble_trees");
  ens->fit(k, all);
  trees->fit(k, all);
  ranker->fit(k, all);
  // Ranks 1..n, ascending score, ties sharing their mean rank.
  const auto rank_of = [](const std::vector<double>& v) {
    std::vector<double> r(v.size());
    for (size_t i = 0; i < v.size(); ++i) {
      double below = 0, equal = 0;
      for (double x : v) {
        below += x < v[i];
        equal += x == v[i];
      }
      r[i] = below + (equal + 1) / 2;
    }
    return r;
  };
  for (const auto& d : k.datasets) {
    const auto a = rank_of(trees->score(d.features)), b = rank_of(ranker->score(d.features));
    const auto got = ens->score(d.features);
    ASSERT_EQ(got.size(), a.size());
    for (size_t j = 0; j < a.size(); ++j)
      EXPECT_NEAR(got[j], (a[j] + b[j]) / 2 + 1e-3 * a[j], 1e-12);
  }
  const SelectionResult sb = evaluate_selection(k, "single_best", o);
  const SelectionResult et = evaluate_selection(k, "ensemble_trees", o);
  EXPECT_GT(et.top1, sb.top1);
  expect_state_round_trips(*ens, o, k);
}

TEST(Selection, BoostedTreesAndContrastiveStateRoundTripThroughAFile) {
  const Knowledge k = fixture();
  SelectorOptions o;
  o.trees = 20;
  o.network.hidden = 8;
  o.network.epochs = 5;
  o.embeddings = nn::Matrix::Identity(4, 4);
  std::vector<size_t> all(k.datasets.size());
  for (size_t d = 0; d < all.size(); ++d) all[d] = d;
  auto boosted = make_selector("boosted_trees", o);
  boosted->fit(k, all);
  ContrastiveSelector net(o);
  net.fit(k, all);
  ModelWriter w;
  EXPECT_TRUE(boosted->save_state(w));
  net.save(w);
  const std::string path = tmp("selector.safetensors");
  w.write(path);
  const ModelReader r(path);
  auto again = make_selector("boosted_trees", o);
  ASSERT_TRUE(again->load_state(r));
  const ContrastiveSelector net_again = ContrastiveSelector::load(r);
  for (const auto& d : k.datasets) {
    EXPECT_EQ(again->score(d.features), boosted->score(d.features));
    EXPECT_EQ(net_again.score(d.features), net.score(d.features));
  }
  EXPECT_FALSE(make_selector("nearest_datasets", o)->load_state(r));  // keeps no state
  std::filesystem::remove(path);
}

// The ensemble with the listwise network as a fourth voter learns the rule too, and its state
// round-trips next to the seed's network (same file, other keys) into a selector made as
// `select` makes it: no embeddings, so a refit would throw.
TEST(Selection, EnsembleWithTheListwiseNetworkLearnsTheRuleAndRoundTrips) {
  const Knowledge k = fixture();
  SelectorOptions o;
  o.neighbours = 1;
  o.trees = 30;
  o.network.hidden = 8;
  o.network.epochs = 40;
  o.network.batch = 4;
  o.embeddings = nn::Matrix::Identity(4, 4);
  const SelectionResult sb = evaluate_selection(k, "single_best", o);
  const SelectionResult el = evaluate_selection(k, "ensemble_listwise", o);
  EXPECT_GT(el.top1, sb.top1);

  std::vector<size_t> all(k.datasets.size());
  for (size_t d = 0; d < all.size(); ++d) all[d] = d;
  auto ens = make_selector("ensemble_listwise", o);
  EXPECT_EQ(ens->name(), "ensemble_listwise");
  ens->fit(k, all);
  SelectorOptions seed_options = o;
  seed_options.network.listwise_weight = 0;
  ContrastiveSelector seed(seed_options);
  seed.fit(k, all);
  ModelWriter w;
  seed.save(w);
  ASSERT_TRUE(ens->save_state(w));
  const std::string path = tmp("ensemble_listwise.safetensors");
  w.write(path);
  const ModelReader r(path);
  SelectorOptions no_embeddings = o;  // the ensemble's other options as fitted (neighbours)
  no_embeddings.embeddings.resize(0, 0);
  auto again = make_selector("ensemble_listwise", no_embeddings);
  EXPECT_THROW(make_selector("ensemble_listwise", no_embeddings)->fit(k, all), InvalidArgument);
  ASSERT_TRUE(again->load_state(r));
  const ContrastiveSelector seed_again = ContrastiveSelector::load(r);
  for (const auto& d : k.datasets) {
    EXPECT_EQ(again->score(d.features), ens->score(d.features));
    EXPECT_EQ(seed_again.score(d.features), seed.score(d.features));
  }
  // The listwise network alone reads the same keys; the seed's network keeps no extra state.
  auto alone = make_selector("contrastive_listwise", no_embeddings);
  EXPECT_TRUE(alone->load_state(r));
  EXPECT_EQ(alone->score(k.datasets[0].features).size(), k.algorithms.size());
  EXPECT_FALSE(make_selector("contrastive", SelectorOptions{})->load_state(r));
  std::filesystem::remove(path);
}

TEST(Selection, ContrastiveNetworkLearnsTheFamiliesAndSecondaryMetricIsReported) {
  const Knowledge k = fixture();
  SelectorOptions o;
  o.network.hidden = 16;
  o.network.epochs = 120;
  o.network.batch = 4;
  o.network.dropout = 0.0f;
  Rng rng(3);
  o.embeddings.resize(4, 8);
  for (Eigen::Index i = 0; i < o.embeddings.size(); ++i)
    o.embeddings.data()[i] = static_cast<float>(rng.normal());
  const SelectionResult c = evaluate_selection(k, "contrastive", o, &k);
  EXPECT_GE(c.top1, 4.0 / 6.0 - 1e-12);
  EXPECT_DOUBLE_EQ(c.distance_secondary, c.distance);  // same knowledge as secondary
  EXPECT_THROW(make_selector("oracle", o), InvalidArgument);
}

// Novelty by hand on the fixture (y is constant, so only x counts): E's twin F, in another
// family, lies at distance 0; A's nearest other-family dataset is C (x 0.2), 0.2 away in raw
// units, over the standard deviation of x among the eight datasets outside family A.
TEST(Novelty, FamilyNoveltyByHand) {
  const Knowledge k = fixture();
  const auto nov = family_novelty(k);
  ASSERT_EQ(nov.size(), 10u);
  EXPECT_NEAR(nov[8], 0.0, 1e-12);  // E
  EXPECT_NEAR(nov[9], 0.0, 1e-12);  // F
  const std::vector<double> others = {0.2, 0.3, 10.0, 10.1, 9.8, 9.9, 5.0, 5.0};
  double mean = 0, var = 0;
  for (double x : others) mean += x / 8;
  for (double x : others) var += (x - mean) * (x - mean) / 8;
  EXPECT_NEAR(nov[0], 0.2 / std::sqrt(var), 1e-9);  // A: its sibling A|kcore is no help
}

TEST(Novelty, NearestKnownSkipsMissingFeaturesAndSortsNearestFirst) {
  const Knowledge k = fixture();
  std::vector<size_t> all(k.datasets.size());
  for (size_t d = 0; d < all.size(); ++d) all[d] = d;
  Standardizer z;
  z.fit(k, all);
  // x = 9.96: B (10.0) is 0.04 away, D|kcore (9.9) 0.06, B|kcore (10.1) 0.14, D (9.8) 0.16; the
  // missing y adds nothing.
  const auto near = nearest_known_datasets(k, z, {9.96, std::nan("")}, 3);
  ASSERT_EQ(near.size(), 3u);
  EXPECT_EQ(k.datasets[near[0].second].name, "B");
  EXPECT_EQ(k.datasets[near[1].second].name, "D|kcore:k=2");
  EXPECT_EQ(k.datasets[near[2].second].name, "B|kcore:k=3");
  EXPECT_NEAR(near[0].first, 0.04 / z.stddev[0], 1e-9);
  EXPECT_LE(near[0].first, near[1].first);
  EXPECT_EQ(nearest_known_datasets(k, z, {0, 1}, 50).size(), 10u);
}

TEST(Novelty, ShareCountsTheScaleStrictlyBelow) {
  const std::vector<double> scale = {1.0, 2.0, 2.0, 4.0};
  EXPECT_DOUBLE_EQ(novelty_share(scale, 0.5), 0.0);
  EXPECT_DOUBLE_EQ(novelty_share(scale, 2.0), 0.25);  // the ties are not below
  EXPECT_DOUBLE_EQ(novelty_share(scale, 3.0), 0.75);
  EXPECT_DOUBLE_EQ(novelty_share(scale, 4.0), 0.75);  // equal to the largest: not beyond it
  EXPECT_DOUBLE_EQ(novelty_share(scale, 9.0), 1.0);
  EXPECT_DOUBLE_EQ(novelty_share({}, 9.0), 0.0);
}

TEST(Novelty, BandsSplitOutcomesByNoveltyAndAverageThem) {
  SelectionResult r;
  // Datasets 0-3 with novelty 3, 1, 4, 2: the low band is {1, 3}, the high band {0, 2}.
  r.outcomes = {{0, 0.4, 8}, {1, 0.0, 1}, {2, 0.2, 11}, {3, 0.1, 3}};
  const auto b = novelty_bands(r, {3.0, 1.0, 4.0, 2.0}, 2);
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[0].datasets, 2);
  EXPECT_DOUBLE_EQ(b[0].lo, 1.0);
  EXPECT_DOUBLE_EQ(b[0].hi, 2.0);
  EXPECT_NEAR(b[0].distance, 0.05, 1e-12);
  EXPECT_DOUBLE_EQ(b[0].within_at_3, 1.0);
  EXPECT_DOUBLE_EQ(b[1].lo, 3.0);
  EXPECT_DOUBLE_EQ(b[1].hi, 4.0);
  EXPECT_NEAR(b[1].distance, 0.3, 1e-12);
  EXPECT_DOUBLE_EQ(b[1].within_at_3, 0.0);
  EXPECT_DOUBLE_EQ(b[1].within_at_7, 0.0);  // 8 and 11 candidates: neither within 7
  EXPECT_THROW(novelty_bands(r, {1, 2, 3, 4}, 0), InvalidArgument);
}

TEST(Novelty, OutcomesAgreeWithTheFamilyMeans) {
  const Knowledge k = fixture();
  SelectorOptions o;
  o.neighbours = 1;
  const auto r = evaluate_selection(k, "nearest_datasets", o);
  ASSERT_EQ(static_cast<int>(r.outcomes.size()), r.datasets);
  // The table's columns are means over a family's datasets, then over families: rebuilt here
  // from the per-dataset outcomes.
  std::map<std::string, std::vector<SelectionResult::Outcome>> by_family;
  for (const auto& x : r.outcomes) by_family[k.datasets[x.dataset].family].push_back(x);
  double dist = 0, within3 = 0;
  for (const auto& [family, xs] : by_family) {
    double d = 0, w = 0;
    for (const auto& x : xs) {
      d += x.distance;
      w += x.candidates <= 3 ? 1 : 0;
      if (x.distance == 0) {
        EXPECT_EQ(x.candidates, 1);
      }
    }
    dist += d / static_cast<double>(xs.size());
    within3 += w / static_cast<double>(xs.size());
  }
  const double f = static_cast<double>(by_family.size());
  EXPECT_NEAR(r.distance, dist / f, 1e-12);
  EXPECT_NEAR(r.auto_within_2pct, within3 / f, 1e-12);
}

}  // namespace
}  // namespace metarec
