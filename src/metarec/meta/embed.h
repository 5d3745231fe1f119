// Algorithm embeddings: a 768-dimensional vector per catalog algorithm, encoded from its card and
// its own source files (the seed design used CodeBERT; the default here needs no model weights).
#pragma once

#include <metarec/algorithms/catalog.h>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace metarec {

/// The embedding width of the seed design (CodeBERT's hidden size).
inline constexpr int kEmbeddingDim = 768;

/// Turns a document (C++ source or prose) into a vector. Implementations are used in two steps:
/// fit() once over the whole corpus (e.g. to learn IDF), then encode() any number of times.
/// encode() is const and thread-safe once fit() has returned.
class AlgorithmEncoder {
 public:
  virtual ~AlgorithmEncoder() = default;
  /// Learns corpus-level statistics from every document that will be compared. Calling it again
  /// replaces what was learnt. The default learns nothing.
  virtual void fit(const std::vector<std::string>& corpus) { (void)corpus; }
  /// A vector of dim() floats.
  virtual std::vector<float> encode(const std::string& text) const = 0;
  virtual int dim() const = 0;
  /// A short identifier of the encoder and its settings, e.g. "hashed-tfidf-768".
  virtual std::string name() const = 0;
};

/// Splits C++ source or prose into lower-case word tokens. Identifiers are split on snake_case and
/// camelCase, with a run of capitals read as one acronym, and digits stay with the letters before
/// them ("ItemKNNModel_v2" -> item, knn, model, v2; "bm25" and "l2" stay whole). Dropped:
/// punctuation and operators, pure numbers, one-character tokens and C++ keywords (syntax every
/// file shares; they would only add bigram noise). Comments and string literals are kept: they
/// name the paper and the maths.
std::vector<std::string> tokenize_code(std::string_view text);

/// 64-bit FNV-1a of the bytes of `s` (offset basis 0xcbf29ce484222325, prime 0x100000001b3).
/// The same on every platform, unlike std::hash.
uint64_t fnv1a_64(std::string_view s);

/// The default offline encoder: a signed, feature-hashed bag of unigrams and bigrams (optionally
/// character n-grams of each token), weighted by sublinear TF (1 + ln tf) times smoothed IDF
/// ln((1 + N) / (1 + df)) learnt by fit() over N documents, and L2-normalized. A feature present
/// in every fitted document gets weight 0; before fit() every IDF is 1. Feature f lands in
/// bucket mix(fnv1a_64(f)) mod dim with sign +1 or -1 from the mixed hash's top bit.
class HashedTfIdfEncoder : public AlgorithmEncoder {
 public:
  struct Options {
    int dim = kEmbeddingDim;
    bool bigrams = true;
    /// Character n-grams of each token with boundary marks ("<svd>" -> "<sv", "svd", "vd>"), n in
    /// [char_ngram_min, char_ngram_max]; 0 disables them.
    int char_ngram_min = 0;
    int char_ngram_max = 0;
  };

  HashedTfIdfEncoder() : HashedTfIdfEncoder(Options{}) {}
  explicit HashedTfIdfEncoder(Options options);

  void fit(const std::vector<std::string>& corpus) override;
  std::vector<float> encode(const std::string& text) const override;
  int dim() const override { return options_.dim; }
  std::string name() const override;

  /// The features of a text with their counts: "u:word", "b:word word", "c:<wo" strings.
  std::map<std::string, int> features(const std::string& text) const;
  /// The IDF of a feature string (1 before fit(); ln(1 + N) for a feature no document holds).
  double idf(const std::string& feature) const;
  /// The bucket and sign a feature string hashes to.
  static std::pair<int, float> bucket(std::string_view feature, int dim);

 private:
  Options options_;
  int documents_ = 0;  // N of the last fit(); 0 = not fitted
  std::map<std::string, int> document_frequency_;
};

/// The text of an algorithm's document: its name, card (family, feedback kinds, whether it
/// predicts ratings, side information, cost, description, paper), parameter names and help, then
/// the contents of each of its card's `sources`, read relative to `source_root`. Throws IoError
/// naming the algorithm and the file when a source file is missing or unreadable.
std::string algorithm_document(const AlgorithmInfo& algorithm, const std::string& source_root);

/// One catalog algorithm's vector.
struct AlgorithmEmbedding {
  std::string name;
  std::vector<float> vector;  ///< encoder.dim() floats
};

/// Fits `encoder` on the documents of every catalog algorithm and encodes each, in catalog order.
/// Deterministic: the same catalog, sources and encoder give the same vectors bit for bit.
std::vector<AlgorithmEmbedding> embed_catalog(AlgorithmEncoder& encoder,
                                              const std::string& source_root = METAREC_SOURCE_DIR);

/// Cosine similarity of two vectors of equal length (0 when either is zero).
double cosine_similarity(const std::vector<float>& a, const std::vector<float>& b);
/// The n x n matrix of cosine similarities, row-major.
std::vector<std::vector<double>> similarity_matrix(const std::vector<AlgorithmEmbedding>& e);
/// Indices of the k rows most similar to row i of a similarity matrix (excluding i), most similar
/// first; ties broken by index.
std::vector<int> nearest_neighbours(const std::vector<std::vector<double>>& similarity, int i,
                                    int k);

}  // namespace metarec
