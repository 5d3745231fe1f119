// Dataset cards, the built-in card list, and load_dataset's dispatch.
#include <metarec/core/error.h>
#include <metarec/core/mapped_file.h>
#include <metarec/data/dataset.h>
#include <metarec/data/metadata_reader.h>
#include <metarec/data/synthetic.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <set>
#include <string_view>
#include <unordered_map>

namespace metarec {

namespace detail {
const std::vector<std::pair<const char*, const char*>>& builtin_card_texts();
}

namespace {

void check_keys(const nlohmann::json& j, const std::set<std::string>& allowed,
                const std::string& source, const std::string& section) {
  if (!j.is_object()) throw FormatError(source, 0, section + " must be a JSON object");
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (!allowed.count(it.key())) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      throw FormatError(
          source, 0, "unknown key \"" + it.key() + "\" in " + section + " (valid: " + list + ")");
    }
  }
}

const std::set<std::string> kFileKeys = {"path", "separator", "header", "quote"};

std::set<std::string> with_file_keys(std::set<std::string> s) {
  s.insert(kFileKeys.begin(), kFileKeys.end());
  return s;
}

ColumnRef column(const nlohmann::json& v) {
  if (v.is_number_integer()) return ColumnRef::at(v.get<int>());
  return ColumnRef::named(v.get<std::string>());
}

bool is_adjacency(const nlohmann::json& s, const std::string& where) {
  const std::string layout = s.value("layout", std::string("rows"));
  if (layout != "rows" && layout != "adjacency")
    throw FormatError(where, 0, "layout must be \"rows\" or \"adjacency\", got \"" + layout + "\"");
  return layout == "adjacency";
}

DelimitedFormat interactions_format(const nlohmann::json& s, const std::string& where) {
  DelimitedFormat f = format_from_json(s, where);
  const bool adjacency = is_adjacency(s, where);
  f.user = adjacency ? ColumnRef::at(0) : column(s.at("user"));
  f.item = adjacency ? ColumnRef::at(1) : column(s.at("item"));
  if (s.contains("rating")) f.rating = column(s["rating"]);
  if (s.contains("time")) f.time = column(s["time"]);
  f.time_format = s.value("time_format", std::string("unix"));
  if (s.contains("scale")) {
    f.scale_min = s["scale"].at(0).get<float>();
    f.scale_max = s["scale"].at(1).get<float>();
  }
  f.implicit_value = s.value("implicit_value", 1.0f);
  return f;
}

std::vector<std::string> paths_of(const nlohmann::json& p) {
  if (p.is_string()) return {p.get<std::string>()};
  return p.get<std::vector<std::string>>();
}

// 1-based line number of every data row of `path` as read_delimited counts them (the header and
// blank lines are not rows). Only called to name a line in an error message.
std::vector<int64_t> data_line_numbers(const std::string& path, bool header) {
  MappedFile f(path);
  std::vector<int64_t> out;
  for_each_line(f.view(), [&](int64_t line_no, std::string_view line) {
    if (header && line_no == 1) return;
    if (line.find_first_not_of(" \t") != std::string_view::npos) out.push_back(line_no);
  });
  return out;
}

