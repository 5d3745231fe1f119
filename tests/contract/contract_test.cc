// The contract every catalog entry passes: it learns structure on planted data, never
// recommends seen items, handles k beyond the catalogue, reproduces scores after save/load and
// under the same seed, rejects bad parameters, and survives cold users.
#include <gtest/gtest.h>
#include <metarec/algorithms/catalog.h>
#include <metarec/core/error.h>
#include <metarec/data/split.h>
#include <metarec/data/synthetic.h>
#include <metarec/eval/evaluator.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

namespace metarec {
namespace {

// Small planted data: latent-factor preferences, popularity skew, genres, dense item vectors,
// timestamps.
const Interactions& planted(bool implicit) {
  static const Interactions ex = generate_synthetic(
      parse_synthetic_spec("synthetic:users=300,items=200,per_user=25,factors=4,seed=7,vectors=8"));
  static const Interactions im = generate_synthetic(parse_synthetic_spec(
      "synthetic:users=300,items=200,per_user=25,factors=4,seed=7,feedback=implicit,vectors=8"));
  return implicit ? im : ex;
}

const Split& planted_split(bool implicit) {
  static const Split ex =
      make_split(planted(false), SplitSpec::parse("user_random:test=0.2,seed=1"));
  static const Split im =
      make_split(planted(true), SplitSpec::parse("user_random:test=0.2,seed=1"));
  return implicit ? im : ex;
}

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("metarec_contract_" + std::to_string(::getpid()) + "_" + name))
      .string();
}

class Contract : public ::testing::TestWithParam<std::string> {
 protected:
  const AlgorithmInfo& info() const { return find_algorithm(GetParam()); }
  bool implicit() const { return !info().card.explicit_feedback; }
  std::unique_ptr<Recommender> fitted(uint64_t seed = 42, int threads = 1) const {
    auto m = info().make(Params(info().schema));
    FitContext ctx;
    ctx.seed = seed;
    ctx.threads = threads;
    m->fit(planted_split(implicit()).train, ctx);
    return m;
  }
  std::vector<float> scores(const Recommender& m, int32_t u) const {
    std::vector<float> s(static_cast<size_t>(m.num_items()));
    m.score(u, s);
    return s;
  }
};

TEST_P(Contract, ScoresAreFiniteForEveryUserIncludingCold) {
  auto m = fitted();
  const auto& train = planted_split(implicit()).train;
  for (int32_t u = 0; u < train.num_users(); u += 17) {
    for (float x : scores(*m, u)) ASSERT_TRUE(std::isfinite(x)) << "user " << u;
  }
  // A user with no training interactions: fit on data where user 0 has none.
  std::vector<int64_t> keep;
  for (int64_t e = train.user_ptr()[1]; e < train.nnz(); ++e) keep.push_back(e);
  auto cold_train = train.subset(keep);
  auto c = info().make(Params(info().schema));
  c->fit(cold_train);
  for (float x : scores(*c, 0)) ASSERT_TRUE(std::isfinite(x));
}

// Rating predictors on explicit data must predict ratings clearly better than random draws from
// the rating distribution; every other model must rank clearly better than random.
TEST_P(Contract, LearnsPlantedStructureBetterThanRandom) {
  if (GetParam() == "random") GTEST_SKIP() << "random is the reference";
  const auto& sp = planted_split(implicit());
  auto m = fitted();
  auto r = make_recommender("random");
  r->fit(sp.train);
  const bool rating = info().card.predicts_ratings && !implicit();
  EvalOptions o;
  o.metrics = {rating ? "rmse" : "ndcg"};
  o.ks = {10};
  const std::string metric = rating ? "rmse" : "ndcg@10";
  const double got = evaluate(*m, sp.train, sp.test, o).get(metric);
  const double base = evaluate(*r, sp.train, sp.test, o).get(metric);
  if (rating) {
    EXPECT_LT(got, base * 0.9) << GetParam() << " rmse " << got << " vs random " << base;
  } else {
    EXPECT_GT(got, base * 1.5) << GetParam() << " ndcg@10 " << got << " vs random " << base;
  }
}

