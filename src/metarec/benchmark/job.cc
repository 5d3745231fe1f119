// Benchmark jobs: identity, dataset cache, execution with optional tuning.
#include <metarec/algorithms/catalog.h>
#include <metarec/benchmark/derived.h>
#include <metarec/benchmark/job.h>
#include <metarec/core/error.h>
#include <metarec/core/rng.h>
#include <metarec/core/strings.h>
#include <metarec/data/split.h>
#include <metarec/eval/evaluator.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <limits>
#include <new>
#include <sstream>

namespace metarec {

namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::string hash_hex(const std::string& s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Resets this process's peak-RSS counter (Linux: writing 5 to clear_refs).
void reset_peak_memory() {
  std::ofstream f("/proc/self/clear_refs");
  if (f) f << "5";
}

double peak_memory_mib() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  return 0;
}

bool lower_is_better(const std::string& metric) {
  return metric.rfind("rmse", 0) == 0 || metric.rfind("mae", 0) == 0;
}

// "ndcg@10" -> ("ndcg", 10); "rmse" -> ("rmse", 0).
std::pair<std::string, int> metric_parts(const std::string& m) {
  const auto at = m.find('@');
  if (at == std::string::npos) return {m, 0};
  return {m.substr(0, at), std::stoi(m.substr(at + 1))};
}

}  // namespace

std::string TuneSpec::to_string() const {
  if (!enabled()) return "";
  std::string s = method + ":trials=" + std::to_string(trials);
  if (method == "halving") s += ",eta=" + std::to_string(eta);
  if (!metric.empty()) s += ",metric=" + metric;
  return s;
}

TuneSpec TuneSpec::parse(const std::string& text) {
  TuneSpec t;
  if (text.empty() || text == "none") return t;
  const auto colon = text.find(':');
  t.method = text.substr(0, colon);
  if (t.method != "random" && t.method != "halving")
    METAREC_THROW(InvalidArgument, "tuning \"", text, "\": method must be random or halving");
  if (colon != std::string::npos) {
    for (const auto& kv : split_list(text.substr(colon + 1))) {
      const auto eq = kv.find('=');
      const std::string k = kv.substr(0, eq), v = eq == std::string::npos ? "" : kv.substr(eq + 1);
      try {
        if (k == "trials") {
          t.trials = std::stoi(v);
        } else if (k == "eta") {
          t.eta = std::stoi(v);
        } else if (k == "metric") {
          t.metric = v;
        } else {
          METAREC_THROW(InvalidArgument, "tuning \"", text, "\": unknown key \"", k,
                        "\" (valid: trials, eta, metric)");
        }
      } catch (const std::logic_error&) {
        METAREC_THROW(InvalidArgument, "tuning \"", text, "\": ", k, "=", v, " is not an integer");
      }
    }
  }
  if (t.trials < 1 || t.eta < 2)
    METAREC_THROW(InvalidArgument, "tuning \"", text, "\": need trials >= 1 and eta >= 2");
  return t;
}

std::string JobSpec::protocol_text() const {
  std::string s = protocol;
  if (protocol == "sampled") s += ":" + std::to_string(negatives);
  s += ";ks=";
  for (size_t k = 0; k < ks.size(); ++k) s += (k ? "," : "") + std::to_string(ks[k]);
  s += ";metrics=";
  if (metrics.empty()) s += "default";
  for (size_t k = 0; k < metrics.size(); ++k) s += (k ? "," : "") + metrics[k];
  return s;
}

nlohmann::json JobSpec::to_json() const {
  return {{"dataset", dataset},     {"split", split},    {"seed", seed},
          {"algorithm", algorithm}, {"params", params},  {"tune", tune.to_string()},
          {"metrics", metrics},     {"ks", ks},          {"protocol", protocol},
          {"negatives", negatives}, {"threads", threads}};
}

JobSpec JobSpec::from_json(const nlohmann::json& j) {
  JobSpec s;
  s.dataset = j.at("dataset").get<std::string>();
  s.split = j.value("split", s.split);
  s.seed = j.value("seed", s.seed);
  s.algorithm = j.at("algorithm").get<std::string>();
  s.params = j.value("params", std::vector<std::string>{});
  s.tune = TuneSpec::parse(j.value("tune", std::string()));
  s.metrics = j.value("metrics", std::vector<std::string>{});
  s.ks = j.value("ks", s.ks);
  s.protocol = j.value("protocol", s.protocol);
  s.negatives = j.value("negatives", s.negatives);
  s.threads = j.value("threads", s.threads);
  return s;
}