// A given split that names only its test file: the test rows become part 1 and every
// interaction row with a test pair leaves part 0, so train = interactions minus test. `b` holds
// the interactions, all tagged part 0. The test file is read strictly (a given test set that
// silently lost lines would be another protocol): a malformed line, a pair that is not in the
// interactions, or a pair given twice is a FormatError naming the test file and line.
void add_test_only_split(const std::string& test_path, DelimitedFormat fmt, InteractionsBuilder& b,
                         LoadReport& report) {
  fmt.skip_bad_lines = false;
  InteractionsBuilder tb;
  LoadReport test_report;
  read_delimited(test_path, fmt, tb, test_report);
  const size_t nt = tb.size();
  auto line_of = [&](size_t row) -> int64_t {
    const auto lines = data_line_numbers(test_path, fmt.header);
    return row < lines.size() ? lines[row] : 0;
  };
  auto pair_key = [](int32_t u, int32_t i) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(u)) << 32) | static_cast<uint32_t>(i);
  };
  // The test pairs in the interactions' index space -> their test row.
  std::unordered_map<uint64_t, size_t> test_rows;
  test_rows.reserve(nt);
  std::vector<int32_t> tu(nt), ti(nt);
  for (size_t r = 0; r < nt; ++r) {
    const std::string user = tb.users().external(tb.user_column()[r]);
    const std::string item = tb.items().external(tb.item_column()[r]);
    const auto u = b.users().find(user);
    const auto i = b.items().find(item);
    if (!u || !i) {
      throw FormatError(test_path, line_of(r),
                        "test pair (user " + user + ", item " + item + ") is not in the " +
                            (!u ? "interactions (unknown user)" : "interactions (unknown item)"));
    }
    tu[r] = *u;
    ti[r] = *i;
    const auto [it, fresh] = test_rows.emplace(pair_key(*u, *i), r);
    if (!fresh) {
      throw FormatError(test_path, line_of(r),
                        "test pair (user " + user + ", item " + item +
                            ") is given twice (also on line " +
                            std::to_string(line_of(it->second)) + ")");
    }
  }
  // Drop the interaction rows of test pairs, compacting the columns in place.
  std::vector<char> found(nt, 0);
  int32_t* users = b.user_column();
  int32_t* items = b.item_column();
  float* values = b.value_column();
  int64_t* times = b.time_column();
  const size_t n = b.size();
  size_t kept = 0;
  for (size_t r = 0; r < n; ++r) {
    if (const auto it = test_rows.find(pair_key(users[r], items[r])); it != test_rows.end()) {
      found[it->second] = 1;
      continue;
    }
    users[kept] = users[r];
    items[kept] = items[r];
    values[kept] = values[r];
    if (times) times[kept] = times[r];
    ++kept;
  }
  for (size_t r = 0; r < nt; ++r) {
    if (!found[r]) {
      throw FormatError(test_path, line_of(r),
                        "test pair (user " + tb.users().external(tb.user_column()[r]) + ", item " +
                            tb.items().external(tb.item_column()[r]) +
                            ") is not in the interactions");
    }
  }
  b.resize(kept);
  b.set_part(1);
  const int64_t* test_times = tb.time_column();
  for (size_t r = 0; r < nt; ++r)
    b.add(tu[r], ti[r], tb.value_column()[r], test_times ? test_times[r] : 0);
  report.merge(test_report);
}

}  // namespace

DatasetCard DatasetCard::parse(const nlohmann::json& j, const std::string& source) {
  check_keys(j,
             {"name", "title", "domain", "license", "citation", "url", "notes", "feedback",
              "duplicates", "interactions", "items", "tags", "item_vectors", "users", "splits"},
             source, "the card");
  DatasetCard c;
  c.source = source;
  c.json = j;
  try {
    c.name = j.at("name").get<std::string>();
    const auto& in = j.at("interactions");
    check_keys(in,
               with_file_keys({"layout", "user", "item", "rating", "time", "time_format", "scale",
                               "implicit_value"}),
               source, "\"interactions\"");
    paths_of(in.at("path"));
    interactions_format(in, source);
    if (j.contains("feedback")) {
      const auto f = j["feedback"].get<std::string>();
      if (f != "explicit" && f != "implicit")
        throw FormatError(source, 0, "feedback must be \"explicit\" or \"implicit\"");
    }
    if (j.contains("duplicates")) parse_duplicate_policy(j["duplicates"].get<std::string>());
    if (j.contains("items"))
      check_keys(j["items"],
                 with_file_keys({"encoding", "id", "title", "genres", "genre_separator",
                                 "genre_flags", "genre_names", "text"}),
                 source, "\"items\"");
    if (j.contains("tags"))
      check_keys(j["tags"], with_file_keys({"item", "tag"}), source, "\"tags\"");
    if (j.contains("item_vectors")) {
      check_keys(j["item_vectors"], {"path"}, source, "\"item_vectors\"");
      j["item_vectors"].at("path").get<std::string>();
    }
    if (j.contains("users"))
      check_keys(j["users"], with_file_keys({"id", "attributes"}), source, "\"users\"");
    if (j.contains("splits")) {
      for (auto it = j["splits"].begin(); it != j["splits"].end(); ++it) {
        // "train" is optional: without it, train is the interactions minus the test pairs.
        check_keys(it.value(), {"train", "test"}, source, "split \"" + it.key() + "\"");
        if (it.value().contains("train")) it.value()["train"].get<std::string>();
        it.value().at("test").get<std::string>();
      }
    }
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(source, 0, std::string("bad card: ") + e.what());
  } catch (const InvalidArgument& e) {
    throw FormatError(source, 0, e.what());
  }
  return c;
}

DatasetCard DatasetCard::read(const std::string& path) {
  MappedFile f(path);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(f.view());
  } catch (const nlohmann::json::parse_error& e) {
    throw FormatError(path, 0, std::string("not valid JSON: ") + e.what());
  }
  return parse(j, path);
}

std::vector<std::string> DatasetCard::split_names() const {
  std::vector<std::string> out;
  if (json.contains("splits"))
    for (auto it = json["splits"].begin(); it != json["splits"].end(); ++it)
      out.push_back(it.key());
  return out;
}

