// Negative sampling (uniform or by popularity, always excluding the user's positives) for
// training pairwise/pointwise models and for the sampled evaluation protocol.
#pragma once

#include <metarec/core/rng.h>
#include <metarec/data/interactions.h>

#include <cstdint>
#include <span>
#include <vector>

namespace metarec {

/// One case of the sampled protocol: a held-out item and the negatives it is ranked against.
struct SampledCase {
  int32_t user = 0;
  int32_t item = 0;
  std::vector<int32_t> negatives;
};

enum class NegativeMode { kUniform, kPopularity };

/// Holds a reference to `positives` (must outlive the sampler). Thread-safe for sampling, each
/// thread with its own Rng.
class NegativeSampler {
 public:
  /// kPopularity draws item i with probability proportional to count(i)^exponent (+1 smoothing).
  NegativeSampler(const Interactions& positives, NegativeMode mode, double exponent = 0.75);

  /// One item that user u has no positive entry for (also none in `extra_excluded`, sorted).
  /// Throws InvalidArgument when u has interacted with every item.
  int32_t sample(int32_t u, Rng& rng, std::span<const int32_t> extra_excluded = {}) const;
  /// n distinct negatives for u appended to `out` (n must be <= the number of eligible items).
  void sample_distinct(int32_t u, int32_t n, Rng& rng, std::vector<int32_t>& out,
                       std::span<const int32_t> extra_excluded = {}) const;

 private:
  int32_t draw(Rng& rng) const;
  bool excluded(int32_t u, int32_t item, std::span<const int32_t> extra) const;

  const Interactions& pos_;
  NegativeMode mode_;
  // Walker alias table for popularity sampling.
  std::vector<double> prob_;
  std::vector<int32_t> alias_;
};

}  // namespace metarec
