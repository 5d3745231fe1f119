// The residual selector network, its contrastive loss and training loop.
#include <metarec/core/blas_threads.h>
#include <metarec/core/error.h>
#include <metarec/meta/selector_net.h>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace metarec {

SelectorNet::SelectorNet(const SelectorConfig& c)
    : rng_(c.seed),
      fc1_(c.inputs, c.hidden, rng_, "fc1"),
      fc2_(c.hidden, c.hidden, rng_, "fc2"),
      fc3_(c.hidden, c.hidden, rng_, "fc3"),
      out_(c.hidden, c.outputs, rng_, "fc_out"),
      ln1_(c.hidden, "ln1"),
      ln2_(c.hidden, "ln2"),
      ln3_(c.hidden, "ln3"),
      drop1_(c.dropout),
      drop2_(c.dropout) {
  METAREC_CHECK(c.dropout >= 0 && c.dropout < 1, "selector: dropout must be in [0, 1), got ",
                c.dropout);
}

nn::Matrix SelectorNet::forward(const nn::Matrix& x, bool training) {
  const nn::Matrix h1 = fc1_.forward(x);
  const nn::Matrix a1 = drop1_.forward(relu1_.forward(ln1_.forward(h1)), training, rng_);
  const nn::Matrix a2 =
      drop2_.forward(relu2_.forward(ln2_.forward(fc2_.forward(a1))), training, rng_);
  const nn::Matrix s2 = a2 + h1;
  const nn::Matrix s3 = ln3_.forward(fc3_.forward(s2)) + s2;
  return out_.forward(s3);
}

void SelectorNet::backward(const nn::Matrix& dout) {
  const nn::Matrix ds3 = out_.backward(dout);
  // s3 = ln3(fc3(s2)) + s2
  const nn::Matrix ds2 = fc3_.backward(ln3_.backward(ds3)) + ds3;
  // s2 = a2 + h1, a2 = drop(relu(ln2(fc2(a1)))), a1 = drop(relu(ln1(h1)))
  const nn::Matrix da1 = fc2_.backward(ln2_.backward(relu2_.backward(drop2_.backward(ds2))));
  const nn::Matrix dh1 = ln1_.backward(relu1_.backward(drop1_.backward(da1))) + ds2;
  fc1_.backward(dh1);
}

std::vector<nn::Parameter*> SelectorNet::parameters() {
  std::vector<nn::Parameter*> out;
  for (auto* layer : {&fc1_, &fc2_, &fc3_, &out_})
    for (auto* p : layer->parameters()) out.push_back(p);
  for (auto* ln : {&ln1_, &ln2_, &ln3_})
    for (auto* p : ln->parameters()) out.push_back(p);
  return out;
}

int64_t SelectorNet::linear_weight_count() const {
  return fc1_.weight_count() + fc2_.weight_count() + fc3_.weight_count() + out_.weight_count();
}

double contrastive_loss(const nn::Matrix& s, const std::vector<int>& y, float margin,
                        float hard_weight, nn::Matrix* ds) {
  const Eigen::Index n = s.rows(), a = s.cols();
  METAREC_CHECK(static_cast<Eigen::Index>(y.size()) == n, "contrastive_loss: ", y.size(),
                " labels for ", n, " rows");
  METAREC_CHECK(a >= 2, "contrastive_loss: need at least 2 algorithms");
  if (ds) ds->setZero(n, a);
  double total = 0;
  const float inv_neg = 1.0f / static_cast<float>(a - 1);
  for (Eigen::Index i = 0; i < n; ++i) {
    const int t = y[i];
    METAREC_CHECK(t >= 0 && t < a, "contrastive_loss: label ", t, " out of range");
    double li = 1.0 - s(i, t);
    if (ds) (*ds)(i, t) -= 1.0f;
    Eigen::Index hard = -1;
    for (Eigen::Index j = 0; j < a; ++j) {
      if (j == t) continue;
      if (hard < 0 || s(i, j) > s(i, hard)) hard = j;
      const float over = s(i, j) - margin;
      if (over > 0) {
        li += inv_neg * over;
        if (ds) (*ds)(i, j) += inv_neg;
      }
    }
    const float gap = s(i, hard) - s(i, t) + margin;
    if (gap > 0 && hard_weight > 0) {
      li += hard_weight * gap;
      if (ds) {
        (*ds)(i, hard) += hard_weight;
        (*ds)(i, t) -= hard_weight;
      }
    }
    total += li;
  }
  if (ds) *ds /= static_cast<float>(n);
  return total / static_cast<double>(n);
}

