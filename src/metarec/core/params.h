// Algorithm parameters declared once (name, type, default, range, help, tuning range); the one
// declaration drives CLI and JSON parsing, validation, help text, model files and the tuner.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace metarec {

enum class ParamType { kInt, kFloat, kBool, kChoice, kText };

using ParamValue = std::variant<int64_t, double, bool, std::string>;

/// The range a tuner searches: [lo, hi] on a linear or log scale (numbers), or a subset of the
/// choices (kChoice). `enabled == false` means the tuner leaves the parameter at its default.
struct TuneRange {
  bool enabled = false;
  double lo = 0, hi = 0;
  bool log = false;
  std::vector<std::string> choices;
};

/// One parameter's declaration. Build with the static helpers:
///   ParamSpec::integer("factors", 64, 1, 4096, "latent dimensions").tune(8, 256, true)
struct ParamSpec {
  std::string name;
  ParamType type = ParamType::kInt;
  ParamValue default_value;
  double min = 0, max = 0;           // inclusive bounds for kInt and kFloat
  bool min_exclusive = false;        // e.g. learning rate > 0
  std::vector<std::string> choices;  // kChoice
  std::string help;
  /// kText: returns why a value is invalid, or "" when it is valid (no function: any text).
  std::function<std::string(const std::string&)> check;
  TuneRange tuning;

  static ParamSpec integer(std::string name, int64_t def, int64_t min, int64_t max,
                           std::string help);
  static ParamSpec real(std::string name, double def, double min, double max, std::string help,
                        bool min_exclusive = false);
  static ParamSpec boolean(std::string name, bool def, std::string help);
  static ParamSpec choice(std::string name, std::string def, std::vector<std::string> choices,
                          std::string help);
  /// Free text (e.g. a list of other algorithms), validated by `check`; never tuned.
  static ParamSpec text(std::string name, std::string def, std::string help,
                        std::function<std::string(const std::string&)> check);
  ParamSpec& tune(double lo, double hi, bool log = false);
  ParamSpec& tune(std::vector<std::string> choices);

  std::string type_name() const;
  /// "[1, 4096]", "(0, 1]", "{cosine, pearson}" or "true|false".
  std::string range_text() const;
};

using ParamSchema = std::vector<ParamSpec>;

std::string param_value_text(const ParamValue& v);

/// A full, validated set of values for one schema: every declared parameter has a value.
/// Immutable after construction; cheap to copy.
class Params {
 public:
  Params() = default;
  /// Defaults of `schema`, overridden by `overrides` (each validated).
  explicit Params(const ParamSchema& schema,
                  const std::map<std::string, ParamValue>& overrides = {});

  /// Parses "key=value" strings against `schema`. Unknown keys and invalid or out-of-range values
  /// throw InvalidArgument listing what is valid. `context` names the algorithm in messages.
  static Params parse(const ParamSchema& schema, const std::vector<std::string>& assignments,
                      const std::string& context);
  /// From a JSON object {key: value}; same validation.
  static Params from_json(const ParamSchema& schema, const nlohmann::json& j,
                          const std::string& context);
  nlohmann::json to_json() const;
  /// "k=v,k2=v2" in declaration order, stable: used in logs, keys and file names.
  std::string to_string() const;

  int64_t get_int(const std::string& name) const;
  double get_float(const std::string& name) const;
  bool get_bool(const std::string& name) const;
  const std::string& get_string(const std::string& name) const;
  const ParamValue& get(const std::string& name) const;
  const std::vector<std::pair<std::string, ParamValue>>& values() const { return values_; }

 private:
  std::vector<std::pair<std::string, ParamValue>> values_;  // schema order
};

/// Parses one textual value against its spec (used by Params::parse and the CLI).
ParamValue parse_param_value(const ParamSpec& spec, const std::string& text,
                             const std::string& context);
/// Throws InvalidArgument when `v` has the wrong type or is out of range.
void validate_param_value(const ParamSpec& spec, const ParamValue& v, const std::string& context);

/// The check of a text parameter (ParamSpec::text) from the parser that reads it: the message of
/// the InvalidArgument that parse(text) throws, or "" when it accepts the text.
///   ParamSpec::text("layers", "256,256", "...", check_by_parsing(parse_layers));
std::function<std::string(const std::string&)> check_by_parsing(
    std::function<void(const std::string&)> parse);

}  // namespace metarec
