// The hashed TF-IDF algorithm encoder, the per-algorithm documents and the catalog embeddings.
#include <metarec/core/error.h>
#include <metarec/meta/embed.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

namespace metarec {

namespace {

bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_word(char c) { return is_lower(c) || is_upper(c) || is_digit(c) || c == '_'; }
char to_lower(char c) { return is_upper(c) ? static_cast<char>(c - 'A' + 'a') : c; }

// C++ keywords, alternative operator spellings and preprocessor directives. They are the syntax
// every file shares, so they say nothing about which algorithm a file implements.
const std::unordered_set<std::string>& dropped_words() {
  static const std::unordered_set<std::string> words = {
      "alignas",       "alignof",     "and",
      "and_eq",        "asm",         "auto",
      "bitand",        "bitor",       "bool",
      "break",         "case",        "catch",
      "char",          "char8_t",     "char16_t",
      "char32_t",      "class",       "compl",
      "concept",       "const",       "consteval",
      "constexpr",     "constinit",   "const_cast",
      "continue",      "co_await",    "co_return",
      "co_yield",      "decltype",    "default",
      "delete",        "do",          "double",
      "dynamic_cast",  "else",        "enum",
      "explicit",      "export",      "extern",
      "false",         "float",       "for",
      "friend",        "goto",        "if",
      "inline",        "int",         "long",
      "mutable",       "namespace",   "new",
      "noexcept",      "not",         "not_eq",
      "nullptr",       "operator",    "or",
      "or_eq",         "private",     "protected",
      "public",        "register",    "reinterpret_cast",
      "requires",      "return",      "short",
      "signed",        "sizeof",      "static",
      "static_assert", "static_cast", "struct",
      "switch",        "template",    "this",
      "thread_local",  "throw",       "true",
      "try",           "typedef",     "typeid",
      "typename",      "union",       "unsigned",
      "using",         "virtual",     "void",
      "volatile",      "wchar_t",     "while",
      "xor",           "xor_eq",      "override",
      "final",         "include",     "pragma",
      "define",        "ifdef",       "ifndef",
      "endif",         "elif",        "undef",
  };
  return words;
}

// Appends the lower-cased camelCase pieces of one snake_case part (no '_' inside).
void split_camel(std::string_view part, std::vector<std::string>& pieces) {
  size_t start = 0;
  for (size_t j = 1; j < part.size(); ++j) {
    const char prev = part[j - 1], c = part[j];
    const bool lower_to_upper = (is_lower(prev) || is_digit(prev)) && is_upper(c);
    const bool acronym_end =
        is_upper(prev) && is_upper(c) && j + 1 < part.size() && is_lower(part[j + 1]);
    if (lower_to_upper || acronym_end) {
      pieces.emplace_back(part.substr(start, j - start));
      start = j;
    }
  }
  if (start < part.size()) pieces.emplace_back(part.substr(start));
}

bool keep_token(const std::string& t) {
  if (t.size() < 2) return false;
  if (std::all_of(t.begin(), t.end(), is_digit)) return false;
  return dropped_words().count(t) == 0;
}

// The splitmix64 finalizer: spreads FNV-1a's bits so that both the low bits (bucket) and the top
// bit (sign) are well mixed.
uint64_t mix64(uint64_t z) {
  z ^= z >> 30;
  z *= 0xbf58476d1ce4e5b9ULL;
  z ^= z >> 27;
  z *= 0x94d049bb133111ebULL;
  z ^= z >> 31;
  return z;
}

// Features of a text with counts, sorted by feature string so that every later sum runs in one
// fixed order (bit-for-bit determinism on every platform).
std::vector<std::pair<std::string, int>> count_features(const std::string& text,
                                                        const HashedTfIdfEncoder::Options& o) {
  const std::vector<std::string> tokens = tokenize_code(text);
  std::unordered_map<std::string, int> counts;
  counts.reserve(tokens.size() * 2);
  for (size_t i = 0; i < tokens.size(); ++i) {
    ++counts["u:" + tokens[i]];
    if (o.bigrams && i + 1 < tokens.size()) ++counts["b:" + tokens[i] + " " + tokens[i + 1]];
    if (o.char_ngram_min > 0) {
      const std::string marked = "<" + tokens[i] + ">";
      for (int n = o.char_ngram_min; n <= o.char_ngram_max; ++n)
        for (size_t s = 0; s + n <= marked.size(); ++s) ++counts["c:" + marked.substr(s, n)];
    }
  }
  std::vector<std::pair<std::string, int>> sorted(counts.begin(), counts.end());
  std::sort(sorted.begin(), sorted.end());
  return sorted;
}

std::string read_source(const std::string& algorithm, const std::filesystem::path& root,
                        const std::string& relative) {
  const std::filesystem::path path = root / relative;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    METAREC_THROW(IoError, "algorithm '", algorithm, "': source file ", path.string(),
                  " does not exist (card sources are read relative to the source root ",
                  root.string(), ")");
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in && !in.eof())
    METAREC_THROW(IoError, "algorithm '", algorithm, "': cannot read source file ", path.string());
  return text.str();
}

}  // namespace