const std::vector<DatasetCard>& builtin_cards() {
  static const std::vector<DatasetCard> cards = [] {
    std::vector<DatasetCard> out;
    for (const auto& [file, text] : detail::builtin_card_texts())
      out.push_back(DatasetCard::parse(nlohmann::json::parse(text), std::string("cards/") + file));
    std::sort(out.begin(), out.end(),
              [](const DatasetCard& a, const DatasetCard& b) { return a.name < b.name; });
    return out;
  }();
  return cards;
}

std::optional<DatasetCard> find_builtin_card(const std::string& name) {
  for (const auto& c : builtin_cards())
    if (c.name == name) return c;
  return std::nullopt;
}

std::string default_data_root() {
  if (const char* env = std::getenv("METAREC_DATA"); env && *env) return env;
  const std::filesystem::path beside =
      std::filesystem::path(METAREC_SOURCE_DIR) / ".." / "shared" / "data";
  std::error_code ec;
  if (std::filesystem::is_directory(beside, ec))
    return std::filesystem::weakly_canonical(beside).string();
  return ".";
}

LoadedDataset load_card(const DatasetCard& card, const LoadOptions& opts,
                        const std::string& given_split) {
  const std::string root = opts.data_root.empty() ? default_data_root() : opts.data_root;
  const auto& j = card.json;
  const auto& in = j["interactions"];
  DelimitedFormat fmt = interactions_format(in, card.source);
  fmt.skip_bad_lines = opts.skip_bad_lines;

  LoadedDataset out;
  out.spec = card.name;
  InteractionsBuilder b;
  auto read_interactions = [&] {
    for (const auto& p : paths_of(in["path"])) {
      const std::string path = resolve_path(root, p);
      if (!std::filesystem::exists(path)) {
        METAREC_THROW(IoError, "dataset ", card.name, ": ", path,
                      " does not exist (data root: ", root, "; set --data-root or METAREC_DATA)");
      }
      if (is_adjacency(in, card.source))
        read_adjacency(path, fmt.implicit_value, b, out.load, fmt.skip_bad_lines);
      else
        read_delimited(path, fmt, b, out.load);
    }
  };
  if (given_split.empty()) {
    read_interactions();
  } else {
    METAREC_CHECK(j.contains("splits") && j["splits"].contains(given_split), "dataset ", card.name,
                  " has no given split \"", given_split, "\"",
                  j.contains("splits") ? std::string("; it has: ") +
                                             [&] {
                                               std::string s;
                                               for (const auto& n : card.split_names())
                                                 s += (s.empty() ? "" : ", ") + n;
                                               return s;
                                             }()
                                       : std::string("; it declares none"));
    const auto& sp = j["splits"][given_split];
    const std::string test_path = resolve_path(root, sp["test"].get<std::string>());
    b.set_part(0);
    if (sp.contains("train")) {
      read_delimited(resolve_path(root, sp["train"].get<std::string>()), fmt, b, out.load);
      b.set_part(1);
      read_delimited(test_path, fmt, b, out.load);
    } else {
      read_interactions();
      add_test_only_split(test_path, fmt, b, out.load);
    }
    out.spec += ":" + given_split;
  }
  if (opts.load_metadata) {
    if (j.contains("items") || j.contains("tags") || j.contains("item_vectors")) {
      auto meta = std::make_shared<ItemMeta>();
      if (j.contains("items"))
        read_item_meta(j["items"], root, b.items(), *meta, opts.skip_bad_lines);
      if (j.contains("tags"))
        read_item_tags(j["tags"], root, b.items(), *meta, opts.skip_bad_lines);
      if (j.contains("item_vectors"))
        read_item_vectors(j["item_vectors"], root, b.items(), *meta, opts.skip_bad_lines);
      b.item_meta = meta;
    }
    if (j.contains("users")) {
      auto meta = std::make_shared<UserMeta>();
      read_user_meta(j["users"], root, b.users(), *meta, opts.skip_bad_lines);
      b.user_meta = meta;
    }
  }
  InteractionsBuilder::Options bo;
  bo.name = out.spec;
  bo.duplicates = parse_duplicate_policy(
      !opts.duplicates.empty() ? opts.duplicates : j.value("duplicates", std::string("last")));
  bo.feedback = !opts.feedback.empty() ? opts.feedback : j.value("feedback", std::string());
  bo.scale_min = fmt.scale_min;
  bo.scale_max = fmt.scale_max;
  out.data = b.build(bo, &out.build, given_split.empty() ? nullptr : &out.parts);
  return out;
}

