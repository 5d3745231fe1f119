// Row-by-row sparse similarity computation: weight the interaction matrix, then for each row
// accumulate co-occurrence statistics against every other row through the transposed matrix,
// turn them into similarities and keep the best `neighbors`.
#include <metarec/algorithms/knn/similarity.h>
#include <metarec/core/error.h>
#include <metarec/core/parallel.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <type_traits>

namespace metarec {

namespace {

const std::vector<std::string> kRankingNames = {"cosine",  "pearson", "adjusted_cosine",
                                                "jaccard", "bm25",    "tfidf"};
const std::vector<std::string> kRatingNames = {"msd", "cosine", "pearson", "pearson_baseline"};

// A compressed sparse row matrix with owned arrays (the weighted ratings and their transpose).
struct Csr {
  std::vector<int64_t> ptr;
  std::vector<int32_t> idx;
  std::vector<float> val;
  int32_t rows() const { return static_cast<int32_t>(ptr.size()) - 1; }
};

Csr transpose(const Csr& m, int32_t cols) {
  Csr t;
  t.ptr.assign(static_cast<size_t>(cols) + 1, 0);
  for (int32_t c : m.idx) ++t.ptr[static_cast<size_t>(c) + 1];
  for (int32_t c = 0; c < cols; ++c) t.ptr[c + 1] += t.ptr[c];
  t.idx.resize(m.idx.size());
  t.val.resize(m.val.size());
  std::vector<int64_t> next(t.ptr.begin(), t.ptr.end() - 1);
  for (int32_t r = 0; r < m.rows(); ++r)
    for (int64_t p = m.ptr[r]; p < m.ptr[r + 1]; ++p) {
      const int64_t q = next[m.idx[p]]++;
      t.idx[q] = r;
      t.val[q] = m.val[p];
    }
  return t;
}

// The training values in CSR-by-user order after the similarity's weighting.
std::vector<float> weighted_values(const Interactions& t, const SimilarityOptions& o) {
  auto users = t.entry_users();
  auto items = t.entry_items();
  std::vector<float> w(t.entry_values().begin(), t.entry_values().end());
  if (o.binary) std::fill(w.begin(), w.end(), 1.0f);
  // The side whose entities are compared ("rows") and the other side ("columns").
  auto row_of = [&](size_t e) { return o.user_based ? users[e] : items[e]; };
  auto col_of = [&](size_t e) { return o.user_based ? items[e] : users[e]; };
  const int32_t n_rows = o.user_based ? t.num_users() : t.num_items();
  const int32_t n_cols = o.user_based ? t.num_items() : t.num_users();
  switch (o.kind) {
    case SimilarityKind::kAdjustedCosine: {
      std::vector<double> sum(static_cast<size_t>(n_cols), 0.0);
      std::vector<int64_t> cnt(static_cast<size_t>(n_cols), 0);
      for (size_t e = 0; e < w.size(); ++e) {
        sum[col_of(e)] += w[e];
        ++cnt[col_of(e)];
      }
      for (size_t e = 0; e < w.size(); ++e)
        w[e] = static_cast<float>(w[e] - sum[col_of(e)] / static_cast<double>(cnt[col_of(e)]));
      break;
    }
    case SimilarityKind::kPearsonBaseline: {
      METAREC_CHECK(static_cast<int32_t>(o.user_bias.size()) == t.num_users() &&
                        static_cast<int32_t>(o.item_bias.size()) == t.num_items(),
                    "pearson_baseline: baseline biases do not match the data");
      for (size_t e = 0; e < w.size(); ++e)
        w[e] = static_cast<float>(w[e] - o.mu - o.user_bias[users[e]] - o.item_bias[items[e]]);
      break;
    }
    case SimilarityKind::kBm25:
    case SimilarityKind::kTfidf: {
      // TF-IDF: the compared rows are the documents and the other side the terms, so the idf
      // log(N / (1 + df)) down-weights columns seen everywhere (Breese et al.'s inverse user
      // frequency for item-item). BM25: the other side are the documents, so its length
      // normalisation damps the entries of long histories (heavy users for item-item). A weight
      // that is constant along a compared row cancels in the cosine, so the two differ.
      const bool rows_are_docs = o.kind == SimilarityKind::kTfidf;
      auto doc_of = [&](size_t e) { return rows_are_docs ? row_of(e) : col_of(e); };
      auto term_of = [&](size_t e) { return rows_are_docs ? col_of(e) : row_of(e); };
      const int32_t n_docs = rows_are_docs ? n_rows : n_cols;
      const int32_t n_terms = rows_are_docs ? n_cols : n_rows;
      std::vector<int64_t> df(static_cast<size_t>(n_terms), 0),
          entries(static_cast<size_t>(n_docs), 0);
      std::vector<double> len(static_cast<size_t>(n_docs), 0.0);
      for (size_t e = 0; e < w.size(); ++e) {
        ++df[term_of(e)];
        ++entries[doc_of(e)];
        len[doc_of(e)] += std::max(0.0f, w[e]);
      }
      int64_t docs = 0;
      double total = 0;
      for (int32_t d = 0; d < n_docs; ++d) {
        docs += entries[d] > 0;
        total += len[d];
      }
      const double avg_len = docs > 0 && total > 0 ? total / static_cast<double>(docs) : 1.0;
      const double log_n = std::log(static_cast<double>(std::max<int64_t>(docs, 1)));
      std::vector<double> idf(static_cast<size_t>(n_terms));
      for (int32_t k = 0; k < n_terms; ++k) idf[k] = log_n - std::log1p(static_cast<double>(df[k]));
      for (size_t e = 0; e < w.size(); ++e) {
        const double tf = std::max(0.0f, w[e]);
        if (rows_are_docs) {
          w[e] = static_cast<float>(std::sqrt(tf) * idf[term_of(e)]);
        } else {
          const double norm = 1.0 - o.bm25_b + o.bm25_b * len[doc_of(e)] / avg_len;
          const double denom = o.bm25_k1 * norm + tf;
          w[e] = static_cast<float>(denom > 0 ? tf * (o.bm25_k1 + 1.0) / denom * idf[term_of(e)]
                                              : 0.0);
        }
      }
      break;
    }
    default:
      break;
  }
  return w;
}

// Per-pair statistics, one struct per need, stored array-of-structs so that an update touches
// one cache line: counts only, a dot product, a squared difference, or co-rated sums.
struct CountAcc {
  int32_t cnt = 0;
  void add(double, double) {}
};
struct DotAcc {
  double xy = 0;
  int32_t cnt = 0;
  void add(double x, double y) { xy += x * y; }
};
struct MsdAcc {
  double d2 = 0;
  int32_t cnt = 0;
  void add(double x, double y) { d2 += (x - y) * (x - y); }
};
struct Co3Acc {
  double xy = 0, xx = 0, yy = 0;
  int32_t cnt = 0;
  void add(double x, double y) {
    xy += x * y;
    xx += x * x;
    yy += y * y;
  }
};
struct Co5Acc {
  double xy = 0, xx = 0, yy = 0, x = 0, y = 0;
  int32_t cnt = 0;
  void add(double xv, double yv) {
    xy += xv * yv;
    xx += xv * xv;
    yy += yv * yv;
    x += xv;
    y += yv;
  }
};

// Per-row statistics of the whole vectors (for the whole-vector similarities).
struct RowStats {
  std::vector<double> norm, sum, sumsq;
  std::vector<int64_t> count;
};

RowStats row_stats(const Csr& m) {
  RowStats s;
  const auto n = static_cast<size_t>(m.rows());
  s.norm.assign(n, 0.0);
  s.sum.assign(n, 0.0);
  s.sumsq.assign(n, 0.0);
  s.count.assign(n, 0);
  for (int32_t r = 0; r < m.rows(); ++r) {
    for (int64_t p = m.ptr[r]; p < m.ptr[r + 1]; ++p) {
      s.sum[r] += m.val[p];
      s.sumsq[r] += static_cast<double>(m.val[p]) * m.val[p];
    }
    s.norm[r] = std::sqrt(s.sumsq[r]);
    s.count[r] = m.ptr[r + 1] - m.ptr[r];
  }
  return s;
}

// The similarity of rows a and b from their accumulated statistics (before shrinkage).
template <typename A>
double pair_similarity(SimilarityKind kind, const A& s, int32_t a, int32_t b, const RowStats& st,
                       double n_cols) {
  const double n = s.cnt;
  if constexpr (std::is_same_v<A, CountAcc>) {
    if (kind == SimilarityKind::kJaccard)
      return n / static_cast<double>(st.count[a] + st.count[b] - s.cnt);
    const double d = st.norm[a] * st.norm[b];  // cosine of unit values
    return d > 0 ? n / d : 0.0;
  } else if constexpr (std::is_same_v<A, DotAcc>) {
    if (kind == SimilarityKind::kPearson) {
      const double cov = s.xy - st.sum[a] * st.sum[b] / n_cols;
      const double va = st.sumsq[a] - st.sum[a] * st.sum[a] / n_cols;
      const double vb = st.sumsq[b] - st.sum[b] * st.sum[b] / n_cols;
      return va > 0 && vb > 0 ? cov / std::sqrt(va * vb) : 0.0;
    }
    const double d = st.norm[a] * st.norm[b];
    return d > 0 ? s.xy / d : 0.0;
  } else if constexpr (std::is_same_v<A, MsdAcc>) {
    return 1.0 / (s.d2 / n + 1.0);
  } else if constexpr (std::is_same_v<A, Co3Acc>) {
    const double d = s.xx * s.yy;
    return d > 0 ? s.xy / std::sqrt(d) : 0.0;
  } else {
    const double d = (n * s.xx - s.x * s.x) * (n * s.yy - s.y * s.y);
    return d > 0 ? (n * s.xy - s.x * s.y) / std::sqrt(d) : 0.0;
  }
}

using Row = std::vector<std::pair<int32_t, float>>;

// Keeps the `keep` best entries of `row` (ascending index) by (similarity desc, index asc),
// preserving the ascending order: find the keep-th largest value t, then one pass keeps what is
// above t and the first entries equal to t. t comes from a bounded min-heap when few entries are
// kept (about one comparison per entry) and from nth_element on a copy otherwise.
void keep_best(Row& row, int32_t keep, std::vector<float>& scratch) {
  if (static_cast<int64_t>(row.size()) <= keep) return;
  scratch.clear();
  float t;
  if (static_cast<int64_t>(keep) * 4 < static_cast<int64_t>(row.size())) {
    auto greater = [](float x, float y) { return x > y; };  // min-heap: the smallest on top
    for (size_t k = 0; k < static_cast<size_t>(keep); ++k) scratch.push_back(row[k].second);
    std::make_heap(scratch.begin(), scratch.end(), greater);
    for (size_t k = static_cast<size_t>(keep); k < row.size(); ++k) {
      if (row[k].second <= scratch.front()) continue;
      std::pop_heap(scratch.begin(), scratch.end(), greater);
      scratch.back() = row[k].second;
      std::push_heap(scratch.begin(), scratch.end(), greater);
    }
    t = scratch.front();
  } else {
    for (const auto& e : row) scratch.push_back(e.second);
    std::nth_element(scratch.begin(), scratch.begin() + (keep - 1), scratch.end(),
                     [](float x, float y) { return x > y; });
    t = scratch[static_cast<size_t>(keep - 1)];
  }
  int64_t above = 0;
  for (const auto& e : row) above += e.second > t;
  int64_t ties = keep - above;  // entries equal to t that fit, smallest indices first
  size_t w = 0;
  for (const auto& e : row)
    if (e.second > t || (e.second == t && ties-- > 0)) row[w++] = e;
  row.resize(w);
}

// All rows' similarities with accumulator A, as a sparse matrix. Each thread appends the rows
// it finishes to its own buffers; one pass then lays them out in row order (no allocation per
// row, and the rows are ascending by construction).
template <typename A>
SparseMatrix similarity_rows(const Csr& rows, const Csr& cols, const SimilarityOptions& o,
                             const RowStats& st, const FitContext& ctx) {
  const int32_t n = rows.rows();
  const double n_cols = static_cast<double>(cols.rows());
  // A parallel region's start-up costs more than the whole job on tiny data.
  const int threads = cols.idx.size() < 20000 ? 1 : resolve_threads(ctx.threads);
  struct alignas(64) Work {  // one cache line apart: no false sharing between threads
    std::vector<A> acc;
    std::vector<int32_t> touched;
    Row cand;  // positive similarities, ascending index
    std::vector<float> scratch, sims;
    std::vector<int32_t> out_idx;  // finished rows, in the order this thread finished them
    std::vector<float> out_val;
  };
  std::vector<Work> work(static_cast<size_t>(threads));
  {
    // Room for twice a thread's share of the kept entries (address space only until written;
    // with two threads, every row): dynamic scheduling lets a thread finish more than its share,
    // and a buffer that never moves is never copied. Large reservations also let malloc back
    // them with huge pages, where each 4 KiB page fault would cost about as much as filling the
    // page. Twice the share, not the whole matrix, so that many threads do not reserve many
    // times the matrix's address space.
    const int64_t total = int64_t{n} * std::min<int64_t>(o.neighbors, n);
    const int64_t per_thread =
        std::min<int64_t>(std::min(total, 2 * total / threads) + 1, int64_t{1} << 26);
    for (Work& w : work) {
      w.out_idx.reserve(static_cast<size_t>(per_thread));
      w.out_val.reserve(static_cast<size_t>(per_thread));
    }
  }
  struct Placed {
    int32_t tid = 0;
    int64_t start = 0, count = 0;
  };
  std::vector<Placed> placed(static_cast<size_t>(n));
  std::atomic<int64_t> done{0};
  parallel_for_tid(
      n, threads,
      [&](int64_t row, int tid) {
        ctx.check_cancel();
        const auto a = static_cast<int32_t>(row);
        Work& w = work[static_cast<size_t>(tid)];
        if (w.acc.size() != static_cast<size_t>(n)) w.acc.assign(static_cast<size_t>(n), A{});
        A* acc = w.acc.data();
        const int32_t* col_idx = cols.idx.data();
        const float* col_val = cols.val.data();
        // A row that touches about as many entries as there are rows is finished by scanning
        // every row (no list of touched rows to keep); a short one keeps the list and sorts it.
        int64_t work_items = 0;
        for (int64_t p = rows.ptr[a]; p < rows.ptr[a + 1]; ++p)
          work_items += cols.ptr[rows.idx[p] + 1] - cols.ptr[rows.idx[p]];
        const bool scan = work_items * 2 > static_cast<int64_t>(n);
        for (int64_t p = rows.ptr[a]; p < rows.ptr[a + 1]; ++p) {
          const int32_t c = rows.idx[p];
          const double x = rows.val[p];
          const int64_t e = cols.ptr[c + 1];
          if (scan) {
            for (int64_t q = cols.ptr[c]; q < e; ++q) {
              A& s = acc[col_idx[q]];
              ++s.cnt;
              s.add(x, col_val[q]);
            }
          } else {
            for (int64_t q = cols.ptr[c]; q < e; ++q) {
              A& s = acc[col_idx[q]];
              if (s.cnt++ == 0) w.touched.push_back(col_idx[q]);
              s.add(x, col_val[q]);
            }
          }
        }
        if (!scan) std::sort(w.touched.begin(), w.touched.end());
        // The similarity of a and b from the statistics, which are reset for the next row.
        auto sim_of = [&](int32_t b) -> float {
          const A s = acc[b];
          acc[b] = A{};
          if (s.cnt < o.min_support) return 0.0f;
          double sim = pair_similarity(o.kind, s, a, b, st, n_cols);
          if (o.shrinkage > 0) sim *= s.cnt / (s.cnt + o.shrinkage);
          return static_cast<float>(sim);
        };
        constexpr float kMax = std::numeric_limits<float>::max();
        w.cand.clear();
        if (scan) {
          // Two branch-light passes, so the divisions and square roots of neighbouring pairs
          // overlap: all similarities into a dense row, then the positive finite ones.
          w.sims.resize(static_cast<size_t>(n));
          float* sims = w.sims.data();
          for (int32_t b = 0; b < n; ++b) sims[b] = acc[b].cnt > 0 ? sim_of(b) : 0.0f;
          sims[a] = 0.0f;
          w.cand.resize(static_cast<size_t>(n));
          size_t m = 0;
          for (int32_t b = 0; b < n; ++b) {
            w.cand[m] = {b, sims[b]};
            m += sims[b] > 0 && sims[b] <= kMax;
          }
          w.cand.resize(m);
        } else {
          for (int32_t b : w.touched) {
            const float f = sim_of(b);
            if (b != a && f > 0 && f <= kMax) w.cand.emplace_back(b, f);
          }
        }
        w.touched.clear();
        keep_best(w.cand, o.neighbors, w.scratch);
        placed[static_cast<size_t>(a)] = {tid, static_cast<int64_t>(w.out_idx.size()),
                                          static_cast<int64_t>(w.cand.size())};
        for (const auto& [b, f] : w.cand) {
          w.out_idx.push_back(b);
          w.out_val.push_back(f);
        }
        const int64_t d = ++done;
        if (tid == 0 && d % 256 == 0)
          ctx.report(static_cast<double>(d) / static_cast<double>(n), "similarities");
      },
      16);
  std::vector<int64_t> ptr(static_cast<size_t>(n) + 1, 0);
  bool in_order = true;  // one thread did every row, in row order: its buffers are the matrix
  for (int32_t a = 0; a < n; ++a) {
    const Placed& pl = placed[static_cast<size_t>(a)];
    in_order = in_order && pl.tid == placed[0].tid && pl.start == ptr[a];
    ptr[a + 1] = ptr[a] + pl.count;
  }
  if (in_order && n > 0) {
    Work& w = work[static_cast<size_t>(placed[0].tid)];
    return SparseMatrix::from_csr(n, std::move(ptr), std::move(w.out_idx), std::move(w.out_val));
  }
  // Appended row by row into reserved arrays: no zero-filling pass over the whole matrix first.
  std::vector<int32_t> idx;
  std::vector<float> val;
  idx.reserve(static_cast<size_t>(ptr.back()));
  val.reserve(static_cast<size_t>(ptr.back()));
  for (int32_t a = 0; a < n; ++a) {
    const Placed& pl = placed[static_cast<size_t>(a)];
    const Work& w = work[static_cast<size_t>(pl.tid)];
    idx.insert(idx.end(), w.out_idx.begin() + pl.start, w.out_idx.begin() + pl.start + pl.count);
    val.insert(val.end(), w.out_val.begin() + pl.start, w.out_val.begin() + pl.start + pl.count);
  }
  return SparseMatrix::from_csr(n, std::move(ptr), std::move(idx), std::move(val));
}

}  // namespace

const std::vector<std::string>& ranking_similarity_names() { return kRankingNames; }
const std::vector<std::string>& rating_similarity_names() { return kRatingNames; }

SimilarityKind parse_ranking_similarity(const std::string& name) {
  static const SimilarityKind kinds[] = {SimilarityKind::kCosine,         SimilarityKind::kPearson,
                                         SimilarityKind::kAdjustedCosine, SimilarityKind::kJaccard,
                                         SimilarityKind::kBm25,           SimilarityKind::kTfidf};
  for (size_t k = 0; k < kRankingNames.size(); ++k)
    if (kRankingNames[k] == name) return kinds[k];
  METAREC_THROW(InvalidArgument, "unknown ranking similarity \"", name,
                "\"; valid: cosine, pearson, adjusted_cosine, jaccard, bm25, tfidf");
}

SimilarityKind parse_rating_similarity(const std::string& name) {
  static const SimilarityKind kinds[] = {SimilarityKind::kMsd, SimilarityKind::kCoCosine,
                                         SimilarityKind::kCoPearson,
                                         SimilarityKind::kPearsonBaseline};
  for (size_t k = 0; k < kRatingNames.size(); ++k)
    if (kRatingNames[k] == name) return kinds[k];
  METAREC_THROW(InvalidArgument, "unknown rating similarity \"", name,
                "\"; valid: msd, cosine, pearson, pearson_baseline");
}

ParamSchema ranking_knn_schema(int64_t default_k, const std::string& default_similarity) {
  return {
      ParamSpec::integer("k", default_k, 1, 1000000,
                         "neighbours kept per row (largest similarities)")
          .tune(5, 1000, true),
      ParamSpec::choice("similarity", default_similarity, kRankingNames,
                        "cosine, pearson, adjusted_cosine (needs binary=false), jaccard, or cosine "
                        "after bm25 / tfidf weighting")
          .tune(kRankingNames),
      ParamSpec::real("shrinkage", 0, 0, 1e6, "sim *= n / (n + shrinkage), n = common interactions")
          .tune(0, 200),
      ParamSpec::integer("min_support", 1, 1, 1000000, "common interactions a pair needs")
          .tune(1, 10),
      ParamSpec::boolean("binary", true, "ignore rating values: every interaction counts as 1")
          .tune({"true", "false"}),
      ParamSpec::real("bm25_k1", 100, 0, 1000,
                      "bm25: term-frequency saturation (large: nearly linear)")
          .tune(1, 1000, true),
      ParamSpec::real("bm25_b", 0.8, 0, 1, "bm25: length normalisation").tune(0, 1),
  };
}

SimilarityOptions ranking_knn_options(const Params& p, bool user_based,
                                      const std::string& algorithm) {
  SimilarityOptions o;
  o.kind = parse_ranking_similarity(p.get_string("similarity"));
  o.user_based = user_based;
  o.binary = p.get_bool("binary");
  o.neighbors = static_cast<int32_t>(p.get_int("k"));
  o.min_support = static_cast<int32_t>(p.get_int("min_support"));
  o.shrinkage = p.get_float("shrinkage");
  o.bm25_k1 = p.get_float("bm25_k1");
  o.bm25_b = p.get_float("bm25_b");
  METAREC_CHECK(!(o.kind == SimilarityKind::kAdjustedCosine && o.binary), algorithm,
                ": similarity=adjusted_cosine centres rating values and needs binary=false");
  return o;
}

SparseMatrix knn_similarities(const Interactions& train, const SimilarityOptions& o,
                              const FitContext& ctx) {
  METAREC_CHECK(o.neighbors >= 1, "similarity: neighbors must be >= 1, got ", o.neighbors);
  METAREC_CHECK(o.min_support >= 1, "similarity: min_support must be >= 1, got ", o.min_support);
  METAREC_CHECK(o.shrinkage >= 0, "similarity: shrinkage must be >= 0, got ", o.shrinkage);
  Csr by_user;
  by_user.ptr.assign(train.user_ptr().begin(), train.user_ptr().end());
  by_user.idx.assign(train.entry_items().begin(), train.entry_items().end());
  by_user.val = weighted_values(train, o);
  const bool unit =
      std::all_of(by_user.val.begin(), by_user.val.end(), [](float v) { return v == 1.0f; });
  const Csr by_item = transpose(by_user, train.num_items());
  const Csr& rows = o.user_based ? by_user : by_item;
  const Csr& cols = o.user_based ? by_item : by_user;
  const bool whole = o.kind == SimilarityKind::kCosine || o.kind == SimilarityKind::kPearson ||
                     o.kind == SimilarityKind::kAdjustedCosine ||
                     o.kind == SimilarityKind::kJaccard || o.kind == SimilarityKind::kBm25 ||
                     o.kind == SimilarityKind::kTfidf;
  const RowStats st = whole ? row_stats(rows) : RowStats{};
  switch (o.kind) {
    case SimilarityKind::kJaccard:
      return similarity_rows<CountAcc>(rows, cols, o, st, ctx);
    case SimilarityKind::kCosine:
      return unit ? similarity_rows<CountAcc>(rows, cols, o, st, ctx)
                  : similarity_rows<DotAcc>(rows, cols, o, st, ctx);
    case SimilarityKind::kPearson:
    case SimilarityKind::kAdjustedCosine:
    case SimilarityKind::kBm25:
    case SimilarityKind::kTfidf:
      return similarity_rows<DotAcc>(rows, cols, o, st, ctx);
    case SimilarityKind::kCoCosine:
    case SimilarityKind::kPearsonBaseline:
      return similarity_rows<Co3Acc>(rows, cols, o, st, ctx);
    case SimilarityKind::kMsd:
      return similarity_rows<MsdAcc>(rows, cols, o, st, ctx);
    case SimilarityKind::kCoPearson:
      return similarity_rows<Co5Acc>(rows, cols, o, st, ctx);
  }
  METAREC_THROW(InvalidArgument, "similarity: unknown kind");
}

}  // namespace metarec