std::string JobSpec::key() const {
  // Parameters in a canonical order: the same set written in another order is the same job.
  std::vector<std::string> p = params;
  std::sort(p.begin(), p.end());
  const nlohmann::json id = {
      {"dataset", dataset},         {"split", split}, {"seed", seed},
      {"algorithm", algorithm},     {"params", p},    {"tune", tune.to_string()},
      {"protocol", protocol_text()}};
  return hash_hex(id.dump());
}

const LoadedDataset& DatasetCache::get(const std::string& spec, double* load_seconds) {
  const auto t0 = Clock::now();
  if (!current_ || spec != spec_) {
    const DerivedRecipe r = DerivedRecipe::parse(spec);
    if (!base_ || r.base != base_spec_) {
      base_.reset();
      current_.reset();
      base_ = std::make_shared<LoadedDataset>(load_dataset(r.base, opts_));
      base_spec_ = r.base;
    }
    if (r.steps.empty()) {
      current_ = base_;
    } else {
      if (!base_->parts.empty())
        METAREC_THROW(InvalidArgument, "recipe \"", spec,
                      "\": a dataset with a given split cannot be derived from");
      auto d = std::make_shared<LoadedDataset>();
      d->data = apply_recipe(base_->data, r);
      d->spec = spec;
      current_ = d;
    }
    spec_ = spec;
  }
  if (load_seconds) *load_seconds = since(t0);
  return *current_;
}

std::vector<std::vector<std::string>> sample_configs(const std::string& algorithm,
                                                     const std::vector<std::string>& fixed,
                                                     int count, uint64_t seed) {
  const AlgorithmInfo& info = find_algorithm(algorithm);
  std::vector<std::string> fixed_names;
  for (const auto& f : fixed) fixed_names.push_back(f.substr(0, f.find('=')));
  Rng rng(seed);
  std::vector<std::vector<std::string>> out;
  for (int c = 0; c < count; ++c) {
    std::vector<std::string> cfg = fixed;
    for (const auto& spec : info.schema) {
      const TuneRange& t = spec.tuning;
      if (!t.enabled) continue;
      if (std::find(fixed_names.begin(), fixed_names.end(), spec.name) != fixed_names.end())
        continue;
      std::string value;
      if (spec.type == ParamType::kChoice || spec.type == ParamType::kBool) {
        const auto& ch = !t.choices.empty()              ? t.choices
                         : spec.type == ParamType::kBool ? std::vector<std::string>{"false", "true"}
                                                         : spec.choices;
        value = ch[rng.uniform_int(ch.size())];
      } else {
        const double u = rng.uniform();
        double x = t.log ? std::exp(std::log(t.lo) + u * (std::log(t.hi) - std::log(t.lo)))
                         : t.lo + u * (t.hi - t.lo);
        if (spec.type == ParamType::kInt) {
          value = std::to_string(std::clamp<int64_t>(std::llround(x), static_cast<int64_t>(t.lo),
                                                     static_cast<int64_t>(t.hi)));
        } else {
          char buf[32];
          std::snprintf(buf, sizeof buf, "%.4g", x);
          value = buf;
        }
      }
      cfg.push_back(spec.name + "=" + value);
    }
    out.push_back(std::move(cfg));
  }
  return out;
}

