// The genre-concentration penalty and its gradient through the NCF network.
#include <metarec/algorithms/ncf/ncf_diversity.h>
#include <metarec/core/error.h>
#include <metarec/core/top_k.h>

#include <cmath>
#include <limits>

namespace metarec {

using nn::Matrix;

double genre_concentration(std::span<const float> s, const Matrix& genres, std::span<float> ds) {
  const Eigen::Index n = static_cast<Eigen::Index>(s.size());
  METAREC_CHECK(genres.rows() == n && static_cast<Eigen::Index>(ds.size()) == n,
                "genre_concentration: ", n, " scores, ", genres.rows(), " genre rows, ", ds.size(),
                " gradient entries");
  if (n == 0) return 0;
  float m = -std::numeric_limits<float>::infinity();
  for (float x : s) m = std::max(m, x);
  Eigen::VectorXd w(n);
  for (Eigen::Index i = 0; i < n; ++i) w[i] = std::exp(static_cast<double>(s[i]) - m);
  w /= w.sum();
  const Eigen::VectorXd g = genres.cast<double>().transpose() * w;  // G = sum_i w_i g_i
  const double d = g.squaredNorm();
  for (Eigen::Index j = 0; j < n; ++j)
    ds[j] = static_cast<float>(2 * w[j] * (genres.row(j).cast<double>().dot(g) - d));
  return d;
}

NcfDiversity::NcfDiversity(const Interactions& train, float alpha, int every, int k)
    : train_(train), weight_(alpha * static_cast<float>(every)), every_(every), k_(k) {
  METAREC_CHECK(alpha >= 0 && every >= 1 && k >= 1, "NCF diversity: invalid settings");
  const ItemMeta* meta = train.item_meta();
  if (alpha == 0 || meta == nullptr || !meta->has_genres() || meta->genre_names.empty()) return;
  const int32_t ni = train.num_items();
  genres_ = Matrix::Zero(ni, static_cast<Eigen::Index>(meta->genre_names.size()));
  bool any = false;
  for (int32_t i = 0; i < ni && i < static_cast<int32_t>(meta->genres.size()); ++i) {
    const auto& gs = meta->genres[static_cast<size_t>(i)];
    if (gs.empty()) continue;
    const float v = 1.0f / std::sqrt(static_cast<float>(gs.size()));
    for (int32_t g : gs) genres_(i, g) = v;
    any = true;
  }
  active_ = any;
  all_items_.resize(static_cast<size_t>(ni));
  for (int32_t i = 0; i < ni; ++i) all_items_[static_cast<size_t>(i)] = i;
  scores_.resize(static_cast<size_t>(ni));
}

double NcfDiversity::add_gradients(const NcfNetwork& net, int32_t user, NcfNetwork::Pass& batch,
                                   std::vector<nn::SparseGrad>& grads) {
  if (!active_) return 0;
  if (!passes_ready_) {
    all_ = net.new_pass();
    scratch_ = net.new_pass();
    passes_ready_ = true;
  }
  const std::vector<int32_t> everyone(all_items_.size(), user);
  net.forward(everyone, all_items_, all_, scores_);
  for (int32_t i : train_.user_items(user))
    scores_[static_cast<size_t>(i)] = -std::numeric_limits<float>::infinity();
  const auto top = top_k(scores_, k_);
  if (top.size() < 2) return 0;
  const size_t n = top.size();
  std::vector<int32_t> us(n, user), is(n);
  std::vector<float> s(n), ds(n);
  Matrix g(static_cast<Eigen::Index>(n), genres_.cols());
  for (size_t r = 0; r < n; ++r) {
    is[r] = top[r].item;
    s[r] = top[r].score;
    g.row(static_cast<Eigen::Index>(r)) = genres_.row(top[r].item);
  }
  const double d = genre_concentration(s, g, ds);
  for (float& x : ds) x *= weight_;
  // Backpropagate through the k pairs and add the dense sums to the batch's.
  std::vector<float> logits(n);
  net.clear_dense(scratch_);
  net.forward(us, is, scratch_, logits);
  net.backward(ds, scratch_);
  for (size_t l = 0; l < scratch_.tower.dw.size(); ++l) {
    batch.tower.dw[l] += scratch_.tower.dw[l];
    batch.tower.db[l] += scratch_.tower.db[l];
  }
  batch.d_out_w += scratch_.d_out_w;
  batch.d_out_b += scratch_.d_out_b;
  size_t t = 0;
  auto append = [&](const std::vector<int32_t>& ids, const Matrix& rows) {
    nn::SparseGrad& sg = grads[t++];
    const Eigen::Index old = sg.values.rows();
    sg.ids.insert(sg.ids.end(), ids.begin(), ids.end());
    sg.values.conservativeResize(old + rows.rows(), rows.cols());
    sg.values.bottomRows(rows.rows()) = rows;
    sg.coalesce();
  };
  if (net.shape.has_gmf()) {
    append(us, scratch_.d_ug);
    append(is, scratch_.d_ig);
  }
  if (net.shape.has_mlp()) {
    append(us, scratch_.d_um);
    append(is, scratch_.d_im);
  }
  return d;
}

}  // namespace metarec
