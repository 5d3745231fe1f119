// Hybrid recommenders: member parsing, fitting, score mixing and nested model files.
#include <metarec/algorithms/catalog.h>
#include <metarec/algorithms/hybrid/hybrid.h>
#include <metarec/core/error.h>
#include <metarec/core/rng.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <string_view>

namespace metarec {

namespace {

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> out;
  size_t begin = 0;
  while (true) {
    const size_t end = text.find(sep, begin);
    out.push_back(text.substr(begin, end == std::string::npos ? std::string::npos : end - begin));
    if (end == std::string::npos) return out;
    begin = end + 1;
  }
}

}  // namespace

std::vector<HybridMember> parse_hybrid_members(const std::string& text) {
  std::vector<HybridMember> out;
  for (const std::string& part : split(text, '+')) {
    std::vector<std::string> fields = split(part, ':');
    METAREC_CHECK(!fields[0].empty(), "hybrid: empty member in \"", text,
                  "\" (write members as name:key=value+name)");
    const AlgorithmInfo& info = find_algorithm(fields[0]);  // lists the valid names
    METAREC_CHECK(info.name != "hybrid", "hybrid: a hybrid cannot be a member of a hybrid");
    HybridMember m{fields[0], {fields.begin() + 1, fields.end()}};
    Params::parse(info.schema, m.params, "hybrid member " + m.algorithm);  // validates
    out.push_back(std::move(m));
  }
  return out;
}

std::vector<double> parse_hybrid_weights(const std::string& text, size_t count) {
  if (text.empty()) return std::vector<double>(count, 1.0);
  std::vector<double> w;
  double total = 0;
  for (const std::string& part : split(text, '+')) {
    double x = 0;
    const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), x);
    METAREC_CHECK(ec == std::errc() && end == part.data() + part.size() && !part.empty(),
                  "hybrid: weight \"", part, "\" is not a number (write weights as 0.7+0.3)");
    METAREC_CHECK(std::isfinite(x) && x >= 0, "hybrid: weight ", part, " must be finite and >= 0");
    w.push_back(x);
    total += x;
  }
  METAREC_CHECK(total > 0, "hybrid: the weights \"", text, "\" are all zero");
  METAREC_CHECK(count == 0 || w.size() == count, "hybrid: ", w.size(), " weights for ", count,
                " members");
  return w;
}

ParamSchema Hybrid::schema() {
  return {
      ParamSpec::choice("mode", "weighted", {"weighted", "switching"},
                        "weighted: mix the members' standardized scores; switching: users with "
                        "fewer than min_ratings training items go to the second member"),
      ParamSpec::text(
          "members", "ease+item_knn",
          "the member algorithms joined by '+', each optionally with its parameters joined "
          "by ':', e.g. ease:lambda=200+item_knn:k=50",
          check_by_parsing([](const std::string& v) { parse_hybrid_members(v); })),
      ParamSpec::text("weights", "",
                      "weighted mode: one non-negative weight per member joined by '+', e.g. "
                      "0.7+0.3 (empty: equal weights)",
                      check_by_parsing([](const std::string& v) { parse_hybrid_weights(v, 0); })),
      ParamSpec::integer("min_ratings", 5, 1, 1000000000,
                         "switching mode: users with fewer training items than this are scored "
                         "by the second member"),
  };
}

Hybrid::Hybrid(const Params& params) : Recommender("hybrid", params) {
  const auto members = parse_hybrid_members(params.get_string("members"));
  switching_ = params.get_string("mode") == "switching";
  min_ratings_ = params.get_int("min_ratings");
  if (switching_) {
    METAREC_CHECK(members.size() == 2,
                  "hybrid: switching needs exactly 2 members (the main one, "
                  "then the one for users with few ratings), got ",
                  members.size());
  } else {
    weights_ = parse_hybrid_weights(params.get_string("weights"), members.size());
  }
  for (const auto& m : members) members_.push_back(make_recommender(m.algorithm, m.params));
}

void Hybrid::do_fit(const Interactions& train, const FitContext& ctx) {
  const double n = static_cast<double>(members_.size());
  for (size_t m = 0; m < members_.size(); ++m) {
    FitContext sub = ctx;
    sub.seed = Rng(ctx.seed).fork(m).next();
    if (ctx.progress) {
      sub.progress = [&ctx, m, n, name = members_[m]->algorithm()](double f,
                                                                   const std::string& msg) {
        ctx.report((static_cast<double>(m) + f) / n, name + ": " + msg);
      };
    }
    ctx.check_cancel();
    members_[m]->fit(train, sub);
  }
}