TEST_P(Contract, RecommendNeverReturnsSeenItemsAndHandlesLargeK) {
  auto m = fitted();
  const auto& train = planted_split(implicit()).train;
  for (int32_t u = 0; u < train.num_users(); u += 29) {
    auto top = recommend(*m, u, 10);
    ASSERT_EQ(top.size(), 10u);
    for (const auto& t : top)
      ASSERT_FALSE(train.contains(u, t.item)) << "user " << u << " item " << t.item;
    for (size_t r = 1; r < top.size(); ++r) ASSERT_GE(top[r - 1].score, top[r].score);
    auto all = recommend(*m, u, train.num_items() + 50);
    EXPECT_EQ(static_cast<int64_t>(all.size()), train.num_items() - train.user_count(u));
  }
  Filter f;
  f.exclude_seen = false;
  f.allow = {3, 5, 7};
  f.deny = {5};
  auto top = recommend(*m, 0, 10, f);
  ASSERT_EQ(top.size(), 2u);
  for (const auto& t : top) EXPECT_TRUE(t.item == 3 || t.item == 7);
}

TEST_P(Contract, SaveLoadReproducesScoresExactly) {
  auto m = fitted();
  const std::string path = temp_path(GetParam() + ".model");
  m->save(path);
  auto loaded = Recommender::load(path);
  EXPECT_EQ(loaded->algorithm(), GetParam());
  EXPECT_EQ(loaded->params().to_string(), m->params().to_string());
  ASSERT_EQ(loaded->num_items(), m->num_items());
  for (int32_t u = 0; u < m->num_users(); u += 37) {
    EXPECT_EQ(scores(*loaded, u), scores(*m, u)) << "user " << u;
    auto a = loaded->seen_items(u);
    auto b = m->seen_items(u);
    EXPECT_TRUE(std::equal(a.begin(), a.end(), b.begin(), b.end()));
  }
  if (auto* p = dynamic_cast<const RatingPredictor*>(m.get())) {
    auto* q = dynamic_cast<const RatingPredictor*>(loaded.get());
    ASSERT_NE(q, nullptr);
    for (int32_t u = 0; u < 20; ++u)
      EXPECT_EQ(p->predict(u, u % m->num_items()), q->predict(u, u % m->num_items()));
  }
  // A truncated copy is rejected with a clear error, never a crash.
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  const std::string bad = temp_path(GetParam() + ".truncated");
  {
    std::ofstream out(bad, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size() * 2 / 3));
  }
  EXPECT_THROW(Recommender::load(bad), FormatError);
  std::remove(path.c_str());
  std::remove(bad.c_str());
}

TEST_P(Contract, ChosenItemsScoreAsInTheFullScores) {
  auto m = fitted();
  const auto* subset = dynamic_cast<const SubsetScorer*>(m.get());
  if (!subset) GTEST_SKIP() << "scores every item only";
  const int32_t ni = m->num_items();
  // Any order, repeats, the first and the last items.
  const std::vector<int32_t> items = {ni - 1, 0, 5, 5, ni / 2, 1, ni - 1};
  for (int32_t u : {3, m->num_users() - 1}) {
    const auto all = scores(*m, u);
    std::vector<float> some(items.size());
    subset->score_items(u, items, some);
    // Equal up to rounding: a matrix product over fewer rows may be blocked differently.
    for (size_t k = 0; k < items.size(); ++k) {
      const float full = all[static_cast<size_t>(items[k])];
      EXPECT_NEAR(some[k], full, 1e-5f * std::max(1.0f, std::abs(full)))
          << "user " << u << ", item " << items[k];
    }
  }
  // recommend() re-ranks an allowed list with score_items: the same order and scores.
  Filter f;
  f.exclude_seen = false;
  f.allow = {ni - 1, 2, 9, 2, 0};
  const auto all = scores(*m, 7);
  const auto top = recommend(*m, 7, 10, f);
  ASSERT_EQ(top.size(), 4u);
  for (size_t r = 0; r < top.size(); ++r) {
    const float full = all[static_cast<size_t>(top[r].item)];
    EXPECT_NEAR(top[r].score, full, 1e-5f * std::max(1.0f, std::abs(full)));
    if (r > 0) {
      EXPECT_GE(top[r - 1].score, top[r].score);
    }
  }
  std::vector<float> one(1);
  EXPECT_THROW(subset->score_items(0, std::vector<int32_t>{ni}, one), Error);
}

