// Fixtures shared by the algorithm tests: a save-to-file-and-load round trip, and a planted
// block-structured rating problem.
#pragma once

#include <metarec/algorithms/recommender.h>
#include <metarec/core/rng.h>
#include <metarec/data/interactions.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

namespace metarec::fixtures {

/// `m` written with save() to a fresh temporary file, read back with Recommender::load(), and the
/// file removed: the round trip every model's file must survive.
inline std::unique_ptr<Recommender> saved_and_loaded(const Recommender& m) {
  static int count = 0;
  const std::string path =
      (std::filesystem::temp_directory_path() / ("metarec_roundtrip_" + std::to_string(::getpid()) +
                                                 "_" + std::to_string(++count) + ".model"))
          .string();
  m.save(path);
  auto back = Recommender::load(path);
  std::filesystem::remove(path);
  return back;
}

/// Two user groups x two item groups (40 users, 30 items): rating 5 inside a group's block, 1
/// outside, a seeded 30% of the pairs missing; explicit, scale 1-5.
inline Interactions planted_rating_blocks() {
  InteractionsBuilder b;
  for (int u = 0; u < 40; ++u) b.users().intern("u" + std::to_string(u));
  for (int i = 0; i < 30; ++i) b.items().intern("i" + std::to_string(i));
  Rng rng(3);
  for (int u = 0; u < 40; ++u)
    for (int i = 0; i < 30; ++i)
      if (rng.uniform() >= 0.3) b.add(u, i, (u < 20) == (i < 15) ? 5.0f : 1.0f);
  InteractionsBuilder::Options o;
  o.feedback = "explicit";
  o.scale_min = 1;
  o.scale_max = 5;
  return b.build(o);
}

}  // namespace metarec::fixtures
