// Unit tests for the dataset meta-features: every non-landmarker value of a hand-built dataset
// worked out by hand, the schema's contract, degenerate inputs, implicit data, no timestamps,
// and the landmarkers' range and determinism.
#include "metarec/meta/features.h"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "metarec/core/error.h"
#include "metarec/data/synthetic.h"
#include "metarec/meta/landmarkers.h"

namespace metarec {
namespace {

constexpr int64_t kT0 = 1'000'000'000;  // seconds; day d is kT0 + d * 86400

// Four users, five items, ten ratings; day of each rating in brackets:
//   u0: i0=5 [0]  i1=3 [1]  i2=4 [2]  i3=1 [4]
//   u1: i0=4 [3]  i1=5 [5]  i4=2 [7]
//   u2: i0=3 [6]  i2=5 [8]
//   u3: i0=1 [9]
// Titles for all items; genres {Action, Comedy, Drama}: i0 {A, C}, i1 {D}, i2 {}, i3 {A},
// i4 {C, D}; no free text; users have two attributes (age, gender).
Interactions hand_dataset(bool timestamps = true, bool side_info = true) {
  InteractionsBuilder b;
  for (const char* u : {"u0", "u1", "u2", "u3"}) b.users().intern(u);
  for (const char* i : {"i0", "i1", "i2", "i3", "i4"}) b.items().intern(i);
  b.set_has_timestamps(timestamps);
  struct Row {
    int32_t u, i;
    float r;
    int64_t day;
  };
  for (const Row& x :
       {Row{0, 0, 5, 0}, Row{0, 1, 3, 1}, Row{0, 2, 4, 2}, Row{0, 3, 1, 4}, Row{1, 0, 4, 3},
        Row{1, 1, 5, 5}, Row{1, 4, 2, 7}, Row{2, 0, 3, 6}, Row{2, 2, 5, 8}, Row{3, 0, 1, 9}})
    b.add(x.u, x.i, x.r, kT0 + x.day * 86400);
  if (side_info) {
    auto im = std::make_shared<ItemMeta>();
    im->titles = {"A", "B", "C", "D", "E"};
    im->genre_names = {"Action", "Comedy", "Drama"};
    im->genres = {{0, 1}, {2}, {}, {0}, {1, 2}};
    b.item_meta = im;
    auto um = std::make_shared<UserMeta>();
    um->attribute_names = {"age", "gender"};
    um->values = {{"20", "30", "40", "50"}, {"F", "M", "F", "M"}};
    b.user_meta = um;
  }
  InteractionsBuilder::Options o;
  o.name = "hand";
  return b.build(o);
}

MetaFeatureOptions no_landmarkers() {
  MetaFeatureOptions o;
  o.landmarkers = false;
  return o;
}

double get(const std::vector<double>& v, const std::string& name) {
  return v.at(meta_feature_index(name));
}

bool is_landmark(const std::string& name) { return name.rfind("landmark_", 0) == 0; }

TEST(MetaFeatures, SchemaHasAtLeastFiftyUniqueDocumentedFeatures) {
  const auto& s = meta_feature_schema();
  EXPECT_GE(s.size(), 50u);
  std::set<std::string> names;
  const std::set<std::string> families = {"size", "feedback",  "user_activity", "item_popularity",
                                          "time", "side_info", "landmark"};
  for (size_t j = 0; j < s.size(); ++j) {
    EXPECT_TRUE(names.insert(s[j].name).second) << "duplicate " << s[j].name;
    EXPECT_TRUE(families.count(s[j].family)) << s[j].name << ": " << s[j].family;
    EXPECT_FALSE(s[j].unit.empty()) << s[j].name;
    EXPECT_FALSE(s[j].definition.empty()) << s[j].name;
    EXPECT_EQ(meta_feature_index(s[j].name), j);
  }
  EXPECT_THROW(meta_feature_index("no_such_feature"), InvalidArgument);
}

TEST(MetaFeatures, ValueOrderIsSchemaOrder) {
  const auto v = meta_features(hand_dataset(), no_landmarkers());
  ASSERT_EQ(v.size(), meta_feature_schema().size());
  const auto j = meta_features_json(v);
  ASSERT_EQ(j.size(), v.size());
  size_t k = 0;
  for (const auto& [name, value] : j.items()) {
    EXPECT_EQ(name, meta_feature_schema()[k].name);
    EXPECT_EQ(value.get<double>(), v[k]);
    ++k;
  }
  EXPECT_THROW(meta_features_json(std::vector<double>(3)), InvalidArgument);
}

TEST(MetaFeatures, SizesByHand) {
  const auto v = meta_features(hand_dataset(), no_landmarkers());
  // U = 4, I = 5, N = 10.
  EXPECT_NEAR(get(v, "log_users"), std::log10(4.0), 1e-12);            // 0.60206
  EXPECT_NEAR(get(v, "log_items"), std::log10(5.0), 1e-12);            // 0.69897
  EXPECT_NEAR(get(v, "log_interactions"), 1.0, 1e-12);                 // log10 10
  EXPECT_NEAR(get(v, "density"), 0.5, 1e-12);                          // 10 / 20
  EXPECT_NEAR(get(v, "log_density"), std::log10(0.5), 1e-12);          // -0.30103
  EXPECT_NEAR(get(v, "log_items_per_user"), std::log10(2.5), 1e-12);   // 10 / 4
  EXPECT_NEAR(get(v, "log_users_per_item"), std::log10(2.0), 1e-12);   // 10 / 5
  EXPECT_NEAR(get(v, "log_user_item_ratio"), std::log10(0.8), 1e-12);  // 4 / 5
}

TEST(MetaFeatures, FeedbackByHand) {
  const auto v = meta_features(hand_dataset(), no_landmarkers());
  // Values 5 3 4 1 4 5 2 3 5 1: counts 1:2 2:1 3:2 4:2 5:3, sum 33, mean 3.3.
  // Deviations 1.7 -0.3 0.7 -2.3 0.7 1.7 -1.3 -0.3 1.7 -2.3:
  //   sum d^2 = 22.1    -> m2 = 2.21,    std = sqrt(2.21) = 1.486607
  //   sum d^3 = -11.16  -> m3 = -1.116,  skew = -1.116 / 2.21^1.5 = -0.339684
  //   sum d^4 = 84.377  -> m4 = 8.4377,  kurt = 8.4377 / 2.21^2 - 3 = -1.272415
  // Entropy: p = .2 .1 .2 .2 .3 -> 3 * .2 * 2.321928 + .1 * 3.321928 + .3 * 1.736966 = 2.246439
  EXPECT_EQ(get(v, "is_explicit"), 1.0);
  EXPECT_EQ(get(v, "rating_min"), 1.0);
  EXPECT_EQ(get(v, "rating_max"), 5.0);
  EXPECT_EQ(get(v, "rating_distinct"), 5.0);
  EXPECT_EQ(get(v, "rating_step"), 1.0);
  EXPECT_NEAR(get(v, "rating_mean"), 3.3, 1e-12);
  EXPECT_NEAR(get(v, "rating_mean_normalized"), 0.575, 1e-12);  // (3.3 - 1) / 4
  EXPECT_NEAR(get(v, "rating_std"), std::sqrt(2.21), 1e-12);
  EXPECT_NEAR(get(v, "rating_skewness"), -1.116 / std::pow(2.21, 1.5), 1e-12);
  EXPECT_NEAR(get(v, "rating_skewness"), -0.339684, 1e-6);
  EXPECT_NEAR(get(v, "rating_kurtosis"), 8.4377 / (2.21 * 2.21) - 3, 1e-12);
  EXPECT_NEAR(get(v, "rating_kurtosis"), -1.272415, 1e-6);
  EXPECT_NEAR(get(v, "rating_entropy"), 2.246439, 1e-6);
}

TEST(MetaFeatures, UserActivityByHand) {
  const auto v = meta_features(hand_dataset(), no_landmarkers());
  // Interactions per user 4 3 2 1, sorted 1 2 3 4: mean 2.5, deviations -1.5 -.5 .5 1.5,
  // m2 = 1.25, m3 = 0, m4 = 10.25 / 4 = 2.5625 -> kurt = 2.5625 / 1.5625 - 3 = -1.36.
  // Entropy: p = .1 .2 .3 .4, H = .230259 + .321888 + .361192 + .366516 = 1.279854 nats,
  //   / ln 4 = 0.923220. Gini: (-3*1 - 1*2 + 1*3 + 3*4) / (4 * 10) = 10 / 40 = 0.25.
  // Quantiles at q * 3: q25 -> 1.75, median -> 2.5, q75 -> 3.25, q90 (2.7) -> 3.7.
  EXPECT_NEAR(get(v, "user_activity_mean"), 2.5, 1e-12);
  EXPECT_NEAR(get(v, "user_activity_std"), std::sqrt(1.25), 1e-12);
  EXPECT_NEAR(get(v, "user_activity_skewness"), 0.0, 1e-12);
  EXPECT_NEAR(get(v, "user_activity_kurtosis"), -1.36, 1e-12);
  EXPECT_NEAR(get(v, "user_activity_entropy"), 0.923220, 1e-6);
  EXPECT_NEAR(get(v, "user_activity_gini"), 0.25, 1e-12);
  EXPECT_EQ(get(v, "user_activity_min"), 1.0);
  EXPECT_NEAR(get(v, "user_activity_q25"), 1.75, 1e-12);
  EXPECT_NEAR(get(v, "user_activity_median"), 2.5, 1e-12);
  EXPECT_NEAR(get(v, "user_activity_q75"), 3.25, 1e-12);
  EXPECT_NEAR(get(v, "user_activity_q90"), 3.7, 1e-12);
  EXPECT_EQ(get(v, "user_activity_max"), 4.0);
  EXPECT_EQ(get(v, "user_activity_cold_share"), 1.0);  // every user has <= 5
}

TEST(MetaFeatures, ItemPopularityByHand) {
  const auto v = meta_features(hand_dataset(), no_landmarkers());
  // Interactions per item i0..i4 = 4 2 2 1 1, sorted 1 1 2 2 4: mean 2, deviations -1 -1 0 0 2,
  // m2 = 6/5 = 1.2, m3 = 6/5 = 1.2 -> skew = 1.2 / 1.2^1.5 = 0.912871,
  // m4 = 18/5 = 3.6 -> kurt = 3.6 / 1.44 - 3 = -0.5.
  // Entropy: p = .4 .2 .2 .1 .1, H = .366516 + 2 * .321888 + 2 * .230259 = 1.470808 nats,
  //   / ln 5 = 0.913865. Gini: (-4*1 - 2*1 + 0*2 + 2*2 + 4*4) / (5 * 10) = 14 / 50 = 0.28.
  // Quantiles at q * 4: q25 -> 1, median -> 2, q75 -> 2, q90 (3.6) -> 2 + .6 * 2 = 3.2.
  // Top 1% = ceil(5/100) = 1 item, top 20% = ceil(5/5) = 1 item: both 4 / 10.
  EXPECT_NEAR(get(v, "item_popularity_mean"), 2.0, 1e-12);
  EXPECT_NEAR(get(v, "item_popularity_std"), std::sqrt(1.2), 1e-12);
  EXPECT_NEAR(get(v, "item_popularity_skewness"), 1.0 / std::sqrt(1.2), 1e-12);
  EXPECT_NEAR(get(v, "item_popularity_kurtosis"), -0.5, 1e-12);
  EXPECT_NEAR(get(v, "item_popularity_entropy"), 0.913865, 1e-6);
  EXPECT_NEAR(get(v, "item_popularity_gini"), 0.28, 1e-12);
  EXPECT_EQ(get(v, "item_popularity_min"), 1.0);
  EXPECT_NEAR(get(v, "item_popularity_q25"), 1.0, 1e-12);
  EXPECT_NEAR(get(v, "item_popularity_median"), 2.0, 1e-12);
  EXPECT_NEAR(get(v, "item_popularity_q75"), 2.0, 1e-12);
  EXPECT_NEAR(get(v, "item_popularity_q90"), 3.2, 1e-12);
  EXPECT_EQ(get(v, "item_popularity_max"), 4.0);
  EXPECT_EQ(get(v, "item_popularity_cold_share"), 1.0);
  EXPECT_NEAR(get(v, "item_popularity_top1_share"), 0.4, 1e-12);
  EXPECT_NEAR(get(v, "item_popularity_top20_share"), 0.4, 1e-12);
}

TEST(MetaFeatures, TimeByHand) {
  const auto v = meta_features(hand_dataset(), no_landmarkers());
  // Span: days 0..9 -> 9 days; 10 / 9 interactions per day.
  // First half (5 earliest): days 0-4 = (u0,i0) (u0,i1) (u0,i2) (u1,i0) (u0,i3)
  //   -> item counts c1 = [2 1 1 1 0], users {u0, u1}
  // Last half: days 5-9 = (u1,i1) (u2,i0) (u1,i4) (u2,i2) (u3,i0)
  //   -> c2 = [2 1 1 0 1], users {u1, u2, u3}
  // Cosine: 6 / (sqrt 7 * sqrt 7) = 6/7 -> drift 1/7.
  // Ranks (average for ties): c1 -> [5 3 3 3 1], c2 -> [5 3 3 1 3]; deviations from 3:
  //   [2 0 0 0 -2], [2 0 0 -2 0] -> rho = 4 / 8 = 0.5 -> drift 0.5.
  // New items: last-half items {i0 i1 i2 i4}, only i4 unseen before -> 1/4.
  // Returning users: last-half users {u1 u2 u3}, only u1 also in the first -> 1/3.
  EXPECT_EQ(get(v, "has_timestamps"), 1.0);
  EXPECT_NEAR(get(v, "time_span_days"), 9.0, 1e-12);
  EXPECT_NEAR(get(v, "interactions_per_day"), 10.0 / 9.0, 1e-12);
  EXPECT_NEAR(get(v, "popularity_drift_cosine"), 1.0 / 7.0, 1e-12);
  EXPECT_NEAR(get(v, "popularity_drift_spearman"), 0.5, 1e-12);
  EXPECT_NEAR(get(v, "new_item_share"), 0.25, 1e-12);
  EXPECT_NEAR(get(v, "returning_user_share"), 1.0 / 3.0, 1e-12);
}

TEST(MetaFeatures, SideInfoByHand) {
  const auto v = meta_features(hand_dataset(), no_landmarkers());
  // Genres per item 2 1 0 1 2: 4 of 5 items have one (0.8), 6 / 5 = 1.2 per item,
  // vocabulary 3 -> log10(4). Titles but no free text -> text-to-text only.
  EXPECT_EQ(get(v, "has_item_titles"), 1.0);
  EXPECT_EQ(get(v, "has_item_genres"), 1.0);
  EXPECT_NEAR(get(v, "item_genre_coverage"), 0.8, 1e-12);
  EXPECT_NEAR(get(v, "genres_per_item"), 1.2, 1e-12);
  EXPECT_NEAR(get(v, "log_genre_vocabulary"), std::log10(4.0), 1e-12);
  EXPECT_EQ(get(v, "has_item_text"), 0.0);
  EXPECT_EQ(get(v, "item_text_coverage"), 0.0);
  EXPECT_EQ(get(v, "has_user_attributes"), 1.0);
  EXPECT_EQ(get(v, "user_attribute_count"), 2.0);
  EXPECT_EQ(get(v, "has_dense_item_vectors"), 0.0);
  EXPECT_EQ(get(v, "text_to_text"), 1.0);
  EXPECT_EQ(get(v, "image_to_image"), 0.0);
  EXPECT_EQ(get(v, "text_to_image"), 0.0);
  EXPECT_EQ(get(v, "image_to_text"), 0.0);

  const auto bare = meta_features(hand_dataset(true, false), no_landmarkers());
  for (const auto& f : meta_feature_schema())
    if (f.family == "side_info") {
      EXPECT_EQ(get(bare, f.name), 0.0) << f.name;
    }
}

TEST(MetaFeatures, LandmarkersOffAreZero) {
  const auto v = meta_features(hand_dataset(), no_landmarkers());
  int landmarks = 0;
  for (const auto& f : meta_feature_schema()) {
    if (!is_landmark(f.name)) continue;
    ++landmarks;
    EXPECT_EQ(get(v, f.name), 0.0) << f.name;
  }
  EXPECT_EQ(landmarks, 10);
}

TEST(MetaFeatures, NoTimestampsGiveZeroTimeFeatures) {
  const auto with = meta_features(hand_dataset(true), no_landmarkers());
  const auto without = meta_features(hand_dataset(false), no_landmarkers());
  for (size_t j = 0; j < with.size(); ++j) {
    const auto& f = meta_feature_schema()[j];
    if (f.family == "time") {
      EXPECT_EQ(without[j], 0.0) << f.name;
    } else {
      EXPECT_EQ(without[j], with[j]) << f.name;  // nothing else depends on time
    }
  }
}

TEST(MetaFeatures, ImplicitData) {
  InteractionsBuilder b;
  b.set_has_values(false);
  // 3 users, 3 items: u0 {i0 i1 i2}, u1 {i0 i1}, u2 {i0}.
  for (int32_t u = 0; u < 3; ++u) b.users().intern_int(u);
  for (int32_t i = 0; i < 3; ++i) b.items().intern_int(i);
  const std::vector<std::pair<int32_t, int32_t>> rows = {{0, 0}, {0, 1}, {0, 2},
                                                         {1, 0}, {1, 1}, {2, 0}};
  for (const auto& [u, i] : rows) b.add(u, i, 1.0f);
  const Interactions d = b.build({});
  ASSERT_EQ(d.feedback(), Feedback::kImplicit);
  const auto v = meta_features(d, no_landmarkers());
  EXPECT_EQ(get(v, "is_explicit"), 0.0);
  EXPECT_EQ(get(v, "rating_min"), 1.0);
  EXPECT_EQ(get(v, "rating_max"), 1.0);
  EXPECT_EQ(get(v, "rating_distinct"), 1.0);
  EXPECT_EQ(get(v, "rating_step"), 0.0);
  EXPECT_EQ(get(v, "rating_mean"), 1.0);
  EXPECT_EQ(get(v, "rating_mean_normalized"), 0.0);
  EXPECT_EQ(get(v, "rating_std"), 0.0);
  EXPECT_EQ(get(v, "rating_skewness"), 0.0);
  EXPECT_EQ(get(v, "rating_kurtosis"), 0.0);
  EXPECT_EQ(get(v, "rating_entropy"), 0.0);
  EXPECT_NEAR(get(v, "density"), 6.0 / 9.0, 1e-12);
  // Both count distributions are 3 2 1: Gini (-2*1 + 0*2 + 2*3) / (3 * 6) = 4/18.
  EXPECT_NEAR(get(v, "user_activity_gini"), 4.0 / 18.0, 1e-12);
  EXPECT_NEAR(get(v, "item_popularity_gini"), 4.0 / 18.0, 1e-12);
  // The MF landmarker follows the catalog card: ials for implicit, funk_mf for explicit.
  EXPECT_EQ(landmarkers_for(Feedback::kImplicit)[3].algorithm, "ials");
  const auto explicit_landmarks = landmarkers_for(Feedback::kExplicit);
  ASSERT_EQ(explicit_landmarks.size(), 5u);
  EXPECT_EQ(explicit_landmarks[3].name, "mf5");
  EXPECT_EQ(explicit_landmarks[3].algorithm, "funk_mf");
  EXPECT_EQ(explicit_landmarks[4].algorithm, "ials");
  EXPECT_TRUE(explicit_landmarks[4].implicit_view);
}

TEST(MetaFeatures, ColdMeansAtMostFiveInteractions) {
  // u0 rates i0..i5 (6, not cold), u1 rates i0..i4 (5, cold): cold users 1/2.
  InteractionsBuilder b;
  for (int32_t u = 0; u < 2; ++u) b.users().intern_int(u);
  for (int32_t i = 0; i < 6; ++i) b.items().intern_int(i);
  for (int32_t i = 0; i < 6; ++i) b.add(0, i, static_cast<float>(1 + i % 5));
  for (int32_t i = 0; i < 5; ++i) b.add(1, i, 3.0f);
  const auto v = meta_features(b.build({}), no_landmarkers());
  EXPECT_EQ(get(v, "user_activity_cold_share"), 0.5);
  EXPECT_EQ(get(v, "item_popularity_cold_share"), 1.0);
  // 11 interactions over 6 items: top 20% = ceil(6/5) = 2 items of count 2 -> 4/11.
  EXPECT_NEAR(get(v, "item_popularity_top20_share"), 4.0 / 11.0, 1e-12);
}

TEST(MetaFeatures, DegenerateDataStaysFinite) {
  // One interaction: every spread is 0, the one-element entropy is 1, no holdout is possible.
  InteractionsBuilder b;
  b.users().intern_int(7);
  b.items().intern_int(9);
  b.set_has_timestamps(true);
  b.add(0, 0, 4.0f, kT0);
  const Interactions d = b.build({});
  const auto v = meta_features(d);  // landmarkers on: nobody has two interactions
  for (size_t j = 0; j < v.size(); ++j) {
    EXPECT_TRUE(std::isfinite(v[j])) << meta_feature_schema()[j].name;
  }
  EXPECT_EQ(get(v, "density"), 1.0);
  EXPECT_EQ(get(v, "user_activity_std"), 0.0);
  EXPECT_EQ(get(v, "user_activity_gini"), 0.0);
  EXPECT_EQ(get(v, "user_activity_entropy"), 1.0);
  EXPECT_EQ(get(v, "time_span_days"), 0.0);
  EXPECT_EQ(get(v, "interactions_per_day"), 1.0);  // 1 / max(0 days, 1)
  EXPECT_EQ(get(v, "popularity_drift_cosine"), 0.0);
  for (const auto& f : meta_feature_schema())
    if (is_landmark(f.name)) {
      EXPECT_EQ(get(v, f.name), 0.0) << f.name;
    }
}

TEST(MetaFeatures, IgnoresUsersAndItemsWithoutInteractions) {
  // A subset keeps the full index space; the features only see users and items with data.
  const Interactions d = hand_dataset();
  const std::vector<int64_t> u0_u1 = {0, 1, 2, 3, 4, 5, 6};  // entries of u0 and u1 (CSR order)
  const auto v = meta_features(d.subset(u0_u1), no_landmarkers());
  EXPECT_NEAR(get(v, "log_users"), std::log10(2.0), 1e-12);
  EXPECT_NEAR(get(v, "log_items"), std::log10(5.0), 1e-12);
  EXPECT_NEAR(get(v, "density"), 0.7, 1e-12);  // 7 / (2 * 5)
}

TEST(MetaFeatures, RejectsBadOptions) {
  MetaFeatureOptions o;
  o.max_landmark_users = 0;
  EXPECT_THROW(meta_features(hand_dataset(), o), InvalidArgument);
  o = {};
  o.threads = -1;
  EXPECT_THROW(meta_features(hand_dataset(), o), InvalidArgument);
}

const Interactions& synthetic() {
  static const Interactions d =
      generate_synthetic(parse_synthetic_spec("synthetic:users=400,items=300,per_user=20,seed=3"));
  return d;
}

TEST(MetaFeatures, LandmarkersAreFractionsAndDeterministicBySeed) {
  MetaFeatureOptions o;
  o.max_landmark_users = 150;  // exercises the subsample
  const auto a = meta_features(synthetic(), o);
  const auto b = meta_features(synthetic(), o);
  EXPECT_EQ(a, b);
  double sum = 0;
  for (const auto& f : meta_feature_schema()) {
    if (!is_landmark(f.name)) continue;
    EXPECT_GE(get(a, f.name), 0.0) << f.name;
    EXPECT_LE(get(a, f.name), 1.0) << f.name;
    sum += get(a, f.name);
  }
  EXPECT_GT(sum, 0.0);
  EXPECT_GT(get(a, "landmark_most_popular_ndcg@10"), 0.0);

  o.seed = 7;
  const auto c = meta_features(synthetic(), o);
  bool landmarks_differ = false;
  for (size_t j = 0; j < a.size(); ++j) {
    const auto& name = meta_feature_schema()[j].name;
    if (is_landmark(name)) {
      landmarks_differ |= a[j] != c[j];
    } else {
      EXPECT_EQ(a[j], c[j]) << name;  // only the landmarkers use the seed
    }
  }
  EXPECT_TRUE(landmarks_differ);
}

TEST(MetaFeatures, Ials5IsMf5OnImplicitDataOnly) {
  MetaFeatureOptions o;
  o.max_landmark_users = 150;
  const auto ex = meta_features(synthetic(), o);  // explicit: funk_mf vs ials
  EXPECT_NE(get(ex, "landmark_mf5_ndcg@10"), get(ex, "landmark_ials5_ndcg@10"));
  EXPECT_GT(get(ex, "landmark_ials5_ndcg@10"), 0.0);
  const Interactions imp = generate_synthetic(
      parse_synthetic_spec("synthetic:users=200,items=150,per_user=15,feedback=implicit,seed=3"));
  ASSERT_EQ(imp.feedback(), Feedback::kImplicit);
  const auto im = meta_features(imp, o);
  EXPECT_EQ(get(im, "landmark_mf5_ndcg@10"), get(im, "landmark_ials5_ndcg@10"));
  EXPECT_EQ(get(im, "landmark_mf5_precision@10"), get(im, "landmark_ials5_precision@10"));
  EXPECT_GT(get(im, "landmark_ials5_ndcg@10"), 0.0);
}

TEST(MetaFeatures, LandmarkSampleIsCompactAndSeeded) {
  const Interactions s1 = landmark_sample(synthetic(), 100, 42);
  const Interactions s2 = landmark_sample(synthetic(), 100, 42);
  const Interactions s3 = landmark_sample(synthetic(), 100, 43);
  EXPECT_EQ(s1.num_users(), 100);
  EXPECT_EQ(s1.nnz(), s2.nnz());
  EXPECT_EQ(s1.user_ids().externals(), s2.user_ids().externals());
  EXPECT_NE(s1.user_ids().externals(), s3.user_ids().externals());
  for (int32_t i = 0; i < s1.num_items(); ++i) EXPECT_GT(s1.item_count(i), 0);
  // Each sampled user keeps all their interactions.
  for (int32_t u = 0; u < s1.num_users(); ++u) {
    const int32_t orig = static_cast<int32_t>(std::stol(s1.user_ids().external(u)));
    EXPECT_EQ(s1.user_count(u), synthetic().user_count(orig));
  }
  EXPECT_EQ(s1.feedback(), synthetic().feedback());
}

TEST(MetaFeatures, HandDatasetLandmarkersRun) {
  const auto v = meta_features(hand_dataset());
  for (const auto& f : meta_feature_schema()) {
    EXPECT_TRUE(std::isfinite(get(v, f.name))) << f.name;
    if (!is_landmark(f.name)) continue;
    EXPECT_GE(get(v, f.name), 0.0) << f.name;
    EXPECT_LE(get(v, f.name), 1.0) << f.name;
  }
}

}  // namespace
}  // namespace metarec