DelimitedFormat sniff_format(const std::string& path) {
  MappedFile f(path);
  std::string_view text = f.view().substr(0, 64 * 1024);
  std::vector<std::string_view> lines;
  for_each_line(text, [&](int64_t, std::string_view l) {
    if (lines.size() < 6 && !l.empty()) lines.push_back(l);
  });
  if (lines.empty()) throw FormatError(path, 0, "the file is empty");
  DelimitedFormat fmt;
  for (const char* sep : {"::", "\t", ",", ";", "|"}) {
    if (lines[0].find(sep) != std::string_view::npos) {
      fmt.separator = sep;
      break;
    }
    fmt.separator = "whitespace";
  }
  std::vector<std::string_view> fields;
  std::vector<std::string> scratch;
  split_fields(lines.back(), fmt, fields, scratch);
  if (fields.size() < 2)
    throw FormatError(path, 0, "cannot guess the format: need at least a user and an item column");
  // A header when some column is numeric on every later sampled line but not on the first, or
  // when the first line names its columns with the usual words. Columns of string ids on every
  // line are no evidence either way (a headerless "u1,i1" file keeps its first row).
  auto is_number = [](std::string_view s) {
    return !s.empty() && s.find_first_not_of("0123456789.-+eE") == std::string_view::npos;
  };
  auto is_column_name = [](std::string_view s) {
    std::string t;
    for (char c : s)
      if (std::isalpha(static_cast<unsigned char>(c)))
        t += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    static const std::set<std::string> names = {
        "user",     "userid",    "item",   "itemid", "movie",     "movieid", "rating",
        "ratings",  "timestamp", "time",   "score",  "value",     "uid",     "iid",
        "useridx",  "itemidx",   "rate",   "date",   "productid", "bookid",  "isbn",
        "customer", "product",   "weight", "count",  "label",     "target"};
    return names.count(t) > 0;
  };
  split_fields(lines[0], fmt, fields, scratch);
  std::vector<std::string> first(fields.begin(), fields.end());
  fmt.header = false;
  if (lines.size() > 1) {
    for (size_t c = 0; c < first.size() && !fmt.header; ++c) {
      if (is_number(first[c])) continue;
      bool numeric_below = true;
      for (size_t l = 1; l < lines.size() && numeric_below; ++l) {
        split_fields(lines[l], fmt, fields, scratch);
        numeric_below = c < fields.size() && is_number(fields[c]);
      }
      fmt.header = numeric_below;
    }
    if (!fmt.header) {
      size_t named = 0;
      for (const auto& f : first) named += is_column_name(f);
      fmt.header = named >= 2;
    }
  }
  fields.assign(first.begin(), first.end());
  fmt.user = ColumnRef::at(0);
  fmt.item = ColumnRef::at(1);
  if (fields.size() >= 3) fmt.rating = ColumnRef::at(2);
  if (fields.size() >= 4) fmt.time = ColumnRef::at(3);
  return fmt;
}

LoadedDataset load_dataset(const std::string& spec, const LoadOptions& opts) {
  METAREC_CHECK(!spec.empty(), "no dataset given");
  if (spec.rfind("synthetic:", 0) == 0 || spec == "synthetic") {
    LoadedDataset out;
    out.spec = spec;
    out.data = generate_synthetic(parse_synthetic_spec(spec));
    out.load.rows = out.load.lines = out.data.nnz();
    out.build.input_rows = out.data.nnz();
    return out;
  }
  std::error_code ec;
  if (std::filesystem::is_regular_file(spec, ec)) {
    if (spec.size() > 5 && spec.substr(spec.size() - 5) == ".json") {
      return load_card(DatasetCard::read(spec), opts);
    }
    DelimitedFormat fmt = sniff_format(spec);
    fmt.skip_bad_lines = opts.skip_bad_lines;
    LoadedDataset out;
    out.spec = spec;
    InteractionsBuilder b;
    read_delimited(spec, fmt, b, out.load);
    InteractionsBuilder::Options bo;
    bo.name = spec;
    bo.duplicates = parse_duplicate_policy(opts.duplicates.empty() ? "last" : opts.duplicates);
    bo.feedback = opts.feedback;
    out.data = b.build(bo, &out.build);
    return out;
  }
  std::string name = spec, split;
  if (auto colon = spec.rfind(':'); colon != std::string::npos) {
    name = spec.substr(0, colon);
    split = spec.substr(colon + 1);
  }
  // A card file of one's own with one of its given splits: PATH.json:SPLIT.
  if (name.size() > 5 && name.substr(name.size() - 5) == ".json" &&
      std::filesystem::is_regular_file(name, ec))
    return load_card(DatasetCard::read(name), opts, split);
  if (auto card = find_builtin_card(name)) return load_card(*card, opts, split);
  std::string names;
  for (const auto& c : builtin_cards()) names += (names.empty() ? "" : ", ") + c.name;
  METAREC_THROW(InvalidArgument, "unknown dataset \"", spec,
                "\": not a file, a card or a built-in dataset (built-in: ", names,
                "; or synthetic:users=...,items=...)");
}

}  // namespace metarec
