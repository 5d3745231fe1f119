// Losses of the neural-network core, each returning its value and (optionally) its gradient with
// respect to its inputs: MSE, binary cross-entropy on logits, softmax cross-entropy (full,
// sampled, in-batch) and BPR. (The selector's contrastive margin loss is in meta/selector_net.h.)
//
// Every loss is a mean over the examples (PyTorch's default reduction), sums are taken in
// double, and a null gradient pointer skips the gradient. All are pure functions: thread-safe.
#pragma once

#include <metarec/nn/layers.h>

#include <cstdint>
#include <span>

namespace metarec::nn {

/// Mean squared error over all entries: L = mean (pred - target)^2; grad = 2 (pred - target) / N,
/// N = pred.size(). Shapes must match.
double mse_loss(const Matrix& pred, const Matrix& target, Matrix* grad);

/// Binary cross-entropy on logits z with labels y in [0, 1], mean over all entries:
/// L = mean softplus(z) - y z (= -y log sigmoid(z) - (1 - y) log(1 - sigmoid(z)), finite for any
/// z); grad = (sigmoid(z) - y) / N.
double bce_with_logits_loss(const Matrix& logits, const Matrix& labels, Matrix* grad);

/// Softmax cross-entropy, mean over rows: logits n x C, targets[r] in [0, C) the class of row r;
/// L = mean_r (logsumexp(z_r) - z_r[t_r]); grad = (softmax(z) - onehot(t)) / n.
double softmax_cross_entropy(const Matrix& logits, std::span<const int32_t> targets, Matrix* grad);

/// Sampled softmax cross-entropy: logits n x (1 + m), column 0 each row's positive and the other
/// columns its m sampled negatives. With `log_q` (n x (1 + m), or null) the log of each
/// candidate's sampling probability is subtracted from its logit first (the logQ correction that
/// keeps the sampled loss an unbiased estimate of the full softmax's gradient as m grows,
/// Bengio & Senecal 2008). grad is with respect to `logits`.
double sampled_softmax_cross_entropy(const Matrix& logits, const Matrix* log_q, Matrix* grad);

/// In-batch softmax (the two-tower retrieval loss): queries Q (n x d) and keys K (n x d), key i
/// the positive of query i and the other keys its negatives. logits[i, j] = <Q_i, K_j> / t -
/// log_q[j] (when `log_q` is non-empty: the sampling correction for popular keys appearing as
/// negatives more often, Yi et al. RecSys 2019). When `key_ids` is non-empty, a key j with
/// key_ids[j] == key_ids[i], j != i (the same item twice in the batch) is not a negative of i.
/// Returns the mean cross-entropy with the diagonal as targets; dq, dk (n x d) when non-null.
double in_batch_softmax_loss(const Matrix& q, const Matrix& k, float temperature,
                             std::span<const float> log_q, std::span<const int32_t> key_ids,
                             Matrix* dq, Matrix* dk);

/// BPR (Rendle et al. 2009), mean over pairs: L = mean -log sigmoid(pos - neg), pos and neg of
/// the same shape (one pair per entry). dpos = -sigmoid(neg - pos) / N, dneg = -dpos.
double bpr_loss(const Matrix& pos, const Matrix& neg, Matrix* dpos, Matrix* dneg);

}  // namespace metarec::nn
