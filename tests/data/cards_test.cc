// Checks the built-in dataset cards: every card parses and names its licence, and each card
// loads the real files under ../shared/data with the counts that shared/data/README.md verified.
// The loading tests skip when the data are not on this machine.
#include <gtest/gtest.h>
#include <metarec/data/dataset.h>

#include <cstdint>
#include <filesystem>
#include <ostream>
#include <set>
#include <string>
#include <vector>

namespace metarec {
namespace {

namespace fs = std::filesystem;

/// What README.md's "Verified" line says about one card's data, after the card's duplicate policy.
struct Expected {
  const char* name;
  int32_t users;
  int32_t items;
  int64_t rows;          ///< data rows in the interaction file(s), as counted by the README
  int64_t interactions;  ///< distinct (user, item) pairs left after duplicate merging
  Feedback feedback;
  bool timestamps;
};

void PrintTo(const Expected& e, std::ostream* os) { *os << e.name; }

constexpr Feedback kExp = Feedback::kExplicit;
constexpr Feedback kImp = Feedback::kImplicit;

// Where the README gives a row count but not a distinct-pair count, the pair count was recounted
// from the files (cut -f user,item | sort -u | wc -l) and the difference is stated per line.
const Expected kExpected[] = {
    // "100,000 ratings, 943 users, 1,682 items"; pairs are distinct.
    {"ml-100k", 943, 1682, 100000, 100000, kExp, true},
    // "1,000,209 distinct pairs, 6,040 users, 3,706 movies".
    {"ml-1m", 6040, 3706, 1000209, 1000209, kImp, false},
    // "100,836 ratings, 610 users, 9,724 rated movies"; pairs are distinct.
    {"ml-latest-small", 610, 9724, 100836, 100836, kExp, true},
    // "35,497 ratings, 1,508 users, 2,071 items"; 3 pairs are rated twice: 35,494 pairs (mean).
    {"filmtrust", 1508, 2071, 35497, 35494, kExp, false},
    // "72,665 ratings, 17,615 users, 16,121 movies"; 303 pairs are repeated (320 extra rows):
    // 72,345 pairs (last by date).
    {"ciaodvd", 17615, 16121, 72665, 72345, kExp, true},
    // "284,086 rating rows (283,434 distinct), 7,375 users, 105,114 items"; 1,252 (user, item)
    // pairs occur more than once (also with another rating or time): 282,650 pairs (last).
    {"ciao-tang", 7375, 105114, 284086, 282650, kExp, true},
    // "136,891 ratings (123,202 train + 13,689 test)", 2,999 users with ratings, 3,000 items;
    // train and test are disjoint.
    {"douban-monti", 2999, 3000, 136891, 136891, kExp, false},
    // "train 6,960 and test 4,640 ratings, 290 users, 300 items"; 366 pairs are in both files
    // (same rating): 11,234 pairs.
    {"coat", 290, 300, 11600, 11234, kExp, false},
    // "92,834 user-artist rows, 1,892 users, 17,632 artists"; pairs are distinct.
    {"lastfm-hetrec2011", 1892, 17632, 92834, 92834, kImp, false},
    // "snapshots_100K: 100,000 ratings, 16,554 users, 10,506 movies"; pairs are distinct.
    {"movietweetings-100k", 16554, 10506, 100000, 100000, kExp, true},
    // "snapshots_10K: 10,000 ratings, 3,794 users, 3,096 movies"; pairs are distinct.
    {"movietweetings-10k", 3794, 3096, 10000, 10000, kExp, true},
    // "363,209 ratings, 5,000 users, 100 jokes"; a sparse matrix, so pairs are distinct.
    {"jester5k", 5000, 100, 363209, 363209, kExp, false},
    // "98,653 user-area visits (binary), 32,710 users, 285 areas".
    {"msweb", 32710, 285, 98653, 98653, kImp, false},
    // "5,551 users, 16,980 articles and 204,986 user-article pairs"; an adjacency list.
    {"citeulike-a", 5551, 16980, 204986, 204986, kImp, false},
    // "10,261 reviews, 1,429 users, 900 items"; pairs are distinct.
    {"amazon-musical-instruments", 1429, 900, 10261, 10261, kExp, true},
    // "anime ratings 419,943 (4,714 users, 7,157 items) and history 520,609 (5,000 users,
    // 7,390 items)"; pairs are distinct in both.
    {"anime-caserec", 4714, 7157, 419943, 419943, kExp, false},
    {"anime-caserec-history", 5000, 7390, 520609, 520609, kImp, false},
    // "Book-Crossing ratings 62,656 (1,295 users, 14,684 books) and history 272,678 (2,946 users,
    // 17,384 books)"; pairs are distinct in both.
    {"book-crossing-caserec", 1295, 14684, 62656, 62656, kExp, false},
    {"book-crossing-caserec-history", 2946, 17384, 272678, 272678, kImp, false},
    // "RetailRocket views 78,371 (3,423 users, 8,878 items), cart 9,028 (1,557 / 4,447),
    // purchases 5,088 (824 / 3,077)"; pairs are distinct in each file.
    {"retailrocket-caserec", 3423, 8878, 78371, 78371, kImp, false},
    {"retailrocket-caserec-cart", 1557, 4447, 9028, 9028, kImp, false},
    {"retailrocket-caserec-purchase", 824, 3077, 5088, 5088, kImp, false},
    // "96,203 rows, 957 users, 4,082 apps, 18,842 distinct user-app pairs" (counts summed).
    {"frappe", 957, 4082, 96203, 18842, kImp, false},
    // "5,043 ratings, 97 users, 79 movies"; one pair per context: 1,443 pairs (mean).
    {"depaulmovie", 97, 79, 5043, 1443, kExp, false},
    // "4,012 ratings, 42 users, 139 tracks"; one pair per context: 930 pairs (mean).
    {"incarmusic", 42, 139, 4012, 930, kExp, false},
    // "2,534 ratings, 325 users, 249 POIs"; one pair per context: 1,832 pairs (mean).
    {"sts-travel", 325, 249, 2534, 1832, kExp, false},
};

/// The card's interaction files, or "" when they are all present under `root`.
std::string missing_file(const DatasetCard& card, const std::string& root) {
  const auto& p = card.json.at("interactions").at("path");
  std::vector<std::string> paths;
  if (p.is_string()) {
    paths.push_back(p.get<std::string>());
  } else {
    paths = p.get<std::vector<std::string>>();
  }
  for (const auto& path : paths)
    if (!fs::exists(fs::path(root) / path)) return (fs::path(root) / path).string();
  return "";
}

TEST(CardsBuiltin, EveryCardParsesWithUniqueNameAndProvenance) {
  const auto& cards = builtin_cards();
  ASSERT_FALSE(cards.empty());
  std::set<std::string> names;
  for (const auto& c : cards) {
    SCOPED_TRACE(c.source);
    EXPECT_TRUE(names.insert(c.name).second) << "duplicate card name " << c.name;
    EXPECT_EQ(c.source, "cards/" + c.name + ".json") << "a card's file is named after the card";
    for (const char* key : {"title", "domain", "license", "citation"}) {
      ASSERT_TRUE(c.json.contains(key)) << c.name << " has no \"" << key << "\"";
      EXPECT_FALSE(c.json[key].get<std::string>().empty()) << c.name << ": empty " << key;
    }
    ASSERT_TRUE(find_builtin_card(c.name).has_value());
  }
}

TEST(CardsBuiltin, EveryExpectationNamesABuiltinCard) {
  for (const auto& e : kExpected) EXPECT_TRUE(find_builtin_card(e.name).has_value()) << e.name;
}

class CardsLoad : public ::testing::TestWithParam<Expected> {};

TEST_P(CardsLoad, MatchesReadmeCounts) {
  const Expected& e = GetParam();
  const auto card = find_builtin_card(e.name);
  ASSERT_TRUE(card.has_value()) << e.name;
  const std::string root = default_data_root();
  if (const std::string missing = missing_file(*card, root); !missing.empty())
    GTEST_SKIP() << missing << " is not on this machine";

  LoadOptions opts;
  opts.data_root = root;
  const LoadedDataset d = load_dataset(e.name, opts);
  EXPECT_EQ(d.data.num_users(), e.users);
  EXPECT_EQ(d.data.num_items(), e.items);
  EXPECT_EQ(d.load.rows, e.rows);
  EXPECT_EQ(d.load.skipped, 0);
  EXPECT_EQ(d.build.input_rows, e.rows);
  EXPECT_EQ(d.data.nnz(), e.interactions);
  EXPECT_EQ(d.build.duplicate_rows, e.rows - e.interactions);
  EXPECT_EQ(d.data.feedback(), e.feedback);
  EXPECT_EQ(d.data.has_timestamps(), e.timestamps);
  if (card->json["interactions"].contains("scale")) {
    EXPECT_EQ(d.data.scale_min(), card->json["interactions"]["scale"][0].get<float>());
    EXPECT_EQ(d.data.scale_max(), card->json["interactions"]["scale"][1].get<float>());
  }
  // Metadata files must describe this dataset's ids: most rows match an item or user.
  if (const ItemMeta* m = d.data.item_meta()) {
    int64_t described = 0;
    for (int32_t i = 0; i < d.data.num_items(); ++i) {
      const size_t k = static_cast<size_t>(i);
      described += (m->has_titles() && !m->titles[k].empty()) ||
                   (m->has_genres() && !m->genres[k].empty()) ||
                   (m->has_texts() && !m->texts[k].empty());
    }
    EXPECT_GT(described, d.data.num_items() / 2) << "item metadata matches few item ids";
  }
  if (const UserMeta* m = d.data.user_meta()) {
    ASSERT_FALSE(m->empty());
    int64_t described = 0;
    for (const auto& v : m->values[0]) described += !v.empty();
    EXPECT_GT(described, d.data.num_users() / 2) << "user metadata matches few user ids";
  }
}

INSTANTIATE_TEST_SUITE_P(Cards, CardsLoad, ::testing::ValuesIn(kExpected),
                         [](const ::testing::TestParamInfo<Expected>& info) {
                           std::string s = info.param.name;
                           for (char& ch : s)
                             if (ch == '-') ch = '_';
                           return s;
                         });

struct ExpectedSplit {
  const char* spec;  ///< "name:split"
  int64_t train, test;
};

void PrintTo(const ExpectedSplit& e, std::ostream* os) { *os << e.spec; }

const ExpectedSplit kExpectedSplits[] = {
    // ml-100k README: "ua/ub ... 10 ratings per user in test": 9,430 test of 100,000.
    {"ml-100k:ua", 90570, 9430},
    // "123,202 train + 13,689 test".
    {"douban-monti:monti", 123202, 13689},
    // "train 6,960 and test 4,640"; the 366 pairs also in test keep the test copy (policy
    // "last"), so train has 6,960 - 366 = 6,594 entries and the random test set stays whole.
    {"coat:random_test", 6594, 4640},
    // A test-only split: the 6,040 leave-one-out pairs (one per user) taken out of the 1,000,209
    // interactions; recounted with awk (every test pair is among the interactions).
    {"ml-1m:ncf", 994169, 6040},
};

class CardsSplit : public ::testing::TestWithParam<ExpectedSplit> {};

TEST_P(CardsSplit, GivenSplitSizes) {
  const ExpectedSplit& e = GetParam();
  const std::string spec = e.spec;
  const auto card = find_builtin_card(spec.substr(0, spec.find(':')));
  ASSERT_TRUE(card.has_value()) << spec;
  const std::string root = default_data_root();
  if (const std::string missing = missing_file(*card, root); !missing.empty())
    GTEST_SKIP() << missing << " is not on this machine";

  LoadOptions opts;
  opts.data_root = root;
  const LoadedDataset d = load_dataset(spec, opts);
  ASSERT_EQ(d.parts.size(), static_cast<size_t>(d.data.nnz()));
  int64_t train = 0, test = 0;
  for (uint8_t p : d.parts) (p == 0 ? train : test) += 1;
  EXPECT_EQ(train, e.train);
  EXPECT_EQ(test, e.test);
}

INSTANTIATE_TEST_SUITE_P(Cards, CardsSplit, ::testing::ValuesIn(kExpectedSplits),
                         [](const ::testing::TestParamInfo<ExpectedSplit>& info) {
                           std::string s = info.param.spec;
                           for (char& ch : s)
                             if (ch == '-' || ch == ':') ch = '_';
                           return s;
                         });

}  // namespace
}  // namespace metarec
