// The sparse input rows, weight initializations and first-layer gradient shared
// by the autoencoders.
#include <metarec/algorithms/autoencoder/sparse_input.h>
#include <metarec/core/parallel.h>

#include <cmath>

namespace metarec {

namespace {

void add_kept(SparseRows& s, std::span<const int32_t> items, float v, float dropout, Rng& rng) {
  const float keep = 1.0f - dropout, scaled = v / keep;
  for (int32_t i : items) {
    if (dropout > 0) {
      if (rng.uniform() < keep) {
        s.index.push_back(i);
        s.value.push_back(scaled);
      }
    } else {
      s.index.push_back(i);
      s.value.push_back(v);
    }
  }
}

}  // namespace

void SparseRows::add_normalized(std::span<const int32_t> items, float dropout, Rng& rng) {
  if (!items.empty())
    add_kept(*this, items, 1.0f / std::sqrt(static_cast<float>(items.size())), dropout, rng);
  ptr.push_back(static_cast<int64_t>(index.size()));
}

void SparseRows::add_dropped(std::span<const int32_t> items, float dropout, Rng& rng) {
  add_kept(*this, items, 1.0f, dropout, rng);
  ptr.push_back(static_cast<int64_t>(index.size()));
}

void SparseRows::add_binary(std::span<const int32_t> items) {
  index.insert(index.end(), items.begin(), items.end());
  value.insert(value.end(), items.size(), 1.0f);
  ptr.push_back(static_cast<int64_t>(index.size()));
}

void init_glorot(nn::Parameter& p, const std::string& name, int64_t in, int64_t out, Rng& rng) {
  p.name = name;
  p.value.resize(in, out);
  const double bound = std::sqrt(6.0 / static_cast<double>(in + out));
  for (Eigen::Index k = 0; k < p.value.size(); ++k)
    p.value.data()[k] = static_cast<float>((2 * rng.uniform() - 1) * bound);
  p.zero_grad();
}

void init_small_bias(nn::Parameter& p, const std::string& name, int64_t out, Rng& rng) {
  p.name = name;
  p.value.resize(1, out);
  for (Eigen::Index k = 0; k < p.value.size(); ++k)
    p.value.data()[k] = static_cast<float>(0.001 * rng.normal());
  p.zero_grad();
}

void SparseRowGradient::accumulate(const SparseRows& x, const nn::Matrix& d, nn::Matrix& grad,
                                   int threads) {
  by_row_.resize(static_cast<size_t>(grad.rows()));
  std::vector<int32_t> touched;
  for (int64_t r = 0; r < x.rows(); ++r)
    for (int64_t e = x.ptr[r]; e < x.ptr[r + 1]; ++e) {
      auto& list = by_row_[x.index[e]];
      if (list.empty()) touched.push_back(x.index[e]);
      list.emplace_back(static_cast<int32_t>(r), x.value[e]);
    }
  parallel_for(
      static_cast<int64_t>(touched.size()), threads,
      [&](int64_t t) {
        auto& list = by_row_[touched[t]];
        auto g = grad.row(touched[t]);
        for (const auto& [r, v] : list) g.noalias() += v * d.row(r);
        list.clear();
      },
      64);
}

}  // namespace metarec
