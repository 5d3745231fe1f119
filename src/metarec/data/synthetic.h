// The built-in synthetic dataset: realistic structure (power-law popularity and activity, latent
// preferences, genres tied to the latent factors, timestamps with popularity drift), explicit
// 1-5 ratings or implicit feedback, deterministic by seed. It makes every command and test work
// on a fresh machine with no downloads.
#pragma once

#include <metarec/core/params.h>
#include <metarec/data/interactions.h>

#include <cstdint>
#include <string>

namespace metarec {

struct SyntheticSpec {
  int32_t users = 6000;
  int32_t items = 4000;
  double per_user = 40;  ///< mean interactions per user
  int32_t min_per_user = 5;
  int32_t factors = 8;
  int32_t genres = 18;
  int32_t vectors = 0;  ///< dimension of dense item vectors (0: none)
  bool implicit = false;
  double popularity = 0.8;  ///< Zipf exponent of item popularity
  double activity = 1.6;    ///< Pareto shape of user activity (smaller = heavier tail)
  double taste = 2.0;       ///< how strongly preferences steer which items a user picks
  double noise = 0.6;       ///< rating noise (std, in stars)
  int32_t days = 730;       ///< time span
  uint64_t seed = 1;
};

/// The declared keys of the "synthetic:" spec (one declaration drives parsing, help and docs).
const ParamSchema& synthetic_schema();
/// Parses "synthetic:users=6000,items=4000,seed=1" (or "synthetic" for the defaults).
SyntheticSpec parse_synthetic_spec(const std::string& spec);
/// Generates the dataset; O(users x items) time, single-threaded and deterministic.
Interactions generate_synthetic(const SyntheticSpec& spec);

}  // namespace metarec
