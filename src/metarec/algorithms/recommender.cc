// Shared Recommender machinery: fit bookkeeping, the model file envelope, recommend().
#include <metarec/algorithms/catalog.h>
#include <metarec/algorithms/recommender.h>
#include <metarec/core/error.h>

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>

namespace metarec {

void FitContext::check_cancel() const {
  if (cancel && cancel->load(std::memory_order_relaxed)) throw Cancelled("fit cancelled");
}

Recommender::Recommender(std::string algorithm, Params params)
    : algorithm_(std::move(algorithm)),
      params_(std::move(params)),
      user_ids_(std::make_shared<IdMap>()),
      item_ids_(std::make_shared<IdMap>()) {}

void Recommender::fit(const Interactions& train, const FitContext& ctx) {
  METAREC_CHECK(train.nnz() > 0, algorithm_, ": cannot fit on an empty training set");
  fitted_ = false;
  num_users_ = train.num_users();
  num_items_ = train.num_items();
  seen_ptr_.assign(train.user_ptr().begin(), train.user_ptr().end());
  seen_items_.assign(train.entry_items().begin(), train.entry_items().end());
  user_ids_ = train.user_ids_ptr();
  item_ids_ = train.item_ids_ptr();
  do_fit(train, ctx);
  fitted_ = true;
}

std::span<const int32_t> Recommender::seen_items(int32_t user) const {
  if (user < 0 || user >= num_users_) return {};
  return {seen_items_.data() + seen_ptr_[user],
          static_cast<size_t>(seen_ptr_[user + 1] - seen_ptr_[user])};
}

void Recommender::require_fitted() const {
  if (!fitted_)
    METAREC_THROW(NotFitted, algorithm_, ": the model is not fitted (call fit or load)");
}

ModelWriter Recommender::writer() const {
  require_fitted();
  ModelWriter w;
  w.set_meta("algorithm", algorithm_);
  w.set_meta("params", params_.to_json().dump());
  w.set_meta("metarec_version", METAREC_VERSION);
  w.set_meta("num_users", std::to_string(num_users_));
  w.set_meta("num_items", std::to_string(num_items_));
  w.add_view("seen.ptr", std::span<const int64_t>(seen_ptr_),
             {static_cast<int64_t>(seen_ptr_.size())});
  w.add_view("seen.items", std::span<const int32_t>(seen_items_),
             {static_cast<int64_t>(seen_items_.size())});
  w.add_strings("ids.users", user_ids_->externals());
  w.add_strings("ids.items", item_ids_->externals());
  do_save(w);
  return w;
}

void Recommender::save(const std::string& path) const { writer().write(path); }

std::string Recommender::serialize() const { return writer().serialize(); }

std::unique_ptr<Recommender> Recommender::load(const std::string& path) {
  return read(ModelReader(path));
}

std::unique_ptr<Recommender> Recommender::deserialize(std::string bytes, const std::string& name) {
  return read(ModelReader::from_bytes(std::move(bytes), name));
}

std::unique_ptr<Recommender> Recommender::read(const ModelReader& r) {
  const std::string& path = r.path();
  const std::string algo = r.meta("algorithm");
  const AlgorithmInfo* info = find_algorithm_or_null(algo);
  if (!info) throw FormatError(path, 0, "unknown algorithm \"" + algo + "\" in model file");
  nlohmann::json pj;
  try {
    pj = nlohmann::json::parse(r.meta("params"));
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(path, 0, std::string("bad params metadata: ") + e.what());
  }
  auto model = info->make(Params::from_json(info->schema, pj, algo));
  try {
    model->num_users_ = std::stoi(r.meta("num_users"));
    model->num_items_ = std::stoi(r.meta("num_items"));
  } catch (const std::exception&) {
    throw FormatError(path, 0, "bad num_users/num_items metadata");
  }
  model->seen_ptr_ = r.i64("seen.ptr", {static_cast<int64_t>(model->num_users_) + 1});
  model->seen_items_ = r.i32("seen.items");
  if (model->seen_ptr_.front() != 0 ||
      model->seen_ptr_.back() != static_cast<int64_t>(model->seen_items_.size()) ||
      !std::is_sorted(model->seen_ptr_.begin(), model->seen_ptr_.end())) {
    throw FormatError(path, 0, "inconsistent seen-items index");
  }
  for (int32_t i : model->seen_items_)
    if (i < 0 || i >= model->num_items_) throw FormatError(path, 0, "seen item out of range");
  auto users = std::make_shared<IdMap>(IdMap::from_externals(r.strings("ids.users")));
  auto items = std::make_shared<IdMap>(IdMap::from_externals(r.strings("ids.items")));
  if (users->size() != model->num_users_ || items->size() != model->num_items_)
    throw FormatError(path, 0, "id maps do not match num_users/num_items");
  model->user_ids_ = users;
  model->item_ids_ = items;
  model->do_load(r);
  model->fitted_ = true;
  return model;
}

void check_score_items(const Recommender& model, std::span<const int32_t> items,
                       std::span<const float> out) {
  METAREC_CHECK(model.fitted(), model.algorithm(), ": the model is not fitted");
  METAREC_CHECK(out.size() == items.size(), model.algorithm(), ": score buffer has size ",
                out.size(), " for ", items.size(), " items");
  for (int32_t i : items)
    METAREC_CHECK(i >= 0 && i < model.num_items(), model.algorithm(), ": item ", i,
                  " out of range [0, ", model.num_items(), ")");
}

void exclude_seen(const Recommender& model, int32_t user, std::span<float> scores) {
  constexpr float kExcluded = -std::numeric_limits<float>::infinity();
  for (int32_t i : model.seen_items(user)) scores[i] = kExcluded;
}

std::vector<ScoredItem> recommend(const Recommender& model, int32_t user, int k,
                                  const Filter& filter) {
  METAREC_CHECK(k > 0, "k must be > 0, got ", k);
  METAREC_CHECK(model.fitted(), model.algorithm(), ": the model is not fitted");
  METAREC_CHECK(user >= 0 && user < model.num_users(), "user index ", user, " is out of range");
  const int32_t n = model.num_items();
  constexpr float kExcluded = -std::numeric_limits<float>::infinity();
  std::vector<char> allowed;
  if (!filter.allow.empty()) {
    allowed.assign(static_cast<size_t>(n), 0);
    for (int32_t i : filter.allow) {
      METAREC_CHECK(i >= 0 && i < n, "allowed item index ", i, " is out of range");
      allowed[i] = 1;
    }
  }
  std::vector<float> scores(static_cast<size_t>(n));
  const auto* subset = dynamic_cast<const SubsetScorer*>(&model);
  if (subset && !allowed.empty()) {
    // Re-ranking a list of candidates: a model that can score just those does.
    std::vector<int32_t> items;
    for (int32_t i = 0; i < n; ++i)
      if (allowed[i]) items.push_back(i);
    std::vector<float> some(items.size());
    subset->score_items(user, items, some);
    std::fill(scores.begin(), scores.end(), kExcluded);
    for (size_t j = 0; j < items.size(); ++j) scores[items[j]] = some[j];
  } else {
    model.score(user, scores);
    if (!allowed.empty())
      for (int32_t i = 0; i < n; ++i)
        if (!allowed[i]) scores[i] = kExcluded;
  }
  if (filter.exclude_seen) exclude_seen(model, user, scores);
  for (int32_t i : filter.deny) {
    METAREC_CHECK(i >= 0 && i < n, "denied item index ", i, " is out of range");
    scores[i] = kExcluded;
  }
  return top_k(scores, k);
}

}  // namespace metarec