TEST_P(Contract, SameSeedSameResult) {
  auto a = fitted(7, 1);
  auto b = fitted(7, 1);
  for (int32_t u = 0; u < a->num_users(); u += 41) EXPECT_EQ(scores(*a, u), scores(*b, u));
}

TEST_P(Contract, BadParametersAreRejected) {
  const auto& schema = info().schema;
  EXPECT_THROW(Params::parse(schema, {"no_such_parameter=1"}, GetParam()), InvalidArgument);
  for (const auto& s : schema) {
    std::string bad;
    switch (s.type) {
      case metarec::ParamType::kInt:
      case metarec::ParamType::kFloat:
        bad = std::to_string(s.max * 10 + 10);
        break;
      case metarec::ParamType::kBool:
        bad = "maybe";
        break;
      case metarec::ParamType::kChoice:
      case metarec::ParamType::kText:
        bad = "no-such-choice";
        break;
    }
    EXPECT_THROW(Params::parse(schema, {s.name + "=" + bad}, GetParam()), InvalidArgument)
        << s.name;
    EXPECT_THROW(Params::parse(schema, {s.name + "=abc"}, GetParam()), InvalidArgument) << s.name;
  }
}

// The same interactions with no side information (no genres, vectors, text, user attributes or
// timestamps), as a plain user,item[,rating] file gives.
const Interactions& bare(bool implicit) {
  auto make = [](const Interactions& src) {
    InteractionsBuilder b;
    b.users().absorb(src.user_ids());
    b.items().absorb(src.item_ids());
    for (int64_t e = 0; e < src.nnz(); ++e)
      b.add(src.entry_users()[e], src.entry_items()[e], src.entry_values()[e]);
    InteractionsBuilder::Options o;
    o.feedback = src.feedback() == Feedback::kImplicit ? "implicit" : "explicit";
    return b.build(o);
  };
  static const Interactions ex = make(planted(false)), im = make(planted(true));
  return implicit ? im : ex;
}

// A model whose card asks for side information either works without it (finite scores) or
// refuses with an InvalidArgument that says so; it never crashes or scores NaN.
TEST_P(Contract, WithoutSideInformationWorksOrSaysWhy) {
  const Interactions& data = bare(implicit());
  ASSERT_EQ(data.item_meta(), nullptr);
  ASSERT_FALSE(data.has_timestamps());
  auto m = info().make(Params(info().schema));
  try {
    m->fit(data);
  } catch (const InvalidArgument& e) {
    EXPECT_FALSE(info().card.side_info.empty())
        << GetParam() << " needs no side information but refused plain data: " << e.what();
    return;
  }
  for (int32_t u = 0; u < data.num_users(); u += 37)
    for (float x : scores(*m, u)) ASSERT_TRUE(std::isfinite(x)) << "user " << u;
}

TEST_P(Contract, UnfittedModelRefusesToScore) {
  auto m = info().make(Params(info().schema));
  std::vector<float> s(10);
  EXPECT_THROW(m->score(0, s), NotFitted);
  EXPECT_THROW(m->save(temp_path("unfitted")), NotFitted);
}

std::vector<std::string> all_algorithms() {
  std::vector<std::string> names;
  for (const auto& a : catalog()) names.push_back(a.name);
  return names;
}

INSTANTIATE_TEST_SUITE_P(Catalog, Contract, ::testing::ValuesIn(all_algorithms()),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace metarec
