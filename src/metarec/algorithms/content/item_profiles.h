// Item feature profiles for content-based recommendation: binary genre vectors, TF-IDF or BM25
// term weights over item text, and dense item vectors read from a file. Every profile is a sparse
// items x features matrix (dense vectors are stored as full rows).
//
// TF-IDF: G. Salton, C. Buckley, Term-weighting approaches in automatic text retrieval,
// Information Processing & Management 24(5), 1988. BM25: S. Robertson, H. Zaragoza, The
// Probabilistic Relevance Framework: BM25 and Beyond, Foundations and Trends in IR 3(4), 2009.
#pragma once

#include <metarec/core/sparse_matrix.h>
#include <metarec/data/id_map.h>
#include <metarec/data/metadata.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace metarec {

/// Splits `text` into lowercase tokens: maximal runs of ASCII letters and digits (every other
/// byte, including non-ASCII bytes, separates tokens). Tokens shorter than 2 characters and a
/// short list of English stop words ("the", "and", "of", ...) are dropped. "The Matrix (1999)"
/// gives {"matrix", "1999"}.
std::vector<std::string> tokenize(std::string_view text);

/// Binary genre profiles: row i has 1 in column g for every genre g of item i (items x genres).
/// Throws InvalidArgument when `meta` has no genres.
SparseMatrix genre_profiles(const ItemMeta& meta);

/// How term counts become weights.
enum class TermWeighting {
  kTfIdf,  ///< (1 + ln tf) * (ln((1 + N) / (1 + df)) + 1)
  kBm25,  ///< tf (k1 + 1) / (tf + k1 (1 - b + b |d| / avgdl)) * ln(1 + (N - df + 0.5) / (df + 0.5))
};

/// Which item fields make up an item's document.
struct TextFields {
  bool titles = true;
  bool texts = true;   ///< free text (tags, descriptions)
  bool genres = true;  ///< genre names, each as a token sequence
};

/// Term-weight profiles over the tokens of each item's document (fields joined by spaces), after
/// dropping tokens found in fewer than `min_df` documents. N is the number of items with a
/// non-empty document. `vocabulary`, when given, receives the kept tokens in column order
/// (sorted). Throws InvalidArgument when no field has any token left.
SparseMatrix text_profiles(const ItemMeta& meta, int32_t items, const TextFields& fields,
                           TermWeighting weighting, int min_df, double bm25_k1 = 1.2,
                           double bm25_b = 0.75, std::vector<std::string>* vocabulary = nullptr);

/// The dataset's dense item vectors as a sparse matrix (items x vector_dim, zeros dropped).
SparseMatrix vector_profiles(const ItemMeta& meta);

}  // namespace metarec
