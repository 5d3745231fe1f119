// The SGD engine (grid, epochs) and the SGD matrix factorizations funk_mf and svd: gradient
// checks of the update, planted low-rank recovery, determinism, cold rows.
#include <gtest/gtest.h>
#include <metarec/algorithms/catalog.h>
#include <metarec/algorithms/mf/sgd_kernel.h>
#include <metarec/algorithms/mf/svd.h>
#include <metarec/core/error.h>
#include <metarec/core/rng.h>
#include <metarec/data/synthetic.h>

#include <chrono>
#include <cmath>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace metarec {
namespace {

// A rank-`rank` rating matrix r = 3 + <a_u, b_i> with entries observed with probability `keep`;
// the rest goes to `test`. Values are not clipped (scale 0..6).
struct Planted {
  Interactions train, test;
};

Planted planted(int users, int items, int rank, double keep, uint64_t seed,
                bool skip_user0 = false) {
  Rng rng(seed);
  std::vector<double> a(static_cast<size_t>(users) * rank), b(static_cast<size_t>(items) * rank);
  for (auto& x : a) x = rng.normal() * 0.7;
  for (auto& x : b) x = rng.normal() * 0.7;
  InteractionsBuilder tb, sb;
  for (int u = 0; u < users; ++u)
    tb.users().intern("u" + std::to_string(u)), sb.users().intern("u" + std::to_string(u));
  for (int i = 0; i < items; ++i)
    tb.items().intern("i" + std::to_string(i)), sb.items().intern("i" + std::to_string(i));
  for (int u = 0; u < users; ++u) {
    for (int i = 0; i < items; ++i) {
      double r = 3;
      for (int f = 0; f < rank; ++f) r += a[u * rank + f] * b[i * rank + f];
      const bool in_train = rng.uniform() < keep && !(skip_user0 && u == 0);
      (in_train ? tb : sb).add(u, i, static_cast<float>(r));
    }
  }
  InteractionsBuilder::Options o;
  o.feedback = "explicit";
  o.scale_min = -10;
  o.scale_max = 16;
  return {tb.build(o), sb.build(o)};
}

double rmse_of(const RatingPredictor& m, const Interactions& test) {
  double s = 0;
  const auto users = test.entry_users();
  const auto items = test.entry_items();
  const auto vals = test.entry_values();
  for (int64_t e = 0; e < test.nnz(); ++e) {
    const double d = m.predict(users[e], items[e]) - vals[e];
    s += d * d;
  }
  return std::sqrt(s / static_cast<double>(test.nnz()));
}

TEST(SgdGrid, EveryRatingLandsInExactlyOneCellAndBandsAreDisjoint) {
  const Planted d = planted(40, 30, 2, 0.5, 1);
  const detail::SgdGrid g(d.train, 3, 7);
  std::vector<int> seen(static_cast<size_t>(d.train.nnz()), 0);
  std::vector<int> user_row(40, -1), item_col(30, -1);
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 3; ++c) {
      for (const auto& x : g.cell(r, c)) {
        ++seen[x.entry];
        EXPECT_EQ(d.train.entry_users()[x.entry], x.user);
        EXPECT_EQ(d.train.entry_items()[x.entry], x.item);
        EXPECT_EQ(d.train.entry_values()[x.entry], x.value);
        // A user lives in one block row, an item in one block column.
        if (user_row[x.user] < 0) user_row[x.user] = r;
        if (item_col[x.item] < 0) item_col[x.item] = c;
        EXPECT_EQ(user_row[x.user], r);
        EXPECT_EQ(item_col[x.item], c);
      }
    }
  }
  for (int v : seen) EXPECT_EQ(v, 1);
}

