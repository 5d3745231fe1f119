// Item and user side-information readers.
#include <metarec/core/error.h>
#include <metarec/core/mapped_file.h>
#include <metarec/data/delimited.h>
#include <metarec/data/metadata_reader.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>

namespace metarec {

std::string resolve_path(const std::string& root, const std::string& path) {
  if (path.empty() || path[0] == '/' || root.empty()) return path;
  return (std::filesystem::path(root) / path).string();
}

DelimitedFormat format_from_json(const nlohmann::json& spec, const std::string& where) {
  DelimitedFormat f;
  try {
    f.separator = spec.value("separator", std::string(","));
    METAREC_CHECK(!f.separator.empty(), where, ": separator must not be empty");
    f.header = spec.value("header", false);
    const std::string q = spec.value("quote", std::string("\""));
    METAREC_CHECK(q.size() <= 1, where, ": quote must be one character or empty");
    f.quote = q.empty() ? 0 : q[0];
  } catch (const nlohmann::json::exception& e) {
    METAREC_THROW(InvalidArgument, where, ": ", e.what());
  }
  return f;
}

namespace {

std::string_view trim_id(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

ColumnRef column_from_json(const nlohmann::json& v) {
  if (v.is_number_integer()) return ColumnRef::at(v.get<int>());
  return ColumnRef::named(v.get<std::string>());
}

// Reads a side-information file row by row: fn(line_no, fields) after resolving named columns.
// `columns` lists the ColumnRefs the caller needs, resolved in place into indices.
template <typename Fn>
void read_rows(const std::string& path, const DelimitedFormat& fmt, std::vector<ColumnRef*> columns,
               bool skip_bad_lines, Fn&& fn) {
  MappedFile file(path);
  std::string_view text = file.view();
  if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  std::vector<std::string_view> fields;
  std::vector<std::string> scratch;
  bool need_header = fmt.header;
  int need = 0;
  for (auto* c : columns)
    if (c->index >= 0) need = std::max(need, c->index + 1);
  for_each_line(text, [&](int64_t line_no, std::string_view line) {
    try {
      split_fields(line, fmt, fields, scratch);
    } catch (const InvalidArgument& e) {
      if (!skip_bad_lines) throw FormatError(path, line_no, e.what());
      return;
    }
    if (need_header) {
      need_header = false;
      for (auto* c : columns) {
        if (c->index >= 0) continue;
        auto it = std::find_if(fields.begin(), fields.end(),
                               [&](std::string_view f) { return trim_id(f) == c->name; });
        if (it == fields.end())
          throw FormatError(path, line_no, "column \"" + c->name + "\" is not in the header");
        c->index = static_cast<int>(it - fields.begin());
        need = std::max(need, c->index + 1);
      }
      return;
    }
    if (line.empty()) return;
    if (static_cast<int>(fields.size()) < need) {
      if (skip_bad_lines) return;
      throw FormatError(path, line_no,
                        "expected at least " + std::to_string(need) + " fields, got " +
                            std::to_string(fields.size()));
    }
    fn(line_no, fields);
  });
}

std::string decode(std::string_view s, bool latin1) {
  if (latin1) return latin1_to_utf8(s);
  if (is_valid_utf8(s)) return std::string(s);
  return latin1_to_utf8(s);  // tolerate stray latin-1 bytes rather than store invalid UTF-8
}

int32_t genre_id(ItemMeta& meta, std::map<std::string, int32_t>& vocab, const std::string& g) {
  auto [it, inserted] = vocab.try_emplace(g, static_cast<int32_t>(meta.genre_names.size()));
  if (inserted) meta.genre_names.push_back(g);
  return it->second;
}

void add_genre(std::vector<int32_t>& list, int32_t g) {
  auto it = std::lower_bound(list.begin(), list.end(), g);
  if (it == list.end() || *it != g) list.insert(it, g);
}

}  // namespace

void read_item_meta(const nlohmann::json& spec, const std::string& root, const IdMap& items,
                    ItemMeta& meta, bool skip_bad_lines) {
  const std::string path = resolve_path(root, spec.at("path").get<std::string>());
  DelimitedFormat fmt = format_from_json(spec, path);
  const bool latin1 = spec.value("encoding", std::string("utf-8")) == "latin1";
  ColumnRef id = column_from_json(spec.at("id"));
  ColumnRef title, genres;
  std::vector<ColumnRef> texts;
  if (spec.contains("title")) title = column_from_json(spec["title"]);
  if (spec.contains("genres")) genres = column_from_json(spec["genres"]);
  if (spec.contains("text"))
    for (const auto& t : spec["text"]) texts.push_back(column_from_json(t));
  const std::string genre_sep = spec.value("genre_separator", std::string("|"));
  METAREC_CHECK(!genre_sep.empty(), path, ": genre_separator must not be empty");
  int flag_first = -1, flag_last = -1;
  std::vector<std::string> flag_names;
  if (spec.contains("genre_flags")) {
    flag_first = spec["genre_flags"].at(0).get<int>();
    flag_last = spec["genre_flags"].at(1).get<int>();
    flag_names = spec.at("genre_names").get<std::vector<std::string>>();
    METAREC_CHECK(static_cast<int>(flag_names.size()) == flag_last - flag_first + 1, path,
                  ": genre_names must have one name per flag column");
  }
  ColumnRef last_flag = ColumnRef::at(flag_last);  // makes rows too short for the flags bad lines
  std::vector<ColumnRef*> cols{&id};
  if (title.is_set()) cols.push_back(&title);
  if (genres.is_set()) cols.push_back(&genres);
  for (auto& t : texts) cols.push_back(&t);
  if (flag_last >= 0) cols.push_back(&last_flag);

  const size_t n = static_cast<size_t>(items.size());
  if (title.is_set()) meta.titles.assign(n, "");
  if (genres.is_set() || flag_first >= 0) meta.genres.assign(n, {});
  if (!texts.empty()) meta.texts.assign(n, "");
  std::map<std::string, int32_t> vocab;
  for (size_t g = 0; g < meta.genre_names.size(); ++g)
    vocab[meta.genre_names[g]] = static_cast<int32_t>(g);

  read_rows(path, fmt, cols, skip_bad_lines, [&](int64_t, const std::vector<std::string_view>& f) {
    auto idx = items.find(trim_id(f[id.index]));
    if (!idx) {
      ++meta.unmatched_rows;
      return;
    }
    const size_t i = static_cast<size_t>(*idx);
    if (title.is_set()) meta.titles[i] = decode(f[title.index], latin1);
    if (genres.is_set()) {
      std::string_view s = f[genres.index];
      size_t p = 0;
      while (p <= s.size()) {
        size_t q = s.find(genre_sep, p);
        if (q == std::string_view::npos) q = s.size();
        std::string g = decode(s.substr(p, q - p), latin1);
        if (!g.empty() && g != "(no genres listed)")
          add_genre(meta.genres[i], genre_id(meta, vocab, g));
        p = q + genre_sep.size();
      }
    }
    for (int c = flag_first; c >= 0 && c <= flag_last; ++c) {
      if (f[c] == "1") add_genre(meta.genres[i], genre_id(meta, vocab, flag_names[c - flag_first]));
    }
    for (const auto& t : texts) {
      if (!meta.texts[i].empty()) meta.texts[i] += ' ';
      meta.texts[i] += decode(f[t.index], latin1);
    }
  });
}

void read_item_tags(const nlohmann::json& spec, const std::string& root, const IdMap& items,
                    ItemMeta& meta, bool skip_bad_lines) {
  const std::string path = resolve_path(root, spec.at("path").get<std::string>());
  DelimitedFormat fmt = format_from_json(spec, path);
  ColumnRef item = column_from_json(spec.at("item"));
  ColumnRef tag = column_from_json(spec.at("tag"));
  const size_t n = static_cast<size_t>(items.size());
  if (meta.texts.empty()) meta.texts.assign(n, "");
  read_rows(path, fmt, {&item, &tag}, skip_bad_lines,
            [&](int64_t, const std::vector<std::string_view>& f) {
              auto idx = items.find(trim_id(f[item.index]));
              if (!idx) {
                ++meta.unmatched_rows;
                return;
              }
              std::string& text = meta.texts[static_cast<size_t>(*idx)];
              if (!text.empty()) text += ' ';
              text += decode(f[tag.index], false);
            });
}

void read_item_vectors(const nlohmann::json& spec, const std::string& root, const IdMap& items,
                       ItemMeta& meta, bool skip_bad_lines) {
  const std::string path = resolve_path(root, spec.at("path").get<std::string>());
  std::ifstream in(path);
  if (!in) METAREC_THROW(IoError, "cannot open item vectors file ", path);
  const size_t n = static_cast<size_t>(items.size());
  std::vector<int64_t> line_of(n, 0);
  std::vector<float> values;
  int32_t dim = -1;
  std::string line;
  int64_t line_no = 0;
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
  std::vector<std::string_view> fields;
  while (std::getline(in, line)) {
    ++line_no;
    fields.clear();
    for (size_t i = 0; i < line.size();) {
      while (i < line.size() && is_space(line[i])) ++i;
      size_t j = i;
      while (j < line.size() && !is_space(line[j])) ++j;
      if (j > i) fields.emplace_back(line.data() + i, j - i);
      i = j;
    }
    if (fields.empty() || fields[0][0] == '#') continue;
    const std::string id(fields[0]);
    auto bad = [&](const std::string& reason) {
      if (!skip_bad_lines) throw FormatError(path, line_no, reason);
      ++meta.unmatched_rows;
    };
    const int32_t d = static_cast<int32_t>(fields.size() - 1);
    if (d == 0) {
      bad("item " + id + " has no values");
      continue;
    }
    if (dim < 0) {
      dim = d;
      meta.vectors.assign(n * static_cast<size_t>(dim), 0.0f);
    }
    if (d != dim) {
      bad("item " + id + " has " + std::to_string(d) + " values, expected " + std::to_string(dim) +
          " (the first line's)");
      continue;
    }
    values.resize(static_cast<size_t>(d));
    bool ok = true;
    for (int32_t k = 0; k < d && ok; ++k) {
      const std::string_view f = fields[static_cast<size_t>(k) + 1];
      const auto [end, ec] = std::from_chars(f.data(), f.data() + f.size(), values[k]);
      if (ec != std::errc() || end != f.data() + f.size() || !std::isfinite(values[k])) {
        bad("value " + std::to_string(k + 1) + " \"" + std::string(f) +
            "\" is not a finite number");
        ok = false;
      }
    }
    if (!ok) continue;
    const auto item = items.find(id);
    if (!item) {
      ++meta.unmatched_rows;
      continue;
    }
    if (line_of[static_cast<size_t>(*item)] != 0) {
      bad("item " + id + " repeated (first on line " +
          std::to_string(line_of[static_cast<size_t>(*item)]) + ")");
      continue;
    }
    line_of[static_cast<size_t>(*item)] = line_no;
    std::copy(values.begin(), values.end(),
              meta.vectors.begin() + static_cast<std::ptrdiff_t>(*item) * dim);
  }
  if (dim < 0) throw FormatError(path, 0, "no item vectors in the file");
  meta.vector_dim = dim;
}

void read_user_meta(const nlohmann::json& spec, const std::string& root, const IdMap& users,
                    UserMeta& meta, bool skip_bad_lines) {
  const std::string path = resolve_path(root, spec.at("path").get<std::string>());
  DelimitedFormat fmt = format_from_json(spec, path);
  ColumnRef id = column_from_json(spec.at("id"));
  std::vector<ColumnRef> attrs;
  for (auto it = spec.at("attributes").begin(); it != spec.at("attributes").end(); ++it) {
    meta.attribute_names.push_back(it.key());
    attrs.push_back(column_from_json(it.value()));
  }
  std::vector<ColumnRef*> cols{&id};
  for (auto& a : attrs) cols.push_back(&a);
  meta.values.assign(attrs.size(), std::vector<std::string>(static_cast<size_t>(users.size())));
  read_rows(path, fmt, cols, skip_bad_lines, [&](int64_t, const std::vector<std::string_view>& f) {
    auto idx = users.find(trim_id(f[id.index]));
    if (!idx) {
      ++meta.unmatched_rows;
      return;
    }
    for (size_t a = 0; a < attrs.size(); ++a)
      meta.values[a][static_cast<size_t>(*idx)] = decode(f[attrs[a].index], false);
  });
}

}  // namespace metarec
