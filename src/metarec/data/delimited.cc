// Fast delimited parsing over a memory-mapped file.
#include <fast_float/fast_float.h>
#include <metarec/core/error.h>
#include <metarec/core/mapped_file.h>
#include <metarec/core/parallel.h>
#include <metarec/data/delimited.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <sstream>

namespace metarec {

ColumnRef ColumnRef::parse(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("0123456789") == std::string::npos) return at(std::stoi(s));
  return named(s);
}

void LoadReport::merge(const LoadReport& o) {
  lines += o.lines;
  rows += o.rows;
  skipped += o.skipped;
  blank += o.blank;
  for (const auto& e : o.first_errors)
    if (first_errors.size() < kMaxErrors) first_errors.push_back(e);
}

void for_each_line(std::string_view text,
                   const std::function<void(int64_t, std::string_view)>& fn) {
  size_t pos = 0;
  int64_t line_no = 0;
  while (pos < text.size()) {
    const void* nl = std::memchr(text.data() + pos, '\n', text.size() - pos);
    const size_t end =
        nl ? static_cast<size_t>(static_cast<const char*>(nl) - text.data()) : text.size();
    size_t len = end - pos;
    if (len > 0 && text[pos + len - 1] == '\r') --len;
    fn(++line_no, text.substr(pos, len));
    pos = end + 1;
  }
}

void split_fields(std::string_view line, const DelimitedFormat& fmt,
                  std::vector<std::string_view>& fields, std::vector<std::string>& scratch) {
  fields.clear();
  scratch.clear();
  if (fmt.separator == "whitespace") {
    size_t i = 0;
    while (i < line.size()) {
      while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
      if (i >= line.size()) break;
      size_t j = i;
      while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
      fields.push_back(line.substr(i, j - i));
      i = j;
    }
    return;
  }
  const std::string_view sep = fmt.separator;
  size_t i = 0;
  // Fields point into `scratch`: reserve one string per possible quoted field up front, so
  // that growing the vector never moves a string (and its short-string buffer) under a view.
  if (fmt.quote)
    scratch.reserve(static_cast<size_t>(std::count(line.begin(), line.end(), fmt.quote)) / 2 + 1);
  while (true) {
    if (fmt.quote && i < line.size() && line[i] == fmt.quote) {
      // Quoted field: "" inside stands for one quote.
      std::string value;
      size_t j = i + 1;
      while (j < line.size()) {
        if (line[j] == fmt.quote) {
          if (j + 1 < line.size() && line[j + 1] == fmt.quote) {
            value.push_back(fmt.quote);
            j += 2;
            continue;
          }
          break;
        }
        value.push_back(line[j++]);
      }
      if (j >= line.size()) throw InvalidArgument("unterminated quoted field");
      scratch.push_back(std::move(value));
      fields.push_back(scratch.back());
      i = j + 1;
      if (i >= line.size()) return;
      if (line.compare(i, sep.size(), sep) != 0)
        throw InvalidArgument("text after a closing quote");
      i += sep.size();
      continue;
    }
    const size_t j = line.find(sep, i);
    if (j == std::string_view::npos) {
      fields.push_back(line.substr(i));
      return;
    }
    fields.push_back(line.substr(i, j - i));
    i = j + sep.size();
  }
}

namespace {

// Days from 1970-01-01 to y-m-d (proleptic Gregorian; Howard Hinnant's civil algorithm).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

int resolve_column(const ColumnRef& c, const std::vector<std::string_view>& header,
                   const std::string& path, const char* role) {
  if (c.index >= 0) return c.index;
  for (size_t k = 0; k < header.size(); ++k)
    if (trim(header[k]) == c.name) return static_cast<int>(k);
  std::string names;
  for (size_t k = 0; k < header.size(); ++k) names += (k ? ", " : "") + std::string(header[k]);
  throw FormatError(path, 1,
                    std::string(role) + " column \"" + c.name +
                        "\" is not in the header (columns: " + names + ")");
}

}  // namespace

bool parse_date(std::string_view s, int64_t& out) {
  s = trim(s);
  if (s.size() < 10 || s[4] != '-' || s[7] != '-') return false;
  int y = 0, m = 0, d = 0;
  if (std::from_chars(s.data(), s.data() + 4, y).ptr != s.data() + 4) return false;
  if (std::from_chars(s.data() + 5, s.data() + 7, m).ptr != s.data() + 7) return false;
  if (std::from_chars(s.data() + 8, s.data() + 10, d).ptr != s.data() + 10) return false;
  static const int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (m < 1 || m > 12 || d < 1 || d > kDays[m - 1] + (m == 2 && leap)) return false;
  out = days_from_civil(y, static_cast<unsigned>(m), static_cast<unsigned>(d)) * 86400;
  return true;
}