// Band slots: entries carry slots, the users of a block row (items of a block column) hold one
// consecutive range of slots, ordered by id within it; one block leaves every id its own slot.
TEST(SgdGrid, BandSlotsAreConsecutivePerBandAndMapEveryEntry) {
  const Planted d = planted(40, 30, 2, 0.5, 1);
  const detail::SgdGrid g(d.train, 3, 7, detail::SgdGrid::Numbering::kBandSlots);
  const detail::SgdGrid by_id(d.train, 3, 7);
  ASSERT_EQ(g.user_slots().size(), 40u);
  ASSERT_EQ(g.item_slots().size(), 30u);
  EXPECT_TRUE(by_id.user_slots().empty());
  std::vector<int> user_row(40, -1), item_col(30, -1);
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 3; ++c) {
      const auto cell = g.cell(r, c), same = by_id.cell(r, c);
      ASSERT_EQ(cell.size(), same.size());  // the same cells, in the same order
      for (size_t t = 0; t < cell.size(); ++t) {
        const auto& x = cell[t];
        ASSERT_EQ(x.entry, same[t].entry);
        const int32_t u = d.train.entry_users()[x.entry], i = d.train.entry_items()[x.entry];
        EXPECT_EQ(x.user, g.user_slots()[u]);
        EXPECT_EQ(x.item, g.item_slots()[i]);
        user_row[u] = r;
        item_col[i] = c;
      }
    }
  }
  // Walking the ids of band 0, then band 1, ..., each in id order, gives slots 0, 1, 2, ...
  auto check = [](const std::vector<int>& band, std::span<const int32_t> slots) {
    int32_t expect = 0;
    for (int b = 0; b < 3; ++b)
      for (size_t id = 0; id < band.size(); ++id)
        if (band[id] == b) {
          EXPECT_EQ(slots[id], expect++) << "id " << id;
        }
  };
  check(user_row, g.user_slots());
  check(item_col, g.item_slots());
  const detail::SgdGrid one(d.train, 1, 7, detail::SgdGrid::Numbering::kBandSlots);
  for (int32_t u = 0; u < 40; ++u) EXPECT_EQ(one.user_slots()[u], u);
}

// The grid is built in parallel over chunks of users (512 users a chunk here: 3,000 users give
// 5 chunks); its cells hold the same ratings in the same order on any number of threads.
TEST(SgdGrid, BuildDoesNotDependOnTheThreadCount) {
  const Interactions d =
      generate_synthetic(parse_synthetic_spec("synthetic:users=3000,items=200,per_user=6,seed=4"));
  const detail::SgdGrid one(d, 3, 9, detail::SgdGrid::Numbering::kBandSlots, 1);
  const detail::SgdGrid two(d, 3, 9, detail::SgdGrid::Numbering::kBandSlots, 2);
  ASSERT_EQ(one.nnz(), d.nnz());
  ASSERT_EQ(two.nnz(), d.nnz());
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 3; ++c) {
      const auto a = one.cell(r, c), b = two.cell(r, c);
      ASSERT_EQ(a.size(), b.size());
      for (size_t t = 0; t < a.size(); ++t) {
        ASSERT_EQ(a[t].entry, b[t].entry);
        ASSERT_EQ(a[t].user, b[t].user);
        ASSERT_EQ(a[t].item, b[t].item);
      }
    }
  }
}

TEST(SgdGrid, EpochVisitsEveryRatingOnceWithAnyThreadCount) {
  const Planted d = planted(60, 50, 2, 0.5, 2);
  for (int threads : {1, 2, 3}) {
    const detail::SgdGrid g(d.train, detail::sgd_grid_blocks(threads), 11);
    std::vector<int> seen(static_cast<size_t>(d.train.nnz()), 0);
    // Cells running at once never share a block row or column, so no two threads touch one
    // entry's counter at the same time.
    detail::sgd_epoch(g, threads, 5, [&](std::span<const detail::SgdEntry> cell, int tid) {
      EXPECT_LT(tid, threads);
      for (const auto& x : cell) ++seen[x.entry];
    });
    for (int v : seen) ASSERT_EQ(v, 1) << threads << " threads";
  }
}