int Hybrid::member_for(int32_t user) const {
  if (!switching_) return -1;
  return static_cast<int64_t>(seen_items(user).size()) < min_ratings_ ? 1 : 0;
}

void Hybrid::score(int32_t user, std::span<float> out) const {
  require_fitted();
  METAREC_CHECK(static_cast<int64_t>(out.size()) == num_items(), "hybrid: score buffer has size ",
                out.size(), ", expected ", num_items());
  if (switching_) {
    members_[static_cast<size_t>(member_for(user))]->score(user, out);
    return;
  }
  thread_local std::vector<float> s;
  s.resize(out.size());
  std::fill(out.begin(), out.end(), 0.0f);
  for (size_t m = 0; m < members_.size(); ++m) {
    if (weights_[m] == 0) continue;
    members_[m]->score(user, s);
    // Standardize over the finite scores; a non-finite one counts as the member's lowest.
    double sum = 0, lowest = std::numeric_limits<double>::infinity();
    int64_t count = 0;
    for (float x : s) {
      if (!std::isfinite(x)) continue;
      sum += x;
      lowest = std::min(lowest, static_cast<double>(x));
      ++count;
    }
    if (count == 0) continue;
    const double mean = sum / static_cast<double>(count);
    double ss = 0;
    for (float x : s)
      if (std::isfinite(x)) ss += (x - mean) * (x - mean);
    const double sd = std::sqrt(ss / static_cast<double>(count));
    if (!(sd > 0)) continue;  // a member that ranks every item alike has no preference to add
    const double scale = weights_[m] / sd;
    for (size_t i = 0; i < s.size(); ++i) {
      const double x = std::isfinite(s[i]) ? s[i] : lowest;
      out[i] += static_cast<float>((x - mean) * scale);
    }
  }
}

float RatingHybrid::predict(int32_t user, int32_t item) const {
  require_fitted();
  auto rating = [&](size_t m) {
    return dynamic_cast<const RatingPredictor&>(*members_[m]).predict(user, item);
  };
  if (switching_) return rating(static_cast<size_t>(member_for(user)));
  double num = 0, den = 0;
  for (size_t m = 0; m < members_.size(); ++m) {
    if (weights_[m] == 0) continue;
    num += weights_[m] * rating(m);
    den += weights_[m];
  }
  return static_cast<float>(num / den);
}

void Hybrid::do_save(ModelWriter& w) const {
  for (size_t m = 0; m < members_.size(); ++m)
    w.add_strings("member." + std::to_string(m), {members_[m]->serialize()});
}

void Hybrid::do_load(const ModelReader& r) {
  for (size_t m = 0; m < members_.size(); ++m) {
    const std::string name = "member." + std::to_string(m);
    std::vector<std::string> bytes = r.strings(name);
    if (bytes.size() != 1) throw FormatError(r.path(), 0, name + " must hold one model file");
    auto model = Recommender::deserialize(std::move(bytes[0]), r.path() + " (" + name + ")");
    if (model->algorithm() != members_[m]->algorithm() || model->num_users() != num_users() ||
        model->num_items() != num_items()) {
      throw FormatError(r.path(), 0,
                        name + " is a " + model->algorithm() + " model of " +
                            std::to_string(model->num_users()) + " x " +
                            std::to_string(model->num_items()) + ", expected " +
                            members_[m]->algorithm() + " of " + std::to_string(num_users()) +
                            " x " + std::to_string(num_items()));
    }
    members_[m] = std::move(model);
  }
  if (r.has("member." + std::to_string(members_.size()) + ".bytes"))
    throw FormatError(r.path(), 0, "the file holds more members than its params name");
}

std::unique_ptr<Recommender> make_hybrid(const Params& params) {
  bool ratings = true;
  for (const auto& m : parse_hybrid_members(params.get_string("members")))
    ratings &= dynamic_cast<const RatingPredictor*>(
                   make_recommender(m.algorithm, m.params).get()) != nullptr;
  if (ratings) return std::make_unique<RatingHybrid>(params);
  return std::make_unique<Hybrid>(params);
}

}  // namespace metarec