namespace {

// Everything one parsing thread produces for its byte range of the file.
struct Chunk {
  size_t begin = 0, end = 0;  // byte range in the text (whole lines)
  int64_t first_line = 0;     // 1-based line number of its first line
  size_t row_offset = 0;      // where its rows go in the builder's columns
  size_t capacity = 0;        // lines in the range
  size_t rows = 0;            // rows written
  IdMap users, items;         // chunk-local ids; merged in chunk order afterwards
  LoadReport report;
  bool failed = false;
  std::string error;  // first error when not skipping
  int64_t error_line = 0;
};

struct Columns {
  int cu, ci, cr, ct;
};

// Lines in [b, e), releasing the mapped pages behind the scan so they do not add to peak RSS.
size_t count_lines(std::string_view text, size_t b, size_t e, const MappedFile& file) {
  size_t lines = 0;
  const char* p = text.data() + b;
  const char* end = text.data() + e;
  const char* released = p;
  while (p < end &&
         (p = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p))))) {
    ++lines;
    ++p;
    if (p - released > (std::ptrdiff_t{32} << 20)) {
      file.release(static_cast<size_t>(released - text.data()),
                   static_cast<size_t>(p - text.data()));
      released = p;
    }
  }
  if (e > b && text[e - 1] != '\n') ++lines;  // a last line without a newline
  return lines;
}

// Fast unsigned/signed integer parse of a whole field.
inline bool parse_int(std::string_view s, int64_t& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size() && !s.empty();
}

void parse_chunk(std::string_view text, const std::string& path, const DelimitedFormat& fmt,
                 const Columns& col, Chunk& ch, int32_t* users, int32_t* items, float* values,
                 int64_t* times, MappedFile& file) {
  const bool has_rating = fmt.rating.is_set(), has_time = fmt.time.is_set();
  const bool check_scale = fmt.scale_min != 0 || fmt.scale_max != 0;
  const bool fast_sep = fmt.separator.size() == 1 && fmt.separator != "whitespace";
  const char sep = fmt.separator[0];
  const int need = std::max({col.cu, col.ci, col.cr, col.ct}) + 1;
  std::vector<std::string_view> fields;
  std::vector<std::string> scratch;
  size_t pos = ch.begin, released = ch.begin;
  int64_t line_no = ch.first_line - 1;
  size_t row = ch.row_offset;
  auto fail = [&](const std::string& reason) {
    if (!fmt.skip_bad_lines) {
      ch.failed = true;
      ch.error = reason;
      ch.error_line = line_no;
      return;
    }
    ++ch.report.skipped;
    if (ch.report.first_errors.size() < LoadReport::kMaxErrors)
      ch.report.first_errors.push_back(path + ":" + std::to_string(line_no) + ": " + reason);
  };
  while (pos < ch.end && !ch.failed) {
    const void* nl = std::memchr(text.data() + pos, '\n', ch.end - pos);
    const size_t eol =
        nl ? static_cast<size_t>(static_cast<const char*>(nl) - text.data()) : ch.end;
    size_t len = eol - pos;
    if (len > 0 && text[pos + len - 1] == '\r') --len;
    const std::string_view line = text.substr(pos, len);
    pos = eol + 1;
    ++line_no;
    if (pos - released > (size_t{32} << 20)) {  // keep the mapped file out of the peak RSS
      file.release(released, pos);
      released = pos;
    }
    if (trim(line).empty()) {
      ++ch.report.blank;
      continue;
    }
    ++ch.report.lines;
    // Fast path: a one-character separator, splitting only as far as the last needed column;
    // a field that opens with a quote sends the line to the general splitter.
    bool fast = fast_sep;
    if (fast) {
      fields.clear();
      size_t i = 0;
      while (true) {
        if (fmt.quote && i < line.size() && line[i] == fmt.quote) {
          fast = false;
          break;
        }
        const void* p = std::memchr(line.data() + i, sep, line.size() - i);
        if (!p || static_cast<int>(fields.size()) + 1 >= need) {
          fields.push_back(
              p ? line.substr(i, static_cast<size_t>(static_cast<const char*>(p) - line.data()) - i)
                : line.substr(i));
          break;
        }
        const size_t j = static_cast<size_t>(static_cast<const char*>(p) - line.data());
        fields.push_back(line.substr(i, j - i));
        i = j + 1;
      }
    }
    if (!fast) {
      try {
        split_fields(line, fmt, fields, scratch);
      } catch (const InvalidArgument& e) {
        fail(e.what());
        continue;
      }
    }
    if (static_cast<int>(fields.size()) < need) {
      fail("expected at least " + std::to_string(need) + " fields, got " +
           std::to_string(fields.size()));
      continue;
    }
    const std::string_view us = trim(fields[col.cu]), is = trim(fields[col.ci]);
    if (us.empty()) {
      fail("empty user id");
      continue;
    }
    if (is.empty()) {
      fail("empty item id");
      continue;
    }
    float value = fmt.implicit_value;
    if (has_rating) {
      const std::string_view rs = trim(fields[col.cr]);
      auto res = fast_float::from_chars(rs.data(), rs.data() + rs.size(), value);
      if (rs.empty() || res.ec != std::errc() || res.ptr != rs.data() + rs.size() ||
          !std::isfinite(value)) {
        fail("rating \"" + std::string(rs) + "\" is not a number");
        continue;
      }
      if (check_scale && (value < fmt.scale_min || value > fmt.scale_max)) {
        std::ostringstream os;
        os << "rating " << rs << " is outside the declared scale [" << fmt.scale_min << ", "
           << fmt.scale_max << "]";
        fail(os.str());
        continue;
      }
    }
    int64_t time = 0;
    if (has_time) {
      const std::string_view ts = trim(fields[col.ct]);
      bool ok;
      if (fmt.time_format == "date") {
        ok = parse_date(ts, time);
      } else {
        ok = parse_int(ts, time);
        if (ok && fmt.time_format == "unix_ms") time /= 1000;
      }
      if (!ok) {
        fail("timestamp \"" + std::string(ts) + "\" is not a " +
             (fmt.time_format == "date" ? "YYYY-MM-DD date" : "unix time"));
        continue;
      }
    }
    int64_t uid, iid;
    users[row] = parse_int(us, uid) && us[0] != '0' && us[0] != '-' && us[0] != '+'
                     ? ch.users.intern_int(uid)
                     : ch.users.intern(us);
    items[row] = parse_int(is, iid) && is[0] != '0' && is[0] != '-' && is[0] != '+'
                     ? ch.items.intern_int(iid)
                     : ch.items.intern(is);
    values[row] = value;
    if (times) times[row] = time;
    ++row;
  }
  ch.rows = row - ch.row_offset;
  ch.report.rows = static_cast<int64_t>(ch.rows);
}

}  // namespace

