// Algorithm embeddings: the tokenizer, the hash, the TF-IDF weights on a hand-built corpus, and
// the catalog's embeddings (one per algorithm, unit norm, deterministic, related ones near).
#include <gtest/gtest.h>
#include <metarec/core/error.h>
#include <metarec/meta/embed.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "../cli/run_cli.h"

namespace metarec {
namespace {

using Tokens = std::vector<std::string>;

// The catalog's embeddings, computed once for the tests that only read them.
const std::vector<AlgorithmEmbedding>& catalog_embeddings() {
  static const std::vector<AlgorithmEmbedding> e = [] {
    HashedTfIdfEncoder encoder;
    return embed_catalog(encoder, METAREC_SOURCE_DIR);
  }();
  return e;
}

int index_of(const std::vector<AlgorithmEmbedding>& e, const std::string& name) {
  for (size_t i = 0; i < e.size(); ++i)
    if (e[i].name == name) return static_cast<int>(i);
  ADD_FAILURE() << name << " is not in the catalog";
  return 0;
}

double norm(const std::vector<float>& v) {
  double s = 0;
  for (const float x : v) s += static_cast<double>(x) * x;
  return std::sqrt(s);
}

TEST(EmbedTokenizer, SplitsCamelCaseAndSnakeCase) {
  EXPECT_EQ(tokenize_code("ItemKnn item_knn ITEMKnn"),
            (Tokens{"item", "knn", "item", "knn", "item", "knn"}));
  EXPECT_EQ(tokenize_code("HTTPServer getX2Value fit_SGD_epoch"),
            (Tokens{"http", "server", "get", "x2", "value", "fit", "sgd", "epoch"}));
  // Digits stay with the letters before them.
  EXPECT_EQ(tokenize_code("bm25 l2_reg fnv1a svdpp"),
            (Tokens{"bm25", "l2", "reg", "fnv1a", "svdpp"}));
}

TEST(EmbedTokenizer, DropsKeywordsPunctuationNumbersAndSingleLetters) {
  EXPECT_EQ(tokenize_code("for (int i = 0; i < n_users; ++i) sum += 42 * l2_reg;"),
            (Tokens{"users", "sum", "l2", "reg"}));
  EXPECT_EQ(tokenize_code("static_cast<float>(x) -> const auto& {}"), Tokens{});
  EXPECT_EQ(tokenize_code("#include <metarec/core/top_k.h>"), (Tokens{"metarec", "core", "top"}));
  // Comments and prose are kept, lower-cased.
  EXPECT_EQ(tokenize_code("// Koren 2009: SVD++, the Netflix Prize."),
            (Tokens{"koren", "svd", "the", "netflix", "prize"}));
  EXPECT_EQ(tokenize_code(""), Tokens{});
}

TEST(EmbedHash, Fnv1aMatchesPublishedValues) {
  // Test vectors of the FNV specification (64-bit FNV-1a).
  EXPECT_EQ(fnv1a_64(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(fnv1a_64("a"), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(fnv1a_64("foobar"), 0x85944171f73967e8ULL);
}

TEST(EmbedHash, BucketsAreStable) {
  // Computed by hand (an independent Python implementation of FNV-1a + splitmix64's finalizer).
  EXPECT_EQ(HashedTfIdfEncoder::bucket("u:svd", 768), std::make_pair(643, -1.0f));
  EXPECT_EQ(HashedTfIdfEncoder::bucket("u:beta", 768), std::make_pair(414, -1.0f));
  EXPECT_EQ(HashedTfIdfEncoder::bucket("u:gamma", 768), std::make_pair(394, 1.0f));
}

TEST(EmbedEncoder, FeaturesAreUnigramsAndBigrams) {
  HashedTfIdfEncoder encoder;
  const std::map<std::string, int> expected = {
      {"u:item", 2}, {"u:knn", 1}, {"b:item knn", 1}, {"b:knn item", 1}};
  EXPECT_EQ(encoder.features("ItemKnn item"), expected);
  HashedTfIdfEncoder chars({kEmbeddingDim, false, 3, 3});
  const std::map<std::string, int> expected_chars = {
      {"u:svd", 1}, {"c:<sv", 1}, {"c:svd", 1}, {"c:vd>", 1}};
  EXPECT_EQ(chars.features("svd"), expected_chars);
}

TEST(EmbedEncoder, IdfDownWeightsATokenInEveryDocument) {
  HashedTfIdfEncoder encoder({kEmbeddingDim, false, 0, 0});
  EXPECT_EQ(encoder.idf("u:alpha"), 1.0);  // before fit(): plain TF
  encoder.fit({"alpha beta", "alpha gamma gamma", "alpha delta"});
  // ln((1 + N) / (1 + df)) with N = 3.
  EXPECT_DOUBLE_EQ(encoder.idf("u:alpha"), 0.0);            // df 3
  EXPECT_DOUBLE_EQ(encoder.idf("u:beta"), std::log(2.0));   // df 1
  EXPECT_DOUBLE_EQ(encoder.idf("u:gamma"), std::log(2.0));  // df 1 (twice in one document)
  EXPECT_DOUBLE_EQ(encoder.idf("u:unseen"), std::log(4.0));

  // "alpha beta gamma gamma": alpha weighs 0, beta 1 * ln 2, gamma (1 + ln 2) * ln 2; after L2
  // normalization ln 2 cancels: beta 1 / sqrt(1 + a^2), gamma a / sqrt(1 + a^2), a = 1 + ln 2.
  const std::vector<float> v = encoder.encode("alpha beta gamma gamma");
  ASSERT_EQ(v.size(), 768u);
  const double a = 1.0 + std::log(2.0);
  EXPECT_NEAR(v[414], -1.0 / std::sqrt(1.0 + a * a), 1e-6);  // u:beta, sign -1
  EXPECT_NEAR(v[394], a / std::sqrt(1.0 + a * a), 1e-6);     // u:gamma, sign +1
  for (int d = 0; d < 768; ++d)
    if (d != 414 && d != 394) {
      EXPECT_EQ(v[d], 0.0f) << "dimension " << d;
    }

  // A text made only of the everywhere-token has nothing left: the zero vector.
  const std::vector<float> only_alpha = encoder.encode("alpha alpha");
  EXPECT_EQ(norm(only_alpha), 0.0);
}

TEST(EmbedEncoder, IdenticalDocumentsAreEqualAndUnrelatedOnesLower) {
  HashedTfIdfEncoder encoder;
  const std::string mf =
      "// Matrix factorization: SGD over latent factors p_u, q_i.\n"
      "void sgd_epoch(float learning_rate, float reg_factors);";
  const std::string mf_again = mf;
  const std::string knn =
      "// Item neighbours by cosine similarity with shrinkage.\n"
      "float cosine_similarity(const SparseRow& a, const SparseRow& b);";
  const std::string common = "namespace metarec { class Recommender; }";
  encoder.fit({mf, mf_again, knn, common});
  const auto a = encoder.encode(mf), b = encoder.encode(mf_again), c = encoder.encode(knn);
  EXPECT_EQ(a, b);
  EXPECT_NEAR(cosine_similarity(a, b), 1.0, 1e-6);
  EXPECT_LT(cosine_similarity(a, c), 0.5);
}

TEST(EmbedEncoder, RejectsBadOptions) {
  EXPECT_THROW(HashedTfIdfEncoder({0, true, 0, 0}), InvalidArgument);
  EXPECT_THROW(HashedTfIdfEncoder({768, true, 4, 3}), InvalidArgument);
  EXPECT_THROW(HashedTfIdfEncoder({768, true, 0, 3}), InvalidArgument);
}

TEST(CatalogEmbeddings, EveryAlgorithmHasSourcesThatExist) {
  for (const auto& a : catalog()) {
    EXPECT_FALSE(a.card.sources.empty()) << a.name << " lists no source files";
    for (const auto& s : a.card.sources) {
      EXPECT_TRUE(std::filesystem::is_regular_file(std::filesystem::path(METAREC_SOURCE_DIR) / s))
          << a.name << ": " << s;
    }
  }
}

TEST(CatalogEmbeddings, OneUnitVectorOf768PerAlgorithm) {
  const auto& e = catalog_embeddings();
  ASSERT_EQ(e.size(), catalog().size());
  for (size_t i = 0; i < e.size(); ++i) {
    EXPECT_EQ(e[i].name, catalog()[i].name);
    ASSERT_EQ(e[i].vector.size(), 768u) << e[i].name;
    EXPECT_NEAR(norm(e[i].vector), 1.0, 1e-5) << e[i].name;
  }
}

TEST(CatalogEmbeddings, Deterministic) {
  HashedTfIdfEncoder encoder;
  const auto again = embed_catalog(encoder, METAREC_SOURCE_DIR);
  const auto& e = catalog_embeddings();
  ASSERT_EQ(again.size(), e.size());
  for (size_t i = 0; i < e.size(); ++i) EXPECT_EQ(again[i].vector, e[i].vector) << e[i].name;
}

TEST(CatalogEmbeddings, RelatedAlgorithmsAreNear) {
  const auto& e = catalog_embeddings();
  const auto s = similarity_matrix(e);
  auto top3 = [&](const std::string& name) {
    std::vector<std::string> names;
    for (const int j : nearest_neighbours(s, index_of(e, name), 3)) names.push_back(e[j].name);
    return names;
  };
  auto contains = [](const std::vector<std::string>& v, const std::string& x) {
    return std::find(v.begin(), v.end(), x) != v.end();
  };
  EXPECT_TRUE(contains(top3("svd"), "funk_mf"));
  EXPECT_TRUE(contains(top3("svd"), "svdpp"));
  EXPECT_TRUE(contains(top3("item_knn"), "user_knn"));
  EXPECT_TRUE(contains(top3("fm"), "fm_als"));
  EXPECT_TRUE(contains(top3("als"), "ials"));
  // Related pairs are nearer than unrelated ones.
  EXPECT_GT(s[index_of(e, "svd")][index_of(e, "svdpp")],
            s[index_of(e, "svd")][index_of(e, "item_knn")]);
  EXPECT_GT(s[index_of(e, "item_knn")][index_of(e, "user_knn")],
            s[index_of(e, "item_knn")][index_of(e, "fm")]);
}

TEST(CatalogEmbeddings, MissingSourceFileIsNamed) {
  HashedTfIdfEncoder encoder;
  const std::string root = "/nonexistent/metarec-root";
  try {
    embed_catalog(encoder, root);
    FAIL() << "expected IoError";
  } catch (const IoError& err) {
    const std::string what = err.what();
    const auto& first = catalog().front();
    EXPECT_NE(what.find(first.name), std::string::npos) << what;
    EXPECT_NE(what.find(root + "/" + first.card.sources.front()), std::string::npos) << what;
  }
}

TEST(EmbeddingSimilarity, NearestNeighboursAndCosine) {
  const std::vector<std::vector<double>> s = {
      {1.0, 0.2, 0.9, 0.2}, {0.2, 1.0, 0.1, 0.5}, {0.9, 0.1, 1.0, 0.3}, {0.2, 0.5, 0.3, 1.0}};
  EXPECT_EQ(nearest_neighbours(s, 0, 2), (std::vector<int>{2, 1}));  // tie 1 vs 3 -> lower index
  EXPECT_EQ(nearest_neighbours(s, 1, 10), (std::vector<int>{3, 0, 2}));
  EXPECT_THROW(nearest_neighbours(s, 4, 1), InvalidArgument);
  EXPECT_DOUBLE_EQ(cosine_similarity({1, 0}, {0, 1}), 0.0);
  EXPECT_NEAR(cosine_similarity({1, 1}, {2, 2}), 1.0, 1e-12);
  EXPECT_EQ(cosine_similarity({0, 0}, {1, 1}), 0.0);
  EXPECT_THROW(cosine_similarity({1}, {1, 2}), InvalidArgument);
}

// `metarec embed` end to end: the JSON lists every algorithm with 3 neighbours, and --heatmap
// writes an SVG (skipped when gnuplot is not installed).
TEST(EmbedCommand, JsonAndHeatmap) {
  const std::string svg =
      (std::filesystem::temp_directory_path() / "metarec_embed_test_heatmap.svg").string();
  std::filesystem::remove(svg);
  const bool gnuplot = std::system("gnuplot --version > /dev/null 2>&1") == 0;
  const auto r = metarec::testing::run_cli(std::string("embed --json") +
                                           (gnuplot ? " --heatmap " + svg : std::string()));
  ASSERT_EQ(r.code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["dim"], 768);
  ASSERT_EQ(j["algorithms"].size(), catalog().size());
  EXPECT_EQ(j["algorithms"][0]["neighbours"].size(), 3u);
  EXPECT_EQ(j["similarity"].size(), catalog().size());
  if (!gnuplot) GTEST_SKIP() << "gnuplot is not installed";
  std::ifstream in(svg);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_NE(text.str().find("<svg"), std::string::npos);
  EXPECT_NE(text.str().find("item_knn"), std::string::npos);
  std::filesystem::remove(svg);
}

}  // namespace
}  // namespace metarec
