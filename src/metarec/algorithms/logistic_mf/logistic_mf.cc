// Logistic MF: the exact full-data gradient in blocks of users, and alternating AdaGrad ascent.
#include <metarec/algorithms/logistic_mf/logistic_mf.h>
#include <metarec/core/blas_threads.h>
#include <metarec/core/error.h>
#include <metarec/core/parallel.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>

namespace metarec {

namespace {

using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Rows of users per block: the block's score matrix holds at most ~4M floats.
int32_t block_rows(int32_t users, int32_t items) {
  return static_cast<int32_t>(
      std::clamp<int64_t>((int64_t{1} << 22) / std::max(items, 1), 1, users));
}

}  // namespace

double logistic_mf_objective(const Interactions& data, const LogisticMfParams& m,
                             const LogisticMfConfig& c) {
  const int k = m.k;
  double total = 0;
  std::vector<double> conf(static_cast<size_t>(data.num_items()));
  for (int32_t u = 0; u < data.num_users(); ++u) {
    std::fill(conf.begin(), conf.end(), 0.0);
    auto items = data.user_items(u);
    auto vals = data.user_values(u);
    for (size_t q = 0; q < items.size(); ++q) conf[items[q]] = c.alpha * vals[q];
    for (int32_t i = 0; i < data.num_items(); ++i) {
      double z = static_cast<double>(m.user_bias[u]) + m.item_bias[i];
      for (int f = 0; f < k; ++f) z += static_cast<double>(m.x[u * k + f]) * m.y[i * k + f];
      const double softplus = z > 0 ? z + std::log1p(std::exp(-z)) : std::log1p(std::exp(z));
      total += conf[i] * z - (1 + conf[i]) * softplus;
    }
  }
  double sq = 0, sqb = 0;
  for (float v : m.x) sq += static_cast<double>(v) * v;
  for (float v : m.y) sq += static_cast<double>(v) * v;
  for (float v : m.user_bias) sqb += static_cast<double>(v) * v;
  for (float v : m.item_bias) sqb += static_cast<double>(v) * v;
  return total - 0.5 * c.reg * sq - 0.5 * c.reg_bias * sqb;
}

void logistic_mf_gradient(const Interactions& data, const LogisticMfParams& m,
                          const LogisticMfConfig& c, bool user_side, int threads,
                          std::vector<float>& factors, std::vector<float>& bias) {
  const int32_t nu = data.num_users(), ni = data.num_items();
  const int k = m.k;
  METAREC_CHECK(static_cast<int64_t>(m.x.size()) == int64_t{nu} * k &&
                    static_cast<int64_t>(m.y.size()) == int64_t{ni} * k,
                "logistic_mf_gradient: factor shapes do not match the data");
  const int32_t side = user_side ? nu : ni;
  factors.assign(static_cast<size_t>(side) * k, 0.0f);
  bias.assign(static_cast<size_t>(side), 0.0f);
  Eigen::Map<const RowMat> X(m.x.data(), nu, k), Y(m.y.data(), ni, k);
  Eigen::Map<RowMat> grad(factors.data(), side, k);
  const float alpha = static_cast<float>(c.alpha);
  const int32_t rows = block_rows(nu, ni);
  RowMat S(rows, ni);
  // Each thread runs its own slices end to end, products included, on single-threaded BLAS:
  // handing the products to OpenBLAS's pool between OpenMP loops left its workers spinning on
  // the cores the loops needed, and two threads were slower than one. The slices are fixed, so
  // the result does not depend on the thread count.
  const ScopedBlasThreads blas(1);
  constexpr int32_t kSliceRows = 128, kSliceItems = 512;
  std::vector<double> item_bias_grad(user_side ? 0 : static_cast<size_t>(ni), 0.0);

  for (int32_t u0 = 0; u0 < nu; u0 += rows) {
    const int32_t n = std::min(rows, nu - u0);
    // S becomes G: dObjective/dz_ui = c_ui - (1 + c_ui) sigmoid(z_ui), slice by slice of users;
    // on the user side each slice's gradient rows follow at once.
    parallel_for((n + kSliceRows - 1) / kSliceRows, threads,
                 [&](int64_t slice) {
                   const auto r0 = static_cast<int32_t>(slice * kSliceRows);
                   const int32_t len = std::min(kSliceRows, n - r0);
                   S.middleRows(r0, len).noalias() = X.middleRows(u0 + r0, len) * Y.transpose();
                   for (int32_t r = r0; r < r0 + len; ++r) {
                     const int32_t u = u0 + r;
                     float* row = S.row(r).data();
                     const float bu = m.user_bias[u];
                     for (int32_t i = 0; i < ni; ++i)
                       row[i] = -1.0f / (1.0f + std::exp(-(row[i] + bu + m.item_bias[i])));
                     auto items = data.user_items(u);
                     auto vals = data.user_values(u);
                     for (size_t q = 0; q < items.size(); ++q) {
                       const float conf = alpha * vals[q];
                       row[items[q]] += conf * (1.0f + row[items[q]]);  // c (1 - sigmoid) - sigmoid
                     }
                     if (user_side) {
                       double s = 0;
                       for (int32_t i = 0; i < ni; ++i) s += row[i];
                       bias[u] = static_cast<float>(s);
                     }
                   }
                   if (user_side)
                     grad.middleRows(u0 + r0, len).noalias() = S.middleRows(r0, len) * Y;
                 },
                 1);
    if (user_side) continue;
    // The item side sums over the block's users: each thread owns a slice of items.
    parallel_for((ni + kSliceItems - 1) / kSliceItems, threads,
                 [&](int64_t slice) {
                   const auto i0 = static_cast<int32_t>(slice * kSliceItems);
                   const int32_t len = std::min(kSliceItems, ni - i0);
                   grad.middleRows(i0, len).noalias() +=
                       S.block(0, i0, n, len).transpose() * X.middleRows(u0, n);
                   for (int32_t r = 0; r < n; ++r) {
                     const float* row = S.row(r).data();
                     for (int32_t i = i0; i < i0 + len; ++i) item_bias_grad[i] += row[i];
                   }
                 },
                 1);
  }
  const auto& own = user_side ? m.x : m.y;
  const auto& own_bias = user_side ? m.user_bias : m.item_bias;
  const float reg = static_cast<float>(c.reg), reg_bias = static_cast<float>(c.reg_bias);
  for (size_t q = 0; q < factors.size(); ++q) factors[q] -= reg * own[q];
  for (int32_t q = 0; q < side; ++q) {
    if (!user_side) bias[q] = static_cast<float>(item_bias_grad[q]);
    bias[q] -= reg_bias * own_bias[q];
  }
}

ParamSchema LogisticMf::schema() {
  return {
      ParamSpec::integer("factors", 32, 1, 4096, "latent dimensions").tune(8, 256, true),
      ParamSpec::integer("iterations", 30, 1, 10000, "alternating user/item gradient steps")
          .tune(10, 100, true),
      ParamSpec::real("learning_rate", 0.1, 0, 100, "AdaGrad base step size", true)
          .tune(0.01, 1, true),
      ParamSpec::real("alpha", 2.0, 0, 1e6, "confidence per unit of feedback: c = alpha * r")
          .tune(0.5, 50, true),
      ParamSpec::real("reg", 5.0, 0, 1e6, "L2 regularization of the factors").tune(0.01, 30, true),
      ParamSpec::real("reg_bias", 0.0, 0, 1e6, "L2 regularization of the biases")
          .tune(1e-4, 10, true),
      ParamSpec::real("init_std", 0.01, 0, 10, "standard deviation of the initial factors")
          .tune(0.001, 0.1, true),
  };
}

void LogisticMf::do_fit(const Interactions& train, const FitContext& ctx) {
  const Params& p = params();
  const int k = static_cast<int>(p.get_int("factors"));
  const int iterations = static_cast<int>(p.get_int("iterations"));
  const float lr = static_cast<float>(p.get_float("learning_rate"));
  const LogisticMfConfig cfg{p.get_float("alpha"), p.get_float("reg"), p.get_float("reg_bias")};
  init_factors(train, k, /*biases=*/true);
  randomize(ctx.seed, static_cast<float>(p.get_float("init_std")));

  // AdaGrad: each coordinate steps by lr * g / sqrt(sum of its squared gradients so far).
  std::vector<float> acc_x(users_.size(), 0.0f), acc_y(items_.size(), 0.0f);
  std::vector<float> acc_bu(user_bias_.size(), 0.0f), acc_bi(item_bias_.size(), 0.0f);
  std::vector<float> g, gb;
  auto ascend = [&](std::vector<float>& w, std::vector<float>& acc,
                    const std::vector<float>& grad) {
    for (size_t q = 0; q < w.size(); ++q) {
      acc[q] += grad[q] * grad[q];
      if (acc[q] > 0) w[q] += lr * grad[q] / std::sqrt(acc[q]);
    }
  };
  for (int it = 0; it < iterations; ++it) {
    ctx.check_cancel();
    for (const bool user_side : {true, false}) {
      const LogisticMfParams m{k, users_, items_, user_bias_, item_bias_};
      logistic_mf_gradient(train, m, cfg, user_side, ctx.threads, g, gb);
      ascend(user_side ? users_ : items_, user_side ? acc_x : acc_y, g);
      ascend(user_side ? user_bias_ : item_bias_, user_side ? acc_bu : acc_bi, gb);
    }
    ctx.report(static_cast<double>(it + 1) / iterations, "alternating AdaGrad step");
  }
  // Users without data keep no factors or bias of their own: they rank by item bias alone.
  for (int32_t u = 0; u < train.num_users(); ++u)
    if (train.user_count(u) == 0) {
      std::fill(user_row(u), user_row(u) + k, 0.0f);
      user_bias_[u] = 0.0f;
    }
}

}  // namespace metarec