// With two threads each cell is cut into kSgdRounds slices: every slice arrives whole, a cell's
// slices arrive in order, and two parts running at once never share a block row or column.
TEST(SgdGrid, ParallelEpochRunsEachCellsSlicesInOrderAndApart) {
  const Planted d = planted(90, 70, 2, 0.6, 4);
  const int threads = 2;
  const detail::SgdGrid g(d.train, detail::sgd_grid_blocks(threads), 13);
  const int b = g.blocks();
  std::mutex mu;
  std::vector<int> row_busy(static_cast<size_t>(b), 0), col_busy(static_cast<size_t>(b), 0);
  std::vector<std::vector<size_t>> offsets(static_cast<size_t>(b * b));
  bool overlapped = false;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    for (auto& o : offsets) o.clear();
    detail::sgd_epoch(g, threads, seed, [&](std::span<const detail::SgdEntry> part, int) {
      int cell = -1;
      size_t offset = 0;
      for (int c = 0; c < b * b && cell < 0; ++c) {
        const auto whole = g.cell(c / b, c % b);
        if (!part.empty() && part.data() >= whole.data() &&
            part.data() < whole.data() + whole.size()) {
          cell = c;
          offset = static_cast<size_t>(part.data() - whole.data());
        }
      }
      if (cell < 0) return;  // an empty slice
      {
        std::lock_guard<std::mutex> lock(mu);
        overlapped |= ++row_busy[cell / b] > 1 || ++col_busy[cell % b] > 1;
        offsets[static_cast<size_t>(cell)].push_back(offset);
        offsets[static_cast<size_t>(cell)].push_back(offset + part.size());
      }
      std::this_thread::sleep_for(std::chrono::microseconds(50));
      std::lock_guard<std::mutex> lock(mu);
      --row_busy[cell / b];
      --col_busy[cell % b];
    });
    for (int c = 0; c < b * b; ++c) {
      const auto& o = offsets[static_cast<size_t>(c)];
      const size_t n = g.cell(c / b, c % b).size();
      if (n == 0) continue;
      // Consecutive slices: [0, x1), [x1, x2), ... ending at n, in that order.
      ASSERT_GE(o.size(), 2u) << c;
      EXPECT_EQ(o.front(), 0u) << c;
      EXPECT_EQ(o.back(), n) << c;
      for (size_t q = 2; q < o.size(); q += 2) EXPECT_EQ(o[q], o[q - 1]) << c;
      EXPECT_LE(o.size() / 2, static_cast<size_t>(detail::kSgdRounds)) << c;
    }
  }
  EXPECT_FALSE(overlapped);
}

TEST(SgdGrid, SingleThreadOrderDependsOnlyOnTheSeed) {
  const Planted d = planted(30, 20, 2, 0.6, 3);
  auto order = [&](uint64_t grid_seed, uint64_t epoch_seed) {
    const detail::SgdGrid g(d.train, 1, grid_seed);
    std::vector<int32_t> o;
    detail::sgd_epoch(g, 1, epoch_seed, [&](std::span<const detail::SgdEntry> cell, int) {
      for (const auto& x : cell) o.push_back(x.entry);
    });
    return o;
  };
  EXPECT_EQ(order(1, 2), order(1, 2));
  EXPECT_NE(order(1, 2), order(9, 2));
}