void read_delimited(const std::string& path, const DelimitedFormat& fmt,
                    InteractionsBuilder& builder, LoadReport& report) {
  METAREC_CHECK(!fmt.separator.empty(), path, ": the separator is empty");
  METAREC_CHECK(fmt.user.is_set() && fmt.item.is_set(), path,
                ": the user and item columns must be set");
  METAREC_CHECK(
      fmt.time_format == "unix" || fmt.time_format == "unix_ms" || fmt.time_format == "date", path,
      ": time_format must be unix, unix_ms or date, got \"", fmt.time_format, "\"");
  MappedFile file(path);
  std::string_view text = file.view();
  size_t data_begin = 0;
  if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") data_begin = 3;

  const bool has_rating = fmt.rating.is_set();
  const bool has_time = fmt.time.is_set();
  if (builder.size() > 0 && (builder.time_column() != nullptr) != has_time)
    METAREC_THROW(InvalidArgument, path,
                  ": cannot mix files with and without timestamps in one dataset");
  builder.set_has_timestamps(has_time);
  if (!has_rating) builder.set_has_values(false);
  Columns col{fmt.user.index, fmt.item.index, fmt.rating.index, fmt.time.index};
  int64_t first_line = 1;
  if (fmt.header) {
    const size_t nl = text.find('\n', data_begin);
    if (data_begin >= text.size()) throw FormatError(path, 0, "the file is empty (no header line)");
    std::string_view line =
        text.substr(data_begin, (nl == std::string_view::npos ? text.size() : nl) - data_begin);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    std::vector<std::string_view> fields;
    std::vector<std::string> scratch;
    try {
      split_fields(line, fmt, fields, scratch);
    } catch (const InvalidArgument& e) {
      throw FormatError(path, 1, std::string("bad header: ") + e.what());
    }
    col.cu = resolve_column(fmt.user, fields, path, "user");
    col.ci = resolve_column(fmt.item, fields, path, "item");
    if (has_rating) col.cr = resolve_column(fmt.rating, fields, path, "rating");
    if (has_time) col.ct = resolve_column(fmt.time, fields, path, "timestamp");
    data_begin = nl == std::string_view::npos ? text.size() : nl + 1;
    first_line = 2;
  }

  // Split the data into whole-line chunks, one per thread (small files: one chunk).
  const size_t bytes = text.size() - data_begin;
  const int threads = static_cast<int>(
      std::min<size_t>(static_cast<size_t>(resolve_threads(0)), 1 + bytes / (8u << 20)));
  std::vector<Chunk> chunks(static_cast<size_t>(threads));
  size_t b = data_begin;
  for (int t = 0; t < threads; ++t) {
    size_t e = t + 1 == threads
                   ? text.size()
                   : data_begin + bytes * static_cast<size_t>(t + 1) / static_cast<size_t>(threads);
    if (e < text.size()) {
      const size_t nl = text.find('\n', std::max(e, b));
      e = nl == std::string_view::npos ? text.size() : nl + 1;
    }
    chunks[t].begin = b;
    chunks[t].end = e;
    b = e;
  }
  parallel_for(
      threads, threads,
      [&](int64_t t) {
        chunks[t].capacity = count_lines(text, chunks[t].begin, chunks[t].end, file);
      },
      1);
  const size_t base = builder.size();
  size_t total = 0;
  int64_t line = first_line;
  for (auto& ch : chunks) {
    ch.row_offset = base + total;
    ch.first_line = line;
    total += ch.capacity;
    line += static_cast<int64_t>(ch.capacity);
  }
  builder.resize(base + total);
  int32_t* users = builder.user_column();
  int32_t* items = builder.item_column();
  float* values = builder.value_column();
  int64_t* times = builder.time_column();
  parallel_for(
      threads, threads,
      [&](int64_t t) {
        parse_chunk(text, path, fmt, col, chunks[t], users, items, values, times, file);
      },
      1);
  for (const auto& ch : chunks)
    if (ch.failed) {
      builder.resize(base);
      throw FormatError(path, ch.error_line, ch.error);
    }

  // Merge chunk-local ids in chunk order (the same dense ids a single pass would assign) and
  // close the gaps left by bad or blank lines.
  size_t write = base;
  LoadReport rep;
  for (auto& ch : chunks) {
    const std::vector<int32_t> ru = builder.users().absorb(ch.users);
    const std::vector<int32_t> ri = builder.items().absorb(ch.items);
    const size_t from = ch.row_offset;
    for (size_t r = 0; r < ch.rows; ++r) {
      users[write + r] = ru[static_cast<size_t>(users[from + r])];
      items[write + r] = ri[static_cast<size_t>(items[from + r])];
    }
    if (write != from) {
      std::memmove(values + write, values + from, ch.rows * sizeof(float));
      if (times) std::memmove(times + write, times + from, ch.rows * sizeof(int64_t));
    }
    write += ch.rows;
    rep.merge(ch.report);
  }
  builder.resize(write);
  report.merge(rep);
}

}  // namespace metarec

