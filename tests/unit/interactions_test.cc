// Unit tests for InteractionsBuilder/Interactions (CSR/CSC layout, duplicate policies, feedback
// detection, subsets, parts) and IdMap, checked against values worked out by hand.
#include "metarec/data/interactions.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <map>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "metarec/core/error.h"
#include "metarec/data/id_map.h"

namespace metarec {
namespace {

template <typename T>
std::vector<T> to_vec(std::span<const T> s) {
  return std::vector<T>(s.begin(), s.end());
}

// Four users (dave has no interaction) and four items, added out of order:
//   users: alice=0 bob=1 carol=2 dave=3     items: i5=0 i1=1 i9=2 i3=3
// Rows (u, i, v): (2,3,4) (0,2,1) (1,0,5) (0,0,3) (2,1,2) (0,3,4.5) (1,3,3)
// CSR:  u0: i0=3 i2=1 i3=4.5 | u1: i0=5 i3=3 | u2: i1=2 i3=4 | u3: -
// CSC:  i0: u0=3 u1=5 | i1: u2=2 | i2: u0=1 | i3: u0=4.5 u1=3 u2=4
Interactions small_matrix(std::vector<uint8_t>* parts = nullptr) {
  InteractionsBuilder b;
  for (const char* u : {"alice", "bob", "carol", "dave"}) b.users().intern(u);
  for (const char* i : {"i5", "i1", "i9", "i3"}) b.items().intern(i);
  b.set_has_timestamps(true);
  if (parts) b.set_part(0);
  b.add(2, 3, 4.0f, 107);
  b.add(0, 2, 1.0f, 101);
  b.add(1, 0, 5.0f, 102);
  b.add(0, 0, 3.0f, 103);
  if (parts) b.set_part(1);
  b.add(2, 1, 2.0f, 104);
  b.add(0, 3, 4.5f, 105);
  b.add(1, 3, 3.0f, 106);
  InteractionsBuilder::Options o;
  o.name = "small";
  return b.build(o, nullptr, parts);
}

TEST(Interactions, CsrIsSortedByUserThenItem) {
  const Interactions d = small_matrix();
  EXPECT_EQ(d.num_users(), 4);
  EXPECT_EQ(d.num_items(), 4);
  EXPECT_EQ(d.nnz(), 7);
  EXPECT_EQ(d.name(), "small");
  EXPECT_EQ(to_vec(d.user_ptr()), (std::vector<int64_t>{0, 3, 5, 7, 7}));
  EXPECT_EQ(to_vec(d.entry_items()), (std::vector<int32_t>{0, 2, 3, 0, 3, 1, 3}));
  EXPECT_EQ(to_vec(d.entry_values()), (std::vector<float>{3, 1, 4.5f, 5, 3, 2, 4}));
  EXPECT_EQ(to_vec(d.entry_times()), (std::vector<int64_t>{103, 101, 105, 102, 106, 104, 107}));
  EXPECT_EQ(to_vec(d.entry_users()), (std::vector<int32_t>{0, 0, 0, 1, 1, 2, 2}));
  EXPECT_EQ(to_vec(d.user_items(1)), (std::vector<int32_t>{0, 3}));
  EXPECT_EQ(to_vec(d.user_values(1)), (std::vector<float>{5, 3}));
  EXPECT_EQ(to_vec(d.user_times(2)), (std::vector<int64_t>{104, 107}));
  EXPECT_EQ(d.user_count(0), 3);
  EXPECT_EQ(d.user_count(3), 0);
  EXPECT_TRUE(d.user_items(3).empty());
  EXPECT_TRUE(d.has_timestamps());
}

TEST(Interactions, CscMatchesHandComputedColumns) {
  const Interactions d = small_matrix();
  EXPECT_EQ(to_vec(d.item_ptr()), (std::vector<int64_t>{0, 2, 3, 4, 7}));
  EXPECT_EQ(to_vec(d.item_users(0)), (std::vector<int32_t>{0, 1}));
  EXPECT_EQ(to_vec(d.item_values(0)), (std::vector<float>{3, 5}));
  EXPECT_EQ(to_vec(d.item_users(1)), (std::vector<int32_t>{2}));
  EXPECT_EQ(to_vec(d.item_users(2)), (std::vector<int32_t>{0}));
  EXPECT_EQ(to_vec(d.item_users(3)), (std::vector<int32_t>{0, 1, 2}));
  EXPECT_EQ(to_vec(d.item_values(3)), (std::vector<float>{4.5f, 3, 4}));
  EXPECT_EQ(d.item_count(3), 3);
}

TEST(Interactions, CscIsTheTransposeOfCsr) {
  const Interactions d = small_matrix();
  std::map<std::pair<int32_t, int32_t>, float> csr, csc;
  for (int32_t u = 0; u < d.num_users(); ++u)
    for (size_t k = 0; k < d.user_items(u).size(); ++k)
      csr[{u, d.user_items(u)[k]}] = d.user_values(u)[k];
  for (int32_t i = 0; i < d.num_items(); ++i) {
    auto users = d.item_users(i);
    for (size_t k = 0; k < users.size(); ++k) {
      if (k > 0) {
        EXPECT_LT(users[k - 1], users[k]) << "item " << i;
      }
      csc[{users[k], i}] = d.item_values(i)[k];
    }
  }
  EXPECT_EQ(csr, csc);
}

TEST(Interactions, FindAndContains) {
  const Interactions d = small_matrix();
  ASSERT_NE(d.find(0, 3), nullptr);
  EXPECT_EQ(*d.find(0, 3), 4.5f);
  EXPECT_EQ(*d.find(2, 1), 2.0f);
  EXPECT_EQ(d.find(0, 1), nullptr);
  EXPECT_EQ(d.find(3, 0), nullptr);  // user without entries
  EXPECT_TRUE(d.contains(1, 0));
  EXPECT_FALSE(d.contains(1, 1));
  EXPECT_FALSE(d.contains(-1, 0));
  EXPECT_FALSE(d.contains(4, 0));
  EXPECT_FALSE(d.contains(0, 99));
}

TEST(Interactions, GlobalMeanAndObservedScale) {
  const Interactions d = small_matrix();
  // (4 + 1 + 5 + 3 + 2 + 4.5 + 3) / 7 = 22.5 / 7.
  EXPECT_NEAR(d.global_mean(), 22.5 / 7.0, 1e-12);
  EXPECT_EQ(d.feedback(), Feedback::kExplicit);
  EXPECT_EQ(d.scale_min(), 1.0f);
  EXPECT_EQ(d.scale_max(), 5.0f);
}

TEST(Interactions, IdMapsFollowFirstAppearance) {
  const Interactions d = small_matrix();
  EXPECT_EQ(d.user_ids().external(2), "carol");
  EXPECT_EQ(d.item_ids().external(0), "i5");
  EXPECT_EQ(d.item_ids().find("i3"), 3);
  EXPECT_FALSE(d.user_ids().find("erin").has_value());
}

TEST(Interactions, DeclaredScaleIsKept) {
  InteractionsBuilder b;
  b.users().intern("1");
  b.items().intern("1");
  b.items().intern("2");
  b.add(0, 0, 2.0f);
  b.add(0, 1, 3.0f);
  InteractionsBuilder::Options o;
  o.scale_min = 0.5f;
  o.scale_max = 5.0f;
  const Interactions d = b.build(o);
  EXPECT_EQ(d.scale_min(), 0.5f);
  EXPECT_EQ(d.scale_max(), 5.0f);
  EXPECT_FALSE(d.has_timestamps());
  EXPECT_TRUE(d.entry_times().empty());
}

// Duplicates. Users A=0, B=1, C=2; items X=0, Y=1. Rows in file order (u, i, value, time):
//   r0 (A,X,3,100)  r1 (B,Y,4,20)  r2 (A,X,5,300)  r3 (A,Y,2,50)  r4 (B,Y,1,20)
//   r5 (A,X,1,200)  r6 (B,Y,5,30)  r7 (A,X,4,300)  r8 (C,X,2,7)
// Pair (A,X): values 3,5,1,4 at times 100,300,200,300 (latest time 300 is tied: r2 then r7).
// Pair (B,Y): values 4,1,5 at times 20,20,30 (earliest time 20 is tied: r1 then r4).
struct Row {
  int32_t u, i;
  float v;
  int64_t t;
};
const std::vector<Row> kDupRows = {{0, 0, 3, 100}, {1, 1, 4, 20},  {0, 0, 5, 300},
                                   {0, 1, 2, 50},  {1, 1, 1, 20},  {0, 0, 1, 200},
                                   {1, 1, 5, 30},  {0, 0, 4, 300}, {2, 0, 2, 7}};

Interactions build_dups(DuplicatePolicy policy, bool with_times, BuildReport* rep = nullptr) {
  InteractionsBuilder b;
  for (const char* u : {"A", "B", "C"}) b.users().intern(u);
  for (const char* i : {"X", "Y"}) b.items().intern(i);
  b.set_has_timestamps(with_times);
  for (const Row& r : kDupRows) b.add(r.u, r.i, r.v, r.t);
  InteractionsBuilder::Options o;
  o.duplicates = policy;
  return b.build(o, rep);
}

struct Merged {
  float ax, ay, by, cx;
  int64_t t_ax, t_by;
};

void expect_merged(const Interactions& d, const Merged& m, bool with_times) {
  ASSERT_EQ(d.nnz(), 4);
  ASSERT_NE(d.find(0, 0), nullptr);
  ASSERT_NE(d.find(1, 1), nullptr);
  EXPECT_FLOAT_EQ(*d.find(0, 0), m.ax);
  EXPECT_FLOAT_EQ(*d.find(0, 1), m.ay);
  EXPECT_FLOAT_EQ(*d.find(1, 1), m.by);
  EXPECT_FLOAT_EQ(*d.find(2, 0), m.cx);
  EXPECT_EQ(d.find(1, 0), nullptr);
  if (with_times) {
    // Entries in CSR order: (A,X) (A,Y) (B,Y) (C,X).
    EXPECT_EQ(to_vec(d.entry_times()), (std::vector<int64_t>{m.t_ax, 50, m.t_by, 7}));
  }
}

TEST(InteractionsDuplicates, LastKeepsLatestTimeAndFileOrderBreaksTies) {
  // (A,X): latest time 300 held by r2 (5) and r7 (4); r7 comes later in the file -> 4.
  // (B,Y): latest time 30 -> r6 (5).
  expect_merged(build_dups(DuplicatePolicy::kLast, true), {4, 2, 5, 2, 300, 30}, true);
}

TEST(InteractionsDuplicates, LastWithoutTimesKeepsLastInFile) {
  // (A,X) last in file is r7 (4); (B,Y) last is r6 (5).
  expect_merged(build_dups(DuplicatePolicy::kLast, false), {4, 2, 5, 2, 0, 0}, false);
}

TEST(InteractionsDuplicates, FirstKeepsEarliestTimeAndFileOrderBreaksTies) {
  // (A,X): earliest 100 -> r0 (3). (B,Y): earliest 20 held by r1 (4) and r4 (1) -> r1 (4).
  expect_merged(build_dups(DuplicatePolicy::kFirst, true), {3, 2, 4, 2, 100, 20}, true);
}

TEST(InteractionsDuplicates, FirstWithoutTimesKeepsFirstInFile) {
  expect_merged(build_dups(DuplicatePolicy::kFirst, false), {3, 2, 4, 2, 0, 0}, false);
}

TEST(InteractionsDuplicates, MeanAveragesAndKeepsLatestTime) {
  // (A,X): (3+5+1+4)/4 = 3.25 at 300. (B,Y): (4+1+5)/3 = 10/3 at 30.
  expect_merged(build_dups(DuplicatePolicy::kMean, true), {3.25f, 2, 10.0f / 3.0f, 2, 300, 30},
                true);
}

TEST(InteractionsDuplicates, SumAddsAndKeepsLatestTime) {
  // (A,X): 3+5+1+4 = 13. (B,Y): 4+1+5 = 10.
  expect_merged(build_dups(DuplicatePolicy::kSum, true), {13, 2, 10, 2, 300, 30}, true);
}

TEST(InteractionsDuplicates, MaxKeepsLargestValueAndItsTime) {
  // (A,X): max 5 (r2, t=300). (B,Y): max 5 (r6, t=30).
  expect_merged(build_dups(DuplicatePolicy::kMax, true), {5, 2, 5, 2, 300, 30}, true);
}

TEST(InteractionsDuplicates, MeanChangesGlobalMean) {
  // Merged values 3.25, 2, 10/3, 2 -> mean = (3.25 + 2 + 10/3 + 2) / 4.
  const Interactions d = build_dups(DuplicatePolicy::kMean, true);
  EXPECT_NEAR(d.global_mean(), (3.25 + 2.0 + 10.0 / 3.0 + 2.0) / 4.0, 1e-6);
}

TEST(InteractionsDuplicates, ErrorPolicyThrowsNamingThePair) {
  try {
    build_dups(DuplicatePolicy::kError, true);
    FAIL() << "expected InvalidArgument";
  } catch (const InvalidArgument& e) {
    const std::string msg = e.what();
    // The first duplicated pair in (user, item) order is (A, X), present 4 times.
    EXPECT_NE(msg.find("user A"), std::string::npos) << msg;
    EXPECT_NE(msg.find("item X"), std::string::npos) << msg;
    EXPECT_NE(msg.find("4 times"), std::string::npos) << msg;
  }
}

TEST(InteractionsDuplicates, ErrorPolicyAcceptsDataWithoutDuplicates) {
  InteractionsBuilder b;
  b.users().intern("1");
  b.items().intern("1");
  b.items().intern("2");
  b.add(0, 0, 1);
  b.add(0, 1, 2);
  InteractionsBuilder::Options o;
  o.duplicates = DuplicatePolicy::kError;
  BuildReport rep;
  EXPECT_EQ(b.build(o, &rep).nnz(), 2);
  EXPECT_EQ(rep.duplicate_rows, 0);
  EXPECT_EQ(rep.duplicate_pairs, 0);
}

TEST(InteractionsDuplicates, ReportCountsRowsAndPairs) {
  for (DuplicatePolicy p : {DuplicatePolicy::kLast, DuplicatePolicy::kFirst, DuplicatePolicy::kMean,
                            DuplicatePolicy::kSum, DuplicatePolicy::kMax}) {
    BuildReport rep;
    build_dups(p, true, &rep);
    EXPECT_EQ(rep.input_rows, 9);
    EXPECT_EQ(rep.duplicate_pairs, 2);  // (A,X) and (B,Y)
    EXPECT_EQ(rep.duplicate_rows, 5);   // 3 extra for (A,X), 2 for (B,Y)
    EXPECT_EQ(rep.policy, p);
  }
}

TEST(InteractionsDuplicates, PolicyNamesRoundTrip) {
  for (const char* s : {"last", "first", "mean", "sum", "max", "error"})
    EXPECT_EQ(to_string(parse_duplicate_policy(s)), s);
  EXPECT_THROW(parse_duplicate_policy("newest"), InvalidArgument);
  try {
    parse_duplicate_policy("LAST");
    FAIL() << "expected InvalidArgument";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("valid: last, first"), std::string::npos) << e.what();
  }
}

Interactions build_values(const std::vector<float>& values, const std::string& feedback,
                          bool has_values = true) {
  InteractionsBuilder b;
  b.users().intern("u");
  b.set_has_values(has_values);
  for (size_t k = 0; k < values.size(); ++k) {
    b.items().intern("i" + std::to_string(k));
    b.add(0, static_cast<int32_t>(k), values[k]);
  }
  InteractionsBuilder::Options o;
  o.feedback = feedback;
  return b.build(o);
}

TEST(InteractionsFeedback, SingleDistinctValueIsImplicit) {
  EXPECT_EQ(build_values({1, 1, 1}, "").feedback(), Feedback::kImplicit);
  EXPECT_EQ(build_values({5, 5}, "").feedback(), Feedback::kImplicit);
}

TEST(InteractionsFeedback, SeveralValuesAreExplicit) {
  EXPECT_EQ(build_values({1, 2, 1}, "").feedback(), Feedback::kExplicit);
}

TEST(InteractionsFeedback, NoValueColumnIsImplicit) {
  EXPECT_EQ(build_values({1, 2}, "", /*has_values=*/false).feedback(), Feedback::kImplicit);
}

TEST(InteractionsFeedback, DeclaredFeedbackOverridesDetection) {
  EXPECT_EQ(build_values({1, 1}, "explicit").feedback(), Feedback::kExplicit);
  EXPECT_EQ(build_values({1, 2, 3}, "implicit").feedback(), Feedback::kImplicit);
  EXPECT_THROW(build_values({1, 2}, "ratings"), InvalidArgument);
}

// BUG (reported): detection runs on the merged values, so a file of 1s (clicks) with repeated
// pairs under the 'sum' policy becomes values {2, 1} and is detected as explicit ratings.
TEST(InteractionsFeedback, DetectionUsesTheInputValues) {
  InteractionsBuilder b;
  b.users().intern("u");
  b.items().intern("a");
  b.items().intern("b");
  b.add(0, 0, 1);
  b.add(0, 0, 1);
  b.add(0, 1, 1);
  InteractionsBuilder::Options o;
  o.duplicates = DuplicatePolicy::kSum;
  EXPECT_EQ(b.build(o).feedback(), Feedback::kImplicit);
}

TEST(InteractionsFeedback, WithFeedbackOverridesAndKeepsData) {
  const Interactions d = small_matrix();
  const Interactions imp = d.with_feedback(Feedback::kImplicit);
  EXPECT_EQ(imp.feedback(), Feedback::kImplicit);
  EXPECT_EQ(d.feedback(), Feedback::kExplicit);
  EXPECT_EQ(to_vec(imp.entry_values()), to_vec(d.entry_values()));
  EXPECT_EQ(to_string(Feedback::kImplicit), "implicit");
  EXPECT_EQ(to_string(Feedback::kExplicit), "explicit");
}

TEST(InteractionsBuilder, EmptyDatasetThrows) {
  InteractionsBuilder b;
  b.users().intern("1");
  InteractionsBuilder::Options o;
  o.name = "nothing.csv";
  try {
    b.build(o);
    FAIL() << "expected InvalidArgument";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("nothing.csv"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("empty"), std::string::npos) << e.what();
  }
}

TEST(InteractionsBuilder, NonFiniteValueThrows) {
  InteractionsBuilder b;
  b.users().intern("1");
  b.items().intern("1");
  b.add(0, 0, std::numeric_limits<float>::quiet_NaN());
  EXPECT_THROW(b.build({}), InvalidArgument);
}

TEST(InteractionsSubset, SharesIdMapsAndKeepsDimensions) {
  const Interactions d = small_matrix();
  // Entries 0 (u0,i0,3), 4 (u1,i3,3), 6 (u2,i3,4), given out of order.
  const std::vector<int64_t> pick = {6, 0, 4};
  const Interactions s = d.subset(pick, "part");
  EXPECT_EQ(s.name(), "part");
  EXPECT_EQ(s.num_users(), 4);
  EXPECT_EQ(s.num_items(), 4);
  EXPECT_EQ(s.nnz(), 3);
  EXPECT_EQ(s.user_ids_ptr(), d.user_ids_ptr());
  EXPECT_EQ(s.item_ids_ptr(), d.item_ids_ptr());
  EXPECT_EQ(s.feedback(), d.feedback());
  EXPECT_EQ(s.scale_min(), d.scale_min());
  EXPECT_EQ(s.scale_max(), d.scale_max());
  EXPECT_EQ(to_vec(s.user_ptr()), (std::vector<int64_t>{0, 1, 2, 3, 3}));
  EXPECT_EQ(to_vec(s.entry_items()), (std::vector<int32_t>{0, 3, 3}));
  EXPECT_EQ(to_vec(s.entry_values()), (std::vector<float>{3, 3, 4}));
  EXPECT_EQ(to_vec(s.entry_times()), (std::vector<int64_t>{103, 106, 107}));
  EXPECT_EQ(to_vec(s.entry_users()), (std::vector<int32_t>{0, 1, 2}));
  EXPECT_EQ(to_vec(s.item_ptr()), (std::vector<int64_t>{0, 1, 1, 1, 3}));
  EXPECT_EQ(to_vec(s.item_users(3)), (std::vector<int32_t>{1, 2}));
  EXPECT_NEAR(s.global_mean(), 10.0 / 3.0, 1e-12);
  EXPECT_TRUE(s.contains(1, 3));
  EXPECT_FALSE(s.contains(0, 2));
}

TEST(InteractionsSubset, DefaultNameAndEmptySubset) {
  const Interactions d = small_matrix();
  const Interactions s = d.subset(std::vector<int64_t>{});
  EXPECT_EQ(s.name(), "small");
  EXPECT_EQ(s.nnz(), 0);
  EXPECT_EQ(s.num_users(), 4);
  EXPECT_EQ(to_vec(s.item_ptr()), (std::vector<int64_t>{0, 0, 0, 0, 0}));
}

TEST(InteractionsSubset, RejectsRepeatsAndOutOfRange) {
  const Interactions d = small_matrix();
  EXPECT_THROW(d.subset(std::vector<int64_t>{1, 1}), InvalidArgument);
  EXPECT_THROW(d.subset(std::vector<int64_t>{7}), InvalidArgument);
  EXPECT_THROW(d.subset(std::vector<int64_t>{-1}), InvalidArgument);
}

TEST(InteractionsParts, PartsFollowEntryOrder) {
  std::vector<uint8_t> parts;
  const Interactions d = small_matrix(&parts);
  // Part 0 rows: (2,3) (0,2) (1,0) (0,0); part 1 rows: (2,1) (0,3) (1,3).
  // Entry order: (0,0) (0,2) (0,3) (1,0) (1,3) (2,1) (2,3).
  EXPECT_EQ(parts, (std::vector<uint8_t>{0, 0, 1, 0, 1, 1, 0}));
}

TEST(InteractionsParts, DuplicateAcrossPartsTakesThePickedRowsPart) {
  InteractionsBuilder b;
  b.users().intern("u");
  b.items().intern("a");
  b.items().intern("b");
  b.set_has_timestamps(true);
  b.set_part(0);
  b.add(0, 0, 1, 10);
  b.add(0, 1, 2, 50);
  b.set_part(1);
  b.add(0, 0, 3, 20);  // later than the train row: 'last' keeps this one
  b.add(0, 1, 4, 40);  // earlier than the train row: 'last' keeps the train row
  std::vector<uint8_t> parts;
  BuildReport rep;
  const Interactions d = b.build({}, &rep, &parts);
  EXPECT_EQ(to_vec(d.entry_values()), (std::vector<float>{3, 2}));
  EXPECT_EQ(parts, (std::vector<uint8_t>{1, 0}));
  EXPECT_EQ(rep.duplicate_pairs, 2);
}

TEST(InteractionsParts, NoPartsWithoutSetPart) {
  InteractionsBuilder b;
  b.users().intern("u");
  b.items().intern("a");
  b.add(0, 0, 1);
  std::vector<uint8_t> parts = {9, 9};
  b.build({}, nullptr, &parts);
  EXPECT_TRUE(parts.empty());
}

// ---------------------------------------------------------------------------------------------
// IdMap

TEST(IdMap, IntegerIdsTakeTheFastPath) {
  IdMap m;
  EXPECT_EQ(m.intern("42"), 0);
  EXPECT_EQ(m.intern("7"), 1);
  EXPECT_EQ(m.intern("42"), 0);
  EXPECT_EQ(m.intern_int(3), 2);
  EXPECT_EQ(m.intern("3"), 2);
  EXPECT_TRUE(m.is_integer());
  EXPECT_EQ(m.size(), 3);
  EXPECT_EQ(m.find("7"), 1);
  EXPECT_FALSE(m.find("8").has_value());
  EXPECT_FALSE(m.find("abc").has_value());
  EXPECT_EQ(m.external(0), "42");
  EXPECT_EQ(m.externals(), (std::vector<std::string>{"42", "7", "3"}));
}

TEST(IdMap, NonIntegerIdSwitchesToStringsKeepingIndices) {
  IdMap m;
  m.intern("10");
  m.intern("2");
  m.intern_int(-5);
  EXPECT_EQ(m.intern("tt0111161"), 3);
  EXPECT_FALSE(m.is_integer());
  EXPECT_EQ(m.size(), 4);
  EXPECT_EQ(m.find("10"), 0);
  EXPECT_EQ(m.find("2"), 1);
  EXPECT_EQ(m.find("-5"), 2);
  EXPECT_EQ(m.find("tt0111161"), 3);
  EXPECT_EQ(m.intern("2"), 1);
  EXPECT_EQ(m.intern_int(10), 0);  // integers still find their old index after the switch
  EXPECT_EQ(m.intern_int(11), 4);
  EXPECT_EQ(m.externals(), (std::vector<std::string>{"10", "2", "-5", "tt0111161", "11"}));
}

TEST(IdMap, LeadingZerosStayDistinctStrings) {
  IdMap m;
  EXPECT_EQ(m.intern("7"), 0);
  EXPECT_EQ(m.intern("007"), 1);
  EXPECT_FALSE(m.is_integer());
  EXPECT_EQ(m.external(0), "7");
  EXPECT_EQ(m.external(1), "007");
  EXPECT_EQ(m.find("007"), 1);
  EXPECT_EQ(m.find("7"), 0);
  EXPECT_EQ(m.intern("+7"), 2);  // also not canonical
  EXPECT_EQ(m.size(), 3);
}

TEST(IdMap, ZeroPaddedLookupDoesNotMatchAnIntegerId) {
  IdMap m;
  m.intern("7");
  EXPECT_TRUE(m.is_integer());
  EXPECT_FALSE(m.find("007").has_value());
  EXPECT_FALSE(m.find("-0").has_value());
  EXPECT_EQ(m.intern("0"), 1);
  EXPECT_TRUE(m.is_integer());
}

TEST(IdMap, LargeAndNegativeIds) {
  IdMap m;
  const int64_t big = (int64_t{1} << 26) + 5;     // just past the direct table
  const int64_t huge = int64_t{123456789012345};  // far past 2^32
  EXPECT_EQ(m.intern(std::to_string(big)), 0);
  EXPECT_EQ(m.intern("-3"), 1);
  EXPECT_EQ(m.intern(std::to_string(huge)), 2);
  EXPECT_EQ(m.intern("5"), 3);
  EXPECT_EQ(m.intern_int(big), 0);
  EXPECT_EQ(m.intern_int(-3), 1);
  EXPECT_TRUE(m.is_integer());
  EXPECT_EQ(m.find(std::to_string(big)), 0);
  EXPECT_EQ(m.find(std::to_string(huge)), 2);
  EXPECT_EQ(m.find("-3"), 1);
  EXPECT_FALSE(m.find("-4").has_value());
  EXPECT_FALSE(m.find(std::to_string(big + 1)).has_value());
  EXPECT_EQ(m.external(0), std::to_string(big));
  EXPECT_EQ(m.external(1), "-3");
  EXPECT_EQ(m.external(2), "123456789012345");
}

TEST(IdMap, VeryLongDigitStringsAreStrings) {
  IdMap m;
  m.intern("1");
  const std::string long_id = "12345678901234567890123";  // does not fit in int64
  EXPECT_EQ(m.intern(long_id), 1);
  EXPECT_EQ(m.external(1), long_id);
  EXPECT_EQ(m.find("1"), 0);
}

TEST(IdMap, ExternalOutOfRangeThrows) {
  IdMap m;
  m.intern("1");
  EXPECT_THROW(m.external(1), InvalidArgument);
  EXPECT_THROW(m.external(-1), InvalidArgument);
}

TEST(IdMap, AbsorbMergesInOrderAndReturnsTheRemap) {
  IdMap a;
  a.intern("5");
  a.intern("9");
  IdMap b;
  b.intern("9");
  b.intern("100000000");  // past the direct table
  b.intern("2");
  EXPECT_EQ(a.absorb(b), (std::vector<int32_t>{1, 2, 3}));
  EXPECT_TRUE(a.is_integer());
  EXPECT_EQ(a.externals(), (std::vector<std::string>{"5", "9", "100000000", "2"}));

  IdMap c;
  c.intern("2");
  c.intern("x");
  c.intern("007");
  EXPECT_EQ(a.absorb(c), (std::vector<int32_t>{3, 4, 5}));
  EXPECT_FALSE(a.is_integer());
  EXPECT_EQ(a.externals(), (std::vector<std::string>{"5", "9", "100000000", "2", "x", "007"}));
  EXPECT_TRUE(a.absorb(IdMap{}).empty());
}

TEST(IdMap, FromExternalsRoundTrips) {
  IdMap a;
  for (const char* s : {"30", "1", "-2", "70000000"}) a.intern(s);
  const IdMap b = IdMap::from_externals(a.externals());
  EXPECT_TRUE(b.is_integer());
  EXPECT_EQ(b.externals(), a.externals());
  EXPECT_EQ(b.find("70000000"), 3);

  IdMap c;
  for (const char* s : {"5", "007", "x y", "5000"}) c.intern(s);
  const IdMap d = IdMap::from_externals(c.externals());
  EXPECT_FALSE(d.is_integer());
  EXPECT_EQ(d.externals(), (std::vector<std::string>{"5", "007", "x y", "5000"}));
  for (int32_t i = 0; i < c.size(); ++i) EXPECT_EQ(d.find(c.external(i)), i);
}

TEST(IdMap, FromExternalsRejectsDuplicates) {
  EXPECT_THROW(IdMap::from_externals({"1", "2", "1"}), InvalidArgument);
  EXPECT_THROW(IdMap::from_externals({"a", "b", "a"}), InvalidArgument);
  try {
    IdMap::from_externals({"x", "x"});
    FAIL() << "expected InvalidArgument";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("\"x\""), std::string::npos) << e.what();
  }
  // "7" and "007" are different ids.
  EXPECT_EQ(IdMap::from_externals({"7", "007"}).size(), 2);
}

}  // namespace
}  // namespace metarec
