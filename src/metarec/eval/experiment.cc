// Cross-validation and single-split experiments.
#include <metarec/algorithms/catalog.h>
#include <metarec/core/error.h>
#include <metarec/eval/experiment.h>

#include <chrono>
#include <cmath>

namespace metarec {

namespace {

// The strong split scores users the model never saw: said before fitting, with the alternatives.
void require_fold_in(const AlgorithmInfo& info, const Params& p, const std::string& algorithm) {
  if (dynamic_cast<const FoldIn*>(info.make(p).get())) return;
  std::string able;
  for (const auto& a : catalog()) {
    std::unique_ptr<Recommender> m;
    try {
      m = make_recommender(a.name);
    } catch (const Error&) {
      continue;  // an entry that needs parameters cannot be probed; it is not listed
    }
    if (dynamic_cast<const FoldIn*>(m.get())) able += (able.empty() ? "" : ", ") + a.name;
  }
  METAREC_THROW(InvalidArgument, algorithm,
                " cannot score users it was not trained on (it does not implement fold-in), "
                "which the strong split needs; algorithms that can: ",
                able);
}

// Fits and evaluates fold q of nf on `sp`, adding it to `out`.
void run_fold(const AlgorithmInfo& info, const Params& p, const Split& sp, const std::string& name,
              const ExperimentSpec& spec, size_t q, double nf, ExperimentResult& out) {
  auto model = info.make(p);
  FitContext ctx;
  ctx.seed = spec.seed;
  ctx.threads = spec.threads;
  if (spec.progress) {
    ctx.progress = [&](double f, const std::string& m) {
      spec.progress((static_cast<double>(q) + 0.5 * f) / nf,
                    "fold " + std::to_string(q + 1) + ": " + m);
    };
  }
  const auto t0 = std::chrono::steady_clock::now();
  model->fit(sp.train, ctx);
  FoldResult fr;
  fr.fit_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EvalOptions eo = spec.eval;
  eo.threads = spec.threads;
  eo.seed = spec.seed;
  if (spec.progress) {
    eo.progress = [&](double f, const std::string& m) {
      spec.progress((static_cast<double>(q) + 0.5 + 0.5 * f) / nf,
                    "fold " + std::to_string(q + 1) + ": " + m);
    };
  }
  fr.eval = evaluate_split(*model, sp, eo);
  fr.train_nnz = sp.train.nnz();
  fr.test_nnz = sp.test.nnz();
  fr.split = name;
  out.fit_seconds += fr.fit_seconds;
  out.eval_seconds += fr.eval.seconds;
  out.protocol = fr.eval.protocol;
  out.folds.push_back(std::move(fr));
}

// Mean and sample standard deviation of each metric across the folds.
void summarize(ExperimentResult& out) {
  const auto& first = out.folds.front().eval.metrics;
  const double nf = static_cast<double>(out.folds.size());
  for (size_t m = 0; m < first.size(); ++m) {
    double s = 0, s2 = 0;
    for (const auto& f : out.folds) s += f.eval.metrics[m].second;
    const double mean = s / nf;
    for (const auto& f : out.folds)
      s2 += (f.eval.metrics[m].second - mean) * (f.eval.metrics[m].second - mean);
    out.mean.emplace_back(first[m].first, mean);
    out.stddev.emplace_back(first[m].first, out.folds.size() > 1 ? std::sqrt(s2 / (nf - 1)) : 0.0);
  }
}

}  // namespace

ExperimentResult run_experiment(const std::string& algorithm,
                                const std::vector<std::string>& params, const Interactions& data,
                                const ExperimentSpec& spec, const std::vector<uint8_t>* parts) {
  const AlgorithmInfo& info = find_algorithm(algorithm);
  const Params p = Params::parse(info.schema, params, algorithm);
  SplitSpec split = SplitSpec::parse(spec.split);
  if (split.method == "strong") require_fold_in(info, p, algorithm);
  if (spec.split.find("seed=") == std::string::npos) split.seed = spec.seed;
  std::vector<int32_t> folds;
  if (split.method == "kfold" && spec.split.find("fold=") == std::string::npos) {
    for (int32_t f = 0; f < split.folds; ++f) folds.push_back(f);
  } else {
    folds.push_back(split.fold);
  }
  ExperimentResult out;
  out.algorithm = algorithm;
  out.params = p.to_string();
  for (size_t q = 0; q < folds.size(); ++q) {
    SplitSpec s = split;
    s.fold = folds[q];
    const Split sp = make_split(data, s, parts);
    run_fold(info, p, sp, s.to_string(), spec, q, static_cast<double>(folds.size()), out);
  }
  summarize(out);
  return out;
}

ExperimentResult run_experiment(const std::string& algorithm,
                                const std::vector<std::string>& params, const Split& split,
                                const std::string& split_name, const ExperimentSpec& spec) {
  const AlgorithmInfo& info = find_algorithm(algorithm);
  const Params p = Params::parse(info.schema, params, algorithm);
  if (split.has_fold_in()) require_fold_in(info, p, algorithm);
  ExperimentResult out;
  out.algorithm = algorithm;
  out.params = p.to_string();
  run_fold(info, p, split, split_name, spec, 0, 1.0, out);
  summarize(out);
  return out;
}

}  // namespace metarec
