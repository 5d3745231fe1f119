// Unit tests for the delimited reader's line-level parsers (split_fields, ColumnRef,
// for_each_line, parse_date), the format sniffer, and loading a plain file by sniffing it.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "delimited_helpers.h"
#include "metarec/core/error.h"
#include "metarec/data/dataset.h"
#include "metarec/data/delimited.h"
#include "metarec/data/interactions.h"

namespace metarec {
namespace {

using namespace delimited_testing;

// ---------------------------------------------------------------------------------------------
// split_fields, ColumnRef, for_each_line

std::vector<std::string> split(std::string_view line, const std::string& sep, char quote = '"') {
  DelimitedFormat f;
  f.separator = sep;
  f.quote = quote;
  std::vector<std::string_view> fields;
  std::vector<std::string> scratch;
  split_fields(line, f, fields, scratch);
  return std::vector<std::string>(fields.begin(), fields.end());
}

TEST(SplitFields, PlainQuotedAndEmptyFields) {
  EXPECT_EQ(split("a,b,,c,", ","), (std::vector<std::string>{"a", "b", "", "c", ""}));
  EXPECT_EQ(split("\"a,b\",\"he said \"\"hi\"\"\",c", ","),
            (std::vector<std::string>{"a,b", "he said \"hi\"", "c"}));
  EXPECT_EQ(split("\"\",x", ","), (std::vector<std::string>{"", "x"}));
  EXPECT_EQ(split("1::2::3", "::"), (std::vector<std::string>{"1", "2", "3"}));
  EXPECT_EQ(split(" 1 \t2  3 ", "whitespace"), (std::vector<std::string>{"1", "2", "3"}));
  // Quoting disabled: quotes are ordinary characters.
  EXPECT_EQ(split("\"a,b\"", ",", 0), (std::vector<std::string>{"\"a", "b\""}));
  EXPECT_THROW(split("\"abc", ","), InvalidArgument);
  EXPECT_THROW(split("\"a\"b,c", ","), InvalidArgument);
}

TEST(SplitFields, ManyQuotedFieldsStayValid) {
  std::string line;
  std::vector<std::string> expected;
  for (int k = 0; k < 20; ++k) {
    const std::string v = "v" + std::to_string(k);
    line += (k ? "," : "") + ("\"" + v + "\"");
    expected.push_back(v);
  }
  EXPECT_EQ(split(line, ","), expected);
}

TEST(ColumnRef, ParseNumbersAsPositions) {
  EXPECT_EQ(ColumnRef::parse("3").index, 3);
  EXPECT_TRUE(ColumnRef::parse("3").name.empty());
  EXPECT_EQ(ColumnRef::parse("rating").name, "rating");
  EXPECT_EQ(ColumnRef::parse("rating").index, -1);
  EXPECT_FALSE(ColumnRef{}.is_set());
  EXPECT_TRUE(ColumnRef::at(0).is_set());
}

TEST(ForEachLine, CrlfAndMissingFinalNewline) {
  std::vector<std::pair<int64_t, std::string>> got;
  for_each_line("a\r\nb\n\nc", [&](int64_t n, std::string_view l) { got.emplace_back(n, l); });
  const std::vector<std::pair<int64_t, std::string>> expected = {
      {1, "a"}, {2, "b"}, {3, ""}, {4, "c"}};
  EXPECT_EQ(got, expected);
}

// ---------------------------------------------------------------------------------------------
// parse_date

TEST(ParseDate, KnownDates) {
  int64_t t = -1;
  ASSERT_TRUE(parse_date("1970-01-01", t));
  EXPECT_EQ(t, 0);
  // 1970..1999: 30 years with 7 leap days = 10957 days; then Jan (31) + Feb 2000 (29) = 60.
  ASSERT_TRUE(parse_date("2000-03-01", t));
  EXPECT_EQ(t, (10957 + 60) * int64_t{86400});
  ASSERT_TRUE(parse_date("2020-01-01", t));
  EXPECT_EQ(t, 1577836800);
  ASSERT_TRUE(parse_date("1969-12-31", t));
  EXPECT_EQ(t, -86400);
  ASSERT_TRUE(parse_date("2020-02-29", t));  // leap day: 2020-01-01 + 31 + 28 days
  EXPECT_EQ(t, 1577836800 + 59 * int64_t{86400});
}

TEST(ParseDate, TimeOfDayIsIgnored) {
  int64_t t = -1;
  ASSERT_TRUE(parse_date("2020-01-01 23:59:59", t));
  EXPECT_EQ(t, 1577836800);
  ASSERT_TRUE(parse_date("  2020-01-01T12:00:00Z ", t));
  EXPECT_EQ(t, 1577836800);
}

TEST(ParseDate, RejectsMalformed) {
  int64_t t = 0;
  for (const char* s : {"", "2020", "2020/01/01", "20-01-01", "2020-1-1", "2020-13-01",
                        "2020-00-10", "2020-01-00", "2020-01-32", "abcd-ef-gh", "2020-0a-01"}) {
    EXPECT_FALSE(parse_date(s, t)) << s;
  }
}

// BUG (reported): parse_date only checks 1 <= day <= 31, so impossible dates are accepted and
// silently roll over (2021-02-30 becomes 2021-03-02).
TEST(ParseDate, RejectsImpossibleDays) {
  int64_t t = 0;
  for (const char* s : {"2021-02-29", "2021-02-30", "2020-02-30", "2020-04-31", "1900-02-29"})
    EXPECT_FALSE(parse_date(s, t)) << s;
}

// ---------------------------------------------------------------------------------------------
// sniff_format

TEST(SniffFormat, CommaWithHeader) {
  const DelimitedFormat f = sniff_format(data_path("ratings_ok.csv"));
  EXPECT_EQ(f.separator, ",");
  EXPECT_TRUE(f.header);
  EXPECT_EQ(f.user.index, 0);
  EXPECT_EQ(f.item.index, 1);
  EXPECT_EQ(f.rating.index, 2);
  EXPECT_EQ(f.time.index, 3);
}

TEST(SniffFormat, DoubleColonWithoutHeader) {
  const DelimitedFormat f = sniff_format(data_path("ratings_colons.dat"));
  EXPECT_EQ(f.separator, "::");
  EXPECT_FALSE(f.header);
  EXPECT_EQ(f.rating.index, 2);
  EXPECT_EQ(f.time.index, 3);
}

TEST(SniffFormat, TabSemicolonPipeAndWhitespace) {
  const DelimitedFormat tab = sniff_format(data_path("ratings_named_columns.tsv"));
  EXPECT_EQ(tab.separator, "\t");
  EXPECT_TRUE(tab.header);
  const DelimitedFormat semi = sniff_format(data_path("ratings_dates.csv"));
  EXPECT_EQ(semi.separator, ";");
  EXPECT_TRUE(semi.header);
  const DelimitedFormat pipe = sniff_format(data_path("ratings_pipe.txt"));
  EXPECT_EQ(pipe.separator, "|");
  EXPECT_TRUE(pipe.header);
  const DelimitedFormat ws = sniff_format(data_path("ratings_spaces.txt"));
  EXPECT_EQ(ws.separator, "whitespace");
  EXPECT_FALSE(ws.header);
  EXPECT_EQ(ws.rating.index, 2);
  EXPECT_EQ(ws.time.index, 3);
}

TEST(SniffFormat, TwoColumnsHaveNoRating) {
  const DelimitedFormat f = sniff_format(data_path("ratings_two_columns.csv"));
  EXPECT_EQ(f.separator, ",");
  EXPECT_FALSE(f.header);
  EXPECT_FALSE(f.rating.is_set());
  EXPECT_FALSE(f.time.is_set());
}

// A headerless file of string ids ("u1,i1") keeps its first row: no column is numeric below a
// non-numeric first line, and "u1", "i1" are not column names.
TEST(SniffFormat, TwoColumnsOfStringIdsHaveNoHeader) {
  const DelimitedFormat f = sniff_format(data_path("ratings_two_columns_str.csv"));
  EXPECT_FALSE(f.header);
  EXPECT_EQ(load_dataset(data_path("ratings_two_columns_str.csv")).data.nnz(), 3);
}

TEST(SniffFormat, BomAndCrlf) {
  const DelimitedFormat f = sniff_format(data_path("ratings_crlf_bom.csv"));
  EXPECT_EQ(f.separator, ",");
  EXPECT_TRUE(f.header);
  EXPECT_EQ(f.rating.index, 2);
  EXPECT_FALSE(f.time.is_set());
}

TEST(SniffFormat, SniffedFormatReadsTheFile) {
  const std::string path = data_path("ratings_colons.dat");
  InteractionsBuilder b;
  LoadReport rep;
  read_delimited(path, sniff_format(path), b, rep);
  const Interactions d = b.build({});
  EXPECT_EQ(d.nnz(), 3);
  EXPECT_EQ(value_of(d, "2", "1193"), 4.0f);
}

TEST(SniffFormat, EmptyAndMissingFiles) {
  EXPECT_THROW(sniff_format(data_path("ratings_empty.csv")), FormatError);
  EXPECT_THROW(sniff_format(data_path("no_such_ratings.csv")), IoError);
}

TEST(LoadDataset, PlainFileIsSniffedAndLoaded) {
  const LoadedDataset l = load_dataset(data_path("ratings_colons.dat"));
  EXPECT_EQ(l.data.nnz(), 3);
  EXPECT_EQ(l.load.rows, 3);
  EXPECT_EQ(l.build.input_rows, 3);
  EXPECT_EQ(value_of(l.data, "1", "661"), 3.0f);
}

}  // namespace
}  // namespace metarec
