// SVDFeature-style MF: feature embeddings added to user and item vectors, trained by block SGD.
#include <metarec/algorithms/mf/sgd_kernel.h>
#include <metarec/algorithms/mf/side_mf.h>
#include <metarec/core/error.h>
#include <metarec/core/parallel.h>

#include <algorithm>
#include <map>

namespace metarec {

ParamSchema SideMf::schema() {
  return {
      ParamSpec::integer("factors", 64, 1, 4096, "latent dimensions").tune(8, 256, true),
      ParamSpec::integer("epochs", 20, 1, 10000, "passes over the ratings").tune(5, 100, true),
      ParamSpec::real("lr", 0.03, 0, 1, "SGD learning rate of the factors and feature embeddings",
                      true)
          .tune(1e-3, 0.1, true),
      ParamSpec::real("reg", 0.07, 0, 100, "L2 regularization of p_u and q_i").tune(1e-3, 1, true),
      ParamSpec::real("reg_feature", 0.02, 0, 100, "L2 regularization of the feature embeddings")
          .tune(1e-4, 1, true),
      ParamSpec::real("lr_bias", 0.01, 0, 1, "SGD learning rate of all biases", true)
          .tune(1e-3, 0.1, true),
      ParamSpec::real("reg_bias", 0.02, 0, 100, "L2 regularization of all biases")
          .tune(1e-3, 1, true),
      ParamSpec::real("lr_decay", 0.95, 0, 1, "learning-rate factor applied after every epoch",
                      true)
          .tune(0.8, 1),
      ParamSpec::real("init_std", 0.02, 0, 10, "standard deviation of the initial factors")
          .tune(0.005, 0.3, true),
      ParamSpec::boolean("user_features", true, "use the users' categorical attributes"),
      ParamSpec::boolean("item_features", true, "use the items' genres"),
  };
}

namespace detail {

void user_features(const UserMeta* meta, int32_t num_users, std::vector<int64_t>& ptr,
                   std::vector<int32_t>& features, std::vector<std::string>& names) {
  ptr.assign(static_cast<size_t>(num_users) + 1, 0);
  features.clear();
  names.clear();
  if (!meta || meta->empty()) return;
  std::map<std::string, int32_t> ids;
  for (int32_t u = 0; u < num_users; ++u) {
    for (size_t a = 0; a < meta->attribute_names.size(); ++a) {
      const auto& column = meta->values[a];
      if (static_cast<size_t>(u) >= column.size() || column[u].empty()) continue;
      const std::string key = meta->attribute_names[a] + "=" + column[u];
      auto [it, inserted] = ids.emplace(key, static_cast<int32_t>(names.size()));
      if (inserted) names.push_back(key);
      features.push_back(it->second);
    }
    ptr[u + 1] = static_cast<int64_t>(features.size());
  }
}

FeatureLists FeatureLists::by_slot(std::span<const int64_t> ptr, std::span<const int32_t> features,
                                   std::span<const int32_t> slots) {
  const size_t n = ptr.size() - 1;
  METAREC_CHECK(slots.size() == n, "FeatureLists::by_slot: one slot per row expected");
  std::vector<int32_t> row_at(n, -1);
  for (size_t r = 0; r < n; ++r) {
    METAREC_CHECK(slots[r] >= 0 && static_cast<size_t>(slots[r]) < n && row_at[slots[r]] < 0,
                  "FeatureLists::by_slot: slots are not a permutation");
    row_at[slots[r]] = static_cast<int32_t>(r);
  }
  FeatureLists out;
  out.ptr.reserve(n + 1);
  out.ptr.push_back(0);
  out.features.reserve(features.size());
  for (size_t s = 0; s < n; ++s) {
    const int32_t r = row_at[s];
    out.features.insert(out.features.end(), features.begin() + ptr[r],
                        features.begin() + ptr[r + 1]);
    out.ptr.push_back(static_cast<int64_t>(out.features.size()));
  }
  return out;
}

double side_mf_rating_loss(const SideMfRating& x, const SideMfTables& t, int k, double mu, double r,
                           const SideMfRates& h) {
  const double wu =
      x.user_features.empty() ? 0.0 : 1.0 / static_cast<double>(x.user_features.size());
  const double wi =
      x.item_features.empty() ? 0.0 : 1.0 / static_cast<double>(x.item_features.size());
  double bias = mu + *x.bu + *x.bi,
         regb = static_cast<double>(*x.bu) * *x.bu + static_cast<double>(*x.bi) * *x.bi;
  for (int32_t a : x.user_features) {
    bias += wu * t.c[a];
    regb += static_cast<double>(t.c[a]) * t.c[a];
  }
  for (int32_t g : x.item_features) {
    bias += wi * t.d[g];
    regb += static_cast<double>(t.d[g]) * t.d[g];
  }
  double dot = 0, regpq = 0, regf = 0;
  for (int f = 0; f < k; ++f) {
    double pe = x.p[f], qe = x.q[f];
    for (int32_t a : x.user_features) pe += wu * t.A[static_cast<size_t>(a) * k + f];
    for (int32_t g : x.item_features) qe += wi * t.B[static_cast<size_t>(g) * k + f];
    dot += pe * qe;
    regpq += static_cast<double>(x.p[f]) * x.p[f] + static_cast<double>(x.q[f]) * x.q[f];
    for (int32_t a : x.user_features) {
      const double v = t.A[static_cast<size_t>(a) * k + f];
      regf += v * v;
    }
    for (int32_t g : x.item_features) {
      const double v = t.B[static_cast<size_t>(g) * k + f];
      regf += v * v;
    }
  }
  const double e = r - (bias + dot);
  return 0.5 * e * e + 0.5 * h.reg * regpq + 0.5 * h.reg_bias * regb + 0.5 * h.reg_feature * regf;
}

}  // namespace detail

void SideMf::do_fit(const Interactions& train, const FitContext& ctx) {
  const Params& p = params();
  const int k = static_cast<int>(p.get_int("factors"));
  const int epochs = static_cast<int>(p.get_int("epochs"));
  detail::SideMfRates h;
  h.lr = static_cast<float>(p.get_float("lr"));
  h.reg = static_cast<float>(p.get_float("reg"));
  h.reg_feature = static_cast<float>(p.get_float("reg_feature"));
  h.lr_bias = static_cast<float>(p.get_float("lr_bias"));
  h.reg_bias = static_cast<float>(p.get_float("reg_bias"));
  const float decay = static_cast<float>(p.get_float("lr_decay"));
  const float init_std = static_cast<float>(p.get_float("init_std"));
  const int32_t nu = train.num_users(), ni = train.num_items();
  const size_t kk = static_cast<size_t>(k);

  // Feature lists: users' attribute values, items' genres (CSR).
  std::vector<int64_t> uptr, iptr(static_cast<size_t>(ni) + 1, 0);
  std::vector<int32_t> ufeat, ifeat;
  std::vector<std::string> unames;
  detail::user_features(p.get_bool("user_features") ? train.user_meta() : nullptr, nu, uptr, ufeat,
                        unames);
  const ItemMeta* im = train.item_meta();
  const bool genres = p.get_bool("item_features") && im && im->has_genres();
  for (int32_t i = 0; i < ni; ++i) {
    if (genres && static_cast<size_t>(i) < im->genres.size())
      ifeat.insert(ifeat.end(), im->genres[i].begin(), im->genres[i].end());
    iptr[i + 1] = static_cast<int64_t>(ifeat.size());
  }
  const size_t nuf = unames.size(), nif = genres ? im->genre_names.size() : 0;

  init_factors(train, k, true, train.global_mean());
  detail::fill_normal(users_, init_std, Rng(ctx.seed).fork(1).next(), ctx.threads);
  detail::fill_normal(items_, init_std, Rng(ctx.seed).fork(2).next(), ctx.threads);
  detail::zero_unrated_rows(train, users_, items_, k);
  // All feature parameters in one flat array [A | B | c | d] so thread copies are one memcpy.
  const size_t offB = nuf * kk, offc = offB + nif * kk, offd = offc + nuf, total = offd + nif;
  std::vector<float> feat(total, 0.0f);
  detail::fill_normal(std::span<float>(feat.data(), offc), init_std, Rng(ctx.seed).fork(3).next(),
                      ctx.threads);

  detail::SgdLoop loop(train, ctx, detail::SgdGrid::Numbering::kBandSlots);
  const int threads = loop.threads();
  std::vector<std::vector<float>> copies(threads > 1 ? static_cast<size_t>(threads) : 0);
  std::vector<float> base;
  const size_t stride = padded_stride<float>(2 * kk);
  std::vector<float> scratch(static_cast<size_t>(threads) * stride);
  std::vector<detail::SideMfTables> tables(static_cast<size_t>(threads));
  auto tables_of = [&](float* f) { return detail::SideMfTables{f, f + offB, f + offc, f + offd}; };
  // Train on copies stored by band slot (sgd_kernel.h): padded factor rows, aligned biases, and
  // the feature lists in slot order; written back by id below.
  const auto uslots = loop.grid().user_slots(), islots = loop.grid().item_slots();
  detail::PaddedRows padded_p(users_, k, uslots), padded_q(items_, k, islots);
  detail::AlignedFloats aligned_bu(user_bias_, uslots), aligned_bi(item_bias_, islots);
  const detail::FeatureLists uf = detail::FeatureLists::by_slot(uptr, ufeat, uslots),
                             itf = detail::FeatureLists::by_slot(iptr, ifeat, islots);
  float *P = padded_p.data(), *Q = padded_q.data(), *bu = aligned_bu.data(),
        *bi = aligned_bi.data();
  const size_t kp = static_cast<size_t>(padded_p.stride());
  const float mu = static_cast<float>(mu_);
  for (int e = 0; e < epochs; ++e) {
    if (threads > 1) {
      base = feat;
      for (int t = 0; t < threads; ++t) {
        copies[t] = feat;
        tables[t] = tables_of(copies[t].data());
      }
    } else {
      tables[0] = tables_of(feat.data());
    }
    loop.run(e, [&](const detail::SgdEntry& x, int tid) {
      const detail::SideMfRating r{P + x.user * kp, Q + x.item * kp, bu + x.user,
                                   bi + x.item,     uf.of(x.user),   itf.of(x.item)};
      detail::side_mf_step(r, tables[tid], k, mu, x.value, h, scratch.data() + tid * stride);
    });
    if (threads > 1) {
      for (size_t j = 0; j < total; ++j) {
        float sum = base[j];
        for (int t = 0; t < threads; ++t) sum += copies[t][j] - base[j];
        feat[j] = sum;
      }
    }
    h.lr *= decay;
    h.lr_bias *= decay;
    ctx.report(static_cast<double>(e + 1) / epochs, "SGD epoch");
  }
  padded_p.copy_to(users_);
  padded_q.copy_to(items_);
  aligned_bu.copy_to(user_bias_);
  aligned_bi.copy_to(item_bias_);
  P = users_.data();
  Q = items_.data();
  bu = user_bias_.data();
  bi = item_bias_.data();

  // Fold the feature terms into the stored vectors and biases.
  const detail::SideMfTables t = tables_of(feat.data());
  for (int32_t u = 0; u < nu; ++u) {
    const int64_t n = uptr[u + 1] - uptr[u];
    if (n == 0) continue;
    const float w = 1.0f / static_cast<float>(n);
    float* pu = P + u * kk;
    for (int64_t j = uptr[u]; j < uptr[u + 1]; ++j) {
      const float* Aa = t.A + ufeat[j] * kk;
      for (int f = 0; f < k; ++f) pu[f] += w * Aa[f];
      bu[u] += w * t.c[ufeat[j]];
    }
  }
  for (int32_t i = 0; i < ni; ++i) {
    const int64_t n = iptr[i + 1] - iptr[i];
    if (n == 0) continue;
    const float w = 1.0f / static_cast<float>(n);
    float* qi = Q + i * kk;
    for (int64_t j = iptr[i]; j < iptr[i + 1]; ++j) {
      const float* Bg = t.B + ifeat[j] * kk;
      for (int f = 0; f < k; ++f) qi[f] += w * Bg[f];
      bi[i] += w * t.d[ifeat[j]];
    }
  }
  user_feat_factors_.assign(feat.begin(), feat.begin() + offB);
  item_feat_factors_.assign(feat.begin() + offB, feat.begin() + offc);
  user_feat_bias_.assign(feat.begin() + offc, feat.begin() + offd);
  item_feat_bias_.assign(feat.begin() + offd, feat.end());
}

void SideMf::save_extra(ModelWriter& w) const {
  const int64_t nuf = static_cast<int64_t>(user_feat_bias_.size());
  const int64_t nif = static_cast<int64_t>(item_feat_bias_.size());
  w.add("side_mf.user_feature_factors", std::span<const float>(user_feat_factors_), {nuf, k_});
  w.add("side_mf.item_feature_factors", std::span<const float>(item_feat_factors_), {nif, k_});
  w.add("side_mf.user_feature_bias", std::span<const float>(user_feat_bias_), {nuf});
  w.add("side_mf.item_feature_bias", std::span<const float>(item_feat_bias_), {nif});
}

void SideMf::load_extra(const ModelReader& r) {
  user_feat_bias_ = r.f32("side_mf.user_feature_bias");
  item_feat_bias_ = r.f32("side_mf.item_feature_bias");
  user_feat_factors_ =
      r.f32("side_mf.user_feature_factors", {static_cast<int64_t>(user_feat_bias_.size()), k_});
  item_feat_factors_ =
      r.f32("side_mf.item_feature_factors", {static_cast<int64_t>(item_feat_bias_.size()), k_});
}

}  // namespace metarec
