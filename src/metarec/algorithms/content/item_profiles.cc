// Building item profiles: tokenizer, genre, TF-IDF/BM25 and dense-vector matrices.
#include <metarec/algorithms/content/item_profiles.h>
#include <metarec/core/error.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <unordered_map>

namespace metarec {

namespace {

bool is_stop_word(std::string_view t) {
  static constexpr std::array<std::string_view, 32> kStop = {
      "a",   "an",   "and",  "are",  "as", "at", "be", "by",   "for", "from", "has",
      "in",  "is",   "it",   "its",  "of", "on", "or", "that", "the", "this", "to",
      "was", "were", "will", "with", "de", "la", "le", "les",  "el",  "der"};
  return std::find(kStop.begin(), kStop.end(), t) != kStop.end();
}

bool is_word_byte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

}  // namespace

std::vector<std::string> tokenize(std::string_view text) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && !is_word_byte(static_cast<unsigned char>(text[i]))) ++i;
    size_t j = i;
    while (j < text.size() && is_word_byte(static_cast<unsigned char>(text[j]))) ++j;
    if (j - i >= 2) {
      std::string t(text.substr(i, j - i));
      for (char& c : t)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      if (!is_stop_word(t)) out.push_back(std::move(t));
    }
    i = j;
  }
  return out;
}

SparseMatrix genre_profiles(const ItemMeta& meta) {
  METAREC_CHECK(meta.has_genres() && !meta.genre_names.empty(),
                "content: the dataset has no item genres");
  std::vector<std::vector<std::pair<int32_t, float>>> rows(meta.genres.size());
  for (size_t i = 0; i < meta.genres.size(); ++i)
    for (int32_t g : meta.genres[i]) rows[i].push_back({g, 1.0f});
  return SparseMatrix::from_rows(static_cast<int32_t>(meta.genre_names.size()), std::move(rows));
}

SparseMatrix text_profiles(const ItemMeta& meta, int32_t items, const TextFields& fields,
                           TermWeighting weighting, int min_df, double bm25_k1, double bm25_b,
                           std::vector<std::string>* vocabulary) {
  METAREC_CHECK(min_df >= 1, "content: min_df must be >= 1, got ", min_df);
  // Term counts per item, on a provisional vocabulary.
  std::unordered_map<std::string, int32_t> ids;
  std::vector<std::string> words;
  std::vector<std::map<int32_t, int>> counts(static_cast<size_t>(items));
  std::vector<int64_t> length(static_cast<size_t>(items), 0);
  auto add_text = [&](int32_t item, std::string_view text) {
    for (auto& t : tokenize(text)) {
      auto [it, fresh] = ids.try_emplace(t, static_cast<int32_t>(words.size()));
      if (fresh) words.push_back(t);
      ++counts[item][it->second];
      ++length[item];
    }
  };
  for (int32_t i = 0; i < items; ++i) {
    if (fields.titles && meta.has_titles()) add_text(i, meta.titles[i]);
    if (fields.texts && meta.has_texts()) add_text(i, meta.texts[i]);
    if (fields.genres && meta.has_genres())
      for (int32_t g : meta.genres[i]) add_text(i, meta.genre_names[g]);
  }
  std::vector<int64_t> df(words.size(), 0);
  int64_t docs = 0, total_length = 0;
  for (int32_t i = 0; i < items; ++i) {
    if (!counts[i].empty()) ++docs;
    total_length += length[i];
    for (const auto& [w, c] : counts[i]) ++df[w];
  }
  // Kept tokens in sorted order become the columns.
  std::vector<int32_t> order;
  for (int32_t w = 0; w < static_cast<int32_t>(words.size()); ++w)
    if (df[w] >= min_df) order.push_back(w);
  METAREC_CHECK(!order.empty(),
                "content: no item text (titles, texts or genre names) with a "
                "token in at least min_df = ",
                min_df, " items");
  std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return words[a] < words[b]; });
  std::vector<int32_t> column(words.size(), -1);
  for (size_t c = 0; c < order.size(); ++c) column[order[c]] = static_cast<int32_t>(c);
  if (vocabulary) {
    vocabulary->clear();
    for (int32_t w : order) vocabulary->push_back(words[w]);
  }
  const double n = static_cast<double>(docs);
  const double avgdl = docs > 0 ? static_cast<double>(total_length) / n : 1.0;
  std::vector<std::vector<std::pair<int32_t, float>>> rows(static_cast<size_t>(items));
  for (int32_t i = 0; i < items; ++i) {
    for (const auto& [w, c] : counts[i]) {
      if (column[w] < 0) continue;
      const double tf = c, d = static_cast<double>(df[w]);
      double v;
      if (weighting == TermWeighting::kTfIdf) {
        v = (1.0 + std::log(tf)) * (std::log((1.0 + n) / (1.0 + d)) + 1.0);
      } else {
        const double norm =
            bm25_k1 * (1.0 - bm25_b + bm25_b * static_cast<double>(length[i]) / avgdl);
        v = tf * (bm25_k1 + 1.0) / (tf + norm) * std::log(1.0 + (n - d + 0.5) / (d + 0.5));
      }
      rows[i].push_back({column[w], static_cast<float>(v)});
    }
  }
  return SparseMatrix::from_rows(static_cast<int32_t>(order.size()), std::move(rows));
}

SparseMatrix vector_profiles(const ItemMeta& meta) {
  const int32_t d = meta.vector_dim;
  const size_t items = d > 0 ? meta.vectors.size() / static_cast<size_t>(d) : 0;
  std::vector<std::vector<std::pair<int32_t, float>>> rows(items);
  for (size_t i = 0; i < items; ++i)
    for (int32_t k = 0; k < d; ++k)
      if (const float v = meta.vectors[i * static_cast<size_t>(d) + static_cast<size_t>(k)]; v != 0)
        rows[i].push_back({k, v});
  return SparseMatrix::from_rows(d, std::move(rows));
}

}  // namespace metarec
