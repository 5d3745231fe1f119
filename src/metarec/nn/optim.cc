// SGD, Adagrad and the sparse (lazy) embedding optimizers.
#include <metarec/core/error.h>
#include <metarec/nn/optim.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>

namespace metarec::nn {

namespace {

// The rows of `g` must be distinct, sorted and inside the table: a repeated id would be
// updated twice by one step.
void check_sparse(const Parameter& table, const SparseGrad& g, const char* who) {
  METAREC_CHECK(static_cast<Eigen::Index>(g.ids.size()) == g.values.rows() &&
                    (g.ids.empty() || g.values.cols() == table.value.cols()),
                who, " on ", table.name, ": gradient of ", g.values.rows(), "x", g.values.cols(),
                " for ", g.ids.size(), " ids, table dim ", table.value.cols());
  for (size_t k = 0; k < g.ids.size(); ++k) {
    METAREC_CHECK(g.ids[k] >= 0 && g.ids[k] < table.value.rows(), who, " on ", table.name, ": id ",
                  g.ids[k], " outside [0, ", table.value.rows(), ")");
    METAREC_CHECK(k == 0 || g.ids[k - 1] < g.ids[k], who, " on ", table.name,
                  ": gradient ids must be sorted and distinct (call coalesce())");
  }
}

// An optimizer's per-row state (Adam's moments, Adagrad's sums) is touched nowhere else, so on a
// table larger than the cache nearly every row of it misses. A step's ids are known in
// advance: fetching the state rows a few ids ahead overlaps those misses (a 32-factor NeuMF
// epoch on ML-1M 8-11% faster, on one thread or two). Call at(k) before updating row k.
class AheadFetch {
 public:
  AheadFetch(const Matrix& state, const std::vector<int32_t>& ids)
      : state_(state), ids_(ids), bytes_(sizeof(float) * static_cast<size_t>(state.cols())) {}
  // Inlined by force: GCC counts a function that only prefetches as free of side effects (pure),
  // and a call to it whose result is unused is then deleted, prefetches and all.
  [[gnu::always_inline]] void at(size_t k) const {
    if (k == 0)
      for (size_t j = 0; j < std::min(kAhead, ids_.size()); ++j) fetch(j);
    if (k + kAhead < ids_.size()) fetch(k + kAhead);
  }

