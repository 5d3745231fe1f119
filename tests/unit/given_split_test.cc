// A card split that names only its test file: train = the interactions minus the test pairs,
// and every way the test file can be wrong is an error naming its file and line. Fixtures:
// tests/data/loo_pairs.tsv (7 pairs of 3 users) and tests/data/loo_test*.tsv.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <set>
#include <string>
#include <utility>

#include "metarec/core/error.h"
#include "metarec/data/dataset.h"
#include "metarec/data/split.h"

namespace metarec {
namespace {

using NamedPairs = std::set<std::pair<std::string, std::string>>;

DatasetCard loo_card() {
  return DatasetCard::parse(nlohmann::json::parse(R"({
    "name": "loo-fixture", "feedback": "implicit", "duplicates": "error",
    "interactions": {"path": "loo_pairs.tsv", "separator": "\t", "quote": "", "header": true,
                     "user": "user", "item": "item"},
    "splits": {
      "loo": {"test": "loo_test.tsv"},
      "absent": {"test": "loo_test_absent_pair.tsv"},
      "unknown": {"test": "loo_test_unknown_user.tsv"},
      "malformed": {"test": "loo_test_bad_line.tsv"},
      "twice": {"test": "loo_test_twice.tsv"},
      "nofile": {"test": "loo_test_missing.tsv"}
    }})"),
                            "loo-fixture.json");
}

LoadedDataset load_split(const std::string& split) {
  LoadOptions o;
  o.data_root = METAREC_TEST_DATA;
  return load_card(loo_card(), o, split);
}

NamedPairs named(const Interactions& d) {
  NamedPairs out;
  for (int64_t e = 0; e < d.nnz(); ++e)
    out.insert(
        {d.user_ids().external(d.entry_users()[e]), d.item_ids().external(d.entry_items()[e])});
  return out;
}

// The error of loading `split`, which must be a FormatError.
std::string load_error(const std::string& split) {
  try {
    load_split(split);
  } catch (const FormatError& e) {
    return e.what();
  }
  ADD_FAILURE() << split << ": expected a FormatError";
  return "";
}

TEST(TestOnlySplit, TrainIsTheInteractionsMinusTheTestPairs) {
  const LoadedDataset d = load_split("loo");
  EXPECT_EQ(d.spec, "loo-fixture:loo");
  ASSERT_EQ(d.data.nnz(), 7);
  ASSERT_EQ(d.parts.size(), 7u);
  EXPECT_EQ(d.data.num_users(), 3);
  EXPECT_EQ(d.data.num_items(), 4);
  const Split s = make_split(d.data, SplitSpec::parse("given"), &d.parts);
  EXPECT_EQ(named(s.train),
            (NamedPairs{{"u1", "a"}, {"u1", "b"}, {"u2", "d"}, {"u3", "b"}, {"u3", "c"}}));
  EXPECT_EQ(named(s.test), (NamedPairs{{"u1", "c"}, {"u2", "a"}}));
  EXPECT_EQ(s.kept_unseen, 0);
  // The loader read 7 interaction rows and 2 test rows; the build saw 5 + 2.
  EXPECT_EQ(d.load.rows, 9);
  EXPECT_EQ(d.build.input_rows, 7);
  EXPECT_EQ(d.build.duplicate_rows, 0);
}

TEST(TestOnlySplit, CardSchemaAcceptsTestWithoutTrainButNotTrainWithoutTest) {
  EXPECT_EQ(loo_card().split_names().size(), 6u);
  EXPECT_THROW(DatasetCard::parse(nlohmann::json::parse(R"({
    "name": "x", "interactions": {"path": "p.tsv", "user": 0, "item": 1},
    "splits": {"s": {"train": "t.tsv"}}})"),
                                  "x.json"),
               FormatError);
  EXPECT_THROW(DatasetCard::parse(nlohmann::json::parse(R"({
    "name": "x", "interactions": {"path": "p.tsv", "user": 0, "item": 1},
    "splits": {"s": {"test": "t.tsv", "validation": "v.tsv"}}})"),
                                  "x.json"),
               FormatError);
}

TEST(TestOnlySplit, PairNotInTheInteractionsNamesFileAndLine) {
  // Line 3 is blank; line 4 pairs two known ids that never met.
  const std::string e = load_error("absent");
  EXPECT_NE(e.find("loo_test_absent_pair.tsv:4: test pair (user u2, item b) is not in the "
                   "interactions"),
            std::string::npos)
      << e;
}

TEST(TestOnlySplit, UnknownUserNamesFileAndLine) {
  const std::string e = load_error("unknown");
  EXPECT_NE(e.find("loo_test_unknown_user.tsv:3: test pair (user u9, item a) is not in the "
                   "interactions (unknown user)"),
            std::string::npos)
      << e;
}

TEST(TestOnlySplit, MalformedLineNamesFileAndLine) {
  const std::string e = load_error("malformed");
  EXPECT_NE(e.find("loo_test_bad_line.tsv:3: expected at least 2 fields, got 1"), std::string::npos)
      << e;
}

TEST(TestOnlySplit, MalformedLineIsAnErrorEvenWhenSkippingBadLines) {
  LoadOptions o;
  o.data_root = METAREC_TEST_DATA;
  o.skip_bad_lines = true;
  EXPECT_THROW(load_card(loo_card(), o, "malformed"), FormatError);
}

TEST(TestOnlySplit, PairGivenTwiceNamesBothLines) {
  const std::string e = load_error("twice");
  EXPECT_NE(e.find("loo_test_twice.tsv:4: test pair (user u1, item c) is given twice (also on "
                   "line 2)"),
            std::string::npos)
      << e;
}

TEST(TestOnlySplit, MissingTestFileIsAnError) { EXPECT_THROW(load_split("nofile"), Error); }

// A card file of one's own loads with one of its splits as PATH.json:SPLIT.
TEST(TestOnlySplit, CardFileWithSplitLoadsByPath) {
  const std::string path =
      ::testing::TempDir() + "metarec_loo_card_" + std::to_string(::getpid()) + ".json";
  {
    std::ofstream out(path);
    out << R"({"name": "loo-file", "feedback": "implicit", "duplicates": "error",
      "interactions": {"path": "loo_pairs.tsv", "separator": "\t", "quote": "", "header": true,
                       "user": "user", "item": "item"},
      "splits": {"loo": {"test": "loo_test.tsv"}}})";
  }
  LoadOptions o;
  o.data_root = METAREC_TEST_DATA;
  const LoadedDataset d = load_dataset(path + ":loo", o);
  const Split s = make_split(d.data, SplitSpec::parse("given"), &d.parts);
  EXPECT_EQ(named(s.test), (NamedPairs{{"u1", "c"}, {"u2", "a"}}));
  EXPECT_EQ(s.train.nnz(), 5);
  EXPECT_THROW(load_dataset(path + ":nosuch", o), Error);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace metarec