double listwise_loss(const nn::Matrix& s, const nn::Matrix& d, float temperature, nn::Matrix* ds) {
  const Eigen::Index n = s.rows(), a = s.cols();
  METAREC_CHECK(d.rows() == n && d.cols() == a, "listwise_loss: distances are ", d.rows(), " x ",
                d.cols(), ", similarities ", n, " x ", a);
  METAREC_CHECK(temperature > 0, "listwise_loss: temperature must be > 0, got ", temperature);
  if (ds) ds->setZero(n, a);
  const double inv_t = 1.0 / temperature;
  double total = 0;
  std::vector<double> p(static_cast<size_t>(a)), q(static_cast<size_t>(a));
  for (Eigen::Index i = 0; i < n; ++i) {
    // Both softmaxes over the eligible entries, each shifted by its maximum.
    double p_max = -INFINITY, q_max = -INFINITY;
    for (Eigen::Index j = 0; j < a; ++j) {
      if (std::isnan(d(i, j))) continue;
      p_max = std::max(p_max, -d(i, j) * inv_t);
      q_max = std::max(q_max, s(i, j) * inv_t);
    }
    if (p_max == -INFINITY) continue;  // no eligible algorithm: the row adds nothing
    double p_sum = 0, q_sum = 0;
    for (Eigen::Index j = 0; j < a; ++j) {
      const bool on = !std::isnan(d(i, j));
      p[j] = on ? std::exp(-d(i, j) * inv_t - p_max) : 0.0;
      q[j] = on ? std::exp(s(i, j) * inv_t - q_max) : 0.0;
      p_sum += p[j];
      q_sum += q[j];
    }
    const double log_q_sum = std::log(q_sum) + q_max;
    for (Eigen::Index j = 0; j < a; ++j) {
      if (std::isnan(d(i, j))) continue;
      p[j] /= p_sum;
      total -= p[j] * (s(i, j) * inv_t - log_q_sum);
      if (ds) (*ds)(i, j) = static_cast<float>((q[j] / q_sum - p[j]) * inv_t);
    }
  }
  if (ds) *ds /= static_cast<float>(n);
  return total / static_cast<double>(n);
}

