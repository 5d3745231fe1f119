// NCF evaluation file readers.
#include <metarec/core/error.h>
#include <metarec/core/mapped_file.h>
#include <metarec/data/ncf.h>

namespace metarec {

DelimitedFormat ncf_rating_format() {
  DelimitedFormat f;
  f.separator = "\t";
  f.quote = 0;
  f.user = ColumnRef::at(0);
  f.item = ColumnRef::at(1);
  f.rating = ColumnRef::at(2);
  f.time = ColumnRef::at(3);
  return f;
}

std::vector<SampledCase> read_ncf_negatives(const std::string& path, const IdMap& users,
                                            const IdMap& items) {
  MappedFile file(path);
  std::vector<SampledCase> out;
  DelimitedFormat fmt;
  fmt.separator = "\t";
  fmt.quote = 0;
  std::vector<std::string_view> fields;
  std::vector<std::string> scratch;
  for_each_line(file.view(), [&](int64_t line_no, std::string_view line) {
    if (line.empty()) return;
    split_fields(line, fmt, fields, scratch);
    const std::string_view head = fields[0];
    const size_t comma = head.find(',');
    if (head.size() < 5 || head.front() != '(' || head.back() != ')' ||
        comma == std::string_view::npos)
      throw FormatError(path, line_no,
                        "first field must be (user,item), got \"" + std::string(head) + "\"");
    if (fields.size() < 2) throw FormatError(path, line_no, "no negatives on the line");
    const std::string_view us = head.substr(1, comma - 1),
                           is = head.substr(comma + 1, head.size() - comma - 2);
    auto u = users.find(us);
    auto i = items.find(is);
    if (!u)
      throw FormatError(path, line_no, "user \"" + std::string(us) + "\" is not in the dataset");
    if (!i)
      throw FormatError(path, line_no, "item \"" + std::string(is) + "\" is not in the dataset");
    SampledCase c{*u, *i, {}};
    for (size_t k = 1; k < fields.size(); ++k) {
      if (fields[k].empty()) continue;
      auto n = items.find(fields[k]);
      if (!n)
        throw FormatError(path, line_no,
                          "negative item \"" + std::string(fields[k]) + "\" is not in the dataset");
      c.negatives.push_back(*n);
    }
    out.push_back(std::move(c));
  });
  if (out.empty()) throw FormatError(path, 0, "the file has no cases");
  return out;
}

}  // namespace metarec
