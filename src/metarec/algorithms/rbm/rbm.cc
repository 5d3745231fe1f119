// RBM for collaborative filtering: CD-T training over mini-batches of users with momentum and
// weight decay, mean-field rating prediction, and the explainable variant's neighbourhood inputs.
#include <metarec/algorithms/common/neighborhood_explainability.h>
#include <metarec/algorithms/rbm/rating_levels.h>
#include <metarec/algorithms/rbm/rbm.h>
#include <metarec/core/error.h>
#include <metarec/core/parallel.h>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace metarec {

ParamSchema Rbm::schema(bool explainable) {
  ParamSchema s = {
      ParamSpec::integer("hidden", 100, 1, 4096, "binary hidden units F").tune(20, 400, true),
      ParamSpec::integer("epochs", 20, 1, 100000, "passes over the users").tune(10, 200, true),
      ParamSpec::integer("batch", 16, 1, 1 << 20, "users per mini-batch").tune(4, 128, true),
      ParamSpec::real("lr", 0.01, 0, 10, "learning rate (gradients are averaged over the batch)",
                      true)
          .tune(0.005, 0.5, true),
      ParamSpec::real("momentum", 0.9, 0, 0.999,
                      "momentum after the first 5 epochs (0.5 before, as Hinton's guide)"),
      ParamSpec::real("weight_decay", 0.001, 0, 10, "L2 decay of the weights (not the biases)")
          .tune(1e-5, 0.05, true),
      ParamSpec::integer("cd_steps_max", 3, 1, 50,
                         "Gibbs steps of contrastive divergence, grown linearly from 1 to this "
                         "over the epochs")
          .tune(1, 9),
      ParamSpec::real("init_std", 0.01, 0, 10, "std of the random initial weights"),
      ParamSpec::integer("max_levels", 10, 2, 255,
                         "softmax levels: the distinct training ratings if there are at most this "
                         "many, else this many evenly spaced values"),
  };
  if (!explainable)
    s.push_back(ParamSpec::boolean("item_based", true,
                                   "one RBM per item over its users' ratings (I-RBM) instead of "
                                   "one per user over its items' ratings (U-RBM)"));
  if (explainable)
    s.push_back(ParamSpec::integer("neighbors", 10, 1, 100000,
                                   "nearest users (cosine) whose ratings give the explainability "
                                   "scores")
                    .tune(5, 100, true));
  return s;
}

