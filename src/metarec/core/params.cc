// Parsing and validation of declared parameters.
#include <metarec/core/error.h>
#include <metarec/core/params.h>

#include <charconv>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

namespace metarec {

namespace {

std::string fmt_number(double x) {
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  std::ostringstream os;
  os.precision(10);
  os << x;
  return os.str();
}

const ParamSpec* find_spec(const ParamSchema& schema, const std::string& name) {
  for (const auto& s : schema)
    if (s.name == name) return &s;
  return nullptr;
}

std::string valid_names(const ParamSchema& schema) {
  if (schema.empty()) return "it takes no parameters";
  std::string out = "valid parameters: ";
  for (size_t i = 0; i < schema.size(); ++i) {
    if (i) out += ", ";
    out += schema[i].name + " " + schema[i].range_text();
  }
  return out;
}

}  // namespace

ParamSpec ParamSpec::integer(std::string name, int64_t def, int64_t min, int64_t max,
                             std::string help) {
  ParamSpec s;
  s.name = std::move(name);
  s.type = ParamType::kInt;
  s.default_value = def;
  s.min = static_cast<double>(min);
  s.max = static_cast<double>(max);
  s.help = std::move(help);
  return s;
}

ParamSpec ParamSpec::real(std::string name, double def, double min, double max, std::string help,
                          bool min_exclusive) {
  ParamSpec s;
  s.name = std::move(name);
  s.type = ParamType::kFloat;
  s.default_value = def;
  s.min = min;
  s.max = max;
  s.min_exclusive = min_exclusive;
  s.help = std::move(help);
  return s;
}

ParamSpec ParamSpec::boolean(std::string name, bool def, std::string help) {
  ParamSpec s;
  s.name = std::move(name);
  s.type = ParamType::kBool;
  s.default_value = def;
  s.help = std::move(help);
  return s;
}

ParamSpec ParamSpec::choice(std::string name, std::string def, std::vector<std::string> choices,
                            std::string help) {
  ParamSpec s;
  s.name = std::move(name);
  s.type = ParamType::kChoice;
  s.default_value = std::move(def);
  s.choices = std::move(choices);
  s.help = std::move(help);
  return s;
}

ParamSpec ParamSpec::text(std::string name, std::string def, std::string help,
                          std::function<std::string(const std::string&)> check) {
  ParamSpec s;
  s.name = std::move(name);
  s.type = ParamType::kText;
  s.default_value = std::move(def);
  s.help = std::move(help);
  s.check = std::move(check);
  return s;
}

ParamSpec& ParamSpec::tune(double lo, double hi, bool log) {
  tuning.enabled = true;
  tuning.lo = lo;
  tuning.hi = hi;
  tuning.log = log;
  return *this;
}

ParamSpec& ParamSpec::tune(std::vector<std::string> c) {
  tuning.enabled = true;
  tuning.choices = std::move(c);
  return *this;
}

std::string ParamSpec::type_name() const {
  switch (type) {
    case ParamType::kInt:
      return "int";
    case ParamType::kFloat:
      return "float";
    case ParamType::kBool:
      return "bool";
    case ParamType::kChoice:
      return "choice";
    case ParamType::kText:
      return "text";
  }
  return "?";
}

std::string ParamSpec::range_text() const {
  switch (type) {
    case ParamType::kInt:
    case ParamType::kFloat:
      return (min_exclusive ? "(" : "[") + fmt_number(min) + ", " + fmt_number(max) + "]";
    case ParamType::kBool:
      return "true|false";
    case ParamType::kChoice: {
      std::string out = "{";
      for (size_t i = 0; i < choices.size(); ++i) out += (i ? ", " : "") + choices[i];
      return out + "}";
    }
    case ParamType::kText:
      return "text";
  }
  return "";
}

std::string param_value_text(const ParamValue& v) {
  if (auto p = std::get_if<int64_t>(&v)) return std::to_string(*p);
  if (auto p = std::get_if<double>(&v)) return fmt_number(*p);
  if (auto p = std::get_if<bool>(&v)) return *p ? "true" : "false";
  return std::get<std::string>(v);
}

void validate_param_value(const ParamSpec& spec, const ParamValue& v, const std::string& context) {
  const std::string where = context + ": parameter " + spec.name;
  switch (spec.type) {
    case ParamType::kInt: {
      const auto* p = std::get_if<int64_t>(&v);
      METAREC_CHECK(p, where, " must be an integer");
      METAREC_CHECK(*p >= spec.min && *p <= spec.max, where, "=", *p, " is out of range ",
                    spec.range_text());
      break;
    }
    case ParamType::kFloat: {
      const auto* p = std::get_if<double>(&v);
      METAREC_CHECK(p, where, " must be a number");
      METAREC_CHECK(std::isfinite(*p), where, " must be finite");
      const bool low_ok = spec.min_exclusive ? *p > spec.min : *p >= spec.min;
      METAREC_CHECK(low_ok && *p <= spec.max, where, "=", fmt_number(*p), " is out of range ",
                    spec.range_text());
      break;
    }
    case ParamType::kBool:
      METAREC_CHECK(std::holds_alternative<bool>(v), where, " must be true or false");
      break;
    case ParamType::kChoice: {
      const auto* p = std::get_if<std::string>(&v);
      METAREC_CHECK(p, where, " must be one of ", spec.range_text());
      bool found = false;
      for (const auto& c : spec.choices) found |= (c == *p);
      METAREC_CHECK(found, where, "=", *p, " is not one of ", spec.range_text());
      break;
    }
    case ParamType::kText: {
      const auto* p = std::get_if<std::string>(&v);
      METAREC_CHECK(p, where, " must be text");
      const std::string why = spec.check ? spec.check(*p) : std::string();
      METAREC_CHECK(why.empty(), where, "=", *p, ": ", why);
      break;
    }
  }
}

ParamValue parse_param_value(const ParamSpec& spec, const std::string& text,
                             const std::string& context) {
  const std::string where = context + ": parameter " + spec.name;
  switch (spec.type) {
    case ParamType::kInt: {
      int64_t v = 0;
      auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      METAREC_CHECK(ec == std::errc() && ptr == text.data() + text.size() && !text.empty(), where,
                    ": \"", text, "\" is not an integer");
      return v;
    }
    case ParamType::kFloat: {
      double v = 0;
      auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      METAREC_CHECK(ec == std::errc() && ptr == text.data() + text.size() && !text.empty(), where,
                    ": \"", text, "\" is not a number");
      return v;
    }
    case ParamType::kBool:
      if (text == "true" || text == "1" || text == "yes" || text == "on") return true;
      if (text == "false" || text == "0" || text == "no" || text == "off") return false;
      METAREC_THROW(InvalidArgument, where, ": \"", text, "\" is not true or false");
    case ParamType::kChoice:
    case ParamType::kText:
      return text;
  }
  return text;
}

Params::Params(const ParamSchema& schema, const std::map<std::string, ParamValue>& overrides) {
  for (const auto& [name, value] : overrides) {
    METAREC_CHECK(find_spec(schema, name), "unknown parameter \"", name, "\"; ",
                  valid_names(schema));
  }
  values_.reserve(schema.size());
  for (const auto& spec : schema) {
    auto it = overrides.find(spec.name);
    ParamValue v = it == overrides.end() ? spec.default_value : it->second;
    // An integer given where a float is declared is fine ("reg=1").
    if (spec.type == ParamType::kFloat && std::holds_alternative<int64_t>(v))
      v = static_cast<double>(std::get<int64_t>(v));
    validate_param_value(spec, v, "params");
    values_.emplace_back(spec.name, std::move(v));
  }
}

Params Params::parse(const ParamSchema& schema, const std::vector<std::string>& assignments,
                     const std::string& context) {
  std::map<std::string, ParamValue> overrides;
  for (const auto& a : assignments) {
    const auto eq = a.find('=');
    METAREC_CHECK(eq != std::string::npos && eq > 0, context, ": \"", a, "\" is not key=value; ",
                  valid_names(schema));
    const std::string key = a.substr(0, eq);
    const ParamSpec* spec = find_spec(schema, key);
    METAREC_CHECK(spec, context, ": unknown parameter \"", key, "\"; ", valid_names(schema));
    ParamValue v = parse_param_value(*spec, a.substr(eq + 1), context);
    validate_param_value(*spec, v, context);
    overrides[key] = std::move(v);
  }
  return Params(schema, overrides);
}

Params Params::from_json(const ParamSchema& schema, const nlohmann::json& j,
                         const std::string& context) {
  METAREC_CHECK(j.is_object(), context, ": parameters must be a JSON object");
  std::map<std::string, ParamValue> overrides;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const ParamSpec* spec = find_spec(schema, it.key());
    METAREC_CHECK(spec, context, ": unknown parameter \"", it.key(), "\"; ", valid_names(schema));
    const auto& v = it.value();
    ParamValue pv;
    if (v.is_boolean()) {
      pv = v.get<bool>();
    } else if (v.is_number_integer()) {
      pv = v.get<int64_t>();
    } else if (v.is_number()) {
      pv = v.get<double>();
    } else if (v.is_string()) {
      pv = parse_param_value(*spec, v.get<std::string>(), context);
    } else {
      METAREC_THROW(InvalidArgument, context, ": parameter ", it.key(),
                    " has an unsupported JSON type");
    }
    if (spec->type == ParamType::kFloat && std::holds_alternative<int64_t>(pv))
      pv = static_cast<double>(std::get<int64_t>(pv));
    validate_param_value(*spec, pv, context);
    overrides[it.key()] = std::move(pv);
  }
  return Params(schema, overrides);
}

nlohmann::json Params::to_json() const {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [name, v] : values_) {
    std::visit([&](const auto& x) { j[name] = x; }, v);
  }
  return j;
}

std::string Params::to_string() const {
  std::string out;
  for (const auto& [name, v] : values_) {
    if (!out.empty()) out += ",";
    out += name + "=" + param_value_text(v);
  }
  return out;
}

const ParamValue& Params::get(const std::string& name) const {
  for (const auto& [n, v] : values_)
    if (n == name) return v;
  METAREC_THROW(InvalidArgument, "no parameter named \"", name, "\"");
}

int64_t Params::get_int(const std::string& name) const { return std::get<int64_t>(get(name)); }
double Params::get_float(const std::string& name) const { return std::get<double>(get(name)); }
bool Params::get_bool(const std::string& name) const { return std::get<bool>(get(name)); }
const std::string& Params::get_string(const std::string& name) const {
  return std::get<std::string>(get(name));
}

std::function<std::string(const std::string&)> check_by_parsing(
    std::function<void(const std::string&)> parse) {
  return [parse = std::move(parse)](const std::string& text) -> std::string {
    try {
      parse(text);
    } catch (const InvalidArgument& e) {
      return e.what();
    }
    return "";
  };
}

}  // namespace metarec
