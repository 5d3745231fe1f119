// `metarec algorithms [NAME]`: the catalog with each algorithm's parameters.
#include <metarec/algorithms/catalog.h>

#include <iostream>

#include "cli.h"

namespace metarec::cli {

namespace {
nlohmann::json info_json(const AlgorithmInfo& a) {
  nlohmann::json params = nlohmann::json::array();
  for (const auto& s : a.schema) {
    nlohmann::json p = {{"name", s.name},
                        {"type", s.type_name()},
                        {"default", param_value_text(s.default_value)},
                        {"range", s.range_text()},
                        {"help", s.help}};
    if (s.tuning.enabled) {
      if (s.type == ParamType::kChoice)
        p["tune"] = s.tuning.choices;
      else
        p["tune"] = {{"lo", s.tuning.lo}, {"hi", s.tuning.hi}, {"log", s.tuning.log}};
    }
    params.push_back(p);
  }
  std::vector<std::string> feedback;
  if (a.card.explicit_feedback) feedback.push_back("explicit");
  if (a.card.implicit_feedback) feedback.push_back("implicit");
  return {{"name", a.name},
          {"family", a.card.family},
          {"feedback", feedback},
          {"predicts_ratings", a.card.predicts_ratings},
          {"side_info", a.card.side_info},
          {"cost", a.card.cost},
          {"description", a.card.description},
          {"paper", a.card.paper},
          {"parameters", params}};
}
}  // namespace

void register_algorithms(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("algorithms", "List the algorithms and their parameters");
  static std::string name;
  cmd->add_option("name", name, "Show one algorithm in full");
  cmd->add_flag("--json", g.json, "Print JSON");
  cmd->callback([&g] {
    if (!name.empty()) {
      const AlgorithmInfo& a = find_algorithm(name);
      if (g.json) return print_json(info_json(a));
      std::cout << a.name << " (" << a.card.family << ", cost " << a.card.cost << ")\n"
                << a.card.description << "\n";
      if (a.card.paper != "-") std::cout << "Paper: " << a.card.paper << "\n";
      Table t({"parameter", "type", "default", "range", "help"});
      for (const auto& s : a.schema)
        t.add({s.name, s.type_name(), param_value_text(s.default_value), s.range_text(), s.help});
      if (!a.schema.empty()) std::cout << "\n" << t.str();
      return;
    }
    if (g.json) {
      nlohmann::json j = nlohmann::json::array();
      for (const auto& a : catalog()) j.push_back(info_json(a));
      return print_json(j);
    }
    Table t({"algorithm", "family", "feedback", "ratings", "parameters (default)"});
    for (const auto& a : catalog()) {
      std::string ps;
      for (const auto& s : a.schema)
        ps += (ps.empty() ? "" : " ") + s.name + "=" + param_value_text(s.default_value);
      std::string fb = a.card.explicit_feedback && a.card.implicit_feedback ? "both"
                       : a.card.explicit_feedback                           ? "explicit"
                                                                            : "implicit";
      t.add({a.name, a.card.family, fb, a.card.predicts_ratings ? "yes" : "no",
             ps.empty() ? "-" : ps});
    }
    std::cout << t.str()
              << "\n`metarec algorithms NAME` shows one algorithm's parameters in full.\n";
  });
}

}  // namespace metarec::cli
