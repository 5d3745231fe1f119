// Side information about items (titles, multi-valued genres/tags, free text) and users
// (categorical attributes), indexed by the dataset's dense ids.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace metarec {

/// Item side information. Every per-item vector is empty or has one entry per dense item.
struct ItemMeta {
  std::vector<std::string> titles;
  std::vector<std::string> genre_names;      ///< vocabulary of genres/tags/categories
  std::vector<std::vector<int32_t>> genres;  ///< per item: sorted ids into genre_names
  std::vector<std::string> texts;            ///< per item: free text (tags, descriptions)
  /// Dense item vectors computed elsewhere (text or image embeddings), items x vector_dim
  /// row-major; an item without a vector has a row of zeros.
  std::vector<float> vectors;
  int32_t vector_dim = 0;
  int64_t unmatched_rows = 0;  ///< metadata rows whose item id is not in the interactions

  bool has_titles() const { return !titles.empty(); }
  bool has_genres() const { return !genres.empty(); }
  bool has_texts() const { return !texts.empty(); }
  bool has_vectors() const { return vector_dim > 0; }
};

/// User side information: categorical attributes, values[a][u] for attribute a and dense user u.
struct UserMeta {
  std::vector<std::string> attribute_names;
  std::vector<std::vector<std::string>> values;
  int64_t unmatched_rows = 0;

  bool empty() const { return attribute_names.empty(); }
};

}  // namespace metarec