namespace detail {

namespace {

inline float sigmoid_f(float x) { return 1.0f / (1.0f + std::exp(-x)); }

// Softmax of `x` in place (size n).
void softmax_in_place(float* x, int n) {
  float m = x[0];
  for (int k = 1; k < n; ++k) m = std::max(m, x[k]);
  float s = 0;
  for (int k = 0; k < n; ++k) {
    x[k] = std::exp(x[k] - m);
    s += x[k];
  }
  for (int k = 0; k < n; ++k) x[k] /= s;
}

}  // namespace

void RbmNet::hidden_input(std::span<const int32_t> items, std::span<const uint8_t> lv,
                          std::span<const int32_t> cond_items, std::span<const float> cond_values,
                          std::span<float> act) const {
  std::copy(bh.begin(), bh.end(), act.begin());
  for (size_t t = 0; t < items.size(); ++t) {
    const float* row = w_row(items[t], lv[t]);
    for (int j = 0; j < hidden; ++j) act[j] += row[j];
  }
  for (size_t c = 0; c < cond_items.size(); ++c) {
    const float* row = d.data() + static_cast<size_t>(cond_items[c]) * hidden;
    const float e = cond_values[c];
    for (int j = 0; j < hidden; ++j) act[j] += e * row[j];
  }
}

void RbmNet::hidden_probs(std::span<const int32_t> items, std::span<const uint8_t> lv,
                          std::span<const int32_t> cond_items, std::span<const float> cond_values,
                          std::span<float> out) const {
  hidden_input(items, lv, cond_items, cond_values, out);
  for (int j = 0; j < hidden; ++j) out[j] = sigmoid_f(out[j]);
}

void RbmNet::visible_probs(int32_t item, std::span<const float> h, std::span<float> out) const {
  for (int k = 0; k < levels; ++k) {
    const float* row = w_row(item, k);
    float a = bv[static_cast<size_t>(item) * levels + k];
    for (int j = 0; j < hidden; ++j) a += row[j] * h[j];
    out[k] = a;
  }
  softmax_in_place(out.data(), levels);
}

double RbmNet::free_energy(std::span<const int32_t> items, std::span<const uint8_t> lv,
                           std::span<const int32_t> cond_items,
                           std::span<const float> cond_values) const {
  std::vector<float> act(static_cast<size_t>(hidden));
  hidden_input(items, lv, cond_items, cond_values, act);
  double f = 0;
  for (size_t t = 0; t < items.size(); ++t) f -= bv[static_cast<size_t>(items[t]) * levels + lv[t]];
  for (int j = 0; j < hidden; ++j) {
    const double a = act[j];
    f -= a > 0 ? a + std::log1p(std::exp(-a)) : std::log1p(std::exp(a));  // softplus
  }
  return f;
}

void rbm_cd_phases(const RbmNet& net, std::span<const int32_t> items, std::span<const uint8_t> lv,
                   std::span<const int32_t> cond_items, std::span<const float> cond_values,
                   int steps, Rng& rng, RbmPhase& pos, RbmPhase& neg, std::vector<float>& scratch) {
  const int L = net.levels, F = net.hidden;
  const size_t n = items.size(), lf = static_cast<size_t>(L) * F;
  for (RbmPhase* p : {&pos, &neg}) {
    p->vh.assign(n * lf, 0.0f);
    p->v.assign(n * L, 0.0f);
    p->h.resize(static_cast<size_t>(F));
  }
  scratch.resize(2 * static_cast<size_t>(F) + L);
  float* hs = scratch.data();  // sampled hidden states
  float* act = hs + F;         // hidden inputs of the reconstruction
  float* pv = act + F;         // one item's visible probabilities
  // Positive phase: the data's one-hot visible units and their hidden probabilities.
  net.hidden_probs(items, lv, cond_items, cond_values, pos.h);
  for (size_t t = 0; t < n; ++t) {
    pos.v[t * L + lv[t]] = 1.0f;
    std::copy(pos.h.begin(), pos.h.end(),
              pos.vh.begin() + static_cast<std::ptrdiff_t>(t * lf + lv[t] * F));
  }
  // Negative phase: T alternating Gibbs steps from the data.
  std::span<const float> hp = pos.h;
  for (int step = 0; step < steps; ++step) {
    for (int j = 0; j < F; ++j) hs[j] = rng.uniform() < hp[j] ? 1.0f : 0.0f;
    const bool last = step + 1 == steps;
    std::copy(net.bh.begin(), net.bh.end(), act);
    for (size_t t = 0; t < n; ++t) {
      net.visible_probs(items[t], std::span<const float>(hs, F), std::span<float>(pv, L));
      float* vt = neg.v.data() + t * L;
      if (last) {
        std::copy(pv, pv + L, vt);
      } else {
        const double u = rng.uniform();
        double c = 0;
        int pick = L - 1;
        for (int k = 0; k < L; ++k) {
          c += pv[k];
          if (u < c) {
            pick = k;
            break;
          }
        }
        std::fill(vt, vt + L, 0.0f);
        vt[pick] = 1.0f;
      }
      for (int k = 0; k < L; ++k) {
        if (vt[k] == 0.0f) continue;
        const float* row = net.w_row(items[t], k);
        for (int j = 0; j < F; ++j) act[j] += vt[k] * row[j];
      }
    }
    for (size_t c = 0; c < cond_items.size(); ++c) {
      const float* row = net.d.data() + static_cast<size_t>(cond_items[c]) * F;
      for (int j = 0; j < F; ++j) act[j] += cond_values[c] * row[j];
    }
    for (int j = 0; j < F; ++j) neg.h[j] = sigmoid_f(act[j]);
    hp = neg.h;
  }
  for (size_t t = 0; t < n; ++t)
    for (int k = 0; k < L; ++k) {
      const float v = neg.v[t * L + k];
      float* out = neg.vh.data() + t * lf + static_cast<size_t>(k) * F;
      for (int j = 0; j < F; ++j) out[j] = v * neg.h[j];
    }
}

}  // namespace detail

