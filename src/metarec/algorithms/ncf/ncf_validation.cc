// NCF's early stopping: a validation set held out of the training positives, its NDCG@10, and
// the training loop that keeps the best epoch's weights.
#include <metarec/algorithms/ncf/ncf.h>
#include <metarec/core/error.h>
#include <metarec/core/parallel.h>
#include <metarec/core/rng.h>
#include <metarec/nn/train.h>

#include <algorithm>
#include <cmath>

namespace metarec {

NcfValidationSplit ncf_validation_split(const Interactions& train, int negatives, uint64_t seed) {
  METAREC_CHECK(negatives >= 1, "NCF validation: negatives must be >= 1, got ", negatives);
  NcfValidationSplit out;
  out.validation.group = 1 + negatives;
  const int32_t ni = train.num_items();
  std::vector<int64_t> keep;
  keep.reserve(static_cast<size_t>(train.nnz()));
  Rng rng = Rng(seed).fork(0x7A1);
  std::vector<int32_t> drawn;
  for (int32_t u = 0; u < train.num_users(); ++u) {
    const int64_t lo = train.user_ptr()[u], n = train.user_count(u);
    // A user keeps at least one training positive, and needs enough unobserved items.
    int64_t held = -1;
    if (n >= 2 && ni - n >= negatives) held = lo + static_cast<int64_t>(rng.uniform_int(n));
    for (int64_t e = lo; e < lo + n; ++e)
      if (e != held) keep.push_back(e);
    if (held < 0) continue;
    // Distinct items the user never interacted with (the held-out one included); rejection is
    // quick because at least `negatives` of them exist.
    drawn.clear();
    while (static_cast<int>(drawn.size()) < negatives) {
      const auto i = static_cast<int32_t>(rng.uniform_int(static_cast<uint64_t>(ni)));
      if (!train.contains(u, i) && std::find(drawn.begin(), drawn.end(), i) == drawn.end())
        drawn.push_back(i);
    }
    out.validation.users.insert(out.validation.users.end(), static_cast<size_t>(1 + negatives), u);
    out.validation.items.push_back(train.entry_items()[static_cast<size_t>(held)]);
    out.validation.items.insert(out.validation.items.end(), drawn.begin(), drawn.end());
  }
  out.train = train.subset(keep);
  return out;
}

double NcfValidation::ndcg(const NcfNetwork& net, int k, int threads) const {
  METAREC_CHECK(group >= 2 && users.size() == items.size() && users.size() % group == 0,
                "NCF validation: ", users.size(), " pairs in groups of ", group);
  const int64_t n = static_cast<int64_t>(users.size()) / group;
  if (n == 0) return 0;
  std::vector<double> gain(static_cast<size_t>(n), 0.0);
  const int t = std::max(1, std::min(resolve_threads(threads), static_cast<int>(n)));
  std::vector<NcfNetwork::Pass> passes;
  for (int j = 0; j < t; ++j) passes.push_back(net.new_pass());
  std::vector<std::vector<float>> logits(static_cast<size_t>(t),
                                         std::vector<float>(static_cast<size_t>(group)));
  parallel_for_tid(n, t, [&](int64_t g, int tid) {
    const auto first = static_cast<size_t>(g * group), size = static_cast<size_t>(group);
    std::vector<float>& z = logits[static_cast<size_t>(tid)];
    net.forward(std::span(users).subspan(first, size), std::span(items).subspan(first, size),
                passes[static_cast<size_t>(tid)], z);
    // The positive's rank: the negatives scoring at least as high (ties count against it). A
    // NaN positive (a diverged model) gains nothing; NaN negatives never outrank it, as top_k
    // never lists NaN scores.
    if (std::isnan(z[0])) return;
    int rank = 0;
    for (size_t j = 1; j < size; ++j) rank += z[j] >= z[0] ? 1 : 0;
    if (rank < k) gain[static_cast<size_t>(g)] = 1.0 / std::log2(rank + 2.0);
  });
  double sum = 0;
  for (double x : gain) sum += x;
  return sum / static_cast<double>(n);
}

NcfEarlyStop train_ncf_early_stopping(NcfNetwork& net, const Interactions& train,
                                      const NcfValidation& validation, int patience,
                                      const NcfTraining& cfg, const FitContext& ctx, uint64_t seed,
                                      double progress_lo, double progress_hi) {
  METAREC_CHECK(patience >= 1, "NCF early stopping: patience must be >= 1, got ", patience);
  std::vector<nn::Matrix*> weights;
  for (nn::Parameter* p : net.dense_parameters()) weights.push_back(&p->value);
  for (nn::Embedding* e : net.embeddings()) weights.push_back(&e->table.value);
  nn::BestEpoch best(std::move(weights), patience);
  const nn::EarlyStopping& stop = best.stopping();
  // The starting weights count as epoch 0: fine-tuning a pretrained NeuMF may only make it worse.
  best.update(validation.ndcg(net, 10, ctx.threads));
  NcfTraining c = cfg;
  c.after_epoch = [&](int e) {
    const double m = validation.ndcg(net, 10, ctx.threads);
    const bool go_on = best.update(m);
    ctx.report(progress_lo + (progress_hi - progress_lo) * (e + 1) / cfg.epochs,
               "NCF epoch " + std::to_string(e + 1) + ": validation NDCG@10 " + std::to_string(m) +
                   ", best " + std::to_string(stop.best()) + " at epoch " +
                   std::to_string(stop.best_epoch()));
    return go_on;
  };
  train_ncf(net, train, c, ctx, seed, progress_lo, progress_hi);
  best.restore();
  NcfEarlyStop out;
  out.epochs = stop.epochs() - 1;
  out.best_epoch = stop.best_epoch();
  out.best = stop.best();
  return out;
}

}  // namespace metarec