 private:
  static constexpr size_t kAhead = 4;
  [[gnu::always_inline]] void fetch(size_t j) const {
    const char* p = reinterpret_cast<const char*>(state_.row(ids_[j]).data());
    for (size_t b = 0; b < bytes_; b += 64) __builtin_prefetch(p + b, 1);
  }
  const Matrix& state_;
  const std::vector<int32_t>& ids_;
  size_t bytes_;
};

}  // namespace

Sgd::Sgd(std::vector<Parameter*> params, float lr, float momentum, float weight_decay,
         bool nesterov)
    : params_(std::move(params)),
      lr_(lr),
      momentum_(momentum),
      wd_(weight_decay),
      nesterov_(nesterov) {
  METAREC_CHECK(lr > 0 && momentum >= 0 && momentum < 1 && weight_decay >= 0,
                "Sgd: invalid hyper-parameters (lr ", lr, ", momentum ", momentum,
                ", weight_decay ", weight_decay, ")");
  METAREC_CHECK(!nesterov || momentum > 0, "Sgd: nesterov needs momentum > 0");
  if (momentum_ > 0)
    for (auto* p : params_) velocity_.push_back(Matrix::Zero(p->value.rows(), p->value.cols()));
}

void Sgd::set_learning_rate(float lr) {
  METAREC_CHECK(lr > 0, "Sgd: learning rate must be > 0, got ", lr);
  lr_ = lr;
}

void Sgd::step() { step(gradients_of(params_)); }

void Sgd::step(std::span<const Matrix* const> grads) {
  METAREC_CHECK(grads.size() == params_.size(), "Sgd: ", grads.size(), " gradients for ",
                params_.size(), " parameters");
  for (size_t k = 0; k < params_.size(); ++k) {
    Parameter& p = *params_[k];
    const Matrix& grad = *grads[k];
    if (momentum_ == 0 && wd_ == 0) {
      p.value -= lr_ * grad;
      continue;
    }
    Matrix g = grad;
    if (wd_ > 0) g += wd_ * p.value;
    if (momentum_ > 0) {
      velocity_[k] = momentum_ * velocity_[k] + g;
      if (nesterov_)
        p.value -= lr_ * (g + momentum_ * velocity_[k]);
      else
        p.value -= lr_ * velocity_[k];
    } else {
      p.value -= lr_ * g;
    }
  }
}

void Sgd::zero_grad() {
  for (auto* p : params_) p->zero_grad();
}

Adagrad::Adagrad(std::vector<Parameter*> params, float lr, float eps, float initial_accumulator)
    : params_(std::move(params)), lr_(lr), eps_(eps) {
  METAREC_CHECK(lr > 0 && eps > 0 && initial_accumulator >= 0, "Adagrad: invalid hyper-parameters");
  for (auto* p : params_)
    sum_.push_back(Matrix::Constant(p->value.rows(), p->value.cols(), initial_accumulator));
}

void Adagrad::step() {
  for (size_t k = 0; k < params_.size(); ++k) {
    Parameter& p = *params_[k];
    sum_[k].array() += p.grad.array().square();
    p.value.array() -= lr_ * p.grad.array() / (sum_[k].array().sqrt() + eps_);
  }
}

void Adagrad::zero_grad() {
  for (auto* p : params_) p->zero_grad();
}

SparseSgd::SparseSgd(Embedding& table, float lr, float weight_decay)
    : table_(&table.table), lr_(lr), wd_(weight_decay) {
  METAREC_CHECK(lr > 0 && weight_decay >= 0, "SparseSgd: invalid hyper-parameters");
}

void SparseSgd::set_learning_rate(float lr) {
  METAREC_CHECK(lr > 0, "SparseSgd: learning rate must be > 0, got ", lr);
  lr_ = lr;
}

void SparseSgd::step(const SparseGrad& g) {
  check_sparse(*table_, g, "SparseSgd");
  for (size_t k = 0; k < g.ids.size(); ++k) {
    auto row = table_->value.row(g.ids[k]);
    const auto grad = g.values.row(static_cast<Eigen::Index>(k));
    if (wd_ > 0)
      row -= lr_ * (grad + wd_ * row);
    else
      row -= lr_ * grad;
  }
}

SparseAdagrad::SparseAdagrad(Embedding& table, float lr, float eps, float initial_accumulator)
    : table_(&table.table),
      sum_(Matrix::Constant(table.table.value.rows(), table.table.value.cols(),
                            initial_accumulator)),
      lr_(lr),
      eps_(eps) {
  METAREC_CHECK(lr > 0 && eps > 0 && initial_accumulator >= 0,
                "SparseAdagrad: invalid hyper-parameters");
}

void SparseAdagrad::step(const SparseGrad& g) {
  check_sparse(*table_, g, "SparseAdagrad");
  const AheadFetch ahead(sum_, g.ids);
  for (size_t k = 0; k < g.ids.size(); ++k) {
    ahead.at(k);
    const auto grad = g.values.row(static_cast<Eigen::Index>(k)).array();
    auto acc = sum_.row(g.ids[k]).array();
    acc += grad.square();
    table_->value.row(g.ids[k]).array() -= lr_ * grad / (acc.sqrt() + eps_);
  }
}

LazyAdam::Powers::Powers(double base) : base_(base) {
  for (int j = 0; j < 256; ++j) low_.push_back(std::pow(base, j));
  // Up to 2^24 steps; std::pow past that.
  while (high_.size() < (size_t{1} << 16)) {
    const double p = std::pow(base, 256.0 * static_cast<double>(high_.size()));
    high_.push_back(p);
    if (p < 1e-60) {  // every later power is below the smallest float
      vanished_ = true;
      break;
    }
  }
}

LazyAdam::LazyAdam(Embedding& table, float lr, float beta1, float beta2, float eps,
                   float weight_decay, bool catch_up)
    : table_(&table.table),
      moments_(Matrix::Zero(table.table.value.rows(), 2 * table.table.value.cols())),
      lr_(lr),
      beta1_(beta1),
      beta2_(beta2),
      eps_(eps),
      wd_(weight_decay) {
  METAREC_CHECK(
      lr > 0 && beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1 && eps > 0 && weight_decay >= 0,
      "LazyAdam: invalid hyper-parameters");
  if (!catch_up) return;
  // Dense Adam's moves on zero gradients shrink as (beta1 / sqrt(beta2))^j; were they to grow,
  // only eps would stop them, and the closed form below leaves eps out.
  METAREC_CHECK(beta1 < std::sqrt(beta2), "LazyAdam: catch-up needs beta1 < sqrt(beta2), got ",
                beta1, " and ", beta2);
  last_.assign(static_cast<size_t>(table.table.value.rows()), 0);
  // bias(u) tends to 1 as beta1^u and beta2^u fall; tabulate it until it is 1 to about 1e-7
  // (about 16,000 steps at the usual beta2 = 0.999), capped at 2^22 steps for a beta2 nearer 1.
  const double b1 = beta1, b2 = beta2;
  double p1 = 1, p2 = 1;
  std::vector<double> bias = {0};  // step 0 is never a missed step
  while (bias.size() < (size_t{1} << 22)) {
    p1 *= b1;
    p2 *= b2;
    // Stop only where both corrections have settled (a beta1 near beta2 can cross 1 early).
    if (p1 < 1e-7 && 1 - std::sqrt(1 - p2) < 1e-7) break;
    bias.push_back(std::sqrt(1 - p2) / (1 - p1));
  }
  ratio_ = b1 / std::sqrt(b2);
  beta1_to_ = Powers(b1);
  beta2_to_ = Powers(b2);
  ratio_to_ = Powers(ratio_);
  // tail(u) = ratio (bias(u + 1) + tail(u + 1)), from the end of the table down.
  tail_.resize(bias.size());
  tail_.back() = ratio_ / (1 - ratio_);
  for (size_t u = bias.size() - 1; u-- > 0;) tail_[u] = ratio_ * (bias[u + 1] + tail_[u + 1]);
}

double LazyAdam::missed_sum(int64_t s, int64_t k) const {
  const auto tail = [this](int64_t u) {  // the table's last entry holds for every later step
    return tail_[static_cast<size_t>(std::min(u, static_cast<int64_t>(tail_.size()) - 1))];
  };
  return tail(s) - ratio_to_(k) * tail(s + k);
}

std::optional<LazyAdam::Missed> LazyAdam::missed(int64_t last, int64_t k) const {
  if (k <= 0 || last <= 0) return std::nullopt;
  Missed out;
  if (wd_ > 0) out.decay = std::pow(1.0f - lr_ * wd_, static_cast<float>(k));
  out.move = static_cast<float>(lr_ * missed_sum(last, k));
  // eps as the row's last update scaled it (see step()).
  out.eps = eps_ * static_cast<float>(std::sqrt(1 - beta2_to_(last)));
  out.keep1 = static_cast<float>(beta1_to_(k));
  out.keep2 = static_cast<float>(beta2_to_(k));
  return out;
}

void LazyAdam::catch_up() {
  if (last_.empty()) return;
  const Eigen::Index d = table_->value.cols();
  using Row = Eigen::Map<Eigen::ArrayXf>;
  for (Eigen::Index r = 0; r < moments_.rows(); ++r) {
    auto& last = last_[static_cast<size_t>(r)];
    const auto x = missed(last, t_ - last);
    last = t_;
    if (!x) continue;
    Row m(moments_.row(r).data(), d), v(moments_.row(r).data() + d, d);
    Row w(table_->value.row(r).data(), d);
    w = w * x->decay - x->move * m / (v.sqrt() + x->eps);
    m *= x->keep1;
    v *= x->keep2;
  }
}

void LazyAdam::step(const SparseGrad& g) {
  check_sparse(*table_, g, "LazyAdam");
  const int64_t t = std::atomic_ref<int64_t>(t_).fetch_add(1) + 1;
  const float c1 = 1.0f - std::pow(beta1_, static_cast<float>(t));
  const float c2 = 1.0f - std::pow(beta2_, static_cast<float>(t));
  // w -= lr (m / c1) / (sqrt(v / c2) + eps), written as step * m / (sqrt(v) + eps * sqrt(c2))
  // with step = lr sqrt(c2) / c1: the same quantity, one division less per entry, and a
  // branch-free loop the compiler vectorizes.
  const float step = lr_ * std::sqrt(c2) / c1, eps = eps_ * std::sqrt(c2);
  const float b1 = beta1_, b2 = beta2_, decay = 1.0f - lr_ * wd_;
  const Eigen::Index d = table_->value.cols();
  const bool catch_up = !last_.empty();
  using Row = Eigen::Map<Eigen::ArrayXf>;
  const AheadFetch ahead(moments_, g.ids);
  for (size_t k = 0; k < g.ids.size(); ++k) {
    ahead.at(k);
    const auto grad = g.values.row(static_cast<Eigen::Index>(k)).array().transpose();
    float* mv = moments_.row(g.ids[k]).data();
    Row m(mv, d), v(mv + d, d);
    Row w(table_->value.row(g.ids[k]).data(), d);
    float keep1 = b1, keep2 = b2;  // how m and v decay before this step's gradient
    if (catch_up) {
      // Under Hogwild another thread may hold a later step for this row: then there is
      // nothing to catch up (k <= 0). A relaxed load and store, not an exchange: x86's locked
      // exchange waits for every earlier store of the row loop to drain. Two threads that
      // read the same `last` before either stores catch the same steps up twice, as
      // Hogwild's updates of one row race anyway.
      std::atomic_ref<int64_t> slot(last_[static_cast<size_t>(g.ids[k])]);
      const int64_t last = slot.load(std::memory_order_relaxed);
      slot.store(t, std::memory_order_relaxed);
      if (const auto x = missed(last, t - 1 - last)) {
        w = w * x->decay - x->move * m / (v.sqrt() + x->eps);
        keep1 *= x->keep1;
        keep2 *= x->keep2;
      }
    }
    m = keep1 * m + (1 - b1) * grad;
    v = keep2 * v + (1 - b2) * grad.square();
    w = w * decay - step * m / (v.sqrt() + eps);
  }
}

}  // namespace metarec::nn
