// SLIM: per-item non-negative elastic net by active-set coordinate descent on the Gram matrix.
#include <metarec/algorithms/ease/item_gram.h>
#include <metarec/algorithms/slim/slim.h>
#include <metarec/core/error.h>
#include <metarec/core/parallel.h>

#include <algorithm>
#include <cmath>
#include <cstddef>

namespace metarec {

namespace {

// Items added to an empty working set at the first optimality check; later checks add at most
// as many items as the set already holds, so it grows geometrically towards the items the
// solution needs instead of starting with every correlated item.
constexpr size_t kFirstWorkingSet = 32;

// One thread's buffers, reused across the columns it solves.
struct Workspace {
  explicit Workspace(int32_t n)
      : q(static_cast<size_t>(n), 0.0), member(static_cast<size_t>(n), 0) {}
  std::vector<double> q;     // (G w)_k for every item k, recomputed at each check
  std::vector<char> member;  // item is in the working set
  std::vector<int32_t> set;  // the working set, compact index a -> item
  std::vector<float> gaa;    // G restricted to the set, |set| x |set| row-major (exact counts)
  std::vector<double> wa, qa, ca;  // w, G w and c = G[:, j] on the set
  std::vector<std::pair<double, int32_t>> violators;
  std::vector<std::pair<int32_t, float>> column;  // the solved column, before it is stored
};

// Solves column j (see Slim's class comment). `g` is the symmetric n x n Gram matrix.
void solve(const float* g, int32_t n, int32_t j, double l1, double l2, double tol, int max_iter,
           Workspace& ws, std::vector<std::pair<int32_t, float>>& out) {
  out.clear();
  const float* gj = g + static_cast<size_t>(j) * n;  // c = X^T x_j
  if (gj[j] == 0.0f) return;                         // item j has no training users
  double* q = ws.q.data();
  while (true) {
    // Optimality check over every item: q = G w; w_k = 0 is optimal iff c_k - q_k <= l1.
    std::fill(ws.q.begin(), ws.q.end(), 0.0);
    for (size_t a = 0; a < ws.set.size(); ++a) {
      const double wl = ws.wa[a];
      if (wl == 0.0) continue;
      const float* gl = g + static_cast<size_t>(ws.set[a]) * n;
      for (int32_t k = 0; k < n; ++k) q[k] += wl * gl[k];
    }
    ws.violators.clear();
    for (int32_t k = 0; k < n; ++k) {
      if (k == j || ws.member[k] || gj[k] <= 0.0f) continue;
      const double v = static_cast<double>(gj[k]) - q[k] - l1;
      if (v > 0) ws.violators.emplace_back(-v, k);  // most violating first, then by item
    }
    if (ws.violators.empty()) break;
    const size_t take = std::max(kFirstWorkingSet, ws.set.size());
    if (ws.violators.size() > take) {
      std::nth_element(ws.violators.begin(), ws.violators.begin() + static_cast<ptrdiff_t>(take),
                       ws.violators.end());
      ws.violators.resize(take);
    }
    std::sort(ws.violators.begin(), ws.violators.end(),
              [](const auto& x, const auto& y) { return x.second < y.second; });
    for (const auto& v : ws.violators) {
      ws.member[v.second] = 1;
      ws.set.push_back(v.second);
      ws.wa.push_back(0.0);
    }
    // Compact copies on the grown set, so the sweeps run over contiguous memory.
    const size_t m = ws.set.size();
    ws.gaa.resize(m * m);
    ws.qa.resize(m);
    ws.ca.resize(m);
    for (size_t a = 0; a < m; ++a) {
      const float* ga = g + static_cast<size_t>(ws.set[a]) * n;
      float* row = ws.gaa.data() + a * m;
      for (size_t b = 0; b < m; ++b) row[b] = ga[ws.set[b]];
      ws.qa[a] = q[ws.set[a]];
      ws.ca[a] = gj[ws.set[a]];
    }
    // Cyclic coordinate descent on the set until the weights settle.
    double* wa = ws.wa.data();
    double* qa = ws.qa.data();
    for (int sweep = 0; sweep < max_iter; ++sweep) {
      double max_delta = 0, max_w = 0;
      for (size_t a = 0; a < m; ++a) {
        const float* ga = ws.gaa.data() + a * m;
        const double gaa = ga[a];
        const double rho = ws.ca[a] - (qa[a] - gaa * wa[a]);
        const double nw = std::max(0.0, rho - l1) / (gaa + l2);
        const double d = nw - wa[a];
        if (d != 0.0) {
          for (size_t b = 0; b < m; ++b) qa[b] += d * static_cast<double>(ga[b]);
          wa[a] = nw;
        }
        max_delta = std::max(max_delta, std::abs(d));
        max_w = std::max(max_w, nw);
      }
      if (max_delta <= tol * max_w) break;
    }
  }
  for (size_t a = 0; a < ws.set.size(); ++a) {
    if (ws.wa[a] > 0.0) out.emplace_back(ws.set[a], static_cast<float>(ws.wa[a]));
    ws.member[ws.set[a]] = 0;
  }
  std::sort(out.begin(), out.end());
  ws.set.clear();
  ws.wa.clear();
}

// Keeps the `topk` largest weights (ties to the smaller item), then restores ascending items.
void keep_top(std::vector<std::pair<int32_t, float>>& col, int64_t topk) {
  if (topk <= 0 || static_cast<int64_t>(col.size()) <= topk) return;
  auto better = [](const auto& a, const auto& b) {
    return a.second > b.second || (a.second == b.second && a.first < b.first);
  };
  std::nth_element(col.begin(), col.begin() + topk, col.end(), better);
  col.resize(static_cast<size_t>(topk));
  std::sort(col.begin(), col.end());
}

}  // namespace

ParamSchema Slim::schema() {
  return {
      ParamSpec::real("l1", 2, 0, 1e6,
                      "L1 penalty on the weights (sparsity), in co-occurrence counts")
          .tune(0.01, 100, true),
      ParamSpec::real("l2", 100, 0, 1e6,
                      "L2 penalty on the weights (shrinkage), in co-occurrence counts")
          .tune(0.1, 1000, true),
      ParamSpec::integer("topk", 100, 0, 100000, "largest weights kept per item (0 = all)")
          .tune(20, 1000, true),
      ParamSpec::integer("max_iter", 100, 1, 10000,
                         "coordinate-descent sweeps per working-set round, at most"),
      ParamSpec::real("tol", 1e-4, 0, 1,
                      "a round stops when no weight moved more than tol x the largest weight",
                      true),
  };
}

std::vector<std::pair<int32_t, float>> Slim::solve_column(std::span<const float> gram, int32_t n,
                                                          int32_t j, double l1, double l2,
                                                          double tol, int max_iter) {
  METAREC_CHECK(static_cast<int64_t>(gram.size()) == static_cast<int64_t>(n) * n,
                "slim: gram must be n x n");
  METAREC_CHECK(j >= 0 && j < n, "slim: item ", j, " out of range");
  Workspace ws(n);
  std::vector<std::pair<int32_t, float>> out;
  solve(gram.data(), n, j, l1, l2, tol, max_iter, ws, out);
  return out;
}

void Slim::do_fit(const Interactions& train, const FitContext& ctx) {
  const int32_t n = train.num_items();
  const double l1 = params().get_float("l1"), l2 = params().get_float("l2");
  const int64_t topk = params().get_int("topk");
  const int max_iter = static_cast<int>(params().get_int("max_iter"));
  const double tol = params().get_float("tol");
  METAREC_CHECK(l1 > 0 || l2 > 0,
                "slim: l1 and l2 cannot both be 0 (the problem has no unique "
                "solution)");

  std::vector<float> g;
  g.reserve(dense_item_matrix_bytes(n, "slim") / sizeof(float));
  advise_huge_pages(std::span<float>(g.data(), g.capacity()));
  g.assign(g.capacity(), 0.0f);
  ctx.report(0.0, "Gram matrix");
  add_item_gram_lower(train, ctx.threads, g);
  symmetrize_from_lower(n, g, ctx.threads);
  ctx.check_cancel();

  const int threads = resolve_threads(ctx.threads);
  std::vector<Workspace> spaces;
  spaces.reserve(static_cast<size_t>(threads));
  for (int t = 0; t < threads; ++t) spaces.emplace_back(n);
  std::vector<std::vector<std::pair<int32_t, float>>> columns(static_cast<size_t>(n));
  parallel_for_tid(
      n, threads,
      [&](int64_t j, int tid) {
        if (tid == 0 && j % 64 == 0) {
          ctx.check_cancel();
          ctx.report(0.1 + 0.85 * static_cast<double>(j) / n, "coordinate descent");
        }
        // Solve into the thread's scratch and store the column with one write: threads filling
        // neighbouring vectors element by element would share their cache lines.
        Workspace& ws = spaces[static_cast<size_t>(tid)];
        solve(g.data(), n, static_cast<int32_t>(j), l1, l2, tol, max_iter, ws, ws.column);
        keep_top(ws.column, topk);
        columns[static_cast<size_t>(j)].assign(ws.column.begin(), ws.column.end());
      },
      1);
  std::vector<float>().swap(g);
  // columns[j] is row j of W^T; the model wants W (row i: what item i adds to every item).
  set_weights(train, SparseMatrix::from_rows(n, std::move(columns)).transpose(), false);
  ctx.report(1.0, "done");
}

}  // namespace metarec
