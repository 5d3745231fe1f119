// Unit tests for make_split/kfold_splits and SplitSpec parsing: every method partitions the
// entries, is deterministic by seed and respects time, on synthetic and hand-made data
// (tests/data/split_timed.csv).
#include "metarec/data/split.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "metarec/core/error.h"
#include "metarec/data/delimited.h"
#include "metarec/data/synthetic.h"

namespace metarec {
namespace {

using Pair = std::pair<int32_t, int32_t>;                    // (user, item)
using EntryMap = std::map<Pair, std::pair<float, int64_t>>;  // -> (value, time)

EntryMap entries_of(const Interactions& d) {
  EntryMap out;
  auto users = d.entry_users();
  auto items = d.entry_items();
  auto values = d.entry_values();
  for (int64_t e = 0; e < d.nnz(); ++e)
    out[{users[e], items[e]}] = {values[e], d.has_timestamps() ? d.entry_times()[e] : 0};
  return out;
}

std::set<Pair> pairs_of(const Interactions& d) {
  std::set<Pair> out;
  for (const auto& [p, vt] : entries_of(d)) out.insert(p);
  return out;
}

const Interactions& synthetic() {
  static const Interactions d =
      generate_synthetic(parse_synthetic_spec("synthetic:users=200,items=150,per_user=20,seed=3"));
  return d;
}

// u1..u5 with 4, 2, 1, 3, 5 entries; see tests/data/split_timed.csv.
const Interactions& timed() {
  static const Interactions d = [] {
    DelimitedFormat f;
    f.header = true;
    f.rating = ColumnRef::named("rating");
    f.time = ColumnRef::named("timestamp");
    InteractionsBuilder b;
    LoadReport rep;
    read_delimited(std::string(METAREC_TEST_DATA) + "/split_timed.csv", f, b, rep);
    InteractionsBuilder::Options o;
    o.name = "timed";
    return b.build(o);
  }();
  return d;
}

// The (user id, item id) pairs of `d`, as external ids.
std::set<std::pair<std::string, std::string>> named_pairs(const Interactions& d) {
  std::set<std::pair<std::string, std::string>> out;
  for (const auto& [p, vt] : entries_of(d))
    out.insert({d.user_ids().external(p.first), d.item_ids().external(p.second)});
  return out;
}

// Checks that train and test are disjoint, carry the original values and times, share the
// original's index space, and with the dropped entries make up exactly the original.
void expect_partition(const Interactions& data, const Split& s) {
  const EntryMap all = entries_of(data), train = entries_of(s.train), test = entries_of(s.test);
  EXPECT_EQ(s.train.num_users(), data.num_users());
  EXPECT_EQ(s.train.num_items(), data.num_items());
  EXPECT_EQ(s.test.num_users(), data.num_users());
  EXPECT_EQ(s.test.num_items(), data.num_items());
  EXPECT_EQ(s.train.user_ids_ptr(), data.user_ids_ptr());
  EXPECT_EQ(s.test.item_ids_ptr(), data.item_ids_ptr());
  for (const auto& [p, vt] : train) {
    EXPECT_EQ(test.count(p), 0u) << "entry in train and test";
    ASSERT_EQ(all.count(p), 1u);
    EXPECT_EQ(all.at(p), vt);
  }
  for (const auto& [p, vt] : test) {
    ASSERT_EQ(all.count(p), 1u);
    EXPECT_EQ(all.at(p), vt);
  }
  const int64_t dropped = s.dropped_unseen_users + s.dropped_unseen_items;
  EXPECT_EQ(static_cast<int64_t>(train.size() + test.size()) + dropped, data.nnz());
  EXPECT_EQ(s.train.nnz() + s.test.nnz() + dropped, data.nnz());
}

// Test entries whose user or item is absent from train, counted by a plain loop.
int64_t count_unseen(const Split& s) {
  std::set<int32_t> users, items;
  for (const auto& [p, vt] : entries_of(s.train)) {
    users.insert(p.first);
    items.insert(p.second);
  }
  int64_t n = 0;
  for (const auto& [p, vt] : entries_of(s.test))
    n += !users.count(p.first) || !items.count(p.second);
  return n;
}

SplitSpec spec(const std::string& text) { return SplitSpec::parse(text); }

const std::vector<std::string> kMethods = {"random",        "user_random", "leave_last",
                                           "user_temporal", "time_cutoff", "kfold"};

// ---------------------------------------------------------------------------------------------
// Every method on the synthetic dataset

TEST(Split, EveryMethodPartitionsTheEntries) {
  const Interactions& d = synthetic();
  for (const std::string& m : kMethods) {
    for (const char* unseen : {"keep", "drop"}) {
      SCOPED_TRACE(m + " unseen=" + unseen);
      const Split s = make_split(d, spec(m + ":unseen=" + unseen));
      expect_partition(d, s);
      EXPECT_GT(s.train.nnz(), 0);
      EXPECT_GT(s.test.nnz(), 0);
      if (std::string(unseen) == "keep") {
        EXPECT_EQ(s.dropped_unseen_users + s.dropped_unseen_items, 0);
        EXPECT_EQ(s.kept_unseen, count_unseen(s));
      } else {
        EXPECT_EQ(s.kept_unseen, 0);
        EXPECT_EQ(count_unseen(s), 0);
      }
    }
  }
}

TEST(Split, DropRemovesExactlyTheUnseenEntriesThatKeepKeeps) {
  const Interactions& d = synthetic();
  for (const std::string& m : kMethods) {
    SCOPED_TRACE(m);
    const Split keep = make_split(d, spec(m + ":unseen=keep"));
    const Split drop = make_split(d, spec(m + ":unseen=drop"));
    EXPECT_EQ(pairs_of(keep.train), pairs_of(drop.train));
    EXPECT_EQ(drop.dropped_unseen_users + drop.dropped_unseen_items, keep.kept_unseen);
    EXPECT_EQ(drop.test.nnz(), keep.test.nnz() - keep.kept_unseen);
  }
}

TEST(Split, RandomHoldsOutTheRequestedFraction) {
  const Interactions& d = synthetic();
  const Split s = make_split(d, spec("random:test=0.25,seed=7"));
  EXPECT_EQ(s.test.nnz(), std::llround(0.25 * static_cast<double>(d.nnz())));
}

TEST(Split, SameSeedSameSplitDifferentSeedDifferentSplit) {
  const Interactions& d = synthetic();
  for (const char* m : {"random", "user_random", "kfold"}) {
    SCOPED_TRACE(m);
    const std::string base = std::string(m) + ":seed=";
    const Split a = make_split(d, spec(base + "11"));
    const Split b = make_split(d, spec(base + "11"));
    const Split c = make_split(d, spec(base + "12"));
    EXPECT_EQ(pairs_of(a.test), pairs_of(b.test));
    EXPECT_EQ(pairs_of(a.train), pairs_of(b.train));
    EXPECT_NE(pairs_of(a.test), pairs_of(c.test));
  }
}

TEST(Split, UserRandomHoldsOutPerUserCounts) {
  const Interactions& d = synthetic();
  const double f = 0.3;
  const Split s = make_split(d, spec("user_random:test=0.3,seed=5"));
  for (int32_t u = 0; u < d.num_users(); ++u) {
    const int64_t c = d.user_count(u);
    int64_t expected = 0;
    if (c >= 2) expected = std::min<int64_t>(std::max<int64_t>(1, std::llround(f * c)), c - 1);
    EXPECT_EQ(s.test.user_count(u), expected) << "user " << u << " with " << c;
    EXPECT_EQ(s.train.user_count(u), c - expected);
  }
}

TEST(Split, LeaveLastTakesEachUsersLatestEntries) {
  const Interactions& d = synthetic();
  const Split s = make_split(d, spec("leave_last:k=2"));
  for (int32_t u = 0; u < d.num_users(); ++u) {
    const int64_t c = d.user_count(u);
    ASSERT_GE(c, 3);  // the generator gives everyone at least min_per_user = 5
    EXPECT_EQ(s.test.user_count(u), 2);
    int64_t latest_train = std::numeric_limits<int64_t>::min();
    for (int64_t t : s.train.user_times(u)) latest_train = std::max(latest_train, t);
    for (int64_t t : s.test.user_times(u)) EXPECT_GE(t, latest_train) << "user " << u;
  }
}

TEST(Split, UserTemporalTestIsEachUsersLatestFraction) {
  const Interactions& d = synthetic();
  const Split s = make_split(d, spec("user_temporal:test=0.2"));
  for (int32_t u = 0; u < d.num_users(); ++u) {
    const int64_t c = d.user_count(u);
    const int64_t expected = std::min<int64_t>(std::max<int64_t>(1, std::llround(0.2 * c)), c - 1);
    EXPECT_EQ(s.test.user_count(u), expected) << "user " << u;
    int64_t latest_train = std::numeric_limits<int64_t>::min();
    for (int64_t t : s.train.user_times(u)) latest_train = std::max(latest_train, t);
    for (int64_t t : s.test.user_times(u)) EXPECT_GE(t, latest_train) << "user " << u;
  }
}

TEST(Split, TimeCutoffSeparatesTrainAndTestInTime) {
  const Interactions& d = synthetic();
  const Split s = make_split(d, spec("time_cutoff:quantile=0.75"));
  int64_t latest_train = std::numeric_limits<int64_t>::min();
  int64_t earliest_test = std::numeric_limits<int64_t>::max();
  for (int64_t t : s.train.entry_times()) latest_train = std::max(latest_train, t);
  for (int64_t t : s.test.entry_times()) earliest_test = std::min(earliest_test, t);
  EXPECT_LT(latest_train, earliest_test);
  // Synthetic times are almost all distinct: the test set is close to the top quarter.
  const double frac = static_cast<double>(s.test.nnz()) / static_cast<double>(d.nnz());
  EXPECT_NEAR(frac, 0.25, 0.02);
}

TEST(Split, KfoldFoldsPartitionTheData) {
  const Interactions& d = synthetic();
  const int32_t k = 4;
  const std::vector<Split> folds = kfold_splits(d, k, 9);
  ASSERT_EQ(folds.size(), static_cast<size_t>(k));
  std::map<Pair, int> times_in_test;
  int64_t total = 0;
  for (int32_t f = 0; f < k; ++f) {
    expect_partition(d, folds[f]);
    total += folds[f].test.nnz();
    for (const Pair& p : pairs_of(folds[f].test)) ++times_in_test[p];
    // Fold sizes differ by at most one: floor(n/k) or ceil(n/k).
    EXPECT_GE(folds[f].test.nnz(), d.nnz() / k);
    EXPECT_LE(folds[f].test.nnz(), (d.nnz() + k - 1) / k);
    // make_split with the same fold gives the same split.
    const Split same = make_split(d, spec("kfold:folds=4,fold=" + std::to_string(f) + ",seed=9"));
    EXPECT_EQ(pairs_of(same.test), pairs_of(folds[f].test));
  }
  EXPECT_EQ(total, d.nnz());
  EXPECT_EQ(static_cast<int64_t>(times_in_test.size()), d.nnz());
  for (const auto& [p, n] : times_in_test) EXPECT_EQ(n, 1);
}

// Strong generalization: the held-out users are the users without a training entry.
std::set<int32_t> held_out_users(const Split& s) {
  std::set<int32_t> out;
  for (int32_t u = 0; u < s.test.num_users(); ++u)
    if (s.test.user_count(u) > 0) out.insert(u);
  return out;
}

TEST(Split, StrongHoldsOutWholeUsersAndSplitsEachEightyTwenty) {
  const Interactions& d = synthetic();
  const Split s = make_split(d, spec("strong:users=20,fold_in=0.8,seed=5"));
  ASSERT_TRUE(s.has_fold_in());
  EXPECT_EQ(s.fold_in.num_users(), d.num_users());
  EXPECT_EQ(s.fold_in.num_items(), d.num_items());
  EXPECT_EQ(s.fold_in.item_ids_ptr(), d.item_ids_ptr());
  const EntryMap all = entries_of(d), fold_in = entries_of(s.fold_in), test = entries_of(s.test);
  const std::set<int32_t> held = held_out_users(s);
  EXPECT_EQ(held.size(), 20u);
  for (int32_t u = 0; u < d.num_users(); ++u) {
    const int64_t c = d.user_count(u);
    if (!held.count(u)) {
      EXPECT_EQ(s.train.user_count(u), c) << "user " << u;
      EXPECT_EQ(s.fold_in.user_count(u), 0) << "user " << u;
      continue;
    }
    // floor(0.2 c) = c / 5 in integers; every synthetic user has at least 5 entries.
    ASSERT_GE(c, 5);
    EXPECT_EQ(s.train.user_count(u), 0) << "user " << u;
    EXPECT_EQ(s.test.user_count(u), c / 5) << "user " << u << " with " << c;
    EXPECT_EQ(s.fold_in.user_count(u), c - c / 5) << "user " << u;
  }
  // Fold-in and targets are disjoint, and with train they are exactly the original entries.
  for (const auto& [p, vt] : fold_in) {
    EXPECT_EQ(test.count(p), 0u);
    ASSERT_EQ(all.count(p), 1u);
    EXPECT_EQ(all.at(p), vt);
  }
  EXPECT_EQ(s.train.nnz() + s.fold_in.nnz() + s.test.nnz(), d.nnz());
  EntryMap joined = entries_of(s.train);
  joined.insert(fold_in.begin(), fold_in.end());
  joined.insert(test.begin(), test.end());
  EXPECT_EQ(joined, all);
}

TEST(Split, StrongIsSeeded) {
  const Interactions& d = synthetic();
  const Split a = make_split(d, spec("strong:users=30,seed=11"));
  const Split b = make_split(d, spec("strong:users=30,seed=11"));
  const Split c = make_split(d, spec("strong:users=30,seed=12"));
  EXPECT_EQ(pairs_of(a.test), pairs_of(b.test));
  EXPECT_EQ(pairs_of(a.fold_in), pairs_of(b.fold_in));
  EXPECT_EQ(pairs_of(a.train), pairs_of(b.train));
  EXPECT_NE(held_out_users(a), held_out_users(c));
}

TEST(Split, StrongUsersMayBeAFraction) {
  const Interactions& d = synthetic();  // 200 users, all with at least 5 entries
  EXPECT_EQ(held_out_users(make_split(d, spec("strong:users=0.25"))).size(), 50u);
  EXPECT_EQ(held_out_users(make_split(d, spec("strong"))).size(), 20u);    // default 0.1
  EXPECT_THROW(make_split(d, spec("strong:users=200")), InvalidArgument);  // none left to train
  EXPECT_EQ(held_out_users(make_split(d, spec("strong:users=199"))).size(), 199u);
}

// Items seen only by held-out users: keep counts the targets, drop removes targets and fold-in.
TEST(Split, StrongUnseenItemsFollowThePolicy) {
  const Interactions& d = synthetic();
  const Split keep = make_split(d, spec("strong:users=190,seed=2,unseen=keep"));
  const Split drop = make_split(d, spec("strong:users=190,seed=2,unseen=drop"));
  std::set<int32_t> trained;
  for (const auto& [p, vt] : entries_of(keep.train)) trained.insert(p.second);
  int64_t unseen_targets = 0, unseen_inputs = 0;
  for (const auto& [p, vt] : entries_of(keep.test)) unseen_targets += !trained.count(p.second);
  for (const auto& [p, vt] : entries_of(keep.fold_in)) unseen_inputs += !trained.count(p.second);
  ASSERT_GT(unseen_targets, 0) << "the fixture must have unseen target items";
  ASSERT_GT(unseen_inputs, 0) << "the fixture must have unseen input items";
  EXPECT_EQ(keep.kept_unseen, unseen_targets);
  EXPECT_EQ(keep.dropped_unseen_items + keep.dropped_unseen_users, 0);
  EXPECT_EQ(drop.kept_unseen, 0);
  EXPECT_EQ(drop.dropped_unseen_users, 0);
  EXPECT_EQ(drop.dropped_unseen_items, unseen_targets + unseen_inputs);
  EXPECT_EQ(pairs_of(drop.train), pairs_of(keep.train));
  EXPECT_EQ(drop.test.nnz(), keep.test.nnz() - unseen_targets);
  EXPECT_EQ(drop.fold_in.nnz(), keep.fold_in.nnz() - unseen_inputs);
  for (const auto& [p, vt] : entries_of(drop.fold_in)) EXPECT_TRUE(trained.count(p.second));
  for (const auto& [p, vt] : entries_of(drop.test)) EXPECT_TRUE(trained.count(p.second));
}

TEST(Split, OtherMethodsHaveNoFoldIn) {
  for (const std::string& m : kMethods)
    EXPECT_FALSE(make_split(synthetic(), spec(m)).has_fold_in());
}

// ---------------------------------------------------------------------------------------------
// Hand-made fixture: tests/data/split_timed.csv
//   u1: i1@10 i2@40 i3@20 i4@30      u2: i1@5 i5@6      u3: i3@100
//   u4: i2@50 i3@70 i1@60            u5: i4@1 i5@2 i2@3 i1@4 i3@0

using Named = std::set<std::pair<std::string, std::string>>;

TEST(SplitFixture, LeaveLastPutsEachUsersLatestEntryInTest) {
  const Split s = make_split(timed(), spec("leave_last"));
  expect_partition(timed(), s);
  // u3 has a single entry and stays in train.
  EXPECT_EQ(named_pairs(s.test), (Named{{"u1", "i2"}, {"u2", "i5"}, {"u4", "i3"}, {"u5", "i1"}}));
  EXPECT_EQ(s.train.nnz(), 11);
  EXPECT_EQ(s.kept_unseen, 0);
}

TEST(SplitFixture, LeaveLastTwoIsCappedToKeepOneTrainEntry) {
  const Split s = make_split(timed(), spec("leave_last:k=2"));
  // u2 has 2 entries: only its latest goes to test.
  EXPECT_EQ(named_pairs(s.test), (Named{{"u1", "i2"},
                                        {"u1", "i4"},
                                        {"u2", "i5"},
                                        {"u4", "i3"},
                                        {"u4", "i1"},
                                        {"u5", "i1"},
                                        {"u5", "i2"}}));
}

TEST(SplitFixture, MinUserCountKeepsSmallUsersInTrain) {
  // min_user=3: u2 (2 entries) and u3 (1) stay entirely in train.
  const Split s = make_split(timed(), spec("leave_last:min_user=3"));
  EXPECT_EQ(named_pairs(s.test), (Named{{"u1", "i2"}, {"u4", "i3"}, {"u5", "i1"}}));
}

TEST(SplitFixture, UserTemporalTakesTheLatestFraction) {
  // test=0.5: u1 4 -> 2, u2 2 -> 1, u3 1 -> 0, u4 3 -> round(1.5) = 2, u5 5 -> round(2.5) = 3.
  const Split s = make_split(timed(), spec("user_temporal:test=0.5"));
  expect_partition(timed(), s);
  EXPECT_EQ(named_pairs(s.test), (Named{{"u1", "i2"},
                                        {"u1", "i4"},
                                        {"u2", "i5"},
                                        {"u4", "i3"},
                                        {"u4", "i1"},
                                        {"u5", "i1"},
                                        {"u5", "i2"},
                                        {"u5", "i5"}}));
}

TEST(SplitFixture, TimeCutoffKeepAndDropUnseenUsers) {
  // 15 times sorted: 0 1 2 3 4 5 6 10 20 30 40 50 60 70 100; quantile 0.7 -> index 10 -> 40.
  // Test = times >= 40: (u1,i2) (u4,i2) (u4,i1) (u4,i3) (u3,i3). All of u3's and u4's entries
  // are in test, so those users are unseen in train; every item has a train entry.
  const Split keep = make_split(timed(), spec("time_cutoff:quantile=0.7,unseen=keep"));
  expect_partition(timed(), keep);
  EXPECT_EQ(named_pairs(keep.test),
            (Named{{"u1", "i2"}, {"u4", "i2"}, {"u4", "i1"}, {"u4", "i3"}, {"u3", "i3"}}));
  EXPECT_EQ(keep.kept_unseen, 4);
  EXPECT_EQ(keep.train.nnz(), 10);

  const Split drop = make_split(timed(), spec("time_cutoff:quantile=0.7,unseen=drop"));
  expect_partition(timed(), drop);
  EXPECT_EQ(named_pairs(drop.test), (Named{{"u1", "i2"}}));
  EXPECT_EQ(drop.dropped_unseen_users, 4);
  EXPECT_EQ(drop.dropped_unseen_items, 0);
  EXPECT_EQ(drop.kept_unseen, 0);
}

// Users 0..3, items 0..3; times 1..10. time_cutoff:quantile=0.5 -> index 5 of 10 -> time 6.
// Train (t < 6): (0,0) (0,1) (1,0) (1,1) (2,0).
// Test: (2,1)@6 seen | (0,2)@7 (1,2)@8 unseen item | (3,0)@9 unseen user | (3,3)@10 both unseen.
Interactions unseen_fixture() {
  InteractionsBuilder b;
  for (int k = 0; k < 4; ++k) {
    b.users().intern_int(k);
    b.items().intern_int(k);
  }
  b.set_has_timestamps(true);
  const std::vector<std::tuple<int, int, int>> rows = {{0, 0, 1}, {0, 1, 2}, {1, 0, 3}, {1, 1, 4},
                                                       {2, 0, 5}, {2, 1, 6}, {0, 2, 7}, {1, 2, 8},
                                                       {3, 0, 9}, {3, 3, 10}};
  for (const auto& [u, i, t] : rows) b.add(u, i, 1.0f + static_cast<float>(t % 3), t);
  return b.build({});
}

TEST(SplitFixture, UnseenUsersAndItemsAreCountedSeparately) {
  const Interactions d = unseen_fixture();
  const Split drop = make_split(d, spec("time_cutoff:quantile=0.5,unseen=drop"));
  expect_partition(d, drop);
  EXPECT_EQ(drop.train.nnz(), 5);
  EXPECT_EQ(drop.test.nnz(), 1);
  EXPECT_TRUE(drop.test.contains(2, 1));
  EXPECT_EQ(drop.dropped_unseen_users, 2);  // (3,0) and (3,3): an unseen user counts as a user
  EXPECT_EQ(drop.dropped_unseen_items, 2);  // (0,2) and (1,2)
  EXPECT_EQ(drop.kept_unseen, 0);

  const Split keep = make_split(d, spec("time_cutoff:quantile=0.5,unseen=keep"));
  expect_partition(d, keep);
  EXPECT_EQ(keep.test.nnz(), 5);
  EXPECT_EQ(keep.kept_unseen, 4);
  EXPECT_EQ(keep.dropped_unseen_users + keep.dropped_unseen_items, 0);
}

TEST(SplitFixture, TestSetEmptyAfterDroppingThrows) {
  // quantile=0.9 -> index 9 -> time 10: the only test entry (3,3) is unseen.
  const Interactions d = unseen_fixture();
  EXPECT_THROW(make_split(d, spec("time_cutoff:quantile=0.9,unseen=drop")), InvalidArgument);
  EXPECT_EQ(make_split(d, spec("time_cutoff:quantile=0.9,unseen=keep")).test.nnz(), 1);
}

TEST(SplitFixture, TimeMethodsNeedTimestamps) {
  InteractionsBuilder b;
  for (int k = 0; k < 3; ++k) {
    b.users().intern_int(k);
    b.items().intern_int(k);
  }
  for (int u = 0; u < 3; ++u)
    for (int i = 0; i < 3; ++i) b.add(u, i, 1.0f + static_cast<float>(i));
  const Interactions d = b.build({});
  for (const char* m : {"leave_last", "user_temporal", "time_cutoff"})
    EXPECT_THROW(make_split(d, spec(m)), InvalidArgument) << m;
  EXPECT_NO_THROW(make_split(d, spec("user_random")));
}

TEST(SplitFixture, GivenRequiresParts) {
  const Interactions& d = timed();
  EXPECT_THROW(make_split(d, spec("given")), InvalidArgument);
  std::vector<uint8_t> wrong(static_cast<size_t>(d.nnz()) - 1, 0);
  EXPECT_THROW(make_split(d, spec("given"), &wrong), InvalidArgument);
  std::vector<uint8_t> none(static_cast<size_t>(d.nnz()), 0);
  EXPECT_THROW(make_split(d, spec("given"), &none), InvalidArgument);  // empty test

  // Entries 0, 5 and 9 to test.
  std::vector<uint8_t> parts(static_cast<size_t>(d.nnz()), 0);
  parts[0] = parts[5] = parts[9] = 1;
  const Split s = make_split(d, spec("given"), &parts);
  expect_partition(d, s);
  std::set<Pair> expected;
  for (int64_t e : {0, 5, 9}) expected.insert({d.entry_users()[e], d.entry_items()[e]});
  EXPECT_EQ(pairs_of(s.test), expected);
}

// min_user=3 makes u1 (4 entries), u4 (3) and u5 (5) eligible; u2 (2) and u3 (1) always train.
// Targets per user = max(1, floor((1 - fold_in) * n)): fold_in 0.8 gives 1 each (0.8, 0.6 and
// 1.0 floored, at least 1); fold_in 0.5 gives u1 2, u4 1, u5 2.
TEST(SplitFixture, StrongDrawsEligibleUsersAndFloorsTheTargets) {
  const Interactions& d = timed();
  const int32_t u1 = *d.user_ids().find("u1"), u2 = *d.user_ids().find("u2"),
                u3 = *d.user_ids().find("u3"), u4 = *d.user_ids().find("u4"),
                u5 = *d.user_ids().find("u5");
  std::set<std::set<int32_t>> seen_sets;
  for (int seed = 1; seed <= 30; ++seed) {
    SCOPED_TRACE(seed);
    const std::string opts = "users=2,min_user=3,seed=" + std::to_string(seed);
    const Split a = make_split(d, spec("strong:fold_in=0.8," + opts));
    const std::set<int32_t> held = held_out_users(a);
    ASSERT_EQ(held.size(), 2u);
    for (int32_t u : held) EXPECT_TRUE(u == u1 || u == u4 || u == u5) << u;
    EXPECT_EQ(a.train.user_count(u2), 2);
    EXPECT_EQ(a.train.user_count(u3), 1);
    for (int32_t u : held) {
      EXPECT_EQ(a.test.user_count(u), 1);
      EXPECT_EQ(a.fold_in.user_count(u), d.user_count(u) - 1);
    }
    const Split b = make_split(d, spec("strong:fold_in=0.5," + opts));
    const std::map<int32_t, int64_t> targets = {{u1, 2}, {u4, 1}, {u5, 2}};
    for (int32_t u : held_out_users(b)) EXPECT_EQ(b.test.user_count(u), targets.at(u)) << u;
    seen_sets.insert(held);
  }
  EXPECT_EQ(seen_sets.size(), 3u) << "30 seeds should draw all three pairs of users";
  EXPECT_THROW(make_split(d, spec("strong:users=3,min_user=3")), InvalidArgument);
}

TEST(SplitFixture, TooSmallForAnyTestEntryThrows) {
  // Every user has a single entry: per-user methods leave the test set empty.
  InteractionsBuilder b;
  b.set_has_timestamps(true);
  for (int k = 0; k < 3; ++k) b.add(b.users().intern_int(k), b.items().intern_int(k), 1.0f, k);
  const Interactions d = b.build({});
  EXPECT_THROW(make_split(d, spec("leave_last")), InvalidArgument);
  EXPECT_THROW(make_split(d, spec("user_random")), InvalidArgument);
}

// BUG (reported): make_split trusts a SplitSpec built in code; test_fraction > 1 makes the random
// split read past its permutation (heap overflow) instead of throwing InvalidArgument.
TEST(SplitSpec, MakeSplitValidatesTheSpec) {
  SplitSpec s;
  s.method = "random";
  s.test_fraction = 1.5;
  EXPECT_THROW(make_split(timed(), s), InvalidArgument);
}

}  // namespace
}  // namespace metarec
