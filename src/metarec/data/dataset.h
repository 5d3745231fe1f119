// Loading a dataset by name: dataset cards (small JSON files naming a dataset's files, format and
// metadata), the built-in cards for the public datasets, plain files and the synthetic generator.
#pragma once

#include <metarec/data/delimited.h>
#include <metarec/data/interactions.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace metarec {

/// A parsed, validated dataset card. See docs/datasets.md for the schema.
struct DatasetCard {
  std::string name;
  std::string source;  ///< "built-in" or the card file's path
  nlohmann::json json;

  /// Validates the schema (required keys, known keys, types); throws FormatError naming `source`.
  static DatasetCard parse(const nlohmann::json& j, const std::string& source);
  static DatasetCard read(const std::string& path);
  /// Names of the given splits the card declares ("u1", ...).
  std::vector<std::string> split_names() const;
};

/// The cards compiled into metarec (from cards/*.json), sorted by name.
const std::vector<DatasetCard>& builtin_cards();
std::optional<DatasetCard> find_builtin_card(const std::string& name);

struct LoadOptions {
  std::string data_root;  ///< where card paths are relative to; empty: default_data_root()
  bool skip_bad_lines = false;
  std::string duplicates;  ///< override the card's policy ("" keeps it)
  std::string feedback;    ///< override: "explicit" or "implicit" ("" keeps the card's)
  bool load_metadata = true;
};

struct LoadedDataset {
  Interactions data;
  LoadReport load;
  BuildReport build;
  std::string spec;  ///< what was asked for
  /// For a given split: 0 for entries of the train file, 1 for the test file.
  std::vector<uint8_t> parts;
};

/// METAREC_DATA if set, else ../shared/data next to the source tree when it exists, else ".".
std::string default_data_root();

/// Loads `spec`: "synthetic:key=value,...", a built-in card name ("ml-100k"), a card file
/// ("my.json"), or a delimited file whose format is sniffed ("ratings.csv"). For a card with given
/// splits, "name:split" (e.g. "ml-100k:u1") loads train+test with `parts` set.
LoadedDataset load_dataset(const std::string& spec, const LoadOptions& opts = {});
LoadedDataset load_card(const DatasetCard& card, const LoadOptions& opts,
                        const std::string& given_split = "");

/// Guesses separator, header and columns of a delimited file from its first lines.
DelimitedFormat sniff_format(const std::string& path);

}  // namespace metarec