namespace {

struct Trial {
  std::vector<std::string> params;
  double fraction = 1, score = std::numeric_limits<double>::quiet_NaN(), seconds = 0;
  std::string error;
};

// Fits `params` on `fit` and scores `metric` on `val`; NaN and the error text when it fails.
Trial run_trial(const AlgorithmInfo& info, const std::vector<std::string>& params,
                const Interactions& fit, const Interactions& val, const std::string& metric,
                const JobSpec& job, double fraction) {
  Trial t;
  t.params = params;
  t.fraction = fraction;
  const auto t0 = Clock::now();
  try {
    auto model = info.make(Params::parse(info.schema, params, info.name));
    FitContext ctx;
    ctx.seed = job.seed;
    ctx.threads = job.threads;
    model->fit(fit, ctx);
    EvalOptions eo;
    const auto [name, k] = metric_parts(metric);
    eo.metrics = {name};
    eo.ks = {k > 0 ? k : 10};
    eo.protocol = job.protocol;
    eo.negatives = job.negatives;
    eo.seed = job.seed;
    eo.threads = job.threads;
    t.score = evaluate(*model, fit, val, eo).get(metric);
  } catch (const std::exception& e) {
    t.error = e.what();
  }
  t.seconds = since(t0);
  return t;
}

bool better(double a, double b, bool lower) {
  if (std::isnan(b)) return !std::isnan(a);
  if (std::isnan(a)) return false;
  return lower ? a < b : a > b;
}

// Random search or successive halving on a validation holdout carved from `train`; returns the
// chosen parameters and writes the trace into `out`.
std::vector<std::string> tune(const AlgorithmInfo& info, const Interactions& train,
                              const JobSpec& job, nlohmann::json& out) {
  std::string metric = job.tune.metric;
  if (metric.empty())
    metric =
        info.card.predicts_ratings && train.feedback() == Feedback::kExplicit ? "rmse" : "ndcg@10";
  const bool lower = lower_is_better(metric);
  // The validation split mirrors the job's own split method (a per-user holdout validates a
  // per-user test, a time cutoff a time cutoff), carved from the training set with another seed;
  // k-fold, given and strong (held-out users) splits validate on a random 20% holdout.
  SplitSpec vs = SplitSpec::parse(job.split);
  if (vs.method == "kfold" || vs.method == "given" || vs.method == "strong") {
    vs = SplitSpec();
    vs.method = "random";
    vs.test_fraction = 0.2;
  }
  vs.seed = job.seed ^ 0x7475AE5ULL;
  vs.unseen = UnseenPolicy::kDrop;
  const Split val = make_split(train, vs);
  // The first configuration is the defaults (with the job's fixed parameters): tuning only
  // moves away from them when a sampled configuration does better on validation. Without it,
  // 9 to 27 random draws from wide ranges chose configurations worse than the defaults on
  // ML-100K (svd RMSE 0.936 against 0.904).
  std::vector<std::vector<std::string>> configs = {job.params};
  for (auto& c :
       sample_configs(info.name, job.params, job.tune.trials - 1, job.seed * 1000003ULL + 17))
    configs.push_back(std::move(c));
  const auto t0 = Clock::now();
  auto out_of_time = [&] {
    return job.tune.budget_seconds > 0 && since(t0) > job.tune.budget_seconds;
  };
  std::vector<Trial> trials;
  std::vector<size_t> alive(configs.size());
  for (size_t c = 0; c < configs.size(); ++c) alive[c] = c;
  std::vector<double> score(configs.size(), std::numeric_limits<double>::quiet_NaN());
  if (job.tune.method == "random") {
    for (size_t c = 0; c < configs.size() && !out_of_time(); ++c) {
      trials.push_back(run_trial(info, configs[c], val.train, val.test, metric, job, 1.0));
      score[c] = trials.back().score;
    }
  } else {
    // Rungs on growing shares of the training part: 1/eta^R, ..., 1/eta, 1.
    int rungs = 0;
    for (size_t n = configs.size(); n > 1; n = (n + job.tune.eta - 1) / job.tune.eta) ++rungs;
    Rng rng(job.seed ^ 0x5EEDULL);
    std::vector<double> draw(static_cast<size_t>(val.train.nnz()));
    for (auto& d : draw) d = rng.uniform();
    for (int r = 0; r <= rungs && !alive.empty() && !out_of_time(); ++r) {
      const double fraction = std::pow(static_cast<double>(job.tune.eta), r - rungs);
      std::vector<int64_t> keep;
      for (int64_t e = 0; e < val.train.nnz(); ++e)
        if (draw[e] < fraction) keep.push_back(e);
      const Interactions part = fraction >= 1 ? val.train : val.train.subset(keep);
      for (size_t c : alive) {
        if (out_of_time()) break;
        trials.push_back(run_trial(info, configs[c], part, val.test, metric, job, fraction));
        score[c] = trials.back().score;
      }
      if (r == rungs) break;
      std::stable_sort(alive.begin(), alive.end(),
                       [&](size_t a, size_t b) { return better(score[a], score[b], lower); });
      alive.resize(std::max<size_t>(1, alive.size() / job.tune.eta));
      // The defaults stay in every rung: small shares of the data favour configurations made for
      // small data, and the final choice should still weigh them against the defaults on all of it.
      if (std::find(alive.begin(), alive.end(), size_t{0}) == alive.end()) alive.push_back(0);
    }
  }
  // The best score among the configurations that reached the largest share of the data.
  std::vector<double> reached(configs.size(), 0);
  for (const auto& t : trials)
    for (size_t c = 0; c < configs.size(); ++c)
      if (configs[c] == t.params && !std::isnan(t.score))
        reached[c] = std::max(reached[c], t.fraction);
  size_t best = 0;
  for (size_t c = 1; c < configs.size(); ++c)
    if (reached[c] > reached[best] ||
        (reached[c] == reached[best] && better(score[c], score[best], lower)))
      best = c;
  nlohmann::json trace = nlohmann::json::array();
  for (const auto& t : trials) {
    trace.push_back({{"params", t.params},
                     {"fraction", t.fraction},
                     {"score", std::isnan(t.score) ? nlohmann::json() : nlohmann::json(t.score)},
                     {"seconds", t.seconds},
                     {"error", t.error}});
  }
  if (std::isnan(score[best]))
    METAREC_THROW(InvalidArgument, "tuning: every one of ", trials.size(),
                  " trials failed; the first error: ",
                  trials.empty() ? std::string("no trial ran") : trials.front().error);
  out = {{"method", job.tune.to_string()},
         {"metric", metric},
         {"validation", vs.to_string()},
         {"chosen", configs[best]},
         {"score", score[best]},
         {"seconds", since(t0)},
         {"trials", trace}};
  return configs[best];
}

}  // namespace

