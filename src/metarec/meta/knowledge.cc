// Reading the knowledge base's CSV exports into per-dataset features and scores.
#include <metarec/core/atomic_file.h>
#include <metarec/core/error.h>
#include <metarec/data/delimited.h>
#include <metarec/meta/knowledge.h>

#include <cmath>
#include <limits>
#include <map>

namespace metarec {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double to_double(const std::string& s, const std::string& path, long line, const std::string& col) {
  if (s.empty()) return kNaN;
  try {
    size_t used = 0;
    const double v = std::stod(s, &used);
    if (used == s.size()) return v;
  } catch (const std::exception&) {
  }
  throw FormatError(path, line, col + " \"" + s + "\" is not a number");
}

}  // namespace

int CsvTable::column(const std::string& name) const {
  for (size_t c = 0; c < header.size(); ++c)
    if (header[c] == name) return static_cast<int>(c);
  return -1;
}

CsvTable read_csv(const std::string& path) {
  const std::string text = read_file(path);
  CsvTable t;
  DelimitedFormat fmt;
  fmt.separator = ",";
  std::vector<std::string_view> fields;
  std::vector<std::string> scratch;
  for_each_line(text, [&](int64_t line, std::string_view l) {
    if (l.empty()) return;
    split_fields(l, fmt, fields, scratch);
    std::vector<std::string> row(fields.begin(), fields.end());
    if (t.header.empty()) {
      t.header = std::move(row);
      return;
    }
    if (row.size() != t.header.size())
      throw FormatError(path, static_cast<long>(line),
                        std::to_string(row.size()) + " fields, the header has " +
                            std::to_string(t.header.size()));
    t.rows.push_back(std::move(row));
    t.lines.push_back(static_cast<long>(line));
  });
  if (t.header.empty()) throw FormatError(path, 0, "empty file");
  return t;
}

int Knowledge::best(size_t d) const {
  int b = -1;
  const auto& s = datasets[d].scores;
  for (size_t a = 0; a < s.size(); ++a) {
    if (std::isnan(s[a])) continue;
    if (b < 0 ||
        (lower_is_better ? s[a] < s[static_cast<size_t>(b)] : s[a] > s[static_cast<size_t>(b)]))
      b = static_cast<int>(a);
  }
  return b;
}

double Knowledge::distance(size_t d, int a) const {
  const auto& ds = datasets[d];
  if (a < 0 || !ds.eligible[static_cast<size_t>(a)]) return kNaN;
  const double s = ds.scores[static_cast<size_t>(a)];
  if (std::isnan(s)) return 1.0;
  double best_v = kNaN, worst_v = kNaN;
  for (double v : ds.scores) {
    if (std::isnan(v)) continue;
    if (std::isnan(best_v) || (lower_is_better ? v < best_v : v > best_v)) best_v = v;
    if (std::isnan(worst_v) || (lower_is_better ? v > worst_v : v < worst_v)) worst_v = v;
  }
  return best_v == worst_v ? 0.0 : std::fabs(best_v - s) / std::fabs(best_v - worst_v);
}

std::vector<std::pair<std::string, std::vector<size_t>>> Knowledge::families() const {
  std::vector<std::pair<std::string, std::vector<size_t>>> out;
  std::map<std::string, size_t> at;
  for (size_t d = 0; d < datasets.size(); ++d) {
    auto [it, fresh] = at.try_emplace(datasets[d].family, out.size());
    if (fresh) out.push_back({datasets[d].family, {}});
    out[it->second].second.push_back(d);
  }
  return out;
}

std::vector<double> Knowledge::family_weights(const std::vector<size_t>& train) const {
  std::map<std::string, double> count;
  for (size_t d : train) count[datasets[d].family] += 1;
  std::vector<double> w(datasets.size(), 0.0);
  for (size_t d : train) w[d] = 1.0 / count[datasets[d].family];
  return w;
}

Knowledge load_knowledge(const std::string& results_csv, const std::string& features_csv,
                         const std::string& metric) {
  Knowledge k;
  k.metric = metric;
  k.lower_is_better = metric.rfind("rmse", 0) == 0 || metric.rfind("mae", 0) == 0;
  const CsvTable feats = read_csv(features_csv);
  if (feats.column("dataset") != 0)
    throw FormatError(features_csv, 1, "the first column must be \"dataset\"");
  k.feature_names.assign(feats.header.begin() + 1, feats.header.end());
  std::map<std::string, std::vector<double>> features;
  for (size_t r = 0; r < feats.rows.size(); ++r) {
    std::vector<double> v;
    for (size_t c = 1; c < feats.header.size(); ++c)
      v.push_back(to_double(feats.rows[r][c], features_csv, feats.lines[r], feats.header[c]));
    features[feats.rows[r][0]] = std::move(v);
  }
  const CsvTable res = read_csv(results_csv);
  const int c_dataset = res.column("dataset"), c_alg = res.column("algorithm"),
            c_status = res.column("status"), c_metric = res.column(metric);
  if (c_dataset < 0 || c_alg < 0 || c_status < 0)
    throw FormatError(results_csv, 1, "needs the columns dataset, algorithm and status");
  if (c_metric < 0) throw FormatError(results_csv, 1, "has no column \"" + metric + "\"");
  struct Acc {
    double sum = 0;
    int n = 0;
    bool eligible = false;
  };
  std::map<std::string, std::map<std::string, Acc>> acc;
  std::vector<std::string> order;
  std::map<std::string, size_t> alg_at;
  for (size_t r = 0; r < res.rows.size(); ++r) {
    const auto& row = res.rows[r];
    const std::string& d = row[static_cast<size_t>(c_dataset)];
    const std::string& a = row[static_cast<size_t>(c_alg)];
    const std::string& st = row[static_cast<size_t>(c_status)];
    if (!alg_at.count(a)) {
      alg_at[a] = k.algorithms.size();
      k.algorithms.push_back(a);
    }
    if (!acc.count(d)) order.push_back(d);
    Acc& x = acc[d][a];
    if (st == "incompatible") continue;
    x.eligible = true;
    if (st != "ok") continue;
    const double v =
        to_double(row[static_cast<size_t>(c_metric)], results_csv, res.lines[r], metric);
    if (std::isnan(v)) continue;
    x.sum += v;
    ++x.n;
  }
  for (const auto& d : order) {
    auto f = features.find(d);
    if (f == features.end()) continue;
    KnowledgeDataset kd;
    kd.name = d;
    kd.family = d.substr(0, d.find('|'));
    kd.features = f->second;
    bool any = false;
    for (const auto& a : k.algorithms) {
      auto it = acc[d].find(a);
      const bool eligible = it != acc[d].end() && it->second.eligible;
      const double s = eligible && it->second.n > 0 ? it->second.sum / it->second.n : kNaN;
      kd.eligible.push_back(eligible);
      kd.scores.push_back(s);
      any = any || !std::isnan(s);
    }
    if (any) k.datasets.push_back(std::move(kd));
  }
  return k;
}

}  // namespace metarec
