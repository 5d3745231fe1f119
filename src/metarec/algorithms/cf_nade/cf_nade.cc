// CF-NADE: ordering-split training with the hybrid regular/ordinal cost, lazy Adam over the
// batch's item rows, and the expected-rating prediction.
#include <metarec/algorithms/cf_nade/cf_nade.h>
#include <metarec/algorithms/rbm/rating_levels.h>
#include <metarec/core/error.h>
#include <metarec/core/parallel.h>
#include <metarec/core/rng.h>

#include <algorithm>
#include <cmath>

namespace metarec {

ParamSchema CfNade::schema() {
  return {
      ParamSpec::integer("hidden", 100, 1, 8192, "tanh hidden units H").tune(50, 1000, true),
      ParamSpec::integer("epochs", 20, 1, 100000, "passes over the users").tune(10, 300, true),
      ParamSpec::integer("batch", 32, 1, 1 << 20, "users per mini-batch").tune(8, 512, true),
      ParamSpec::real("lr", 0.002, 0, 1, "Adam learning rate", true).tune(1e-4, 1e-2, true),
      ParamSpec::real("weight_decay", 0.1, 0, 10,
                      "L2 penalty on the rows updated (added to their gradients)")
          .tune(1e-4, 0.1, true),
      ParamSpec::real("ordinal_weight", 1.0, 0, 1,
                      "lambda of the hybrid cost (1 - lambda) C_reg + lambda C_ord")
          .tune(0, 1),
      ParamSpec::boolean("item_based", true,
                         "model each item's vector of user ratings (I-CF-NADE) instead of each "
                         "user's vector of item ratings (U-CF-NADE)"),
      ParamSpec::real("init_std", 0.01, 0, 10, "std of the random initial weights"),
      ParamSpec::integer("max_levels", 10, 2, 255,
                         "softmax levels: the distinct training ratings if there are at most this "
                         "many, else this many evenly spaced values"),
  };
}

namespace detail {

void CfNadeNet::hidden_state(std::span<const int32_t> items, std::span<const uint8_t> lv,
                             std::span<float> h) const {
  std::copy(c.begin(), c.end(), h.begin());
  for (size_t t = 0; t < items.size(); ++t)
    for (int m = 0; m <= lv[t]; ++m) {
      const float* row = w.data() + (static_cast<size_t>(items[t]) * levels + m) * hidden;
      for (int j = 0; j < hidden; ++j) h[j] += row[j];
    }
  for (int j = 0; j < hidden; ++j) h[j] = std::tanh(h[j]);
}

namespace {

// Cumulative level scores s_k = sum_{m <= k} (b[i, m] + V[i, m] . h) into s (size L).
void level_scores(const CfNadeNet& n, int32_t item, const float* h, double* s) {
  double acc = 0;
  for (int m = 0; m < n.levels; ++m) {
    const float* row = n.v.data() + (static_cast<size_t>(item) * n.levels + m) * n.hidden;
    float t = n.b[static_cast<size_t>(item) * n.levels + m];
    for (int j = 0; j < n.hidden; ++j) t += row[j] * h[j];
    acc += t;
    s[m] = acc;
  }
}

// Adds the gradient of -log softmax_{lo..hi}(s)[at] to ds, returns the cost.
double softmax_nll(const double* s, int lo, int hi, int at, double weight, double* ds) {
  double mx = s[lo];
  for (int k = lo + 1; k <= hi; ++k) mx = std::max(mx, s[k]);
  double z = 0;
  for (int k = lo; k <= hi; ++k) z += std::exp(s[k] - mx);
  const double lse = mx + std::log(z);
  for (int k = lo; k <= hi; ++k) ds[k] += weight * std::exp(s[k] - lse);
  ds[at] -= weight;
  return weight * (lse - s[at]);
}

}  // namespace

void CfNadeNet::level_probs(int32_t item, std::span<const float> h, std::span<float> out) const {
  double s[256];
  level_scores(*this, item, h.data(), s);
  double mx = s[0];
  for (int k = 1; k < levels; ++k) mx = std::max(mx, s[k]);
  double z = 0;
  for (int k = 0; k < levels; ++k) z += std::exp(s[k] - mx);
  for (int k = 0; k < levels; ++k) out[k] = static_cast<float>(std::exp(s[k] - mx) / z);
}

double cf_nade_user_cost(const CfNadeNet& net, std::span<const int32_t> in_items,
                         std::span<const uint8_t> in_lv, std::span<const int32_t> out_items,
                         std::span<const uint8_t> out_lv, double scale, double lambda,
                         CfNadeUserGrad* g, std::vector<float>& h) {
  const int L = net.levels, H = net.hidden;
  const size_t lh = static_cast<size_t>(L) * H;
  h.resize(static_cast<size_t>(H));
  net.hidden_state(in_items, in_lv, h);
  if (g) {
    g->dv.resize(out_items.size() * lh);
    g->db.resize(out_items.size() * L);
    g->da.assign(static_cast<size_t>(H), 0.0f);
  }
  double cost = 0, s[256], ds[256];
  for (size_t t = 0; t < out_items.size(); ++t) {
    const int32_t i = out_items[t];
    const int r = out_lv[t];
    level_scores(net, i, h.data(), s);
    std::fill(ds, ds + L, 0.0);
    if (lambda < 1) cost += softmax_nll(s, 0, L - 1, r, (1 - lambda) * scale, ds);
    if (lambda > 0) {
      for (int j = 0; j <= r; ++j) cost += softmax_nll(s, 0, j, j, lambda * scale, ds);
      for (int j = r; j < L; ++j) cost += softmax_nll(s, j, L - 1, j, lambda * scale, ds);
    }
    if (!g) continue;
    // dt_m = sum_{k >= m} ds_k (s is a prefix sum of t).
    double acc = 0;
    for (int m = L - 1; m >= 0; --m) {
      acc += ds[m];
      const auto dt = static_cast<float>(acc);
      g->db[t * L + m] = dt;
      float* dv = g->dv.data() + t * lh + static_cast<size_t>(m) * H;
      const float* vrow = net.v.data() + (static_cast<size_t>(i) * L + m) * H;
      for (int j = 0; j < H; ++j) {
        dv[j] = dt * h[j];
        g->da[j] += dt * vrow[j];
      }
    }
  }
  if (g)
    for (int j = 0; j < H; ++j) g->da[j] *= 1.0f - h[j] * h[j];
  return cost;
}

}  // namespace detail

namespace {

// Lazy Adam state of one parameter block: first and second moments.
struct Moments {
  std::vector<float> m, v;
  explicit Moments(size_t n) : m(n, 0.0f), v(n, 0.0f) {}
};

// One Adam step on p[lo, hi) with gradient g (+ wd p), then g cleared.
inline void adam_rows(float* p, float* g, Moments& s, size_t lo, size_t hi, float lr, float wd,
                      float c1, float c2) {
  constexpr float b1 = 0.9f, b2 = 0.999f, eps = 1e-8f;
  for (size_t x = lo; x < hi; ++x) {
    const float gx = g[x] + wd * p[x];
    s.m[x] = b1 * s.m[x] + (1 - b1) * gx;
    s.v[x] = b2 * s.v[x] + (1 - b2) * gx * gx;
    p[x] -= lr * (s.m[x] / c1) / (std::sqrt(s.v[x] / c2) + eps);
    g[x] = 0.0f;
  }
}

}  // namespace

void CfNade::do_fit(const Interactions& input, const FitContext& ctx) {
  // Item-based: the cases are items, each a vector of its users' ratings.
  const bool item_based = params().get_bool("item_based");
  item_based_ = item_based;
  const Interactions transposed = item_based ? detail::transpose_ratings(input) : Interactions();
  const Interactions& train = item_based ? transposed : input;
  // Every batch opens parallel regions; on small data their start-up costs more than the work.
  const int threads = train.nnz() < 20000 ? 1 : resolve_threads(ctx.threads);
  const int H = static_cast<int>(params().get_int("hidden"));
  const int epochs = static_cast<int>(params().get_int("epochs"));
  const int batch = static_cast<int>(params().get_int("batch"));
  const float lr = static_cast<float>(params().get_float("lr"));
  const float wd = static_cast<float>(params().get_float("weight_decay"));
  const double lambda = params().get_float("ordinal_weight");
  const float init_std = static_cast<float>(params().get_float("init_std"));
  const int32_t nu = train.num_users(), ni = train.num_items();

  levels_.values = detail::rating_levels(train, static_cast<int>(params().get_int("max_levels")));
  const int L = static_cast<int>(levels_.values.size());
  const bool scaled =
      train.feedback() == Feedback::kExplicit && train.scale_min() < train.scale_max();
  levels_.lo = scaled ? train.scale_min() : levels_.values.front();
  levels_.hi = scaled ? train.scale_max() : levels_.values.back();
  const std::vector<uint8_t> lv = detail::level_of_entries(train, levels_.values);
  auto uptr = train.user_ptr();

  Rng init(ctx.seed);
  net_ = {};
  net_.n_items = ni;
  net_.levels = L;
  net_.hidden = H;
  const size_t lh = static_cast<size_t>(L) * H;
  net_.w.resize(static_cast<size_t>(ni) * lh);
  net_.v.resize(static_cast<size_t>(ni) * lh);
  for (auto& x : net_.w) x = static_cast<float>(init.normal() * init_std);
  for (auto& x : net_.v) x = static_cast<float>(init.normal() * init_std);
  net_.b.assign(static_cast<size_t>(ni) * L, 0.0f);
  net_.c.assign(static_cast<size_t>(H), 0.0f);

  Moments sw(net_.w.size()), sv(net_.v.size()), sb(net_.b.size()), sc(net_.c.size());
  std::vector<float> gw(net_.w.size(), 0.0f), gv(net_.v.size(), 0.0f), gb(net_.b.size(), 0.0f),
      gc(net_.c.size(), 0.0f);
  std::vector<int32_t> order;
  for (int32_t u = 0; u < nu; ++u)
    if (train.user_count(u) > 0) order.push_back(u);

  // Per batch: every user's shuffled ratings (items and levels, context first), split point,
  // gradient buffers, and per item the (slot, position) references in batch order.
  std::vector<int32_t> perm_items(static_cast<size_t>(train.nnz()));
  std::vector<uint8_t> perm_lv(perm_items.size());
  std::vector<size_t> start_of(static_cast<size_t>(batch)), split(static_cast<size_t>(batch)),
      out_off(static_cast<size_t>(batch) + 1);
  std::vector<detail::CfNadeUserGrad> grads(static_cast<size_t>(batch));
  std::vector<std::vector<float>> hbuf(static_cast<size_t>(threads));
  std::vector<int64_t> in_head(static_cast<size_t>(ni) + 1), out_head(static_cast<size_t>(ni) + 1);
  std::vector<std::pair<int32_t, int32_t>> in_refs, out_refs;
  const Rng root = Rng(ctx.seed).fork(1);
  int64_t t_adam = 0;

  for (int epoch = 0; epoch < epochs; ++epoch) {
    ctx.check_cancel();
    Rng shuffle = root.fork(2 * static_cast<uint64_t>(epoch));
    for (size_t a = order.size(); a > 1; --a)
      std::swap(order[a - 1], order[shuffle.uniform_int(a)]);
    const Rng epoch_rng = root.fork(2 * static_cast<uint64_t>(epoch) + 1);
    for (size_t start = 0; start < order.size(); start += static_cast<size_t>(batch)) {
      const size_t bsz = std::min(order.size() - start, static_cast<size_t>(batch));
      const int32_t* slot_user = order.data() + start;
      // Orderings and split points, drawn per user from its own stream.
      size_t pos = 0;
      for (size_t s = 0; s < bsz; ++s) {
        const int32_t u = slot_user[s];
        Rng rng = epoch_rng.fork(static_cast<uint64_t>(u));
        const int64_t b = uptr[u];
        const auto n = static_cast<size_t>(train.user_count(u));
        start_of[s] = pos;
        auto its = train.user_items(u);
        for (size_t k = 0; k < n; ++k) {
          perm_items[pos + k] = its[k];
          perm_lv[pos + k] = lv[static_cast<size_t>(b) + k];
        }
        for (size_t k = n; k > 1; --k) {
          const size_t x = rng.uniform_int(k);
          std::swap(perm_items[pos + k - 1], perm_items[pos + x]);
          std::swap(perm_lv[pos + k - 1], perm_lv[pos + x]);
        }
        split[s] = rng.uniform_int(n);
        pos += n;
      }
      parallel_for_tid(
          static_cast<int64_t>(bsz), threads,
          [&](int64_t ss, int tid) {
            const auto s = static_cast<size_t>(ss);
            const int32_t u = slot_user[s];
            const size_t n = static_cast<size_t>(train.user_count(u)), d = split[s];
            const int32_t* it = perm_items.data() + start_of[s];
            const uint8_t* l = perm_lv.data() + start_of[s];
            detail::cf_nade_user_cost(net_, {it, d}, {l, d}, {it + d, n - d}, {l + d, n - d},
                                      static_cast<double>(n) / static_cast<double>(n - d), lambda,
                                      &grads[s], hbuf[static_cast<size_t>(tid)]);
          },
          1);
      // Item references: inputs (slot, position in the context), outputs (slot, output row).
      auto refs = [&](bool outputs, std::vector<int64_t>& head,
                      std::vector<std::pair<int32_t, int32_t>>& r) {
        std::fill(head.begin(), head.end(), 0);
        for (size_t s = 0; s < bsz; ++s) {
          const size_t n = static_cast<size_t>(train.user_count(slot_user[s]));
          const size_t lo = outputs ? split[s] : 0, hi = outputs ? n : split[s];
          for (size_t k = lo; k < hi; ++k)
            ++head[static_cast<size_t>(perm_items[start_of[s] + k]) + 1];
        }
        for (int32_t i = 0; i < ni; ++i) head[i + 1] += head[i];
        r.resize(static_cast<size_t>(head[ni]));
        std::vector<int64_t> fill(head.begin(), head.end() - 1);
        for (size_t s = 0; s < bsz; ++s) {
          const size_t n = static_cast<size_t>(train.user_count(slot_user[s]));
          const size_t lo = outputs ? split[s] : 0, hi = outputs ? n : split[s];
          for (size_t k = lo; k < hi; ++k)
            r[fill[perm_items[start_of[s] + k]]++] = {static_cast<int32_t>(s),
                                                      static_cast<int32_t>(k - lo)};
        }
      };
      refs(false, in_head, in_refs);
      refs(true, out_head, out_refs);
      ++t_adam;
      const float c1 = 1.0f - std::pow(0.9f, static_cast<float>(t_adam));
      const float c2 = 1.0f - std::pow(0.999f, static_cast<float>(t_adam));
      parallel_for(
          ni, threads,
          [&](int64_t ii) {
            const auto i = static_cast<size_t>(ii);
            if (in_head[i] < in_head[i + 1]) {
              float* g = gw.data() + i * lh;
              for (int64_t e = in_head[i]; e < in_head[i + 1]; ++e) {
                const auto [s, k] = in_refs[e];
                const int r = perm_lv[start_of[s] + static_cast<size_t>(k)];
                const float* da = grads[s].da.data();
                for (int m = 0; m <= r; ++m)
                  for (int j = 0; j < H; ++j) g[static_cast<size_t>(m) * H + j] += da[j];
              }
              adam_rows(net_.w.data(), gw.data(), sw, i * lh, (i + 1) * lh, lr, wd, c1, c2);
            }
            if (out_head[i] < out_head[i + 1]) {
              float* g = gv.data() + i * lh;
              float* gbi = gb.data() + i * L;
              for (int64_t e = out_head[i]; e < out_head[i + 1]; ++e) {
                const auto [s, t] = out_refs[e];
                const float* dv = grads[s].dv.data() + static_cast<size_t>(t) * lh;
                for (size_t x = 0; x < lh; ++x) g[x] += dv[x];
                for (int m = 0; m < L; ++m) gbi[m] += grads[s].db[static_cast<size_t>(t) * L + m];
              }
              adam_rows(net_.v.data(), gv.data(), sv, i * lh, (i + 1) * lh, lr, wd, c1, c2);
              adam_rows(net_.b.data(), gb.data(), sb, i * L, (i + 1) * L, lr, 0.0f, c1, c2);
            }
          },
          16);
      for (size_t s = 0; s < bsz; ++s)
        for (int j = 0; j < H; ++j) gc[j] += grads[s].da[j];
      adam_rows(net_.c.data(), gc.data(), sc, 0, gc.size(), lr, 0.0f, c1, c2);
    }
    ctx.report(static_cast<double>(epoch + 1) / epochs, "cf_nade epoch");
  }

  user_hidden_.assign(static_cast<size_t>(nu) * H, 0.0f);
  parallel_for(
      nu, threads,
      [&](int64_t uu) {
        const auto u = static_cast<int32_t>(uu);
        const int64_t b = uptr[u], e = uptr[u + 1];
        net_.hidden_state(train.user_items(u),
                          std::span<const uint8_t>(lv.data() + b, static_cast<size_t>(e - b)),
                          std::span<float>(user_hidden_.data() + static_cast<size_t>(u) * H,
                                           static_cast<size_t>(H)));
      },
      16);
  cold_hidden_.resize(static_cast<size_t>(H));
  net_.hidden_state({}, {}, cold_hidden_);
}

float CfNade::predict(int32_t user, int32_t item) const {
  require_fitted();
  const int L = net_.levels, H = net_.hidden;
  if (item_based_) std::swap(user, item);  // the rows are items
  if (item < 0 || item >= net_.n_items) return levels_.midpoint();
  float p[256];
  net_.level_probs(item, detail::hidden_row(user_hidden_, cold_hidden_, user, H),
                   std::span<float>(p, static_cast<size_t>(L)));
  return levels_.expected(std::span<const float>(p, static_cast<size_t>(L)));
}

void CfNade::score(int32_t user, std::span<float> out) const {
  require_fitted();
  METAREC_CHECK(static_cast<int64_t>(out.size()) == num_items(), algorithm(),
                ": score buffer has size ", out.size(), ", expected ", num_items());
  for (int32_t i = 0; i < num_items(); ++i) out[i] = predict(user, i);
}

void CfNade::do_save(ModelWriter& w) const {
  const int64_t L = net_.levels, H = net_.hidden, ni = net_.n_items,
                nu = static_cast<int64_t>(user_hidden_.size()) / H;
  levels_.save(w, "cf_nade");
  w.add("cf_nade.w", std::span<const float>(net_.w), {ni, L, H});
  w.add("cf_nade.v", std::span<const float>(net_.v), {ni, L, H});
  w.add("cf_nade.b", std::span<const float>(net_.b), {ni, L});
  w.add("cf_nade.c", std::span<const float>(net_.c), {H});
  w.add("cf_nade.user_hidden", std::span<const float>(user_hidden_), {nu, H});
}

void CfNade::do_load(const ModelReader& r) {
  const bool item_based = params().get_bool("item_based");
  item_based_ = item_based;
  const int64_t H = params().get_int("hidden"), ni = item_based ? num_users() : num_items(),
                nu = item_based ? num_items() : num_users();
  levels_.load(r, "cf_nade");
  const auto L = static_cast<int64_t>(levels_.values.size());
  net_ = {};
  net_.n_items = static_cast<int32_t>(ni);
  net_.levels = static_cast<int>(L);
  net_.hidden = static_cast<int>(H);
  net_.w = r.f32("cf_nade.w", {ni, L, H});
  net_.v = r.f32("cf_nade.v", {ni, L, H});
  net_.b = r.f32("cf_nade.b", {ni, L});
  net_.c = r.f32("cf_nade.c", {H});
  user_hidden_ = r.f32("cf_nade.user_hidden", {nu, H});
  cold_hidden_.resize(static_cast<size_t>(H));
  net_.hidden_state({}, {}, cold_hidden_);
}

}  // namespace metarec