// The paired loop is sequential SGD in the interleaved order cell[0], cell[h], cell[2h],
// cell[3h], cell[1], ... (h = a quarter of the cell, the remainder last): replaying that order one
// step at a time gives bit-identical factors and biases, including for pairs that share a user or
// an item (which the loop must run one after the other).
TEST(SgdGrid, PairedStepsEqualSequentialStepsInTheInterleavedOrder) {
  const Planted d = planted(12, 9, 2, 0.7, 5);  // few users and items: many shared pairs
  const detail::SgdGrid g(d.train, 1, 3);
  // A prefix whose size leaves a remainder of 3 after the four quarters.
  ASSERT_GE(g.cell(0, 0).size(), 24u);
  const auto cell = g.cell(0, 0).first(g.cell(0, 0).size() / 4 * 4 - 1);
  const int k = 20, kp = detail::sgd_padded(k);
  ASSERT_EQ(kp, 32);
  const detail::SvdRates h{0.05f, 0.02f, 0.03f, 0.01f};
  Rng rng(4);
  std::vector<float> p0(12 * 32, 0.0f), q0(9 * 32, 0.0f), bu0(12), bi0(9);
  for (int r = 0; r < 12; ++r)
    for (int f = 0; f < k; ++f) p0[r * 32 + f] = static_cast<float>(rng.normal() * 0.1);
  for (int r = 0; r < 9; ++r)
    for (int f = 0; f < k; ++f) q0[r * 32 + f] = static_cast<float>(rng.normal() * 0.1);
  auto p1 = p0, q1 = q0, bu1 = bu0, bi1 = bi0;
  auto one = [&](const detail::SgdEntry& x, int) {
    detail::svd_step(&p0[x.user * 32], &q0[x.item * 32], &bu0[x.user], &bi0[x.item], kp, 3.5f,
                     x.value, h);
  };
  int pairs = 0;
  auto pair = [&](const detail::SgdEntry& a, const detail::SgdEntry& b, int) {
    ++pairs;
    detail::svd_step_pair(&p0[a.user * 32], &q0[a.item * 32], &bu0[a.user], &bi0[a.item],
                          &p0[b.user * 32], &q0[b.item * 32], &bu0[b.user], &bi0[b.item], kp, 3.5f,
                          a.value, b.value, h);
  };
  detail::for_each_rating_pair(cell, 0, one, pair);
  EXPECT_GT(pairs, 0);
  const size_t q = cell.size() / 4;
  std::vector<detail::SgdEntry> order;
  for (size_t t = 0; t < q; ++t)
    order.insert(order.end(), {cell[t], cell[t + q], cell[t + 2 * q], cell[t + 3 * q]});
  for (size_t t = 4 * q; t < cell.size(); ++t) order.push_back(cell[t]);
  // Through for_each_rating, so both loops are compiled for the same vector instructions.
  auto replay = [&](const detail::SgdEntry& x, int) {
    detail::svd_step(&p1[x.user * 32], &q1[x.item * 32], &bu1[x.user], &bi1[x.item], kp, 3.5f,
                     x.value, h);
  };
  detail::for_each_rating(std::span<const detail::SgdEntry>(order), 0, replay);
  EXPECT_EQ(p0, p1);
  EXPECT_EQ(q0, q1);
  EXPECT_EQ(bu0, bu1);
  EXPECT_EQ(bi0, bi1);
  for (int r = 0; r < 12; ++r)  // padding columns stay zero
    for (int f = k; f < 32; ++f) ASSERT_EQ(p0[r * 32 + f], 0.0f);
}

TEST(SgdGrid, PaddedRowsRoundTripAndAlign) {
  std::vector<float> rows(3 * 5);
  for (size_t j = 0; j < rows.size(); ++j) rows[j] = static_cast<float>(j) + 0.5f;
  detail::PaddedRows pr(rows, 5);
  EXPECT_EQ(pr.stride(), 16);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(pr.data()) % 64, 0u);
  EXPECT_EQ(pr.data()[16 + 2], rows[5 + 2]);
  EXPECT_EQ(pr.data()[16 + 7], 0.0f);
  pr.data()[2 * 16 + 4] = -1;
  std::vector<float> back(rows.size());
  pr.copy_to(back);
  rows[2 * 5 + 4] = -1;
  EXPECT_EQ(back, rows);
  EXPECT_THROW(detail::PaddedRows(std::vector<float>(7), 5), InvalidArgument);
}

