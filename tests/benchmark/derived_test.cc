// Derived-dataset recipes on hand-built datasets whose results are worked out by hand, and the
// dataset fingerprint.
#include <gtest/gtest.h>
#include <metarec/benchmark/derived.h>
#include <metarec/core/error.h>
#include <metarec/data/synthetic.h>

#include <set>
#include <string>
#include <tuple>
#include <vector>

namespace metarec {
namespace {

struct Row {
  std::string user, item;
  float value;
  int64_t time;
};

Interactions build(const std::vector<Row>& rows, const std::string& feedback = "explicit") {
  InteractionsBuilder b;
  b.set_has_timestamps(true);
  for (const auto& r : rows)
    b.add(b.users().intern(r.user), b.items().intern(r.item), r.value, r.time);
  InteractionsBuilder::Options o;
  o.feedback = feedback;
  o.name = "hand";
  return b.build(o);
}

// (user, item, value) of every entry with external ids, sorted.
std::set<std::tuple<std::string, std::string, float>> triples(const Interactions& d) {
  std::set<std::tuple<std::string, std::string, float>> out;
  for (int64_t e = 0; e < d.nnz(); ++e)
    out.emplace(d.user_ids().external(d.entry_users()[e]),
                d.item_ids().external(d.entry_items()[e]), d.entry_values()[e]);
  return out;
}

// Users a..d with 4, 3, 2, 1 ratings; item x is rated by everyone.
Interactions ladder() {
  return build({{"a", "x", 5, 1},
                {"a", "y", 4, 2},
                {"a", "z", 3, 3},
                {"a", "w", 2, 4},
                {"b", "x", 4, 5},
                {"b", "y", 1, 6},
                {"b", "z", 5, 7},
                {"c", "x", 3, 8},
                {"c", "y", 4, 9},
                {"d", "x", 4, 10}});
}

TEST(DerivedRecipe, CanonicalTextRoundTrips) {
  const std::string text =
      "ml-100k|kcore:k=5|users:frac=0.3,by=activity,seed=2|implicit:threshold=4|thin:keep=0.5,"
      "seed=9|window:from=0.25,to=1|heavy:frac=0.2|items:n=100,by=uniform,seed=0";
  EXPECT_EQ(DerivedRecipe::parse(text).to_string(), text);
  // Defaults are written out, so equal recipes have equal names.
  EXPECT_EQ(DerivedRecipe::parse("x|users:seed=3,frac=0.5").to_string(),
            "x|users:frac=0.5,by=uniform,seed=3");
  EXPECT_EQ(DerivedRecipe::parse("synthetic:users=10,items=5").steps.size(), 0u);
}

TEST(DerivedRecipe, BadStepsNameTheProblem) {
  auto message = [](const std::string& t) {
    try {
      DerivedRecipe::parse(t);
    } catch (const InvalidArgument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message("x|shuffle:k=1").find("unknown operation \"shuffle\""), std::string::npos);
  EXPECT_NE(message("x|kcore:n=3").find("unknown key \"n\" (valid for kcore: k)"),
            std::string::npos);
  EXPECT_NE(message("x|users:frac=2").find("frac must be in (0, 1]"), std::string::npos);
  EXPECT_NE(message("x|users:frac=0.5,n=3").find("exactly one"), std::string::npos);
  EXPECT_NE(message("x|users:frac=0.5,by=popularity").find("uniform or activity"),
            std::string::npos);
  EXPECT_NE(message("x|kcore:k=two").find("not an integer"), std::string::npos);
  EXPECT_NE(message("x|window:from=0.6,to=0.5").find("from < to"), std::string::npos);
  EXPECT_NE(message("x|implicit").find("threshold= is required"), std::string::npos);
  EXPECT_NE(message("|kcore:k=2").find("no base dataset"), std::string::npos);
}

TEST(DerivedDataset, KCoreRemovesUntilStable) {
  // 2-core of the ladder: d (1 rating) goes; then w (only a) goes; a keeps x, y, z (3), b keeps
  // x, y, z (3), c keeps x, y (2); z has a and b (2). Nothing else falls.
  const Interactions d = apply_recipe(ladder(), DerivedRecipe::parse("l|kcore:k=2"));
  EXPECT_EQ(d.num_users(), 3);
  EXPECT_EQ(d.num_items(), 3);
  EXPECT_EQ(d.nnz(), 8);
  // 3-core: c, d, z and w fall at once, leaving a and b with two items each, which then fall.
  EXPECT_THROW(apply_recipe(ladder(), DerivedRecipe::parse("l|kcore:k=3")), InvalidArgument);
}

TEST(DerivedDataset, HeavyAndLightUsers) {
  const Interactions heavy = apply_recipe(ladder(), DerivedRecipe::parse("l|heavy:frac=0.5"));
  EXPECT_EQ(heavy.num_users(), 2);
  EXPECT_EQ(heavy.nnz(), 7);  // a (4) and b (3)
  EXPECT_EQ(heavy.user_ids().external(0), "a");
  const Interactions light = apply_recipe(ladder(), DerivedRecipe::parse("l|light:frac=0.5"));
  EXPECT_EQ(light.nnz(), 3);  // d (1) and c (2)
  EXPECT_EQ(triples(light), (std::set<std::tuple<std::string, std::string, float>>{
                                {"c", "x", 3}, {"c", "y", 4}, {"d", "x", 4}}));
}

TEST(DerivedDataset, ImplicitThresholdKeepsHighRatingsAsOnes) {
  const Interactions d = apply_recipe(ladder(), DerivedRecipe::parse("l|implicit:threshold=4"));
  EXPECT_EQ(d.feedback(), Feedback::kImplicit);
  EXPECT_EQ(triples(d), (std::set<std::tuple<std::string, std::string, float>>{{"a", "x", 1},
                                                                               {"a", "y", 1},
                                                                               {"b", "x", 1},
                                                                               {"b", "z", 1},
                                                                               {"c", "y", 1},
                                                                               {"d", "x", 1}}));
  EXPECT_TRUE(d.has_timestamps());
  // Implicit data has nothing to convert: it passes unchanged (a threshold on its 1s would empty
  // it).
  const Interactions again = apply_recipe(d, DerivedRecipe::parse("l|implicit:threshold=4"));
  EXPECT_EQ(triples(again), triples(d));
}

TEST(DerivedDataset, TimeWindowByQuantile) {
  // Times 1..10: the quantiles [0, 0.5) hold times 1..5 (a's four ratings and b-x).
  const Interactions d = apply_recipe(ladder(), DerivedRecipe::parse("l|window:from=0,to=0.5"));
  EXPECT_EQ(d.nnz(), 5);
  EXPECT_EQ(d.num_users(), 2);
  const Interactions late = apply_recipe(ladder(), DerivedRecipe::parse("l|window:from=0.5,to=1"));
  EXPECT_EQ(late.nnz(), 5);
  EXPECT_EQ(d.nnz() + late.nnz(), ladder().nnz());
}

TEST(DerivedDataset, SamplingIsExactInSizeAndDeterministicBySeed) {
  const Interactions base =
      generate_synthetic(parse_synthetic_spec("synthetic:users=200,items=150,seed=3"));
  const auto r1 = DerivedRecipe::parse("s|users:n=50,seed=1");
  const Interactions a = apply_recipe(base, r1), b = apply_recipe(base, r1);
  EXPECT_EQ(a.num_users(), 50);
  EXPECT_EQ(triples(a), triples(b));
  EXPECT_EQ(a.name(), r1.to_string());
  const Interactions c = apply_recipe(base, DerivedRecipe::parse("s|users:n=50,seed=2"));
  EXPECT_NE(triples(a), triples(c));
  // Every kept user keeps all of their entries.
  int64_t expected = 0;
  for (int32_t u = 0; u < a.num_users(); ++u) {
    const auto ext = a.user_ids().external(u);
    expected += base.user_count(*base.user_ids().find(ext));
  }
  EXPECT_EQ(a.nnz(), expected);
  const Interactions items =
      apply_recipe(base, DerivedRecipe::parse("s|items:frac=0.2,by=popularity,seed=4"));
  EXPECT_EQ(items.num_items(), 30);
  // Thinning keeps about the share asked for.
  const Interactions thin = apply_recipe(base, DerivedRecipe::parse("s|thin:keep=0.5,seed=1"));
  EXPECT_NEAR(static_cast<double>(thin.nnz()) / static_cast<double>(base.nnz()), 0.5, 0.05);
}

TEST(DerivedDataset, ActivityWeightedSamplingPrefersHeavyUsers) {
  const Interactions base =
      generate_synthetic(parse_synthetic_spec("synthetic:users=400,items=300,seed=8"));
  double uniform = 0, weighted = 0;
  for (uint64_t s = 1; s <= 5; ++s) {
    const std::string seed = std::to_string(s);
    uniform += apply_recipe(base, DerivedRecipe::parse("s|users:n=40,seed=" + seed)).nnz();
    weighted +=
        apply_recipe(base, DerivedRecipe::parse("s|users:n=40,by=activity,seed=" + seed)).nnz();
  }
  EXPECT_GT(weighted, uniform);
}

TEST(DerivedDataset, GeneratedRecipesAreDistinctCanonicalAndReproducible) {
  const auto r = generate_recipes({"a", "b"}, 60, 7);
  ASSERT_EQ(r.size(), 60u);
  EXPECT_EQ(std::set<std::string>(r.begin(), r.end()).size(), 60u);
  for (const auto& x : r) EXPECT_EQ(DerivedRecipe::parse(x).to_string(), x);
  EXPECT_EQ(generate_recipes({"a", "b"}, 60, 7), r);
  EXPECT_NE(generate_recipes({"a", "b"}, 60, 8), r);
  EXPECT_EQ(r[0].substr(0, 2), "a|");
  EXPECT_EQ(r[1].substr(0, 2), "b|");
}

TEST(Fingerprint, DependsOnContentOnly) {
  const Interactions a = ladder();
  EXPECT_EQ(fingerprint(a), fingerprint(ladder()));
  EXPECT_EQ(fingerprint(a).size(), 16u);
  auto rows = std::vector<Row>{{"a", "x", 5, 1}, {"b", "x", 4, 2}};
  auto changed = rows;
  changed[1].value = 3;
  EXPECT_NE(fingerprint(build(rows)), fingerprint(build(changed)));
  auto retimed = rows;
  retimed[1].time = 9;
  EXPECT_NE(fingerprint(build(rows)), fingerprint(build(retimed)));
  EXPECT_NE(fingerprint(build(rows)), fingerprint(build(rows, "implicit")));
  const nlohmann::json info = dataset_info(a);
  EXPECT_EQ(info["users"], 4);
  EXPECT_EQ(info["items"], 4);
  EXPECT_EQ(info["interactions"], 10);
  EXPECT_DOUBLE_EQ(info["density"].get<double>(), 10.0 / 16.0);
  EXPECT_EQ(info["feedback"], "explicit");
  EXPECT_EQ(info["timestamps"], true);
}

}  // namespace
}  // namespace metarec
