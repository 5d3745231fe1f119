// Rejection sampling over a uniform or alias-table item distribution.
#include <metarec/core/error.h>
#include <metarec/data/negative_sampling.h>

#include <algorithm>
#include <cmath>

namespace metarec {

NegativeSampler::NegativeSampler(const Interactions& positives, NegativeMode mode, double exponent)
    : pos_(positives), mode_(mode) {
  if (mode != NegativeMode::kPopularity) return;
  const int32_t n = pos_.num_items();
  std::vector<double> w(static_cast<size_t>(n));
  double total = 0;
  for (int32_t i = 0; i < n; ++i) total += w[i] = std::pow(pos_.item_count(i) + 1.0, exponent);
  prob_.resize(static_cast<size_t>(n));
  alias_.assign(static_cast<size_t>(n), 0);
  std::vector<int32_t> small, large;
  for (int32_t i = 0; i < n; ++i) {
    prob_[i] = w[i] * n / total;
    (prob_[i] < 1.0 ? small : large).push_back(i);
  }
  while (!small.empty() && !large.empty()) {
    const int32_t s = small.back(), l = large.back();
    small.pop_back();
    alias_[s] = l;
    prob_[l] -= 1.0 - prob_[s];
    if (prob_[l] < 1.0) {
      large.pop_back();
      small.push_back(l);
    }
  }
  for (int32_t i : large) prob_[i] = 1.0;
  for (int32_t i : small) prob_[i] = 1.0;
}

int32_t NegativeSampler::draw(Rng& rng) const {
  const int32_t n = pos_.num_items();
  const int32_t i = static_cast<int32_t>(rng.uniform_int(static_cast<uint64_t>(n)));
  if (mode_ == NegativeMode::kUniform) return i;
  return rng.uniform() < prob_[i] ? i : alias_[i];
}

bool NegativeSampler::excluded(int32_t u, int32_t item, std::span<const int32_t> extra) const {
  if (pos_.contains(u, item)) return true;
  return !extra.empty() && std::binary_search(extra.begin(), extra.end(), item);
}

int32_t NegativeSampler::sample(int32_t u, Rng& rng, std::span<const int32_t> extra) const {
  // Rejection; when the user covers most of the catalogue, fall back to an explicit scan.
  for (int attempt = 0; attempt < 64; ++attempt) {
    const int32_t i = draw(rng);
    if (!excluded(u, i, extra)) return i;
  }
  std::vector<int32_t> candidates;
  for (int32_t i = 0; i < pos_.num_items(); ++i)
    if (!excluded(u, i, extra)) candidates.push_back(i);
  METAREC_CHECK(!candidates.empty(), "user ", u, " has no item left to sample as a negative");
  return candidates[rng.uniform_int(candidates.size())];
}

void NegativeSampler::sample_distinct(int32_t u, int32_t n, Rng& rng, std::vector<int32_t>& out,
                                      std::span<const int32_t> extra) const {
  std::vector<int32_t> taken(extra.begin(), extra.end());
  std::sort(taken.begin(), taken.end());
  for (int32_t k = 0; k < n; ++k) {
    const int32_t i = sample(u, rng, taken);
    out.push_back(i);
    taken.insert(std::lower_bound(taken.begin(), taken.end(), i), i);
  }
}

}  // namespace metarec
