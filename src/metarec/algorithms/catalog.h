// The catalog: the one explicit list of algorithms, each with its factory, parameter schema and
// card (family, feedback accepted, side information used, cost, description, paper).
#pragma once

#include <metarec/algorithms/recommender.h>
#include <metarec/core/params.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace metarec {

/// What the selector and users know about an algorithm without running it.
struct AlgorithmCard {
  std::string family;             ///< "baseline", "neighbourhood", "factorization", ...
  bool explicit_feedback = true;  ///< can train on ratings
  bool implicit_feedback = true;  ///< can train on implicit feedback
  bool predicts_ratings = false;  ///< implements RatingPredictor
  std::vector<std::string>
      side_info;     ///< "genres", "item_text", "user_attributes", "timestamps", ...
  std::string cost;  ///< "trivial", "cheap", "moderate", "expensive"
  std::string description;
  std::string paper;
  std::vector<std::string> sources;  ///< the algorithm's own source files (for embeddings)
};

struct AlgorithmInfo {
  std::string name;
  AlgorithmCard card;
  ParamSchema schema;
  std::function<std::unique_ptr<Recommender>(const Params&)> make;
};

/// All algorithms, in a fixed order.
const std::vector<AlgorithmInfo>& catalog();
/// The entry named `name`; throws InvalidArgument listing the valid names.
const AlgorithmInfo& find_algorithm(const std::string& name);
const AlgorithmInfo* find_algorithm_or_null(const std::string& name);
/// Creates an unfitted model from "key=value" parameter strings (validated against the schema).
std::unique_ptr<Recommender> make_recommender(const std::string& name,
                                              const std::vector<std::string>& params = {});

}  // namespace metarec