std::vector<std::pair<int32_t, float>> Rbm::explainability(int32_t user) const {
  require_fitted();
  std::vector<std::pair<int32_t, float>> out;
  if (!explainable_ || user < 0 || user >= num_users()) return out;
  for (int64_t e = expl_ptr_[user]; e < expl_ptr_[user + 1]; ++e)
    out.push_back({expl_items_[e], expl_values_[e]});
  return out;
}

void Rbm::do_fit(const Interactions& input, const FitContext& ctx) {
  // Item-based: the cases are items, each a vector of its users' ratings.
  item_based_ = !explainable_ && params().get_bool("item_based");
  const Interactions transposed = item_based_ ? detail::transpose_ratings(input) : Interactions();
  const Interactions& train = item_based_ ? transposed : input;
  // Every batch opens parallel regions; on small data their start-up costs more than the work.
  const int threads = train.nnz() < 20000 ? 1 : resolve_threads(ctx.threads);
  const int F = static_cast<int>(params().get_int("hidden"));
  const int epochs = static_cast<int>(params().get_int("epochs"));
  const int batch = static_cast<int>(params().get_int("batch"));
  const float lr = static_cast<float>(params().get_float("lr"));
  const float momentum = static_cast<float>(params().get_float("momentum"));
  const float decay = static_cast<float>(params().get_float("weight_decay"));
  const int cd_max = static_cast<int>(params().get_int("cd_steps_max"));
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

  if (explainable_) {
    NeighborhoodExplainability e = neighborhood_explainability(
        train, static_cast<int>(params().get_int("neighbors")), threads);
    expl_ptr_ = std::move(e.ptr);
    expl_items_ = std::move(e.items);
    expl_values_ = std::move(e.values);
  } else
    expl_ptr_.assign(static_cast<size_t>(nu) + 1, 0);
  auto cond_items = [&](int32_t u) {
    return std::span<const int32_t>(expl_items_.data() + expl_ptr_[u],
                                    static_cast<size_t>(expl_ptr_[u + 1] - expl_ptr_[u]));
  };
  auto cond_values = [&](int32_t u) {
    return std::span<const float>(expl_values_.data() + expl_ptr_[u],
                                  static_cast<size_t>(expl_ptr_[u + 1] - expl_ptr_[u]));
  };

  // Initial weights: small Gaussians; visible biases the log of each item's smoothed level
  // frequencies (Hinton's practical guide), hidden biases 0.
  Rng init(ctx.seed);
  net_ = {};
  net_.n_items = ni;
  net_.levels = L;
  net_.hidden = F;
  const size_t lf = static_cast<size_t>(L) * F;
  net_.w.resize(static_cast<size_t>(ni) * lf);
  for (auto& x : net_.w) x = static_cast<float>(init.normal() * init_std);
  std::vector<double> global(static_cast<size_t>(L), 1.0);
  for (uint8_t k : lv) global[k] += 1;
  const double gsum = std::accumulate(global.begin(), global.end(), 0.0);
  net_.bv.resize(static_cast<size_t>(ni) * L);
  for (int32_t i = 0; i < ni; ++i) {
    std::vector<double> c(static_cast<size_t>(L));
    for (int k = 0; k < L; ++k) c[k] = 2.0 * global[k] / gsum;
    auto users = train.item_users(i);
    auto vals = train.item_values(i);
    for (size_t b = 0; b < users.size(); ++b)
      c[detail::nearest_level(levels_.values, vals[b])] += 1;
    const double s = std::accumulate(c.begin(), c.end(), 0.0);
    for (int k = 0; k < L; ++k)
      net_.bv[static_cast<size_t>(i) * L + k] = static_cast<float>(std::log(c[k] / s));
  }
  net_.bh.assign(static_cast<size_t>(F), 0.0f);
  if (explainable_) {
    net_.d.resize(static_cast<size_t>(ni) * F);
    for (auto& x : net_.d) x = static_cast<float>(init.normal() * init_std);
  }

  std::vector<float> vel_w(net_.w.size(), 0.0f), vel_bv(net_.bv.size(), 0.0f),
      vel_bh(net_.bh.size(), 0.0f), vel_d(net_.d.size(), 0.0f);
  std::vector<float> g_w(net_.w.size(), 0.0f), g_bv(net_.bv.size(), 0.0f),
      g_bh(net_.bh.size(), 0.0f), g_d(net_.d.size(), 0.0f);
  std::vector<int32_t> order;
  for (int32_t u = 0; u < nu; ++u)
    if (train.user_count(u) > 0) order.push_back(u);

  // Per-batch buffers: each user's gradient rows (its ratings x L x F), visible-bias and hidden
  // gradients, and for every item the (slot, row) pairs that touch it, in batch order.
  std::vector<float> buf_w, buf_bv, buf_h;
  std::vector<size_t> off(static_cast<size_t>(batch) + 1);
  std::vector<int64_t> item_head(static_cast<size_t>(ni) + 1),
      cond_head(static_cast<size_t>(ni) + 1);
  std::vector<std::pair<int32_t, int32_t>> item_refs, cond_refs;  // (slot, row in slot)
  struct Scratch {
    detail::RbmPhase pos, neg;
    std::vector<float> tmp;
  };
  std::vector<Scratch> scratch(static_cast<size_t>(threads));
  const Rng root = Rng(ctx.seed).fork(1);

  for (int epoch = 0; epoch < epochs; ++epoch) {
    ctx.check_cancel();
    Rng shuffle = root.fork(2 * static_cast<uint64_t>(epoch));
    for (size_t a = order.size(); a > 1; --a)
      std::swap(order[a - 1], order[shuffle.uniform_int(a)]);
    const int steps = epochs > 1 ? 1 + (cd_max - 1) * epoch / (epochs - 1) : cd_max;
    const float mom = epoch < 5 ? std::min(0.5f, momentum) : momentum;
    const Rng epoch_rng = root.fork(2 * static_cast<uint64_t>(epoch) + 1);
    for (size_t start = 0; start < order.size(); start += static_cast<size_t>(batch)) {
      const size_t bsz = std::min(order.size() - start, static_cast<size_t>(batch));
      const int32_t* slot_user = order.data() + start;
      off[0] = 0;
      for (size_t s = 0; s < bsz; ++s)
        off[s + 1] = off[s] + static_cast<size_t>(train.user_count(slot_user[s]));
      buf_w.resize(off[bsz] * lf);
      buf_bv.resize(off[bsz] * L);
      buf_h.resize(bsz * F);
      parallel_for_tid(
          static_cast<int64_t>(bsz), threads,
          [&](int64_t s, int tid) {
            const int32_t u = slot_user[s];
            Scratch& sc = scratch[static_cast<size_t>(tid)];
            Rng rng = epoch_rng.fork(static_cast<uint64_t>(u));
            const int64_t b = uptr[u], e = uptr[u + 1];
            detail::rbm_cd_phases(
                net_, train.user_items(u),
                std::span<const uint8_t>(lv.data() + b, static_cast<size_t>(e - b)), cond_items(u),
                cond_values(u), steps, rng, sc.pos, sc.neg, sc.tmp);
            float* gw = buf_w.data() + off[s] * lf;
            for (size_t x = 0; x < sc.pos.vh.size(); ++x) gw[x] = sc.pos.vh[x] - sc.neg.vh[x];
            float* gb = buf_bv.data() + off[s] * L;
            for (size_t x = 0; x < sc.pos.v.size(); ++x) gb[x] = sc.pos.v[x] - sc.neg.v[x];
            float* gh = buf_h.data() + static_cast<size_t>(s) * F;
            for (int j = 0; j < F; ++j) gh[j] = sc.pos.h[j] - sc.neg.h[j];
          },
          1);
      // Reduction in user order, parallel over items.
      auto build_refs = [&](auto items_of, std::vector<int64_t>& head,
                            std::vector<std::pair<int32_t, int32_t>>& refs) {
        std::fill(head.begin(), head.end(), 0);
        for (size_t s = 0; s < bsz; ++s)
          for (int32_t i : items_of(slot_user[s])) ++head[static_cast<size_t>(i) + 1];
        for (int32_t i = 0; i < ni; ++i) head[i + 1] += head[i];
        refs.resize(static_cast<size_t>(head[ni]));
        std::vector<int64_t> fill(head.begin(), head.end() - 1);
        for (size_t s = 0; s < bsz; ++s) {
          auto its = items_of(slot_user[s]);
          for (size_t t = 0; t < its.size(); ++t)
            refs[fill[its[t]]++] = {static_cast<int32_t>(s), static_cast<int32_t>(t)};
        }
      };
      build_refs([&](int32_t u) { return train.user_items(u); }, item_head, item_refs);
      if (explainable_) build_refs(cond_items, cond_head, cond_refs);
      // Per item: sum its gradient rows in user order, then the momentum step on its rows
      // (weights decayed, biases not). One parallel region per batch besides the users'.
      const float scale = 1.0f / static_cast<float>(bsz);
      auto step = [&](float* p, float* v, float* g, size_t n, float wd) {
        for (size_t x = 0; x < n; ++x) {
          v[x] = mom * v[x] + lr * (g[x] * scale - wd * p[x]);
          p[x] += v[x];
          g[x] = 0.0f;
        }
      };
      parallel_for(
          ni, threads,
          [&](int64_t ii) {
            const auto i = static_cast<size_t>(ii);
            float* gw = g_w.data() + i * lf;
            float* gb = g_bv.data() + i * L;
            for (int64_t r = item_head[i]; r < item_head[i + 1]; ++r) {
              const auto [s, t] = item_refs[r];
              const size_t row = off[s] + static_cast<size_t>(t);
              const float* src = buf_w.data() + row * lf;
              for (size_t x = 0; x < lf; ++x) gw[x] += src[x];
              for (int k = 0; k < L; ++k) gb[k] += buf_bv[row * L + k];
            }
            step(net_.w.data() + i * lf, vel_w.data() + i * lf, gw, lf, decay);
            step(net_.bv.data() + i * L, vel_bv.data() + i * L, gb, static_cast<size_t>(L), 0.0f);
            if (!explainable_) return;
            float* gd = g_d.data() + i * F;
            for (int64_t r = cond_head[i]; r < cond_head[i + 1]; ++r) {
              const auto [s, t] = cond_refs[r];
              const float e = cond_values(slot_user[s])[t];
              const float* gh = buf_h.data() + static_cast<size_t>(s) * F;
              for (int j = 0; j < F; ++j) gd[j] += e * gh[j];
            }
            step(net_.d.data() + i * F, vel_d.data() + i * F, gd, static_cast<size_t>(F), decay);
          },
          64);
      for (size_t s = 0; s < bsz; ++s)
        for (int j = 0; j < F; ++j) g_bh[j] += buf_h[s * F + j];
      for (int j = 0; j < F; ++j) {
        vel_bh[j] = mom * vel_bh[j] + lr * g_bh[j] * scale;
        net_.bh[j] += vel_bh[j];
        g_bh[j] = 0.0f;
      }
    }
    ctx.report(static_cast<double>(epoch + 1) / epochs, "rbm epoch");
  }

  // Mean-field hidden state of every user given all their training ratings.
  user_hidden_.assign(static_cast<size_t>(nu) * F, 0.0f);
  parallel_for(
      nu, threads,
      [&](int64_t uu) {
        const auto u = static_cast<int32_t>(uu);
        const int64_t b = uptr[u], e = uptr[u + 1];
        net_.hidden_probs(train.user_items(u),
                          std::span<const uint8_t>(lv.data() + b, static_cast<size_t>(e - b)),
                          cond_items(u), cond_values(u),
                          std::span<float>(user_hidden_.data() + static_cast<size_t>(u) * F,
                                           static_cast<size_t>(F)));
      },
      16);
  cold_hidden_.resize(static_cast<size_t>(F));
  net_.hidden_probs({}, {}, {}, {}, cold_hidden_);
}

