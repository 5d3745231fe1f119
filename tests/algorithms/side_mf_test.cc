// side_mf: the update is the gradient of its rating loss, the feature vocabulary, its reordering
// by grid slot, and cold users and items scored through their features on one and two threads.
#include <gtest/gtest.h>
#include <metarec/algorithms/catalog.h>
#include <metarec/algorithms/mf/sgd_kernel.h>
#include <metarec/algorithms/mf/side_mf.h>
#include <metarec/core/error.h>
#include <metarec/core/rng.h>

#include <cmath>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace metarec {
namespace {

TEST(SideMf, StepIsTheNegativeGradientOfTheRatingLoss) {
  const int k = 3;
  Rng rng(5);
  auto vec = [&](size_t n) {
    std::vector<float> v(n);
    for (auto& x : v) x = static_cast<float>(rng.normal() * 0.4);
    return v;
  };
  std::vector<float> p = vec(k), q = vec(k), A = vec(4 * k), B = vec(3 * k), c = vec(4), d = vec(3);
  float bu = 0.1f, bi = 0.2f;
  const std::vector<int32_t> uf = {0, 2, 3}, itf = {1, 2};
  const detail::SideMfRating x{p.data(), q.data(), &bu, &bi, uf, itf};
  const detail::SideMfTables t{A.data(), B.data(), c.data(), d.data()};
  const detail::SideMfRates h{0.1f, 0.05f, 0.1f, 0.03f, 0.07f};
  const float mu = 3.0f, r = 4.5f;
  // Parameters the rating touches: p, q, bu, bi, its feature rows and biases.
  std::vector<float*> params;
  for (auto& v : p) params.push_back(&v);
  for (auto& v : q) params.push_back(&v);
  params.push_back(&bu);
  params.push_back(&bi);
  for (int32_t a : uf) {
    for (int f = 0; f < k; ++f) params.push_back(&A[a * k + f]);
    params.push_back(&c[a]);
  }
  for (int32_t g : itf) {
    for (int f = 0; f < k; ++f) params.push_back(&B[g * k + f]);
    params.push_back(&d[g]);
  }
  std::vector<double> numeric;
  const double eps = 1e-3;
  for (float* v : params) {
    const float old = *v;
    *v = static_cast<float>(old + eps);
    const double up = detail::side_mf_rating_loss(x, t, k, mu, r, h);
    *v = static_cast<float>(old - eps);
    const double down = detail::side_mf_rating_loss(x, t, k, mu, r, h);
    *v = old;
    numeric.push_back((up - down) / (2 * eps));
  }
  std::vector<float> before;
  for (float* v : params) before.push_back(*v);
  std::vector<float> scratch(2 * k);
  const std::vector<float> untouched_A1(A.begin() + k, A.begin() + 2 * k);
  detail::side_mf_step(x, t, k, mu, r, h, scratch.data());
  for (size_t j = 0; j < params.size(); ++j) {
    const double analytic = -(*params[j] - before[j]) / 0.1;
    EXPECT_NEAR(analytic, numeric[j], 2e-3 * std::max(1.0, std::abs(numeric[j])))
        << "parameter " << j;
  }
  // Feature 1 is not the user's: unchanged.
  EXPECT_EQ(std::vector<float>(A.begin() + k, A.begin() + 2 * k), untouched_A1);
}

TEST(SideMf, UserFeaturesAreDistinctAttributeValues) {
  UserMeta meta;
  meta.attribute_names = {"gender", "age"};
  meta.values = {{"F", "M", "F", ""}, {"20", "20", "30", "30"}};
  std::vector<int64_t> ptr;
  std::vector<int32_t> feats;
  std::vector<std::string> names;
  detail::user_features(&meta, 4, ptr, feats, names);
  EXPECT_EQ(names, (std::vector<std::string>{"gender=F", "age=20", "gender=M", "age=30"}));
  EXPECT_EQ(ptr, (std::vector<int64_t>{0, 2, 4, 6, 7}));
  EXPECT_EQ(feats, (std::vector<int32_t>{0, 1, 2, 1, 0, 3, 3}));
}

// Users of group "a" rate every item 5, group "b" rate 1; item genres "hi"/"lo" shift by +-0.5.
// Every third id from 1 on is in group b / genre lo, a pattern that moving ids by a grid band's
// run of 16 does not preserve. User 0 (group a) and item 0 (genre hi) have no training ratings.
Interactions with_features() {
  InteractionsBuilder b;
  Rng rng(9);
  const int nu = 40, ni = 70;
  auto umeta = std::make_shared<UserMeta>();
  umeta->attribute_names = {"group"};
  umeta->values.resize(1);
  auto imeta = std::make_shared<ItemMeta>();
  imeta->genre_names = {"hi", "lo"};
  for (int u = 0; u < nu; ++u) {
    b.users().intern("u" + std::to_string(u));
    umeta->values[0].push_back(u % 3 != 1 ? "a" : "b");
  }
  for (int i = 0; i < ni; ++i) {
    b.items().intern("i" + std::to_string(i));
    imeta->genres.push_back({i % 3 != 1 ? 0 : 1});
  }
  for (int u = 1; u < nu; ++u)
    for (int i = 1; i < ni; ++i)
      if (rng.uniform() < 0.5) {
        const float r = (u % 3 != 1 ? 4.5f : 1.5f) + (i % 3 != 1 ? 0.5f : -0.5f);
        b.add(u, i, r);
      }
  b.user_meta = umeta;
  b.item_meta = imeta;
  InteractionsBuilder::Options o;
  o.feedback = "explicit";
  o.scale_min = 1;
  o.scale_max = 5;
  return b.build(o);
}

TEST(SideMf, FeatureListsFollowTheSlots) {
  // Rows 0, 1, 2 hold {7}, {}, {8, 9}; slots put row 2 first and row 0 last.
  const std::vector<int64_t> ptr{0, 1, 1, 3};
  const std::vector<int32_t> feats{7, 8, 9};
  const auto lists = detail::FeatureLists::by_slot(ptr, feats, std::vector<int32_t>{2, 1, 0});
  EXPECT_EQ(lists.ptr, (std::vector<int64_t>{0, 2, 2, 3}));
  EXPECT_EQ(std::vector<int32_t>(lists.of(0).begin(), lists.of(0).end()),
            (std::vector<int32_t>{8, 9}));
  EXPECT_TRUE(lists.of(1).empty());
  EXPECT_EQ(std::vector<int32_t>(lists.of(2).begin(), lists.of(2).end()),
            (std::vector<int32_t>{7}));
  EXPECT_THROW(detail::FeatureLists::by_slot(ptr, feats, std::vector<int32_t>{0, 0, 1}), Error);
}

TEST(SideMf, ColdUsersAndItemsAreScoredThroughTheirFeatures) {
  const Interactions d = with_features();
  ASSERT_EQ(d.user_count(0), 0);
  ASSERT_EQ(d.item_count(0), 0);
  // Two threads train on rows and feature lists stored by grid slot: they must come back by id.
  // The test is only as strong as the renumbering: both sides' slots must differ from the ids.
  {
    FitContext ctx;
    ctx.threads = 2;
    const detail::SgdLoop loop(d, ctx, detail::SgdGrid::Numbering::kBandSlots);
    auto moved = [](std::span<const int32_t> slots) {
      for (size_t r = 0; r < slots.size(); ++r)
        if (slots[r] != static_cast<int32_t>(r)) return true;
      return false;
    };
    ASSERT_TRUE(moved(loop.grid().user_slots()));
    ASSERT_TRUE(moved(loop.grid().item_slots()));
  }
  for (const int threads : {1, 2}) {
    SCOPED_TRACE(threads);
    auto m = make_recommender("side_mf", {"factors=4", "epochs=40"});
    FitContext ctx;
    ctx.threads = threads;
    m->fit(d, ctx);
    const auto& r = dynamic_cast<const RatingPredictor&>(*m);
    // Cold user 0 is in group a (rates high): near 5 on "hi" items, near 4 on "lo" items.
    EXPECT_GT(r.predict(0, 2), 4.4f);
    EXPECT_NEAR(r.predict(0, 1), 4.0f, 0.4f);
    // Cold item 0 has genre "hi": a group-b user rates it near 2, a group-a user near 5.
    EXPECT_NEAR(r.predict(1, 0), 2.0f, 0.4f);
    EXPECT_GT(r.predict(2, 0), 4.4f);
    // Rated pairs: group a on a "lo" item near 4, group b on a "hi" item near 2.
    EXPECT_NEAR(r.predict(2, 1), 4.0f, 0.4f);
    EXPECT_NEAR(r.predict(4, 2), 2.0f, 0.4f);
  }
  // Without the features the cold user only gets the global picture.
  auto plain = make_recommender(
      "side_mf", {"factors=4", "epochs=40", "user_features=false", "item_features=false"});
  plain->fit(d);
  EXPECT_LT(dynamic_cast<const RatingPredictor&>(*plain).predict(0, 2), 4.0f);
}

}  // namespace
}  // namespace metarec
