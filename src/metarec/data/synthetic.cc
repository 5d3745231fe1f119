// The synthetic generator.
#include <metarec/core/error.h>
#include <metarec/core/rng.h>
#include <metarec/data/synthetic.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <sstream>

namespace metarec {

const ParamSchema& synthetic_schema() {
  static const ParamSchema schema = {
      ParamSpec::integer("users", 6000, 2, 50'000'000, "number of users"),
      ParamSpec::integer("items", 4000, 2, 10'000'000, "number of items"),
      ParamSpec::real("per_user", 40, 1, 1e6, "mean interactions per user", true),
      ParamSpec::integer("min_per_user", 5, 1, 1'000'000, "fewest interactions of a user"),
      ParamSpec::integer("factors", 8, 1, 256, "latent dimensions of the preferences"),
      ParamSpec::integer("genres", 18, 0, 1000, "number of genres (tied to the factors)"),
      ParamSpec::integer("vectors", 0, 0, 4096,
                         "dimension of dense item vectors (a noisy linear image of the item "
                         "factors, as embeddings computed elsewhere would be); 0: none"),
      ParamSpec::choice("feedback", "explicit", {"explicit", "implicit"},
                        "explicit 1-5 ratings or implicit (value 1)"),
      ParamSpec::real("popularity", 0.8, 0, 3, "Zipf exponent of item popularity"),
      ParamSpec::real("activity", 1.6, 1.05, 10, "Pareto shape of user activity"),
      ParamSpec::real("taste", 2.0, 0, 20, "how much preference steers item choice"),
      ParamSpec::real("noise", 0.6, 0, 5, "rating noise (stars)"),
      ParamSpec::integer("days", 730, 1, 100000, "time span in days"),
      ParamSpec::integer("seed", 1, 0, INT64_MAX, "random seed"),
  };
  return schema;
}

SyntheticSpec parse_synthetic_spec(const std::string& spec) {
  std::string body;
  if (spec != "synthetic") {
    METAREC_CHECK(spec.rfind("synthetic:", 0) == 0, "not a synthetic spec: ", spec);
    body = spec.substr(10);
  }
  std::vector<std::string> parts;
  std::stringstream ss(body);
  for (std::string p; std::getline(ss, p, ',');)
    if (!p.empty()) parts.push_back(p);
  const Params p = Params::parse(synthetic_schema(), parts, "synthetic");
  SyntheticSpec s;
  s.users = static_cast<int32_t>(p.get_int("users"));
  s.items = static_cast<int32_t>(p.get_int("items"));
  s.per_user = p.get_float("per_user");
  s.min_per_user = static_cast<int32_t>(p.get_int("min_per_user"));
  s.factors = static_cast<int32_t>(p.get_int("factors"));
  s.genres = static_cast<int32_t>(p.get_int("genres"));
  s.vectors = static_cast<int32_t>(p.get_int("vectors"));
  s.implicit = p.get_string("feedback") == "implicit";
  s.popularity = p.get_float("popularity");
  s.activity = p.get_float("activity");
  s.taste = p.get_float("taste");
  s.noise = p.get_float("noise");
  s.days = static_cast<int32_t>(p.get_int("days"));
  s.seed = static_cast<uint64_t>(p.get_int("seed"));
  return s;
}

Interactions generate_synthetic(const SyntheticSpec& s) {
  METAREC_CHECK(s.min_per_user <= s.items, "synthetic: min_per_user (", s.min_per_user,
                ") must be <= items (", s.items, ")");
  METAREC_CHECK(s.per_user >= s.min_per_user, "synthetic: per_user (", s.per_user,
                ") must be >= min_per_user (", s.min_per_user, ")");
  Rng rng(s.seed);
  const int k = s.factors;
  const int32_t nu = s.users, ni = s.items;
  const double scale = 1.0 / std::sqrt(static_cast<double>(k));
  std::vector<float> P(static_cast<size_t>(nu) * k), Q(static_cast<size_t>(ni) * k);
  for (auto& x : P) x = static_cast<float>(rng.normal() * scale);
  for (auto& x : Q) x = static_cast<float>(rng.normal() * scale);

  // Zipf popularity over a random order of the items; item release times spread over the span.
  std::vector<int32_t> order(static_cast<size_t>(ni));
  std::iota(order.begin(), order.end(), 0);
  for (int32_t i = ni - 1; i > 0; --i) std::swap(order[i], order[rng.uniform_int(i + 1)]);
  std::vector<double> log_pop(static_cast<size_t>(ni)), item_bias(static_cast<size_t>(ni));
  for (int32_t r = 0; r < ni; ++r) log_pop[order[r]] = -s.popularity * std::log(r + 1.0);
  const int64_t t0 = 1577836800;  // 2020-01-01
  const int64_t span = int64_t{86400} * s.days;
  std::vector<int64_t> release(static_cast<size_t>(ni));
  for (int32_t i = 0; i < ni; ++i) {
    // Popular items were mostly released early; a quarter are uniformly spread (drift).
    release[i] = t0 + static_cast<int64_t>(
                          span * 0.8 *
                          (rng.uniform() < 0.75 ? rng.uniform() * rng.uniform() : rng.uniform()));
    item_bias[i] = 0.25 * rng.normal() + 0.08 * log_pop[i];
  }

  // Genres: each has a direction in factor space; an item takes the genres its factors point to.
  InteractionsBuilder b;
  auto item_meta = std::make_shared<ItemMeta>();
  if (s.genres > 0) {
    std::vector<float> G(static_cast<size_t>(s.genres) * k);
    for (auto& x : G) x = static_cast<float>(rng.normal());
    item_meta->genres.resize(static_cast<size_t>(ni));
    for (int g = 0; g < s.genres; ++g)
      item_meta->genre_names.push_back("genre" + std::to_string(g));
    std::vector<std::pair<double, int>> aff(static_cast<size_t>(s.genres));
    for (int32_t i = 0; i < ni; ++i) {
      for (int g = 0; g < s.genres; ++g) {
        double d = 0;
        for (int f = 0; f < k; ++f)
          d += Q[static_cast<size_t>(i) * k + f] * G[static_cast<size_t>(g) * k + f];
        aff[g] = {d / scale + 0.5 * rng.normal(), g};
      }
      std::sort(aff.begin(), aff.end(), std::greater<>());
      const int count = 1 + static_cast<int>(rng.uniform_int(std::min(3, s.genres)));
      for (int c = 0; c < count; ++c) item_meta->genres[i].push_back(aff[c].second);
      std::sort(item_meta->genres[i].begin(), item_meta->genres[i].end());
    }
  }
  item_meta->titles.resize(static_cast<size_t>(ni));
  for (int32_t i = 0; i < ni; ++i) item_meta->titles[i] = "Item " + std::to_string(i + 1);
  for (int32_t i = 0; i < ni; ++i) b.items().intern_int(i + 1);
  for (int32_t u = 0; u < nu; ++u) b.users().intern_int(u + 1);

  // A user attribute correlated with taste: the index of the largest of the first 3 factors.
  auto user_meta = std::make_shared<UserMeta>();
  user_meta->attribute_names = {"segment"};
  user_meta->values.assign(1, std::vector<std::string>(static_cast<size_t>(nu)));

  b.set_has_timestamps(true);
  b.reserve(static_cast<size_t>(s.per_user * nu * 1.1));
  // Pareto activity with the requested mean: x_m * a / (a - 1) = per_user.
  const double xm = s.per_user * (s.activity - 1) / s.activity;
  std::vector<std::pair<double, int32_t>> keys(static_cast<size_t>(ni));
  const double mu = 3.6;
  for (int32_t u = 0; u < nu; ++u) {
    Rng ur = rng.fork(static_cast<uint64_t>(u));
    const float* pu = &P[static_cast<size_t>(u) * k];
    int best = 0;
    for (int f = 1; f < std::min(3, k); ++f)
      if (pu[f] > pu[best]) best = f;
    user_meta->values[0][u] = "s" + std::to_string(best);
    double n = xm / std::pow(1.0 - ur.uniform(), 1.0 / s.activity);
    const double cap = std::max(static_cast<double>(s.min_per_user), 0.5 * ni);
    int32_t count = static_cast<int32_t>(std::clamp(n, static_cast<double>(s.min_per_user), cap));
    // Weighted sampling without replacement (exponential keys): weight = popularity x taste.
    for (int32_t i = 0; i < ni; ++i) {
      double dot = 0;
      const float* qi = &Q[static_cast<size_t>(i) * k];
      for (int f = 0; f < k; ++f) dot += pu[f] * qi[f];
      const double logw = log_pop[i] + s.taste * dot / scale * 0.5;
      keys[i] = {std::log(ur.exponential()) - logw, i};
    }
    std::nth_element(keys.begin(), keys.begin() + count, keys.end());
    std::sort(keys.begin(), keys.begin() + count);
    const double user_bias = 0.35 * ur.normal();
    const int64_t user_start = t0 + static_cast<int64_t>(span * 0.9 * ur.uniform());
    for (int32_t c = 0; c < count; ++c) {
      const int32_t i = keys[c].second;
      double dot = 0;
      const float* qi = &Q[static_cast<size_t>(i) * k];
      for (int f = 0; f < k; ++f) dot += pu[f] * qi[f];
      const int64_t start = std::max(user_start, release[i]);
      const int64_t end = t0 + span;
      const int64_t t = start + static_cast<int64_t>((end - start) * ur.uniform());
      float value = 1.0f;
      if (!s.implicit) {
        const double r = mu + user_bias + item_bias[i] + 1.2 * dot / scale + s.noise * ur.normal();
        value = static_cast<float>(std::clamp(std::round(r), 1.0, 5.0));
      }
      b.add(u, i, value, t);
    }
  }
  if (s.vectors > 0) {
    // Their own random stream, so that asking for vectors changes nothing else.
    Rng vr = Rng(s.seed).fork(0x7EC7);
    const int d = s.vectors;
    std::vector<float> a(static_cast<size_t>(d) * k);
    for (auto& x : a) x = static_cast<float>(vr.normal());
    item_meta->vector_dim = d;
    item_meta->vectors.resize(static_cast<size_t>(ni) * d);
    for (int32_t i = 0; i < ni; ++i) {
      const float* qi = &Q[static_cast<size_t>(i) * k];
      for (int r = 0; r < d; ++r) {
        double x = 0.3 * vr.normal();
        for (int f = 0; f < k; ++f) x += a[static_cast<size_t>(r) * k + f] * qi[f];
        item_meta->vectors[static_cast<size_t>(i) * d + r] = static_cast<float>(x);
      }
    }
  }
  b.item_meta = item_meta;
  b.user_meta = user_meta;
  InteractionsBuilder::Options o;
  o.name = "synthetic";
  o.feedback = s.implicit ? "implicit" : "explicit";
  if (!s.implicit) {
    o.scale_min = 1;
    o.scale_max = 5;
  }
  return b.build(o);
}

}  // namespace metarec
