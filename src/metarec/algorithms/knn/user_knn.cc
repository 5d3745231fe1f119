// UserKnn: user-user similarities and neighbour-weighted scoring.
#include <metarec/algorithms/knn/similarity.h>
#include <metarec/algorithms/knn/user_knn.h>
#include <metarec/core/error.h>

#include <algorithm>

namespace metarec {

ParamSchema UserKnn::schema() { return ranking_knn_schema(50, "tfidf"); }

void UserKnn::do_fit(const Interactions& train, const FitContext& ctx) {
  const SimilarityOptions o = ranking_knn_options(params(), true, algorithm());
  w_ = knn_similarities(train, o, ctx);
  use_values_ = !o.binary;
  user_ptr_.assign(train.user_ptr().begin(), train.user_ptr().end());
  values_.clear();
  if (use_values_) values_.assign(train.entry_values().begin(), train.entry_values().end());
  popularity_.assign(static_cast<size_t>(train.num_items()), 0.0f);
  const float scale = 1e-6f / (static_cast<float>(train.num_users()) + 1.0f);
  for (int32_t i = 0; i < train.num_items(); ++i)
    popularity_[i] = static_cast<float>(train.item_count(i)) * scale;
}

void UserKnn::score(int32_t user, std::span<float> out) const {
  require_fitted();
  METAREC_CHECK(static_cast<int64_t>(out.size()) == num_items(), algorithm(),
                ": score buffer has size ", out.size(), ", expected ", num_items());
  std::copy(popularity_.begin(), popularity_.end(), out.begin());
  if (user < 0 || user >= num_users()) return;
  auto nbrs = w_.row_indices(user);
  auto sims = w_.row_values(user);
  for (size_t n = 0; n < nbrs.size(); ++n) {
    const int32_t v = nbrs[n];
    const float s = sims[n];
    auto items = seen_items(v);
    if (use_values_) {
      const float* val = values_.data() + user_ptr_[v];
      for (size_t k = 0; k < items.size(); ++k) out[items[k]] += s * val[k];
    } else {
      for (int32_t i : items) out[i] += s;
    }
  }
}

void UserKnn::do_save(ModelWriter& w) const {
  w_.save(w, "userknn.w");
  const int32_t flags[1] = {use_values_ ? 1 : 0};
  w.add("userknn.flags", std::span<const int32_t>(flags, 1), {1});
  w.add("userknn.values", std::span<const float>(values_), {static_cast<int64_t>(values_.size())});
  w.add("userknn.popularity", std::span<const float>(popularity_),
        {static_cast<int64_t>(popularity_.size())});
}

void UserKnn::do_load(const ModelReader& r) {
  w_ = SparseMatrix::load(r, "userknn.w");
  if (w_.rows() != num_users() || w_.cols() != num_users())
    throw FormatError(r.path(), 0, "user-user weights do not match the number of users");
  use_values_ = r.i32("userknn.flags", {1})[0] != 0;
  values_ = r.f32("userknn.values");
  popularity_ = r.f32("userknn.popularity", {num_items()});
  user_ptr_.assign(static_cast<size_t>(num_users()) + 1, 0);
  for (int32_t u = 0; u < num_users(); ++u)
    user_ptr_[u + 1] = user_ptr_[u] + static_cast<int64_t>(seen_items(u).size());
  if (use_values_ && static_cast<int64_t>(values_.size()) != user_ptr_.back())
    throw FormatError(r.path(), 0, "user values do not match the seen items");
}

}  // namespace metarec
