// Unit tests of SplitSpec: parsing every method's options, printing them back exactly, and the
// errors bad option text gets. (make_split itself: split_test.cc.)
#include <gtest/gtest.h>

#include <string>

#include "metarec/core/error.h"
#include "metarec/data/split.h"

namespace metarec {
namespace {

SplitSpec spec(const std::string& text) { return SplitSpec::parse(text); }

TEST(SplitSpec, ParsesMethodAndOptions) {
  const SplitSpec a = spec("kfold:folds=5,fold=2");
  EXPECT_EQ(a.method, "kfold");
  EXPECT_EQ(a.folds, 5);
  EXPECT_EQ(a.fold, 2);
  const SplitSpec b = spec("random:test=0.1,seed=3,unseen=drop");
  EXPECT_EQ(b.method, "random");
  EXPECT_DOUBLE_EQ(b.test_fraction, 0.1);
  EXPECT_EQ(b.seed, 3u);
  EXPECT_EQ(b.unseen, UnseenPolicy::kDrop);
  const SplitSpec c = spec("leave_last:k=3,min_user=4");
  EXPECT_EQ(c.leave_k, 3);
  EXPECT_EQ(c.min_user_count, 4);
  const SplitSpec d = spec("time_cutoff:quantile=0.9");
  EXPECT_DOUBLE_EQ(d.cutoff_quantile, 0.9);
  const SplitSpec e = spec("given");
  EXPECT_EQ(e.method, "given");
  EXPECT_EQ(e.unseen, UnseenPolicy::kKeep);  // the default
}

TEST(SplitSpec, ToStringParsesBack) {
  for (const char* text :
       {"random:test=0.1,seed=3,unseen=drop", "user_random:test=0.3,seed=8", "leave_last:k=2",
        "user_temporal:test=0.25", "time_cutoff:quantile=0.6", "kfold:folds=3,fold=1,seed=4",
        "given:unseen=drop", "strong:users=600,fold_in=0.75,seed=2,unseen=drop",
        "strong:users=0.15"}) {
    const SplitSpec a = spec(text);
    const SplitSpec b = spec(a.to_string());
    EXPECT_EQ(a.method, b.method) << text;
    EXPECT_EQ(a.test_fraction, b.test_fraction) << text;
    EXPECT_EQ(a.leave_k, b.leave_k) << text;
    EXPECT_EQ(a.cutoff_quantile, b.cutoff_quantile) << text;
    EXPECT_EQ(a.folds, b.folds) << text;
    EXPECT_EQ(a.fold, b.fold) << text;
    EXPECT_EQ(a.unseen, b.unseen) << text;
    EXPECT_EQ(a.heldout_users, b.heldout_users) << text;
    EXPECT_EQ(a.fold_in_fraction, b.fold_in_fraction) << text;
    EXPECT_EQ(a.seed, b.seed) << text;
  }
}

// to_string() is recorded as the split of every experiment fold, so it must reproduce the split:
// min_user included, fractions at full precision.
TEST(SplitSpec, ToStringKeepsEveryOption) {
  const SplitSpec a = spec("user_random:test=0.123456789,seed=1,min_user=5");
  const SplitSpec b = spec(a.to_string());
  EXPECT_EQ(b.test_fraction, a.test_fraction) << a.to_string();
  EXPECT_EQ(b.min_user_count, 5) << a.to_string();
}

void expect_parse_error(const std::string& text, const std::string& fragment) {
  try {
    SplitSpec::parse(text);
    ADD_FAILURE() << text << ": expected InvalidArgument";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos)
        << text << " -> " << e.what();
  }
}

TEST(SplitSpec, RejectsBadInput) {
  expect_parse_error("bogus", "unknown split method \"bogus\"");
  expect_parse_error("bogus:test=0.1", "valid: random, user_random, leave_last");
  expect_parse_error("", "unknown split method");
  expect_parse_error("random:size=0.1", "unknown split option \"size\"");
  expect_parse_error("random:size=0.1", "valid: test, k, quantile, folds, fold, seed, unseen");
  expect_parse_error("random:test", "is not key=value");
  expect_parse_error("random:test=abc", "\"abc\" is not a number");
  expect_parse_error("random:test=0.1x", "is not a number");
  expect_parse_error("random:test=1.5", "test must be in (0, 1)");
  expect_parse_error("random:test=0", "test must be in (0, 1)");
  expect_parse_error("leave_last:k=0", "k must be >= 1");
  expect_parse_error("time_cutoff:quantile=1", "quantile must be in (0, 1)");
  expect_parse_error("kfold:folds=1", "folds must be >= 2");
  expect_parse_error("kfold:folds=3,fold=3", "fold must be in [0, folds)");
  expect_parse_error("kfold:fold=-1", "fold must be in [0, folds)");
  expect_parse_error("random:unseen=maybe", "unknown unseen policy \"maybe\"");
  expect_parse_error("leave_last:min_user=0", "min_user must be >= 1");
  expect_parse_error("strong:users=1.5", "users must be a fraction in (0, 1) or a whole number");
  expect_parse_error("strong:users=0", "users must be a fraction in (0, 1) or a whole number");
  expect_parse_error("strong:users=-3", "users must be a fraction in (0, 1) or a whole number");
  expect_parse_error("strong:fold_in=1", "fold_in must be in (0, 1)");
  expect_parse_error("strong:fold_in=0", "fold_in must be in (0, 1)");
  expect_parse_error("strong:heldout=5",
                     "valid: test, k, quantile, folds, fold, seed, unseen, "
                     "min_user, users, fold_in");
  const SplitSpec s = spec("strong:users=600,fold_in=0.8,seed=1");
  EXPECT_EQ(s.method, "strong");
  EXPECT_EQ(s.heldout_users, 600.0);
  EXPECT_EQ(s.fold_in_fraction, 0.8);
  EXPECT_EQ(s.seed, 1u);
}

TEST(SplitSpec, UnseenPolicyNames) {
  EXPECT_EQ(parse_unseen_policy("drop"), UnseenPolicy::kDrop);
  EXPECT_EQ(parse_unseen_policy("keep"), UnseenPolicy::kKeep);
  EXPECT_THROW(parse_unseen_policy("Drop"), InvalidArgument);
}

// Integer options are read as integers: "k=1.5" and "folds=2.9" are errors, and seeds above 2^53
// keep their low bits (two seeds, two splits).
TEST(SplitSpec, IntegerOptionsAreExact) {
  EXPECT_THROW(SplitSpec::parse("leave_last:k=1.5"), InvalidArgument);
  EXPECT_THROW(SplitSpec::parse("kfold:folds=2.9"), InvalidArgument);
  EXPECT_EQ(SplitSpec::parse("random:seed=9007199254740993").seed, 9007199254740993ULL);
}

}  // namespace
}  // namespace metarec
