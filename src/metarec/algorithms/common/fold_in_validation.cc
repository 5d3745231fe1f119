// The held-out users of fold-in models' early stopping, and their NDCG@k.
#include <metarec/algorithms/common/fold_in_validation.h>
#include <metarec/core/error.h>
#include <metarec/core/parallel.h>
#include <metarec/core/top_k.h>
#include <metarec/data/split.h>
#include <metarec/eval/metrics.h>

#include <algorithm>
#include <limits>
#include <string>

namespace metarec {

FoldInValidation fold_in_validation(const Interactions& train, double users, uint64_t seed) {
  SplitSpec spec;
  spec.method = "strong";
  spec.heldout_users = users;
  spec.fold_in_fraction = 0.8;
  spec.seed = seed;
  Split s;
  try {
    s = make_split(train, spec);
  } catch (const InvalidArgument& e) {
    throw InvalidArgument(std::string("early stopping's validation users: ") + e.what());
  }
  FoldInValidation v;
  for (int32_t u = 0; u < s.test.num_users(); ++u)
    if (s.test.user_count(u) > 0 && s.fold_in.user_count(u) > 0) v.users.push_back(u);
  v.train = std::move(s.train);
  v.input = std::move(s.fold_in);
  v.target = std::move(s.test);
  return v;
}

double FoldInValidation::ndcg(const ScoreFn& score, int k, int threads) const {
  METAREC_CHECK(k >= 1, "fold-in validation: k must be >= 1, got ", k);
  if (users.empty()) return 0;
  std::vector<double> gain(users.size(), 0.0);
  parallel_for(static_cast<int64_t>(users.size()), threads, [&](int64_t j) {
    const int32_t u = users[static_cast<size_t>(j)];
    std::vector<float> s(static_cast<size_t>(input.num_items()));
    const auto in = input.user_items(u);
    score(in, s);
    for (int32_t i : in) s[static_cast<size_t>(i)] = -std::numeric_limits<float>::infinity();
    std::vector<int32_t> ranked;
    for (const ScoredItem& t : top_k(s, k)) ranked.push_back(t.item);
    const auto t = target.user_items(u);
    std::vector<int32_t> relevant(t.begin(), t.end());
    std::sort(relevant.begin(), relevant.end());
    gain[static_cast<size_t>(j)] = ndcg_at_k(ranked, relevant, k);
  });
  double sum = 0;
  for (double g : gain) sum += g;
  return sum / static_cast<double>(users.size());
}

}  // namespace metarec
