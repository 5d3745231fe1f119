// The generic delimited-file reader: separator, header, quoting, column mapping by name or
// position, optional rating and timestamp columns, a declared value scale, bad-line handling.
#pragma once

#include <metarec/data/interactions.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace metarec {

/// A column chosen by 0-based position or by header name. Unset when both are empty.
struct ColumnRef {
  int index = -1;
  std::string name;
  bool is_set() const { return index >= 0 || !name.empty(); }
  static ColumnRef at(int i) { return {i, ""}; }
  static ColumnRef named(std::string n) { return {-1, std::move(n)}; }
  /// "3" -> position 3, anything else -> a header name.
  static ColumnRef parse(const std::string& s);
};

/// How to read one delimited file. `separator` is a literal string ("," "\t" "::" "|") or
/// "whitespace" (runs of spaces and tabs).
struct DelimitedFormat {
  std::string separator = ",";
  bool header = false;
  char quote = '"';  ///< 0 disables quoting
  ColumnRef user = ColumnRef::at(0), item = ColumnRef::at(1);
  ColumnRef rating, time;  ///< optional
  /// "unix" (integer seconds), "unix_ms" or "date" (YYYY-MM-DD[ ...]) when `time` is set.
  std::string time_format = "unix";
  /// Declared scale; values outside are bad lines. Both 0: no check.
  float scale_min = 0, scale_max = 0;
  /// Value used when there is no rating column (implicit data).
  float implicit_value = 1.0f;
  bool skip_bad_lines = false;
};

/// What a read did. Bad lines are counted; the first few reasons are kept verbatim.
struct LoadReport {
  int64_t lines = 0;                      ///< data lines seen (header and blank lines excluded)
  int64_t rows = 0;                       ///< rows added
  int64_t skipped = 0;                    ///< bad lines skipped (only with skip_bad_lines)
  int64_t blank = 0;                      ///< blank lines ignored
  std::vector<std::string> first_errors;  ///< up to kMaxErrors "path:line: reason"
  static constexpr size_t kMaxErrors = 5;
  void merge(const LoadReport& o);
};

/// Appends every row of `path` to `builder`. Throws FormatError("path:line: reason") at the first
/// bad line unless fmt.skip_bad_lines; IoError when the file cannot be read.
void read_delimited(const std::string& path, const DelimitedFormat& fmt,
                    InteractionsBuilder& builder, LoadReport& report);

/// Appends an adjacency-list file (citeulike's users.dat): line k (1-based) belongs to entity
/// k - 1 and reads "count id id ...", all non-negative integers, each id one interaction of
/// `value`. A count that does not match the ids, or a non-integer id, is a FormatError naming
/// the line (or is skipped and reported with skip_bad_lines).
void read_adjacency(const std::string& path, float value, InteractionsBuilder& builder,
                    LoadReport& report, bool skip_bad_lines);

/// Splits one line into fields per `fmt` (quotes removed, "" unescaped into `scratch`).
/// Exposed for the metadata readers and tests.
void split_fields(std::string_view line, const DelimitedFormat& fmt,
                  std::vector<std::string_view>& fields, std::vector<std::string>& scratch);

/// Iterates the lines of a mapped text (CRLF and a missing final newline handled):
/// fn(line_number, line) for every line.
void for_each_line(std::string_view text, const std::function<void(int64_t, std::string_view)>& fn);

/// Parses "YYYY-MM-DD" (optionally followed by a time that is ignored) into unix seconds (UTC).
bool parse_date(std::string_view s, int64_t& out);

}  // namespace metarec