float Rbm::predict(int32_t user, int32_t item) const {
  require_fitted();
  const int L = net_.levels, F = net_.hidden;
  if (item_based_) std::swap(user, item);  // the rows are items
  if (item < 0 || item >= net_.n_items) return levels_.midpoint();
  float p[256];
  net_.visible_probs(item, detail::hidden_row(user_hidden_, cold_hidden_, user, F),
                     std::span<float>(p, static_cast<size_t>(L)));
  return levels_.expected(std::span<const float>(p, static_cast<size_t>(L)));
}

void Rbm::score(int32_t user, std::span<float> out) const {
  require_fitted();
  METAREC_CHECK(static_cast<int64_t>(out.size()) == num_items(), algorithm(),
                ": score buffer has size ", out.size(), ", expected ", num_items());
  for (int32_t i = 0; i < num_items(); ++i) out[i] = predict(user, i);
}

void Rbm::do_save(ModelWriter& w) const {
  const int64_t L = net_.levels, F = net_.hidden, ni = net_.n_items,
                nu = static_cast<int64_t>(user_hidden_.size()) / F;
  levels_.save(w, "rbm");
  w.add("rbm.w", std::span<const float>(net_.w), {ni, L, F});
  w.add("rbm.bv", std::span<const float>(net_.bv), {ni, L});
  w.add("rbm.bh", std::span<const float>(net_.bh), {F});
  w.add("rbm.user_hidden", std::span<const float>(user_hidden_), {nu, F});
  if (explainable_) {
    w.add("rbm.d", std::span<const float>(net_.d), {ni, F});
    w.add("rbm.expl_ptr", std::span<const int64_t>(expl_ptr_), {nu + 1});
    w.add("rbm.expl_items", std::span<const int32_t>(expl_items_),
          {static_cast<int64_t>(expl_items_.size())});
    w.add("rbm.expl_values", std::span<const float>(expl_values_),
          {static_cast<int64_t>(expl_values_.size())});
  }
}