TEST(SgdGrid, SlottedRowsAndFloatsRoundTrip) {
  std::vector<float> rows(3 * 5);
  for (size_t j = 0; j < rows.size(); ++j) rows[j] = static_cast<float>(j) + 0.5f;
  const std::vector<int32_t> slots{2, 0, 1};
  detail::PaddedRows pr(rows, 5, slots);
  EXPECT_EQ(pr.data()[2 * 16 + 3], rows[0 * 5 + 3]);  // row 0 stored at slot 2
  EXPECT_EQ(pr.data()[0 * 16 + 1], rows[1 * 5 + 1]);
  pr.data()[1 * 16 + 4] = -1;  // slot 1 holds row 2
  std::vector<float> back(rows.size());
  pr.copy_to(back);
  rows[2 * 5 + 4] = -1;
  EXPECT_EQ(back, rows);

  const std::vector<float> v{1, 2, 3};
  detail::AlignedFloats af(v, slots);
  EXPECT_EQ(af.data()[2], 1.0f);
  EXPECT_EQ(af.data()[0], 2.0f);
  af.data()[1] = 7;
  std::vector<float> w(3);
  af.copy_to(w);
  EXPECT_EQ(w, (std::vector<float>{1, 2, 7}));

  EXPECT_THROW(detail::PaddedRows(rows, 5, std::vector<int32_t>{0, 0, 1}), InvalidArgument);
  EXPECT_THROW(detail::AlignedFloats(v, std::vector<int32_t>{0, 1}), InvalidArgument);
  EXPECT_THROW(detail::AlignedFloats(v, std::vector<int32_t>{0, 1, 3}), InvalidArgument);
}

// The update equals -lr times the gradient of the exposed loss, checked by central differences.
TEST(Svd, StepIsTheNegativeGradientOfTheRatingLoss) {
  const int k = 5;
  Rng rng(3);
  for (bool biased : {true, false}) {
    std::vector<float> p(k), q(k);
    for (auto& x : p) x = static_cast<float>(rng.normal() * 0.5);
    for (auto& x : q) x = static_cast<float>(rng.normal() * 0.5);
    float bu = biased ? 0.3f : 0.0f, bi = biased ? -0.2f : 0.0f;
    const float mu = biased ? 3.5f : 0.0f, r = 4.0f;
    detail::SvdRates h{0.1f, 0.07f, 0.1f, 0.03f};
    if (!biased) h.reg_bias = 0;
    // Numerical gradient of every parameter.
    std::vector<float*> params;
    for (auto& x : p) params.push_back(&x);
    for (auto& x : q) params.push_back(&x);
    if (biased) {
      params.push_back(&bu);
      params.push_back(&bi);
    }
    std::vector<double> numeric;
    const double eps = 1e-3;
    for (float* x : params) {
      const float old = *x;
      *x = static_cast<float>(old + eps);
      const double up = detail::svd_rating_loss(p.data(), q.data(), bu, bi, k, mu, r, h);
      *x = static_cast<float>(old - eps);
      const double down = detail::svd_rating_loss(p.data(), q.data(), bu, bi, k, mu, r, h);
      *x = old;
      numeric.push_back((up - down) / (2 * eps));
    }
    std::vector<float> before;
    for (float* x : params) before.push_back(*x);
    detail::svd_step(p.data(), q.data(), biased ? &bu : nullptr, biased ? &bi : nullptr, k, mu, r,
                     h);
    for (size_t j = 0; j < params.size(); ++j) {
      const double analytic = -(*params[j] - before[j]) / h.lr;
      EXPECT_NEAR(analytic, numeric[j], 2e-3 * std::max(1.0, std::abs(numeric[j])))
          << (biased ? "svd" : "funk_mf") << " parameter " << j;
    }
  }
}