namespace metarec {

void read_adjacency(const std::string& path, float value, InteractionsBuilder& builder,
                    LoadReport& report, bool skip_bad_lines) {
  MappedFile f(path);
  std::string_view text = f.view();
  int64_t line_no = 0;
  size_t pos = 0;
  std::vector<int64_t> ids;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    // Line k (1-based) is entity k - 1: "count id id ...".
    ids.clear();
    std::string reason;
    const char* p = line.data();
    const char* e = line.data() + line.size();
    while (p < e && reason.empty()) {
      while (p < e && (*p == ' ' || *p == '\t')) ++p;
      if (p == e) break;
      int64_t v = 0;
      const auto [q, ec] = std::from_chars(p, e, v);
      if (ec != std::errc() || (q < e && *q != ' ' && *q != '\t') || v < 0) {
        const char* t = p;
        while (t < e && *t != ' ' && *t != '\t') ++t;
        reason = "\"" + std::string(p, t) + "\" is not a non-negative integer id";
        break;
      }
      ids.push_back(v);
      p = q;
    }
    if (reason.empty() && ids.empty()) reason = "empty line: expected a count and its ids";
    if (reason.empty() && ids[0] != static_cast<int64_t>(ids.size()) - 1)
      reason =
          "declares " + std::to_string(ids[0]) + " ids but lists " + std::to_string(ids.size() - 1);
    ++report.lines;
    if (!reason.empty()) {
      if (!skip_bad_lines) throw FormatError(path, line_no, reason);
      ++report.skipped;
      if (report.first_errors.size() < LoadReport::kMaxErrors)
        report.first_errors.push_back(path + ":" + std::to_string(line_no) + ": " + reason);
      continue;
    }
    if (ids.size() == 1) continue;  // an entity with no ids has no interactions
    const int32_t u = builder.users().intern_int(line_no - 1);
    for (size_t k = 1; k < ids.size(); ++k) {
      builder.add(u, builder.items().intern_int(ids[k]), value);
      ++report.rows;
    }
  }
}

}  // namespace metarec
