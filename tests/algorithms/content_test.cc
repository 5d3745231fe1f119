// Content-based model: tokenizer, TF-IDF/BM25 weights and cosine scores checked against values
// computed by hand on a three-item fixture, item-weighting, fold-in, and dense item vectors.
#include <gtest/gtest.h>
#include <metarec/algorithms/catalog.h>
#include <metarec/algorithms/content/content.h>
#include <metarec/algorithms/content/item_profiles.h>
#include <metarec/core/error.h>

#include <cmath>

namespace metarec {
namespace {

// Users a, b, c; items x, y, z with texts "space war", "space love love", "love story"; genres.
Interactions fixture(std::vector<float> vectors = {}) {
  InteractionsBuilder b;
  auto add = [&](const char* u, const char* i, float v) {
    b.add(b.users().intern(u), b.items().intern(i), v);
  };
  add("a", "x", 5);
  add("a", "y", 3);
  add("b", "x", 4);
  add("b", "z", 1);
  add("c", "y", 2);
  add("c", "z", 4);
  add("c", "x", 3);
  auto im = std::make_shared<ItemMeta>();
  im->texts = {"space war", "Space, LOVE love!", "love story"};
  im->genre_names = {"drama", "comedy", "war"};
  im->genres = {{0, 1}, {1}, {0, 1, 2}};
  im->vectors = std::move(vectors);
  im->vector_dim = im->vectors.empty() ? 0 : 2;
  b.item_meta = im;
  InteractionsBuilder::Options o;
  o.feedback = "explicit";
  o.scale_min = 1;
  o.scale_max = 5;
  return b.build(o);
}

std::unique_ptr<Recommender> fit_text(const std::vector<std::string>& params) {
  auto m = make_recommender("content_text", params);
  FitContext ctx;
  ctx.threads = 1;
  m->fit(fixture(), ctx);
  return m;
}

TEST(ContentTokenize, LowercasesSplitsAndDropsShortAndStopWords) {
  EXPECT_EQ(tokenize("The Matrix (1999)"), (std::vector<std::string>{"matrix", "1999"}));
  EXPECT_EQ(tokenize("a-b C3PO's\tend"), (std::vector<std::string>{"c3po", "end"}));
  EXPECT_TRUE(tokenize(" , . ").empty());
}

// Hand computation (N = 3 documents; df: love 2, space 2, story 1, war 1; columns sorted):
// idf(df) = ln(4 / (1 + df)) + 1, tf weight 1 + ln(tf):
//   x = [0, idf2, 0, idf1], y = [(1 + ln 2) idf2, idf2, 0, 0], z = [idf2, 0, idf1, 0]
// cos(x, y) = idf2^2 / (|x| |y|) = 0.3078453, cos(y, z) = 0.5212275, cos(x, z) = 0.
TEST(ContentText, TfIdfCosineSimilaritiesMatchHandComputation) {
  auto m = fit_text({"fields=titles_texts", "min_df=1"});
  const auto& sim = dynamic_cast<const ItemSimilarity&>(*m);
  const int32_t x = m->item_ids().find("x").value(), y = m->item_ids().find("y").value(),
                z = m->item_ids().find("z").value();
  auto from_y = sim.similar_items(y, 2);
  ASSERT_EQ(from_y.size(), 2u);
  EXPECT_EQ(from_y[0].item, z);
  EXPECT_NEAR(from_y[0].score, 0.5212275, 1e-6);
  EXPECT_EQ(from_y[1].item, x);
  EXPECT_NEAR(from_y[1].score, 0.3078453, 1e-6);
  auto from_x = sim.similar_items(x, 2);
  EXPECT_NEAR(from_x[1].score, 0.0, 1e-7);
}

// User a rated x 5 and y 3: centred weights +1, -1, profile p = (x^ - y^) / 2 with ^ unit
// length; score(i) = p . i^ / |p| + 1e-4 n_i / (users + 1): z -0.4430071 + 5e-5,
// x 0.5882834 + 7.5e-5.
TEST(ContentText, UserScoresAreCosineToTheCentredProfile) {
  auto m = fit_text({"fields=titles_texts", "min_df=1"});
  const int32_t a = m->user_ids().find("a").value();
  const int32_t x = m->item_ids().find("x").value(), z = m->item_ids().find("z").value();
  std::vector<float> s(3);
  m->score(a, s);
  EXPECT_NEAR(s[z], -0.4430071 + 5e-5, 1e-6);
  EXPECT_NEAR(s[x], 0.5882834 + 7.5e-5, 1e-6);
  // Fold-in with the same ratings gives the same scores.
  const auto& fold = dynamic_cast<const FoldIn&>(*m);
  std::vector<int32_t> items = {x, m->item_ids().find("y").value()};
  std::sort(items.begin(), items.end());
  std::vector<float> values;
  for (int32_t i : items) values.push_back(i == x ? 5.0f : 3.0f);
  std::vector<float> f(3);
  fold.score_new_user(items, values, f);
  EXPECT_EQ(f, s);
}

// BM25 weight of "love" in y: tf 2, |y| 3, avgdl 7/3, k1 1.2, b 0.75, df 2:
// 2 * 2.2 / (2 + 1.2 (0.25 + 0.75 * 3 / (7/3))) * ln(1 + 1.5 / 2.5) = 0.5981864.
TEST(ContentText, Bm25WeightMatchesHandComputation) {
  auto m = fit_text({"fields=titles_texts", "min_df=1", "weighting=bm25", "scoring=dot"});
  const auto& x = dynamic_cast<const ContentRecommender&>(*m).profiles();
  const int32_t y = m->item_ids().find("y").value();
  ASSERT_EQ(x.cols(), 4);
  ASSERT_EQ(x.row_indices(y)[0], 0);  // "love" is the first column
  EXPECT_NEAR(x.row_values(y)[0], 0.5981864, 1e-6);
}

TEST(ContentText, MinDfDropsRareTokens) {
  auto m = fit_text({"fields=titles_texts", "min_df=2"});
  EXPECT_EQ(dynamic_cast<const ContentRecommender&>(*m).profiles().cols(), 2);  // love, space
  EXPECT_THROW(fit_text({"fields=titles", "min_df=1"}), InvalidArgument);       // no titles
}

// Item x's ratings 5, 4, 3; global mean 22/7; damped mean (12 + 5 * 22/7) / 8 = 3.4642857;
// weight 0.1 + 0.9 (3.4642857 - 1) / 4 = 0.6544643 = the length of x's cosine profile.
TEST(ContentGenres, MeanRatingWeightScalesTheUnitProfile) {
  auto m = make_recommender("content_genres", {"item_weight=mean_rating"});
  m->fit(fixture());
  const auto& p = dynamic_cast<const ContentRecommender&>(*m).profiles();
  const int32_t x = m->item_ids().find("x").value();
  double norm = 0;
  for (float v : p.row_values(x)) norm += static_cast<double>(v) * v;
  EXPECT_NEAR(std::sqrt(norm), 0.6544643, 1e-6);
  EXPECT_EQ(p.row_indices(x).size(), 2u);
}

// x = [1, 0], y = [1, 1], z without a vector: cos(x, y) = 1 / sqrt 2; z has no profile and
// scores 0.
TEST(ContentVectors, DenseVectorsGiveCosineSimilarities) {
  EXPECT_THROW(make_recommender("content_vectors")->fit(fixture()), InvalidArgument);
  const Interactions d = fixture({1, 0, 1, 1, 0, 0});
  auto m = make_recommender("content_vectors");
  m->fit(d);
  const int32_t x = d.item_ids().find("x").value(), y = d.item_ids().find("y").value();
  auto sim = dynamic_cast<const ItemSimilarity&>(*m).similar_items(x, 2);
  ASSERT_EQ(sim.size(), 2u);
  EXPECT_EQ(sim[0].item, y);
  EXPECT_NEAR(sim[0].score, 1 / std::sqrt(2.0), 1e-6);
  EXPECT_EQ(sim[1].score, 0.0f);
}

}  // namespace
}  // namespace metarec
