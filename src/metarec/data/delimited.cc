// Fast delimited parsing over a memory-mapped file.
#include <metarec/data/delimited.h>

#include <fast_float/fast_float.h>

#include <charconv>
#include <cmath>
#include <cstring>
#include <sstream>

#include <metarec/core/error.h>
#include <metarec/core/mapped_file.h>

namespace metarec {

ColumnRef ColumnRef::parse(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("0123456789") == std::string::npos)
    return at(std::stoi(s));
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
    const size_t end = nl ? static_cast<size_t>(static_cast<const char*>(nl) - text.data())
                          : text.size();
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
  scratch.reserve(8);
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
  throw FormatError(path, 1, std::string(role) + " column \"" + c.name +
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
  if (m < 1 || m > 12 || d < 1 || d > 31) return false;
  out = days_from_civil(y, static_cast<unsigned>(m), static_cast<unsigned>(d)) * 86400;
  return true;
}

void read_delimited(const std::string& path, const DelimitedFormat& fmt,
                    InteractionsBuilder& builder, LoadReport& report) {
  METAREC_CHECK(!fmt.separator.empty(), path, ": the separator is empty");
  METAREC_CHECK(fmt.user.is_set() && fmt.item.is_set(), path,
                ": the user and item columns must be set");
  MappedFile file(path);
  std::string_view text = file.view();
  if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // BOM

  // Reserve from a newline count: exact capacity keeps peak memory near the final arrays.
  {
    size_t lines = 0;
    const char* p = text.data();
    const char* end = p + text.size();
    while ((p = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p))))) {
      ++lines;
      ++p;
    }
    builder.reserve(builder.size() + lines + 1);
  }

  const bool has_rating = fmt.rating.is_set();
  const bool has_time = fmt.time.is_set();
  builder.set_has_timestamps(has_time);
  if (!has_rating) builder.set_has_values(false);
  int cu = fmt.user.index, ci = fmt.item.index, cr = fmt.rating.index, ct = fmt.time.index;
  bool need_header = fmt.header;
  const bool check_scale = fmt.scale_min != 0 || fmt.scale_max != 0;
  const bool fast_sep = fmt.separator.size() == 1 && fmt.separator != "whitespace";
  std::vector<std::string_view> fields;
  std::vector<std::string> scratch;
  LoadReport rep;

  for_each_line(text, [&](int64_t line_no, std::string_view line) {
    if (need_header) {
      need_header = false;
      try {
        split_fields(line, fmt, fields, scratch);
      } catch (const InvalidArgument& e) {
        throw FormatError(path, line_no, std::string("bad header: ") + e.what());
      }
      cu = resolve_column(fmt.user, fields, path, "user");
      ci = resolve_column(fmt.item, fields, path, "item");
      if (has_rating) cr = resolve_column(fmt.rating, fields, path, "rating");
      if (has_time) ct = resolve_column(fmt.time, fields, path, "timestamp");
      return;
    }
    if (trim(line).empty()) {
      ++rep.blank;
      return;
    }
    ++rep.lines;
    auto fail = [&](const std::string& reason) {
      if (!fmt.skip_bad_lines) throw FormatError(path, line_no, reason);
      ++rep.skipped;
      if (rep.first_errors.size() < LoadReport::kMaxErrors)
        rep.first_errors.push_back(path + ":" + std::to_string(line_no) + ": " + reason);
    };
    // Fast path: one-character separator and no quote character in the line.
    if (fast_sep && (!fmt.quote || line.find(fmt.quote) == std::string_view::npos)) {
      fields.clear();
      const char sep = fmt.separator[0];
      size_t i = 0;
      while (true) {
        const void* p = std::memchr(line.data() + i, sep, line.size() - i);
        if (!p) {
          fields.push_back(line.substr(i));
          break;
        }
        const size_t j = static_cast<size_t>(static_cast<const char*>(p) - line.data());
        fields.push_back(line.substr(i, j - i));
        i = j + 1;
      }
    } else {
      try {
        split_fields(line, fmt, fields, scratch);
      } catch (const InvalidArgument& e) {
        return fail(e.what());
      }
    }
    const int need = std::max({cu, ci, cr, ct}) + 1;
    if (static_cast<int>(fields.size()) < need) {
      return fail("expected at least " + std::to_string(need) + " fields, got " +
                  std::to_string(fields.size()));
    }
    const std::string_view us = trim(fields[cu]), is = trim(fields[ci]);
    if (us.empty()) return fail("empty user id");
    if (is.empty()) return fail("empty item id");
    float value = fmt.implicit_value;
    if (has_rating) {
      const std::string_view rs = trim(fields[cr]);
      auto res = fast_float::from_chars(rs.data(), rs.data() + rs.size(), value);
      if (rs.empty() || res.ec != std::errc() || res.ptr != rs.data() + rs.size() ||
          !std::isfinite(value)) {
        return fail("rating \"" + std::string(rs) + "\" is not a number");
      }
      if (check_scale && (value < fmt.scale_min || value > fmt.scale_max)) {
        std::ostringstream os;
        os << "rating " << rs << " is outside the declared scale [" << fmt.scale_min << ", "
           << fmt.scale_max << "]";
        return fail(os.str());
      }
    }
    int64_t time = 0;
    if (has_time) {
      const std::string_view ts = trim(fields[ct]);
      bool ok;
      if (fmt.time_format == "date") {
        ok = parse_date(ts, time);
      } else {
        auto res = std::from_chars(ts.data(), ts.data() + ts.size(), time);
        ok = !ts.empty() && res.ec == std::errc() && res.ptr == ts.data() + ts.size();
        if (ok && fmt.time_format == "unix_ms") time /= 1000;
      }
      if (!ok) return fail("timestamp \"" + std::string(ts) + "\" is not a " +
                           (fmt.time_format == "date" ? "YYYY-MM-DD date" : "unix time"));
    }
    const int32_t u = builder.users().intern(us);
    const int32_t it = builder.items().intern(is);
    builder.add(u, it, value, time);
    ++rep.rows;
  });
  if (need_header) throw FormatError(path, 0, "the file is empty (no header line)");
  report.merge(rep);
}

}  // namespace metarec
