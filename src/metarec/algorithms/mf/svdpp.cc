// SVD++ trained by block SGD with the implicit sums cached per epoch.
#include <metarec/algorithms/mf/sgd_kernel.h>
#include <metarec/algorithms/mf/svdpp.h>
#include <metarec/core/error.h>
#include <metarec/core/parallel.h>

#include <algorithm>
#include <cmath>

namespace metarec {

ParamSchema SvdPlusPlus::schema() {
  // Defaults tuned on ML-100K 5-fold CV. y takes one summed step per epoch, so its learning rate
  // must be far below that of p and q (lr_y 0.003 already overshoots there).
  return {
      ParamSpec::integer("factors", 64, 1, 4096, "latent dimensions").tune(8, 256, true),
      ParamSpec::integer("epochs", 20, 1, 10000, "passes over the ratings").tune(5, 100, true),
      ParamSpec::real("lr", 0.03, 0, 1, "SGD learning rate of p and q", true).tune(1e-3, 0.1, true),
      ParamSpec::real("reg", 0.08, 0, 100, "L2 regularization of p and q").tune(1e-3, 1, true),
      ParamSpec::real("lr_bias", 0.01, 0, 1, "SGD learning rate of the biases", true)
          .tune(1e-3, 0.05, true),
      ParamSpec::real("reg_bias", 0.02, 0, 100, "L2 regularization of the biases")
          .tune(1e-3, 1, true),
      ParamSpec::real("lr_y", 0.001, 0, 1, "learning rate of the implicit factors y", true)
          .tune(1e-4, 0.01, true),
      ParamSpec::real("reg_y", 0.05, 0, 100, "L2 regularization of the implicit factors y")
          .tune(1e-3, 1, true),
      ParamSpec::real("lr_decay", 0.95, 0, 1, "learning-rate factor applied after every epoch",
                      true)
          .tune(0.8, 1),
      ParamSpec::real("init_std", 0.02, 0, 10, "standard deviation of the initial p, q, y")
          .tune(0.005, 0.3, true),
  };
}

void SvdPlusPlus::do_fit(const Interactions& train, const FitContext& ctx) {
  const Params& p = params();
  const int k = static_cast<int>(p.get_int("factors"));
  const int epochs = static_cast<int>(p.get_int("epochs"));
  detail::SvdppRates h;
  h.lr = static_cast<float>(p.get_float("lr"));
  h.lr_y = static_cast<float>(p.get_float("lr_y"));
  h.reg = static_cast<float>(p.get_float("reg"));
  h.lr_bias = static_cast<float>(p.get_float("lr_bias"));
  h.reg_bias = static_cast<float>(p.get_float("reg_bias"));
  h.reg_y = static_cast<float>(p.get_float("reg_y"));
  const float decay = static_cast<float>(p.get_float("lr_decay"));
  const float init_std = static_cast<float>(p.get_float("init_std"));

  init_factors(train, k, true, train.global_mean());
  detail::fill_normal(users_, init_std, Rng(ctx.seed).fork(1).next(), ctx.threads);
  detail::fill_normal(items_, init_std, Rng(ctx.seed).fork(2).next(), ctx.threads);
  detail::zero_unrated_rows(train, users_, items_, k);
  const int32_t nu = train.num_users(), ni = train.num_items();
  const size_t kk = static_cast<size_t>(k);
  y_.resize(static_cast<size_t>(ni) * kk);
  detail::fill_normal(y_, init_std, Rng(ctx.seed).fork(3).next(), ctx.threads);

  std::vector<float> norm(static_cast<size_t>(nu), 0.0f);
  for (int32_t u = 0; u < nu; ++u)
    if (train.user_count(u) > 0)
      norm[u] = 1.0f / std::sqrt(static_cast<float>(train.user_count(u)));
  detail::SgdLoop loop(train, ctx, detail::SgdGrid::Numbering::kBandSlots);
  const int threads = loop.threads();
  const auto uslots = loop.grid().user_slots(), islots = loop.grid().item_slots();
  // P, Q, z_u, g_u and the biases live in copies stored by band slot (sgd_kernel.h): padded,
  // aligned rows, each grid band in one stretch of memory. y_j stays by id (stride k).
  detail::PaddedRows padded_p(users_, k, uslots), padded_q(items_, k, islots);
  const std::vector<float> zeros(static_cast<size_t>(nu) * kk, 0.0f);
  detail::PaddedRows padded_z(zeros, k), padded_g(zeros, k);
  detail::AlignedFloats aligned_bu(user_bias_, uslots), aligned_bi(item_bias_, islots);
  const int kp = padded_p.stride();
  const size_t kps = static_cast<size_t>(kp);
  float *P = padded_p.data(), *Q = padded_q.data(), *Y = y_.data();
  float *Z = padded_z.data(), *G = padded_g.data();
  float *bu = aligned_bu.data(), *bi = aligned_bi.data();
  const float mu = static_cast<float>(mu_);
  for (int e = 0; e < epochs; ++e) {
    // z_u = |N(u)|^-1/2 sum y_j, g_u = 0.
    parallel_for(
        nu, threads,
        [&](int64_t u) {
          float* zu = Z + static_cast<size_t>(uslots[u]) * kps;
          std::fill_n(zu, kp, 0.0f);
          std::fill_n(G + static_cast<size_t>(uslots[u]) * kps, kp, 0.0f);
          for (int32_t j : train.user_items(static_cast<int32_t>(u))) {
            const float* yj = Y + j * kk;
#pragma omp simd
            for (int f = 0; f < k; ++f) zu[f] += yj[f];
          }
#pragma omp simd
          for (int f = 0; f < k; ++f) zu[f] *= norm[u];
        },
        64);
    loop.run(e, [&](const detail::SgdEntry& x, int) {
      detail::svdpp_rating_step(P + x.user * kps, Q + x.item * kps, Z + x.user * kps,
                                G + x.user * kps, bu + x.user, bi + x.item, kp, mu, x.value, h);
    });
    // Each y_j takes one step per user who rated j, in ascending user order.
    parallel_for(
        ni, threads,
        [&](int64_t j) {
          float* yj = Y + j * kk;
          for (int32_t u : train.item_users(static_cast<int32_t>(j)))
            detail::svdpp_y_step(yj, G + static_cast<size_t>(uslots[u]) * kps, norm[u], k, h);
        },
        16);
    h.lr *= decay;
    h.lr_y *= decay;
    h.lr_bias *= decay;
    ctx.report(static_cast<double>(e + 1) / epochs, "SGD epoch");
  }
  padded_p.copy_to(users_);
  padded_q.copy_to(items_);
  aligned_bu.copy_to(user_bias_);
  aligned_bi.copy_to(item_bias_);
  cache_user_vectors();
}

void SvdPlusPlus::cache_user_vectors() {
  const int32_t nu = num_users();
  const size_t kk = static_cast<size_t>(k_);
  user_vec_.assign(static_cast<size_t>(nu) * kk, 0.0f);
  for (int32_t u = 0; u < nu; ++u) {
    float* out = user_vec_.data() + u * kk;
    const auto items = seen_items(u);
    for (int32_t j : items) {
      const float* yj = y_.data() + j * kk;
      for (int f = 0; f < k_; ++f) out[f] += yj[f];
    }
    const float norm = items.empty() ? 0.0f : 1.0f / std::sqrt(static_cast<float>(items.size()));
    const float* pu = user_row(u);
    for (int f = 0; f < k_; ++f) out[f] = pu[f] + norm * out[f];
  }
}

void SvdPlusPlus::effective_user(int32_t user, float* out) const {
  const float* v = user_vec_.data() + static_cast<size_t>(user) * k_;
  std::copy(v, v + k_, out);
}

void SvdPlusPlus::save_extra(ModelWriter& w) const {
  w.add("svdpp.y", std::span<const float>(y_), {num_items(), k_});
}

void SvdPlusPlus::load_extra(const ModelReader& r) {
  y_ = r.f32("svdpp.y", {num_items(), k_});
  cache_user_vectors();
}

namespace detail {

double svdpp_rating_loss(const float* p, const float* q, float bu, float bi,
                         const std::vector<const float*>& ys, int k, double mu, double r,
                         const SvdppRates& h) {
  const double norm = ys.empty() ? 0.0 : 1.0 / std::sqrt(static_cast<double>(ys.size()));
  double d = 0, pp = 0, qq = 0, yy = 0;
  for (int f = 0; f < k; ++f) {
    double z = 0;
    for (const float* y : ys) {
      z += y[f];
      yy += static_cast<double>(y[f]) * y[f];
    }
    d += static_cast<double>(q[f]) * (p[f] + norm * z);
    pp += static_cast<double>(p[f]) * p[f];
    qq += static_cast<double>(q[f]) * q[f];
  }
  const double e = r - mu - bu - bi - d;
  return 0.5 * e * e + 0.5 * h.reg * (pp + qq) +
         0.5 * h.reg_bias * (static_cast<double>(bu) * bu + static_cast<double>(bi) * bi) +
         0.5 * h.reg_y * yy;
}

}  // namespace detail
}  // namespace metarec
