// Unit tests for read_delimited on the small hand-written files in tests/data/ratings_*: well-
// formed files, bad input, parallel chunks, skipping. The line-level parsers and the format
// sniffer are in delimited_parsing_test.cc.
#include "metarec/data/delimited.h"

#include <gtest/gtest.h>
#include <omp.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <limits>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "delimited_helpers.h"
#include "metarec/core/error.h"
#include "metarec/data/dataset.h"
#include "metarec/data/interactions.h"

namespace metarec {
namespace {

using namespace delimited_testing;

// ---------------------------------------------------------------------------------------------
// Well-formed files

TEST(ReadDelimited, HeaderQuotesAndBlankLine) {
  DelimitedFormat f = csv(true, true);
  f.header = true;
  const Loaded l = load("ratings_ok.csv", f);
  const Interactions& d = l.data;
  EXPECT_EQ(d.num_users(), 3);
  EXPECT_EQ(d.num_items(), 3);
  EXPECT_EQ(d.nnz(), 4);
  EXPECT_EQ(value_of(d, "1", "10"), 4.5f);
  EXPECT_EQ(value_of(d, "2", "20"), 3.0f);  // "20" was quoted
  EXPECT_EQ(value_of(d, "3", "item, with \"quotes\""), 5.0f);
  EXPECT_EQ(value_of(d, "1", "20"), 1.0f);
  EXPECT_EQ(time_of(d, "3", "item, with \"quotes\""), 978301968);
  EXPECT_EQ(time_of(d, "1", "20"), 978300275);
  EXPECT_EQ(l.report.lines, 4);
  EXPECT_EQ(l.report.rows, 4);
  EXPECT_EQ(l.report.blank, 1);
  EXPECT_EQ(l.report.skipped, 0);
  EXPECT_TRUE(l.report.first_errors.empty());
  EXPECT_EQ(d.feedback(), Feedback::kExplicit);
}

TEST(ReadDelimited, HeaderColumnsByName) {
  DelimitedFormat f;
  f.separator = "\t";
  f.header = true;
  f.user = ColumnRef::named("userId");
  f.item = ColumnRef::named("movieId");
  f.rating = ColumnRef::named("rating");
  f.time = ColumnRef::named("timestamp");
  const Loaded l = load("ratings_named_columns.tsv", f);
  EXPECT_EQ(l.data.nnz(), 2);
  EXPECT_EQ(value_of(l.data, "u9", "m1"), 2.5f);
  EXPECT_EQ(value_of(l.data, "u8", "m2"), 0.5f);
  EXPECT_EQ(time_of(l.data, "u8", "m2"), 200);
  EXPECT_EQ(l.data.user_ids().external(0), "u9");
}

TEST(ReadDelimited, BomCrlfAndNoFinalNewline) {
  {
    // Guard the fixture itself against line-ending normalisation.
    std::ifstream in(data_path("ratings_crlf_bom.csv"), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ASSERT_EQ(bytes.rfind("\xEF\xBB\xBF", 0), 0u);
    ASSERT_NE(bytes.find("\r\n"), std::string::npos);
    ASSERT_NE(bytes.back(), '\n');
  }
  DelimitedFormat f = csv();
  f.header = true;
  f.user = ColumnRef::named("user");  // only resolvable if the BOM was stripped
  f.item = ColumnRef::named("item");
  f.rating = ColumnRef::named("rating");
  const Loaded l = load("ratings_crlf_bom.csv", f);
  EXPECT_EQ(l.data.nnz(), 3);
  EXPECT_EQ(value_of(l.data, "u1", "i1"), 5.0f);
  EXPECT_EQ(value_of(l.data, "u2", "i1"), 3.0f);
  EXPECT_EQ(value_of(l.data, "u1", "i2"), 4.0f);  // last line, no newline, no "\r" left
  EXPECT_EQ(l.report.lines, 3);
  EXPECT_EQ(l.data.user_ids().external(0), "u1");
}

TEST(ReadDelimited, DoubleColonSeparator) {
  DelimitedFormat f;
  f.separator = "::";
  f.rating = ColumnRef::at(2);
  f.time = ColumnRef::at(3);
  const Loaded l = load("ratings_colons.dat", f);
  EXPECT_EQ(l.data.nnz(), 3);
  EXPECT_EQ(l.data.num_users(), 2);
  EXPECT_EQ(l.data.num_items(), 2);
  EXPECT_EQ(value_of(l.data, "1", "1193"), 5.0f);
  EXPECT_EQ(value_of(l.data, "1", "661"), 3.0f);
  EXPECT_EQ(value_of(l.data, "2", "1193"), 4.0f);
  EXPECT_EQ(time_of(l.data, "2", "1193"), 978298413);
}

TEST(ReadDelimited, WhitespaceSeparator) {
  DelimitedFormat f;
  f.separator = "whitespace";
  f.rating = ColumnRef::at(2);
  f.time = ColumnRef::at(3);
  const Loaded l = load("ratings_whitespace.txt", f);
  EXPECT_EQ(l.data.nnz(), 3);
  EXPECT_EQ(value_of(l.data, "196", "242"), 3.0f);
  EXPECT_EQ(value_of(l.data, "186", "302"), 3.0f);
  EXPECT_EQ(value_of(l.data, "22", "377"), 1.0f);
  EXPECT_EQ(time_of(l.data, "186", "302"), 891717742);
  EXPECT_EQ(time_of(l.data, "22", "377"), 878887116);
}

TEST(ReadDelimited, DateTimesAndNoRatingColumn) {
  DelimitedFormat f;
  f.separator = ";";
  f.header = true;
  f.time = ColumnRef::at(2);
  f.time_format = "date";
  const Loaded l = load("ratings_dates.csv", f);
  EXPECT_EQ(l.data.nnz(), 3);
  EXPECT_EQ(l.data.feedback(), Feedback::kImplicit);
  EXPECT_EQ(value_of(l.data, "a", "x"), 1.0f);
  // 2020-01-01 = 1577836800; the next day adds 86400; 1999-12-31 = 946684800 - 86400.
  EXPECT_EQ(time_of(l.data, "a", "x"), 1577836800);
  EXPECT_EQ(time_of(l.data, "a", "y"), 1577836800 + 86400);
  EXPECT_EQ(time_of(l.data, "b", "x"), 946684800 - 86400);
}

TEST(ReadDelimited, ImplicitValueIsUsedWithoutRatingColumn) {
  DelimitedFormat f = csv(false);
  f.implicit_value = 2.5f;
  const Loaded l = load("ratings_two_columns.csv", f);
  EXPECT_EQ(l.data.nnz(), 3);
  for (float v : l.data.entry_values()) EXPECT_EQ(v, 2.5f);
  EXPECT_FALSE(l.data.has_timestamps());
}

TEST(ReadDelimited, UnixMillisecondsAreDividedToSeconds) {
  DelimitedFormat f = csv(true, true);
  f.time_format = "unix_ms";
  const Loaded l = load("ratings_bad_timestamp.csv", [&] {
    DelimitedFormat g = f;
    g.skip_bad_lines = true;
    return g;
  }());
  EXPECT_EQ(time_of(l.data, "1", "10"), 978300);  // 978300760 ms
}

TEST(ReadDelimited, ManyQuotedFieldsOnOneLine) {
  // 11 quoted fields: every field must still read back correctly (the fields are views into
  // unescaped copies, which must not move while the line is split).
  DelimitedFormat f = csv();
  f.rating = ColumnRef::at(10);
  const Loaded l = load("ratings_many_quoted.csv", f);
  EXPECT_EQ(l.data.nnz(), 2);
  EXPECT_EQ(value_of(l.data, "u1", "i1"), 4.0f);
  EXPECT_EQ(value_of(l.data, "u2", "i2"), 5.0f);
}

TEST(ReadDelimited, TwoFilesIntoOneBuilderMergeReports) {
  InteractionsBuilder b;
  LoadReport rep;
  DelimitedFormat f = csv();
  read_delimited(
      data_path("ratings_bad_fields.csv"),
      [&] {
        DelimitedFormat g = f;
        g.skip_bad_lines = true;
        return g;
      }(),
      b, rep);
  read_delimited(
      data_path("ratings_bad_abc.csv"),
      [&] {
        DelimitedFormat g = f;
        g.skip_bad_lines = true;
        return g;
      }(),
      b, rep);
  // File 1: 2 lines, 1 row (1,10,4), 1 bad. File 2: 3 lines, 2 rows (1,10,4) (1,11,3), 1 bad.
  EXPECT_EQ(rep.lines, 5);
  EXPECT_EQ(rep.rows, 3);
  EXPECT_EQ(rep.skipped, 2);
  ASSERT_EQ(rep.first_errors.size(), 2u);
  EXPECT_EQ(rep.first_errors[0],
            data_path("ratings_bad_fields.csv") + ":2: expected at least 3 fields, got 2");
  EXPECT_EQ(rep.first_errors[1],
            data_path("ratings_bad_abc.csv") + ":3: rating \"abc\" is not a number");
  BuildReport br;
  const Interactions d = b.build({}, &br);
  EXPECT_EQ(d.nnz(), 2);  // (1,10) appears in both files
  EXPECT_EQ(br.input_rows, 3);
  EXPECT_EQ(br.duplicate_rows, 1);
  EXPECT_EQ(value_of(d, "1", "10"), 4.0f);
  EXPECT_EQ(value_of(d, "1", "11"), 3.0f);
}

// ---------------------------------------------------------------------------------------------
// Bad input: FormatError names the file, the line and the reason.

void expect_format_error(const std::string& name, const DelimitedFormat& fmt, long line,
                         const std::string& reason) {
  const std::string path = data_path(name);
  InteractionsBuilder b;
  LoadReport rep;
  try {
    read_delimited(path, fmt, b, rep);
    ADD_FAILURE() << name << ": expected FormatError";
  } catch (const FormatError& e) {
    EXPECT_EQ(e.path(), path);
    EXPECT_EQ(e.line(), line);
    const std::string msg = e.what();
    const std::string where = path + ":" + std::to_string(line) + ": ";
    EXPECT_EQ(msg.rfind(where, 0), 0u) << msg;
    EXPECT_NE(msg.find(reason), std::string::npos) << "missing \"" << reason << "\" in: " << msg;
  }
}

TEST(ReadDelimitedErrors, WrongFieldCount) {
  expect_format_error("ratings_bad_fields.csv", csv(), 2, "expected at least 3 fields, got 2");
}

TEST(ReadDelimitedErrors, DecimalCommaInSemicolonFile) {
  DelimitedFormat f = csv();
  f.separator = ";";
  expect_format_error("ratings_bad_decimal_comma.csv", f, 2, "rating \"4,5\" is not a number");
}

TEST(ReadDelimitedErrors, NonNumericRating) {
  expect_format_error("ratings_bad_abc.csv", csv(), 3, "rating \"abc\" is not a number");
}

TEST(ReadDelimitedErrors, EmptyUserId) {
  expect_format_error("ratings_bad_empty_user.csv", csv(), 2, "empty user id");
}

TEST(ReadDelimitedErrors, EmptyItemId) {
  expect_format_error("ratings_bad_empty_item.csv", csv(), 2, "empty item id");
}

TEST(ReadDelimitedErrors, ValueOutsideDeclaredScale) {
  DelimitedFormat f = csv();
  f.scale_min = 1;
  f.scale_max = 5;
  expect_format_error("ratings_bad_scale.csv", f, 2,
                      "rating 7 is outside the declared scale [1, 5]");
  // Without a declared scale the same file loads.
  EXPECT_EQ(load("ratings_bad_scale.csv", csv()).data.nnz(), 2);
}

TEST(ReadDelimitedErrors, BadUnixTimestamp) {
  expect_format_error("ratings_bad_timestamp.csv", csv(true, true), 2,
                      "timestamp \"97830x760\" is not a unix time");
}

TEST(ReadDelimitedErrors, BadDate) {
  DelimitedFormat f = csv(false);
  f.time = ColumnRef::at(2);
  f.time_format = "date";
  expect_format_error("ratings_bad_date.csv", f, 2,
                      "timestamp \"2020-13-01\" is not a YYYY-MM-DD date");
}

TEST(ReadDelimitedErrors, UnterminatedQuote) {
  expect_format_error("ratings_bad_quote.csv", csv(), 2, "unterminated quoted field");
}

TEST(ReadDelimitedErrors, TextAfterClosingQuote) {
  expect_format_error("ratings_bad_after_quote.csv", csv(), 2, "text after a closing quote");
}

TEST(ReadDelimitedErrors, UnknownHeaderColumn) {
  DelimitedFormat f = csv();
  f.header = true;
  f.rating = ColumnRef::named("rating");
  expect_format_error("ratings_bad_header.csv", f, 1,
                      "rating column \"rating\" is not in the header (columns: user, item, score)");
}

TEST(ReadDelimitedErrors, MissingFileIsIoError) {
  InteractionsBuilder b;
  LoadReport rep;
  const std::string path = data_path("no_such_ratings.csv");
  try {
    read_delimited(path, csv(), b, rep);
    FAIL() << "expected IoError";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
}

TEST(ReadDelimitedErrors, DirectoryIsIoError) {
  InteractionsBuilder b;
  LoadReport rep;
  EXPECT_THROW(read_delimited(METAREC_TEST_DATA, csv(), b, rep), IoError);
}

TEST(ReadDelimitedErrors, EmptyFileGivesEmptyDataset) {
  InteractionsBuilder b;
  LoadReport rep;
  read_delimited(data_path("ratings_empty.csv"), csv(), b, rep);
  EXPECT_EQ(rep.rows, 0);
  EXPECT_EQ(rep.lines, 0);
  EXPECT_THROW(b.build({}), InvalidArgument);
}

TEST(ReadDelimitedErrors, EmptyFileWithExpectedHeader) {
  DelimitedFormat f = csv();
  f.header = true;
  const std::string path = data_path("ratings_empty.csv");
  InteractionsBuilder b;
  LoadReport rep;
  try {
    read_delimited(path, f, b, rep);
    FAIL() << "expected FormatError";
  } catch (const FormatError& e) {
    EXPECT_EQ(e.path(), path);
    EXPECT_NE(std::string(e.what()).find("empty"), std::string::npos) << e.what();
  }
}

TEST(ReadDelimitedErrors, HeaderOnlyGivesEmptyDataset) {
  DelimitedFormat f = csv();
  f.header = true;
  InteractionsBuilder b;
  LoadReport rep;
  read_delimited(data_path("ratings_header_only.csv"), f, b, rep);
  EXPECT_EQ(rep.rows, 0);
  EXPECT_THROW(b.build({}), InvalidArgument);
}

TEST(ReadDelimitedErrors, FilesWithAndWithoutTimesDoNotMix) {
  InteractionsBuilder b;
  LoadReport rep;
  read_delimited(data_path("ratings_bad_scale.csv"), csv(), b, rep);
  EXPECT_THROW(read_delimited(
                   data_path("ratings_colons.dat"),
                   [] {
                     DelimitedFormat f;
                     f.separator = "::";
                     f.rating = ColumnRef::at(2);
                     f.time = ColumnRef::at(3);
                     return f;
                   }(),
                   b, rep),
               InvalidArgument);
}

TEST(ReadDelimitedErrors, BadFormatSettings) {
  InteractionsBuilder b;
  LoadReport rep;
  DelimitedFormat f = csv();
  f.separator = "";
  EXPECT_THROW(read_delimited(data_path("ratings_ok.csv"), f, b, rep), InvalidArgument);
  f = csv();
  f.item = ColumnRef{};
  EXPECT_THROW(read_delimited(data_path("ratings_ok.csv"), f, b, rep), InvalidArgument);
  f = csv(true, true);
  f.time_format = "iso";
  EXPECT_THROW(read_delimited(data_path("ratings_bad_timestamp.csv"), f, b, rep), InvalidArgument);
}

// A file large enough (> 8 MB) for the reader to split it into two chunks parsed in parallel:
// line numbers, first-appearance id order and skipped-line reports must match a single pass.
// Line k (1-based) holds user (k / 8) * 7919 % 1000003, item k * 13 % 1009, rating 1 + k % 5 and
// an unused padding column, except line 10 (blank) and line 120001 (two fields).
class ReadDelimitedLarge : public ::testing::Test {
 protected:
  static constexpr int64_t kLines = 160000;
  static constexpr int64_t kBlank = 10, kBad = 120001;

  static void SetUpTestSuite() {
    path_ = new std::string(::testing::TempDir() + "/metarec_delimited_large_" +
                            std::to_string(::getpid()) + ".csv");
    std::string text;
    const std::string padding = "," + std::string(44, 'x') + "\n";
    text.reserve(static_cast<size_t>(kLines) * 64);
    for (int64_t k = 1; k <= kLines; ++k) {
      if (k == kBlank) {
        text += "\n";
      } else if (k == kBad) {
        text += "1,2\n";
      } else {
        text += std::to_string(user(k)) + "," + std::to_string(item(k)) + "," +
                std::to_string(1 + k % 5) + padding;
      }
    }
    FILE* f = std::fopen(path_->c_str(), "wb");
    ASSERT_NE(f, nullptr);
    ASSERT_EQ(std::fwrite(text.data(), 1, text.size(), f), text.size());
    std::fclose(f);
    ASSERT_GT(text.size(), size_t{8} << 20);
  }
  static void TearDownTestSuite() {
    std::remove(path_->c_str());
    delete path_;
  }
  void SetUp() override {
    threads_ = omp_get_max_threads();
    omp_set_num_threads(2);  // two chunks even on a one-core machine
  }
  void TearDown() override { omp_set_num_threads(threads_); }

  static int64_t user(int64_t k) { return (k / 8) * 7919 % 1000003; }
  static int64_t item(int64_t k) { return k * 13 % 1009; }

  static std::string* path_;
  int threads_ = 1;
};
std::string* ReadDelimitedLarge::path_ = nullptr;

TEST_F(ReadDelimitedLarge, BadLineInTheSecondChunkNamesItsLine) {
  InteractionsBuilder b;
  LoadReport rep;
  try {
    read_delimited(*path_, csv(), b, rep);
    FAIL() << "expected FormatError";
  } catch (const FormatError& e) {
    EXPECT_EQ(e.line(), kBad);
    EXPECT_NE(std::string(e.what()).find("expected at least 3 fields, got 2"), std::string::npos);
  }
}

TEST_F(ReadDelimitedLarge, ChunksMergeLikeASinglePass) {
  DelimitedFormat f = csv();
  f.skip_bad_lines = true;
  InteractionsBuilder b;
  LoadReport rep;
  read_delimited(*path_, f, b, rep);
  EXPECT_EQ(rep.lines, kLines - 1);
  EXPECT_EQ(rep.blank, 1);
  EXPECT_EQ(rep.skipped, 1);
  EXPECT_EQ(rep.rows, kLines - 2);
  ASSERT_EQ(rep.first_errors.size(), 1u);
  EXPECT_EQ(rep.first_errors[0],
            *path_ + ":" + std::to_string(kBad) + ": expected at least 3 fields, got 2");
  // Lines 1..7 are user 0's; lines 8k..8k+7 belong to the k-th user to appear (k >= 1).
  EXPECT_EQ(b.users().size(), static_cast<int32_t>(kLines / 8 + 1));
  for (int64_t k : {int64_t{1}, int64_t{8}, int64_t{79999}, int64_t{80001}, int64_t{120000},
                    int64_t{120002}, kLines}) {
    EXPECT_EQ(b.users().find(std::to_string(user(k))), static_cast<int32_t>(k / 8)) << k;
  }
  // Items: k * 13 % 1009 is a bijection on 1..1008, so lines 1..1008 bring new items in order,
  // except blank line 10; item 0 comes at k = 1009 and line 10's item 130 first at k = 1019.
  for (int64_t k : {int64_t{1}, int64_t{2}, int64_t{9}}) {
    EXPECT_EQ(b.items().find(std::to_string(item(k))), static_cast<int32_t>(k - 1)) << k;
  }
  for (int64_t k : {int64_t{11}, int64_t{500}, int64_t{1008}}) {
    EXPECT_EQ(b.items().find(std::to_string(item(k))), static_cast<int32_t>(k - 2)) << k;
  }
  EXPECT_EQ(b.items().find("0"), 1007);
  EXPECT_EQ(b.items().find("130"), 1008);
  EXPECT_EQ(b.items().size(), 1009);
  const Interactions d = b.build({});
  EXPECT_EQ(d.nnz(), kLines - 2);  // all (user, item) pairs are distinct
  for (int64_t k :
       {int64_t{3}, int64_t{79999}, int64_t{80001}, int64_t{120000}, int64_t{120002}, kLines - 1}) {
    EXPECT_EQ(value_of(d, std::to_string(user(k)), std::to_string(item(k))),
              static_cast<float>(1 + k % 5))
        << k;
  }
}

// ---------------------------------------------------------------------------------------------
// skip_bad_lines

TEST(ReadDelimitedSkip, CountsSkippedLinesAndKeepsFirstFiveReasons) {
  // ratings_many_bad.csv: good lines 1, 3, 7, 10; bad lines 2 (rating x), 4 (empty user),
  // 5 (2 fields), 6 (9 outside [1, 5]), 8 (empty item), 9 (nan), 11 (unterminated quote).
  DelimitedFormat f = csv();
  f.skip_bad_lines = true;
  f.scale_min = 1;
  f.scale_max = 5;
  const std::string path = data_path("ratings_many_bad.csv");
  InteractionsBuilder b;
  LoadReport rep;
  read_delimited(path, f, b, rep);
  EXPECT_EQ(rep.lines, 11);
  EXPECT_EQ(rep.rows, 4);
  EXPECT_EQ(rep.skipped, 7);
  ASSERT_EQ(rep.first_errors.size(), LoadReport::kMaxErrors);
  ASSERT_EQ(rep.first_errors.size(), 5u);
  const std::vector<std::string> expected = {
      path + ":2: rating \"x\" is not a number",
      path + ":4: empty user id",
      path + ":5: expected at least 3 fields, got 2",
      path + ":6: rating 9 is outside the declared scale [1, 5]",
      path + ":8: empty item id",
  };
  EXPECT_EQ(rep.first_errors, expected);
  const Interactions d = b.build({});
  EXPECT_EQ(d.nnz(), 4);
  EXPECT_EQ(value_of(d, "1", "10"), 4.0f);
  EXPECT_EQ(value_of(d, "2", "10"), 3.0f);
  EXPECT_EQ(value_of(d, "3", "11"), 2.0f);
  EXPECT_EQ(value_of(d, "5", "10"), 1.0f);
}

TEST(ReadDelimitedSkip, NanIsABadRating) {
  DelimitedFormat f = csv();
  f.skip_bad_lines = true;
  InteractionsBuilder b;
  LoadReport rep;
  read_delimited(data_path("ratings_many_bad.csv"), f, b, rep);
  // Without a declared scale line 6 (rating 9) is good: 6 skipped.
  EXPECT_EQ(rep.skipped, 6);
  EXPECT_EQ(rep.rows, 5);
  EXPECT_EQ(rep.first_errors.size(), 5u);
}

TEST(ReadDelimitedSkip, ReportMergeCapsErrors) {
  LoadReport a, b;
  a.lines = 3;
  a.rows = 2;
  a.skipped = 1;
  a.blank = 1;
  a.first_errors = {"a:1: x", "a:2: x", "a:3: x", "a:4: x"};
  b.lines = 5;
  b.rows = 1;
  b.skipped = 4;
  b.first_errors = {"b:1: y", "b:2: y", "b:3: y"};
  a.merge(b);
  EXPECT_EQ(a.lines, 8);
  EXPECT_EQ(a.rows, 3);
  EXPECT_EQ(a.skipped, 5);
  EXPECT_EQ(a.blank, 1);
  EXPECT_EQ(a.first_errors,
            (std::vector<std::string>{"a:1: x", "a:2: x", "a:3: x", "a:4: x", "b:1: y"}));
}

}  // namespace
}  // namespace metarec