std::vector<std::string> tokenize_code(std::string_view text) {
  std::vector<std::string> tokens;
  std::vector<std::string> pieces;
  size_t i = 0;
  while (i < text.size()) {
    if (!is_word(text[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < text.size() && is_word(text[j])) ++j;
    const std::string_view word = text.substr(i, j - i);
    i = j;
    // A keyword spelled with underscores (static_cast, char8_t) is dropped whole.
    std::string lowered(word);
    for (char& c : lowered) c = to_lower(c);
    if (dropped_words().count(lowered)) continue;
    pieces.clear();
    size_t start = 0;
    for (size_t k = 0; k <= word.size(); ++k) {
      if (k == word.size() || word[k] == '_') {
        if (k > start) split_camel(word.substr(start, k - start), pieces);
        start = k + 1;
      }
    }
    for (std::string& p : pieces) {
      for (char& c : p) c = to_lower(c);
      if (keep_token(p)) tokens.push_back(std::move(p));
    }
  }
  return tokens;
}

uint64_t fnv1a_64(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (const char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

HashedTfIdfEncoder::HashedTfIdfEncoder(Options options) : options_(options) {
  METAREC_CHECK(options_.dim > 0, "embedding dimension must be > 0, got ", options_.dim);
  METAREC_CHECK(options_.char_ngram_min >= 0 && options_.char_ngram_max >= options_.char_ngram_min,
                "character n-gram range must satisfy 0 <= min <= max, got [",
                options_.char_ngram_min, ", ", options_.char_ngram_max, "]");
  METAREC_CHECK(options_.char_ngram_min != 0 || options_.char_ngram_max == 0,
                "character n-grams: min 0 disables them, so max must be 0 too, got ",
                options_.char_ngram_max);
}

std::string HashedTfIdfEncoder::name() const {
  std::string n =
      "hashed-tfidf-" + std::to_string(options_.dim) + (options_.bigrams ? "-uni+bi" : "-uni");
  if (options_.char_ngram_min > 0)
    n += "+char" + std::to_string(options_.char_ngram_min) + "-" +
         std::to_string(options_.char_ngram_max);
  return n;
}

void HashedTfIdfEncoder::fit(const std::vector<std::string>& corpus) {
  document_frequency_.clear();
  std::unordered_map<std::string, int> df;
  for (const std::string& doc : corpus)
    for (const auto& [feature, count] : count_features(doc, options_)) ++df[feature];
  document_frequency_.insert(df.begin(), df.end());
  documents_ = static_cast<int>(corpus.size());
}

double HashedTfIdfEncoder::idf(const std::string& feature) const {
  if (documents_ == 0) return 1.0;
  const auto it = document_frequency_.find(feature);
  const int df = it == document_frequency_.end() ? 0 : it->second;
  return std::log((1.0 + documents_) / (1.0 + df));
}

std::map<std::string, int> HashedTfIdfEncoder::features(const std::string& text) const {
  const auto sorted = count_features(text, options_);
  return std::map<std::string, int>(sorted.begin(), sorted.end());
}

std::pair<int, float> HashedTfIdfEncoder::bucket(std::string_view feature, int dim) {
  const uint64_t h = mix64(fnv1a_64(feature));
  return {static_cast<int>(h % static_cast<uint64_t>(dim)), (h >> 63) ? -1.0f : 1.0f};
}

std::vector<float> HashedTfIdfEncoder::encode(const std::string& text) const {
  std::vector<double> v(options_.dim, 0.0);
  for (const auto& [feature, count] : count_features(text, options_)) {
    const double w = (1.0 + std::log(static_cast<double>(count))) * idf(feature);
    if (w == 0.0) continue;
    const auto [b, sign] = bucket(feature, options_.dim);
    v[b] += sign * w;
  }
  double norm = 0;
  for (const double x : v) norm += x * x;
  norm = std::sqrt(norm);
  std::vector<float> out(options_.dim, 0.0f);
  if (norm > 0)
    for (int d = 0; d < options_.dim; ++d) out[d] = static_cast<float>(v[d] / norm);
  return out;
}

std::string algorithm_document(const AlgorithmInfo& a, const std::string& source_root) {
  const AlgorithmCard& c = a.card;
  std::ostringstream doc;
  doc << "algorithm " << a.name << "\nfamily " << c.family << "\nfeedback"
      << (c.explicit_feedback ? " explicit" : "") << (c.implicit_feedback ? " implicit" : "")
      << "\n"
      << (c.predicts_ratings ? "predicts ratings" : "ranks items") << "\nside information";
  for (const auto& s : c.side_info) doc << " " << s;
  doc << "\ncost " << c.cost << "\n" << c.description << "\n" << c.paper << "\nparameters\n";
  for (const auto& p : a.schema) doc << p.name << ": " << p.help << "\n";
  const std::filesystem::path root(source_root);
  for (const auto& rel : c.sources)
    doc << "\nfile " << rel << "\n" << read_source(a.name, root, rel);
  return doc.str();
}

std::vector<AlgorithmEmbedding> embed_catalog(AlgorithmEncoder& encoder,
                                              const std::string& source_root) {
  const auto& algorithms = catalog();
  std::vector<std::string> documents;
  documents.reserve(algorithms.size());
  for (const auto& a : algorithms) documents.push_back(algorithm_document(a, source_root));
  encoder.fit(documents);
  std::vector<AlgorithmEmbedding> out;
  out.reserve(algorithms.size());
  for (size_t i = 0; i < algorithms.size(); ++i)
    out.push_back({algorithms[i].name, encoder.encode(documents[i])});
  return out;
}

double cosine_similarity(const std::vector<float>& a, const std::vector<float>& b) {
  METAREC_CHECK(a.size() == b.size(), "cosine similarity of vectors of different lengths ",
                a.size(), " and ", b.size());
  double dot = 0, na = 0, nb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    dot += static_cast<double>(a[i]) * b[i];
    na += static_cast<double>(a[i]) * a[i];
    nb += static_cast<double>(b[i]) * b[i];
  }
  return na > 0 && nb > 0 ? dot / std::sqrt(na * nb) : 0.0;
}

std::vector<std::vector<double>> similarity_matrix(const std::vector<AlgorithmEmbedding>& e) {
  const size_t n = e.size();
  std::vector<std::vector<double>> s(n, std::vector<double>(n, 0.0));
  for (size_t i = 0; i < n; ++i)
    for (size_t j = i; j < n; ++j) s[i][j] = s[j][i] = cosine_similarity(e[i].vector, e[j].vector);
  return s;
}

std::vector<int> nearest_neighbours(const std::vector<std::vector<double>>& similarity, int i,
                                    int k) {
  const int n = static_cast<int>(similarity.size());
  METAREC_CHECK(i >= 0 && i < n, "row ", i, " is outside the ", n, " x ", n, " similarity matrix");
  METAREC_CHECK(k >= 0, "k must be >= 0, got ", k);
  std::vector<int> others;
  for (int j = 0; j < n; ++j)
    if (j != i) others.push_back(j);
  const auto& row = similarity[i];
  std::stable_sort(others.begin(), others.end(), [&](int a, int b) { return row[a] > row[b]; });
  if (static_cast<int>(others.size()) > k) others.resize(k);
  return others;
}

}  // namespace metarec
