// Mini-batches, early stopping (with the best epoch's weights) and KL annealing.
#include <metarec/core/error.h>
#include <metarec/nn/train.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <utility>

namespace metarec::nn {

MiniBatches::MiniBatches(int64_t examples, int64_t batch_size, bool drop_last)
    : order_(static_cast<size_t>(std::max<int64_t>(examples, 0))), batch_(batch_size) {
  METAREC_CHECK(examples >= 0, "MiniBatches: examples must be >= 0, got ", examples);
  METAREC_CHECK(batch_size > 0, "MiniBatches: batch size must be > 0, got ", batch_size);
  std::iota(order_.begin(), order_.end(), int64_t{0});
  count_ = drop_last ? examples / batch_size : (examples + batch_size - 1) / batch_size;
}

void MiniBatches::shuffle(Rng& rng) {
  for (size_t k = order_.size(); k > 1; --k) std::swap(order_[k - 1], order_[rng.uniform_int(k)]);
}

KlAnnealing::KlAnnealing(float beta_max, float fraction, int64_t total_updates)
    : beta_max_(beta_max),
      anneal_updates_(
          std::max(1.0, static_cast<double>(fraction) * static_cast<double>(total_updates))) {
  METAREC_CHECK(beta_max >= 0 && fraction >= 0 && total_updates >= 0,
                "KlAnnealing: beta_max, fraction and total_updates must be >= 0, got ", beta_max,
                ", ", fraction, ", ", total_updates);
}

std::span<const int64_t> MiniBatches::batch(int64_t b) const {
  METAREC_CHECK(b >= 0 && b < count_, "MiniBatches: batch ", b, " outside [0, ", count_, ")");
  const int64_t lo = b * batch_;
  const int64_t hi = std::min<int64_t>(lo + batch_, static_cast<int64_t>(order_.size()));
  return {order_.data() + lo, static_cast<size_t>(hi - lo)};
}

EarlyStopping::EarlyStopping(int patience, bool higher_is_better, double min_delta)
    : patience_(patience),
      higher_(higher_is_better),
      min_delta_(min_delta),
      best_(higher_is_better ? -std::numeric_limits<double>::infinity()
                             : std::numeric_limits<double>::infinity()) {
  METAREC_CHECK(patience >= 1, "EarlyStopping: patience must be >= 1, got ", patience);
  METAREC_CHECK(min_delta >= 0, "EarlyStopping: min_delta must be >= 0, got ", min_delta);
}

bool EarlyStopping::update(double metric) {
  const int epoch = epochs_++;
  const bool better =
      !std::isnan(metric) &&
      (best_epoch_ < 0 || (higher_ ? metric > best_ + min_delta_ : metric < best_ - min_delta_));
  if (better) {
    best_ = metric;
    best_epoch_ = epoch;
    since_best_ = 0;
  } else {
    ++since_best_;
  }
  return better;
}

BestEpoch::BestEpoch(std::vector<Matrix*> weights, int patience)
    : weights_(std::move(weights)), stop_(patience) {}

bool BestEpoch::update(double metric) {
  if (stop_.update(metric)) {
    best_.resize(weights_.size());
    for (size_t k = 0; k < weights_.size(); ++k) best_[k] = *weights_[k];
  }
  return !stop_.should_stop();
}

void BestEpoch::restore() {
  for (size_t k = 0; k < best_.size(); ++k) *weights_[k] = best_[k];
}

}  // namespace metarec::nn