std::vector<SelectorEpoch> train_selector(
    SelectorNet& net, const nn::Matrix& x, const std::vector<int>& y, const nn::Matrix& embeddings,
    const SelectorConfig& c, const std::function<void(int, const SelectorEpoch&)>& on_epoch,
    const nn::Matrix& distances) {
  METAREC_CHECK(x.rows() == static_cast<Eigen::Index>(y.size()) && x.rows() > 0,
                "train_selector: ", x.rows(), " examples and ", y.size(), " labels");
  METAREC_CHECK(c.epochs >= 1 && c.batch >= 1, "train_selector: epochs and batch must be >= 1");
  const bool listwise = c.listwise_weight > 0;
  METAREC_CHECK(
      !listwise || (distances.rows() == x.rows() && distances.cols() == embeddings.rows()),
      "train_selector: the listwise term needs ", x.rows(), " x ", embeddings.rows(),
      " distances, got ", distances.rows(), " x ", distances.cols());
  // The products are small (32 x 256 by 256 x 256): OpenBLAS threads next to OpenMP made
  // training 7x slower on 2 cores.
  const ScopedBlasThreads serial(1);
  nn::Adam opt(net.parameters(), c.learning_rate, 0.9f, 0.999f, 1e-8f, c.weight_decay);
  Rng rng(c.seed ^ 0xB47C4ULL);
  std::vector<Eigen::Index> order(static_cast<size_t>(x.rows()));
  std::iota(order.begin(), order.end(), 0);
  std::vector<SelectorEpoch> history;
  for (int e = 0; e < c.epochs; ++e) {
    for (size_t k = order.size(); k > 1; --k) std::swap(order[k - 1], order[rng.uniform_int(k)]);
    SelectorEpoch ep;
    for (size_t start = 0; start < order.size(); start += static_cast<size_t>(c.batch)) {
      const size_t end = std::min(order.size(), start + static_cast<size_t>(c.batch));
      nn::Matrix xb(static_cast<Eigen::Index>(end - start), x.cols());
      nn::Matrix db(listwise ? xb.rows() : 0, distances.cols());
      std::vector<int> yb;
      for (size_t r = start; r < end; ++r) {
        xb.row(static_cast<Eigen::Index>(r - start)) = x.row(order[r]);
        if (listwise) db.row(static_cast<Eigen::Index>(r - start)) = distances.row(order[r]);
        yb.push_back(y[static_cast<size_t>(order[r])]);
      }
      opt.zero_grad();
      const nn::Matrix pred = net.forward(xb, true);
      nn::CosineMatrix cos;
      const nn::Matrix s = cos.forward(pred, embeddings);
      nn::Matrix ds;
      double loss = contrastive_loss(s, yb, c.margin, c.hard_weight, &ds);
      if (listwise) {
        nn::Matrix dl;
        loss += c.listwise_weight * listwise_loss(s, db, c.listwise_temperature, &dl);
        ds += c.listwise_weight * dl;
      }
      net.backward(cos.backward(ds));
      opt.step();
      const double w = static_cast<double>(end - start);
      ep.loss += loss * w;
      for (size_t r = 0; r < yb.size(); ++r)
        ep.mean_cosine += s(static_cast<Eigen::Index>(r), yb[r]);
    }
    ep.loss /= static_cast<double>(order.size());
    ep.mean_cosine /= static_cast<double>(order.size());
    history.push_back(ep);
    if (on_epoch) on_epoch(e, ep);
  }
  return history;
}

std::vector<double> similarity_gaps(const nn::Matrix& s, const std::vector<int>& y) {
  std::vector<double> out;
  for (Eigen::Index i = 0; i < s.rows(); ++i) {
    float best_other = -INFINITY;
    for (Eigen::Index j = 0; j < s.cols(); ++j)
      if (j != y[static_cast<size_t>(i)]) best_other = std::max(best_other, s(i, j));
    out.push_back(static_cast<double>(s(i, y[static_cast<size_t>(i)]) - best_other));
  }
  return out;
}

const std::vector<std::string>& similarity_names() {
  static const std::vector<std::string> names = {"cosine",      "iht",      "sigmoid_dot",
                                                 "relu_cosine", "tanh_dot", "norm_contrast"};
  return names;
}

double similarity(const std::string& name, const float* x, const float* y, int dim) {
  double dot = 0, nx = 0, ny = 0;
  for (int k = 0; k < dim; ++k) {
    dot += static_cast<double>(x[k]) * y[k];
    nx += static_cast<double>(x[k]) * x[k];
    ny += static_cast<double>(y[k]) * y[k];
  }
  nx = std::sqrt(nx);
  ny = std::sqrt(ny);
  const double cosine = nx > 0 && ny > 0 ? std::clamp(dot / (nx * ny), -1.0, 1.0) : 0.0;
  if (name == "cosine") return cosine;
  if (name == "iht") return 1.0 - std::tanh(std::acos(cosine));
  if (name == "sigmoid_dot") return 1.0 / (1.0 + std::exp(-dot));
  if (name == "relu_cosine") return std::max(0.0, cosine);
  if (name == "tanh_dot") return std::tanh(dot);
  if (name == "norm_contrast")
    return nx > 0 && ny > 0 ? cosine * std::min(nx, ny) / std::max(nx, ny) : 0.0;
  METAREC_THROW(InvalidArgument, "unknown similarity \"", name,
                "\"; valid: cosine, iht, sigmoid_dot, relu_cosine, tanh_dot, norm_contrast");
}

}  // namespace metarec
