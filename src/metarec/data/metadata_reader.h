// Readers for item and user side-information files, driven by a card's "items", "tags" and
// "users" sections.
#pragma once

#include <metarec/data/delimited.h>
#include <metarec/data/id_map.h>
#include <metarec/data/metadata.h>

#include <nlohmann/json.hpp>
#include <string>

namespace metarec {

/// Reads an "items" section into `meta` for the items of `items` (rows of unknown items are
/// counted in meta.unmatched_rows). Paths are relative to `root`.
void read_item_meta(const nlohmann::json& spec, const std::string& root, const IdMap& items,
                    ItemMeta& meta, bool skip_bad_lines);
/// Reads a "tags" section: each row's tag is appended to the item's free text.
void read_item_tags(const nlohmann::json& spec, const std::string& root, const IdMap& items,
                    ItemMeta& meta, bool skip_bad_lines);
/// Reads an "item_vectors" section ({"path": FILE}): one line per item, the item id then
/// vector_dim numbers, separated by spaces or tabs; blank lines and lines starting with '#' are
/// skipped and the first data line sets the dimension. Lines of items not in `items` are counted
/// in meta.unmatched_rows (a vector file usually covers a whole catalogue). Throws
/// FormatError("path:line: reason") for a value that is not a finite number, a line of another
/// dimension, a repeated item or a file without data lines (a bad line is skipped and counted in
/// unmatched_rows instead when `skip_bad_lines`, except a file without data).
void read_item_vectors(const nlohmann::json& spec, const std::string& root, const IdMap& items,
                       ItemMeta& meta, bool skip_bad_lines);
/// Reads a "users" section of categorical attributes.
void read_user_meta(const nlohmann::json& spec, const std::string& root, const IdMap& users,
                    UserMeta& meta, bool skip_bad_lines);

/// A DelimitedFormat from the common keys of a card section (separator, header, quote).
DelimitedFormat format_from_json(const nlohmann::json& spec, const std::string& where);
/// Joins a card-relative path onto the data root.
std::string resolve_path(const std::string& root, const std::string& path);

}  // namespace metarec