TEST(Svd, RecoversAPlantedLowRankMatrix) {
  const Planted d = planted(120, 80, 2, 0.5, 5);
  // Predicting the global mean leaves the planted variance (about 0.96 here); a rank-2 fit
  // without noise must explain nearly all of it on the held-out half.
  double var = 0;
  const double mean = d.train.global_mean();
  for (float v : d.test.entry_values()) var += (v - mean) * (v - mean);
  const double base = std::sqrt(var / static_cast<double>(d.test.nnz()));
  // funk_mf has no mean or biases, so the constant 3 takes one more factor.
  for (const char* algo : {"svd", "funk_mf"}) {
    const std::string k = std::string("factors=") + (std::string(algo) == "svd" ? "2" : "3");
    auto m = make_recommender(
        algo, {k, "epochs=300", "reg=0.001", "lr=0.02", "lr_decay=0.995", "init_std=0.3"});
    FitContext ctx;
    ctx.threads = 1;
    m->fit(d.train, ctx);
    const double err = rmse_of(dynamic_cast<const RatingPredictor&>(*m), d.test);
    EXPECT_LT(err, 0.05 * base) << algo << " rmse " << err << " vs mean-only " << base;
  }
}

TEST(Svd, OneThreadIsBitExactAndTwoThreadsAgreeClosely) {
  const Planted d = planted(150, 100, 3, 0.3, 8);
  auto fit = [&](int threads) {
    auto m = make_recommender("svd", {"factors=8", "epochs=30"});
    FitContext ctx;
    ctx.threads = threads;
    ctx.seed = 4;
    m->fit(d.train, ctx);
    return m;
  };
  auto a = fit(1), b = fit(1), c = fit(2);
  const auto& fa = dynamic_cast<const FactorModel&>(*a);
  const auto& fb = dynamic_cast<const FactorModel&>(*b);
  EXPECT_TRUE(
      std::equal(fa.user_factors().begin(), fa.user_factors().end(), fb.user_factors().begin()));
  EXPECT_TRUE(std::equal(fa.item_bias().begin(), fa.item_bias().end(), fb.item_bias().begin()));
  const double ra = rmse_of(dynamic_cast<const RatingPredictor&>(*a), d.test);
  const double rc = rmse_of(dynamic_cast<const RatingPredictor&>(*c), d.test);
  EXPECT_NEAR(ra, rc, 0.05 * ra);
}

TEST(Svd, UnratedUsersAndItemsFallBackToBiases) {
  const Planted d = planted(50, 40, 2, 0.5, 9, /*skip_user0=*/true);
  auto m = make_recommender("svd", {"factors=4", "epochs=5"});
  m->fit(d.train);
  const auto& f = dynamic_cast<const FactorModel&>(*m);
  for (int j = 0; j < 4; ++j) EXPECT_EQ(f.user_factors()[j], 0.0f);
  EXPECT_EQ(f.user_bias()[0], 0.0f);
  const auto& pr = dynamic_cast<const RatingPredictor&>(*m);
  for (int32_t i = 0; i < 5; ++i)
    EXPECT_FLOAT_EQ(pr.predict(0, i), static_cast<float>(f.global_mean()) + f.item_bias()[i]);
}

TEST(Svd, LearningRateDecayIsApplied) {
  // With lr_decay = 0 every epoch after the first takes zero steps: 1 epoch == 5 epochs.
  const Planted d = planted(30, 20, 2, 0.6, 10);
  auto fit = [&](const char* epochs) {
    auto m = make_recommender("svd", {"factors=3", epochs, "lr_decay=0.000001"});
    FitContext ctx;
    ctx.threads = 1;
    m->fit(d.train, ctx);
    return dynamic_cast<const FactorModel&>(*m).user_factors()[0];
  };
  EXPECT_NEAR(fit("epochs=1"), fit("epochs=5"), 1e-4);
}

}  // namespace
}  // namespace metarec