JobRecord failed_record(const JobSpec& job, const std::string& status, const std::string& error) {
  JobRecord r;
  r.key = job.key();
  r.dataset = job.dataset;
  r.split = job.split;
  r.seed = job.seed;
  r.algorithm = job.algorithm;
  for (const auto& x : job.params) r.params += (r.params.empty() ? "" : ",") + x;
  r.protocol = job.protocol_text();
  r.version = METAREC_VERSION;
  r.status = status;
  r.error = error;
  r.finished_at = utc_now();
  return r;
}

JobRecord run_job(const JobSpec& job, DatasetCache& cache) {
  JobRecord r = failed_record(job, "failed", "");
  reset_peak_memory();
  const auto t0 = Clock::now();
  try {
    const LoadedDataset& d = cache.get(job.dataset, &r.load_seconds);
    r.fingerprint = fingerprint(d.data);
    r.dataset_info = dataset_info(d.data);
    const AlgorithmInfo& info = find_algorithm(job.algorithm);
    if (d.data.feedback() == Feedback::kExplicit ? !info.card.explicit_feedback
                                                 : !info.card.implicit_feedback) {
      r.status = "incompatible";
      r.error = job.algorithm + " does not accept " + to_string(d.data.feedback()) + " feedback";
      r.finished_at = utc_now();
      return r;
    }
    SplitSpec ss = SplitSpec::parse(d.parts.empty() ? job.split : "given");
    if (job.split.find("seed=") == std::string::npos) ss.seed = job.seed;
    const Split sp = make_split(d.data, ss, d.parts.empty() ? nullptr : &d.parts);
    std::vector<std::string> params = job.params;
    if (job.tune.enabled()) params = tune(info, sp.train, job, r.tuning);
    const Params p = Params::parse(info.schema, params, job.algorithm);
    r.params = p.to_string();
    auto model = info.make(p);
    FitContext ctx;
    ctx.seed = job.seed;
    ctx.threads = job.threads;
    const auto tf = Clock::now();
    model->fit(sp.train, ctx);
    r.fit_seconds = since(tf);
    EvalOptions eo;
    eo.metrics = job.metrics;
    eo.ks = job.ks;
    eo.protocol = job.protocol;
    eo.negatives = job.negatives;
    eo.seed = job.seed;
    eo.threads = job.threads;
    const auto te = Clock::now();
    const EvalResult er = evaluate_split(*model, sp, eo);
    r.score_seconds = since(te);
    r.metrics = er.metrics;
    r.status = "ok";
  } catch (const std::bad_alloc&) {
    r.status = "out_of_memory";
    r.error = "out of memory (std::bad_alloc)";
  } catch (const std::exception& e) {
    r.status = "failed";
    r.error = e.what();
  }
  r.wall_seconds = since(t0);
  r.peak_mib = peak_memory_mib();
  r.finished_at = utc_now();
  return r;
}

}  // namespace metarec
