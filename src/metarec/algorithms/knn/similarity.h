// Neighbourhood similarities between the rows (users or items) of a rating matrix, computed row by
// row in parallel with one dense accumulator per thread and kept sparse: only the largest positive
// similarities of each row are stored, never a dense n x n matrix.
#pragma once

#include <metarec/algorithms/recommender.h>
#include <metarec/core/sparse_matrix.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace metarec {

/// Similarity measures. The first group compares whole vectors (a missing entry counts as 0)
/// and serves ranking models; the second compares only co-rated entries, as Surprise defines
/// them, and serves the rating predictors.
enum class SimilarityKind {
  kCosine,           ///< x.y / (|x| |y|)
  kPearson,          ///< correlation of the whole vectors (zeros included)
  kAdjustedCosine,   ///< cosine after subtracting the other side's mean (item-item: user means)
  kJaccard,          ///< |common| / |union| of the interaction sets
  kBm25,             ///< cosine of BM25-weighted vectors (rows are documents, columns terms)
  kTfidf,            ///< cosine of TF-IDF-weighted vectors: sqrt(r) * idf
  kCoCosine,         ///< sum xy / sqrt(sum x^2 sum y^2) over co-rated entries
  kMsd,              ///< 1 / (mean squared difference over co-rated entries + 1)
  kCoPearson,        ///< Pearson correlation over co-rated entries (means of the common part)
  kPearsonBaseline,  ///< kCoCosine of the residuals r - (mu + b_u + b_i)
};

/// The ranking similarities by name: cosine, pearson, adjusted_cosine, jaccard, bm25, tfidf.
const std::vector<std::string>& ranking_similarity_names();
/// The rating-predictor similarities by name: msd, cosine, pearson, pearson_baseline.
const std::vector<std::string>& rating_similarity_names();
/// Throws InvalidArgument for a name outside the matching list.
SimilarityKind parse_ranking_similarity(const std::string& name);
SimilarityKind parse_rating_similarity(const std::string& name);

struct SimilarityOptions {
  SimilarityKind kind = SimilarityKind::kCosine;
  bool user_based = false;  ///< rows are users (else items)
  bool binary = false;      ///< every interaction counts as 1 (its value is ignored)
  int32_t neighbors = 100;  ///< similarities kept per row: the largest positive ones
  int32_t min_support = 1;  ///< pairs with fewer common entries get no similarity
  double shrinkage = 0;     ///< sim *= n / (n + shrinkage), n = number of common entries
  double bm25_k1 = 100, bm25_b = 0.8;
  /// kPearsonBaseline: the baseline mu + b_u + b_i removed from every rating.
  double mu = 0;
  std::span<const float> user_bias, item_bias;
};

/// The rows x rows similarity matrix of `train` (rows = users when `user_based`, else items):
/// row a holds the `neighbors` largest positive similarities sim(a, b), b != a, with at least
/// `min_support` common entries; ties are broken by the smaller index. Runs on ctx.threads
/// threads with dynamic scheduling over rows; the result does not depend on the thread count.
/// Memory: O(nnz + rows * neighbors) plus one dense accumulator of length rows per thread.
SparseMatrix knn_similarities(const Interactions& train, const SimilarityOptions& o,
                              const FitContext& ctx);

/// The parameters shared by the ranking neighbourhood models (item_knn, user_knn): k, similarity,
/// shrinkage, min_support, binary, bm25_k1, bm25_b. The defaults of k and similarity differ
/// between the two.
ParamSchema ranking_knn_schema(int64_t default_k, const std::string& default_similarity);
/// SimilarityOptions from parameters declared by ranking_knn_schema(); rejects combinations
/// that cannot work (adjusted_cosine on binarized data).
SimilarityOptions ranking_knn_options(const Params& p, bool user_based,
                                      const std::string& algorithm);

}  // namespace metarec
