// Shared helpers of the delimited-reader tests: fixture paths, a CSV format, loading a
// fixture, and looking up an entry by its external ids.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "metarec/data/delimited.h"
#include "metarec/data/interactions.h"

namespace metarec::delimited_testing {

inline std::string data_path(const std::string& name) {
  return std::string(METAREC_TEST_DATA) + "/" + name;
}

template <typename T>
inline std::vector<T> to_vec(std::span<const T> s) {
  return std::vector<T>(s.begin(), s.end());
}

inline DelimitedFormat csv(bool rating = true, bool time = false) {
  DelimitedFormat f;
  f.separator = ",";
  if (rating) f.rating = ColumnRef::at(2);
  if (time) f.time = ColumnRef::at(3);
  return f;
}

struct Loaded {
  Interactions data;
  LoadReport report;
};

inline Loaded load(const std::string& name, const DelimitedFormat& fmt) {
  InteractionsBuilder b;
  Loaded out;
  read_delimited(data_path(name), fmt, b, out.report);
  out.data = b.build({});
  return out;
}

// Value of (user id, item id) given as external ids; NaN when absent.
inline float value_of(const Interactions& d, const std::string& user, const std::string& item) {
  auto u = d.user_ids().find(user);
  auto i = d.item_ids().find(item);
  if (!u || !i) return std::numeric_limits<float>::quiet_NaN();
  const float* v = d.find(*u, *i);
  return v ? *v : std::numeric_limits<float>::quiet_NaN();
}

inline int64_t time_of(const Interactions& d, const std::string& user, const std::string& item) {
  const int32_t u = *d.user_ids().find(user);
  const int32_t i = *d.item_ids().find(item);
  auto items = d.user_items(u);
  for (size_t k = 0; k < items.size(); ++k)
    if (items[k] == i) return d.user_times(u)[k];
  ADD_FAILURE() << "no entry " << user << "/" << item;
  return -1;
}

}  // namespace metarec::delimited_testing
