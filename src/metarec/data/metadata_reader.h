// Readers for item and user side-information files, driven by a card's "items", "tags" and
// "users" sections.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include <metarec/data/delimited.h>
#include <metarec/data/id_map.h>
#include <metarec/data/metadata.h>

namespace metarec {

/// Reads an "items" section into `meta` for the items of `items` (rows of unknown items are
/// counted in meta.unmatched_rows). Paths are relative to `root`.
void read_item_meta(const nlohmann::json& spec, const std::string& root, const IdMap& items,
                    ItemMeta& meta, bool skip_bad_lines);
/// Reads a "tags" section: each row's tag is appended to the item's free text.
void read_item_tags(const nlohmann::json& spec, const std::string& root, const IdMap& items,
                    ItemMeta& meta, bool skip_bad_lines);
/// Reads a "users" section of categorical attributes.
void read_user_meta(const nlohmann::json& spec, const std::string& root, const IdMap& users,
                    UserMeta& meta, bool skip_bad_lines);

/// A DelimitedFormat from the common keys of a card section (separator, header, quote).
DelimitedFormat format_from_json(const nlohmann::json& spec, const std::string& where);
/// Joins a card-relative path onto the data root.
std::string resolve_path(const std::string& root, const std::string& path);

}  // namespace metarec
