// `metarec recommend MODEL --user U -k 10`: top-k items for a user from a saved model.
#include <metarec/algorithms/recommender.h>
#include <metarec/core/error.h>

#include <iostream>
#include <sstream>

#include "cli.h"

namespace metarec::cli {

namespace {
std::vector<int32_t> item_list(const Recommender& m, const std::string& csv, const char* what) {
  std::vector<int32_t> out;
  std::stringstream ss(csv);
  for (std::string id; std::getline(ss, id, ',');) {
    if (id.empty()) continue;
    auto idx = m.item_ids().find(id);
    METAREC_CHECK(idx, what, " item \"", id, "\" is not in the model");
    out.push_back(*idx);
  }
  return out;
}
}  // namespace

void register_recommend(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("recommend", "Recommend items for a user from a saved model");
  static std::string model_path, user, allow, deny;
  static int k = 10;
  static bool include_seen = false;
  cmd->add_option("model", model_path, "Model file written by `metarec fit`")->required();
  cmd->add_option("-u,--user", user, "User id as it appears in the data")->required();
  cmd->add_option("-k", k, "How many items")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_flag("--include-seen", include_seen, "Also recommend the user's training items");
  cmd->add_option("--allow", allow, "Only these item ids (comma-separated)");
  cmd->add_option("--deny", deny, "Never these item ids (comma-separated)");
  cmd->add_flag("--json", g.json, "Print JSON");
  cmd->callback([&g] {
    auto model = Recommender::load(model_path);
    auto u = model->user_ids().find(user);
    METAREC_CHECK(u, "user \"", user, "\" is not in the model (", model->num_users(), " users)");
    Filter f;
    f.exclude_seen = !include_seen;
    f.allow = item_list(*model, allow, "allowed");
    f.deny = item_list(*model, deny, "denied");
    auto top = recommend(*model, *u, k, f);
    if (g.json) {
      nlohmann::json j = nlohmann::json::array();
      for (size_t r = 0; r < top.size(); ++r)
        j.push_back({{"rank", r + 1},
                     {"item", model->item_ids().external(top[r].item)},
                     {"score", top[r].score}});
      return print_json({{"user", user}, {"algorithm", model->algorithm()}, {"items", j}});
    }
    Table t({"rank", "item", "score"});
    for (size_t r = 0; r < top.size(); ++r)
      t.add({std::to_string(r + 1), model->item_ids().external(top[r].item), fmt(top[r].score, 4)});
    std::cout << t.str();
  });
}

}  // namespace metarec::cli
