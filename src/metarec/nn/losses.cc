// Loss values and gradients.
#include <metarec/core/error.h>
#include <metarec/nn/activations.h>
#include <metarec/nn/losses.h>

#include <cmath>
#include <limits>

namespace metarec::nn {

namespace {

void check_same_shape(const Matrix& a, const Matrix& b, const char* what) {
  METAREC_CHECK(a.rows() == b.rows() && a.cols() == b.cols(), what, ": shapes ", a.rows(), "x",
                a.cols(), " and ", b.rows(), "x", b.cols(), " differ");
}

// Cross-entropy of one row of logits against target column t; adds (softmax - onehot) * scale to
// `grad_row` when non-null. Entries equal to -infinity are masked (probability 0).
double row_cross_entropy(const float* z, Eigen::Index cols, Eigen::Index t, float scale,
                         float* grad_row) {
  float m = -std::numeric_limits<float>::infinity();
  for (Eigen::Index c = 0; c < cols; ++c) m = std::max(m, z[c]);
  double sum = 0;
  for (Eigen::Index c = 0; c < cols; ++c) sum += std::exp(static_cast<double>(z[c]) - m);
  const double log_z = m + std::log(sum);
  if (grad_row) {
    for (Eigen::Index c = 0; c < cols; ++c)
      grad_row[c] = static_cast<float>(std::exp(static_cast<double>(z[c]) - log_z)) * scale;
    grad_row[t] -= scale;
  }
  return log_z - z[t];
}

}  // namespace

double mse_loss(const Matrix& pred, const Matrix& target, Matrix* grad) {
  check_same_shape(pred, target, "mse_loss");
  const Eigen::Index n = pred.size();
  METAREC_CHECK(n > 0, "mse_loss: empty input");
  double sum = 0;
  for (Eigen::Index k = 0; k < n; ++k) {
    const double d = static_cast<double>(pred.data()[k]) - target.data()[k];
    sum += d * d;
  }
  if (grad) *grad = (pred - target) * (2.0f / static_cast<float>(n));
  return sum / static_cast<double>(n);
}

double bce_with_logits_loss(const Matrix& logits, const Matrix& labels, Matrix* grad) {
  check_same_shape(logits, labels, "bce_with_logits_loss");
  const Eigen::Index n = logits.size();
  METAREC_CHECK(n > 0, "bce_with_logits_loss: empty input");
  if (grad) grad->resize(logits.rows(), logits.cols());
  const float inv = 1.0f / static_cast<float>(n);
  double sum = 0;
  for (Eigen::Index k = 0; k < n; ++k) {
    const float z = logits.data()[k], y = labels.data()[k];
    sum += softplus(z) - static_cast<double>(y) * z;
    if (grad) grad->data()[k] = (sigmoid(z) - y) * inv;
  }
  return sum / static_cast<double>(n);
}

double softmax_cross_entropy(const Matrix& logits, std::span<const int32_t> targets, Matrix* grad) {
  const Eigen::Index n = logits.rows(), c = logits.cols();
  METAREC_CHECK(n > 0 && c > 0, "softmax_cross_entropy: empty logits");
  METAREC_CHECK(static_cast<Eigen::Index>(targets.size()) == n,
                "softmax_cross_entropy: ", targets.size(), " targets for ", n, " rows");
  if (grad) grad->resize(n, c);
  const float inv = 1.0f / static_cast<float>(n);
  double sum = 0;
  for (Eigen::Index r = 0; r < n; ++r) {
    METAREC_CHECK(targets[r] >= 0 && targets[r] < c, "softmax_cross_entropy: target ", targets[r],
                  " of row ", r, " outside [0, ", c, ")");
    sum += row_cross_entropy(logits.row(r).data(), c, targets[r], inv,
                             grad ? grad->row(r).data() : nullptr);
  }
  return sum / static_cast<double>(n);
}

double sampled_softmax_cross_entropy(const Matrix& logits, const Matrix* log_q, Matrix* grad) {
  const Eigen::Index n = logits.rows(), c = logits.cols();
  METAREC_CHECK(n > 0 && c > 0, "sampled_softmax_cross_entropy: empty logits");
  if (log_q) check_same_shape(logits, *log_q, "sampled_softmax_cross_entropy");
  if (grad) grad->resize(n, c);
  const float inv = 1.0f / static_cast<float>(n);
  RowVector z(c);
  double sum = 0;
  for (Eigen::Index r = 0; r < n; ++r) {
    z = logits.row(r);
    if (log_q) z -= log_q->row(r);
    // d(z - log_q)/d(logits) = 1, so the gradient with respect to the logits is unchanged.
    sum += row_cross_entropy(z.data(), c, 0, inv, grad ? grad->row(r).data() : nullptr);
  }
  return sum / static_cast<double>(n);
}

double in_batch_softmax_loss(const Matrix& q, const Matrix& k, float temperature,
                             std::span<const float> log_q, std::span<const int32_t> key_ids,
                             Matrix* dq, Matrix* dk) {
  check_same_shape(q, k, "in_batch_softmax_loss");
  const Eigen::Index n = q.rows();
  METAREC_CHECK(n > 0, "in_batch_softmax_loss: empty batch");
  METAREC_CHECK(temperature > 0, "in_batch_softmax_loss: temperature must be > 0, got ",
                temperature);
  METAREC_CHECK(log_q.empty() || static_cast<Eigen::Index>(log_q.size()) == n,
                "in_batch_softmax_loss: ", log_q.size(), " log_q entries for ", n, " keys");
  METAREC_CHECK(key_ids.empty() || static_cast<Eigen::Index>(key_ids.size()) == n,
                "in_batch_softmax_loss: ", key_ids.size(), " key ids for ", n, " keys");
  const float inv_t = 1.0f / temperature;
  Matrix logits = (q * k.transpose()) * inv_t;
  for (Eigen::Index i = 0; i < n; ++i) {
    for (Eigen::Index j = 0; j < n; ++j) {
      if (!log_q.empty()) logits(i, j) -= log_q[j];
      if (!key_ids.empty() && j != i && key_ids[j] == key_ids[i])
        logits(i, j) = -std::numeric_limits<float>::infinity();
    }
  }
  const bool want = dq || dk;
  Matrix g;
  if (want) g.resize(n, n);
  const float inv = 1.0f / static_cast<float>(n);
  double sum = 0;
  for (Eigen::Index i = 0; i < n; ++i)
    sum += row_cross_entropy(logits.row(i).data(), n, i, inv, want ? g.row(i).data() : nullptr);
  if (want) {
    g *= inv_t;  // d logits / d <Q_i, K_j> = 1 / t; masked entries have g = 0
    if (dq) *dq = g * k;
    if (dk) *dk = g.transpose() * q;
  }
  return sum / static_cast<double>(n);
}

double bpr_loss(const Matrix& pos, const Matrix& neg, Matrix* dpos, Matrix* dneg) {
  check_same_shape(pos, neg, "bpr_loss");
  const Eigen::Index n = pos.size();
  METAREC_CHECK(n > 0, "bpr_loss: empty input");
  if (dpos) dpos->resize(pos.rows(), pos.cols());
  if (dneg) dneg->resize(pos.rows(), pos.cols());
  const float inv = 1.0f / static_cast<float>(n);
  double sum = 0;
  for (Eigen::Index k = 0; k < n; ++k) {
    const float x = pos.data()[k] - neg.data()[k];
    sum += softplus(-static_cast<double>(x));
    const float g = sigmoid(-x) * inv;  // -d(-log sigmoid(x))/dx, scaled
    if (dpos) dpos->data()[k] = -g;
    if (dneg) dneg->data()[k] = g;
  }
  return sum / static_cast<double>(n);
}

}  // namespace metarec::nn