void Rbm::do_load(const ModelReader& r) {
  item_based_ = !explainable_ && params().get_bool("item_based");
  const int64_t F = params().get_int("hidden"), ni = item_based_ ? num_users() : num_items(),
                nu = item_based_ ? num_items() : num_users();
  levels_.load(r, "rbm");
  const auto L = static_cast<int64_t>(levels_.values.size());
  net_ = {};
  net_.n_items = static_cast<int32_t>(ni);
  net_.levels = static_cast<int>(L);
  net_.hidden = static_cast<int>(F);
  net_.w = r.f32("rbm.w", {ni, L, F});
  net_.bv = r.f32("rbm.bv", {ni, L});
  net_.bh = r.f32("rbm.bh", {F});
  user_hidden_ = r.f32("rbm.user_hidden", {nu, F});
  if (explainable_) {
    net_.d = r.f32("rbm.d", {ni, F});
    expl_ptr_ = r.i64("rbm.expl_ptr", {nu + 1});
    expl_items_ = r.i32("rbm.expl_items");
    expl_values_ = r.f32("rbm.expl_values");
    if (expl_ptr_.front() != 0 || expl_ptr_.back() != static_cast<int64_t>(expl_items_.size()) ||
        expl_items_.size() != expl_values_.size() ||
        !std::is_sorted(expl_ptr_.begin(), expl_ptr_.end()))
      throw FormatError(r.path(), 0, "rbm: inconsistent explainability scores");
    for (int32_t i : expl_items_)
      if (i < 0 || i >= ni) throw FormatError(r.path(), 0, "rbm: explainability item out of range");
  } else {
    expl_ptr_.assign(static_cast<size_t>(nu) + 1, 0);
  }
  cold_hidden_.resize(static_cast<size_t>(F));
  net_.hidden_probs({}, {}, {}, {}, cold_hidden_);
}

}  // namespace metarec
