// Leaderboards, CSV export and the HTML report with gnuplot charts.
#include <metarec/benchmark/report.h>
#include <metarec/core/atomic_file.h>
#include <metarec/core/error.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <set>
#include <sstream>

namespace metarec {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

bool failed_status(const std::string& s) { return s != "ok" && s != "incompatible"; }

bool is_real(const std::string& dataset) { return dataset.find('|') == std::string::npos; }

std::string num(double x, int precision = 6) {
  if (!std::isfinite(x)) return "";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g", precision, x);
  return buf;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// Error texts on one line, so every record of the export is one line.
std::string one_line(std::string s) {
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  return s;
}

std::string html(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// gnuplot string literal (single quotes: only '' needs escaping).
std::string gp(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

std::vector<OverallRow> overall_of(const std::vector<LeaderboardCell>& cells, bool real_only) {
  std::map<std::string, OverallRow> by;
  std::map<std::string, int> fit_n;
  std::vector<std::string> order;
  for (const auto& c : cells) {
    if (real_only && !is_real(c.dataset)) continue;
    auto [it, fresh] = by.try_emplace(c.algorithm);
    if (fresh) order.push_back(c.algorithm);
    OverallRow& r = it->second;
    r.algorithm = c.algorithm;
    ++r.datasets;
    r.mean_rank += c.rank;
    r.mean_distance += c.distance;
    if (c.first) ++r.wins;
    if (c.runs == 0) ++r.failures;
    if (c.runs > 0) {
      r.mean_fit_seconds += c.fit_seconds;
      ++fit_n[c.algorithm];
    }
  }
  std::vector<OverallRow> out;
  for (const auto& a : order) {
    OverallRow r = by[a];
    r.mean_rank /= r.datasets;
    r.mean_distance /= r.datasets;
    r.mean_fit_seconds = fit_n[a] ? r.mean_fit_seconds / fit_n[a] : kNaN;
    out.push_back(r);
  }
  std::stable_sort(out.begin(), out.end(), [](const OverallRow& a, const OverallRow& b) {
    return a.mean_rank < b.mean_rank;
  });
  return out;
}

}  // namespace

std::vector<const LeaderboardCell*> Report::dataset_cells(const std::string& dataset) const {
  std::vector<const LeaderboardCell*> out;
  for (const auto& c : cells)
    if (c.dataset == dataset) out.push_back(&c);
  return out;
}

Report build_report(const std::vector<JobRecord>& jobs, const std::string& metric) {
  Report rep;
  rep.metric = metric;
  rep.lower_is_better = metric.rfind("rmse", 0) == 0 || metric.rfind("mae", 0) == 0;
  struct Acc {
    std::vector<double> values, fits;
    int failures = 0;
  };
  std::map<std::string, std::map<std::string, Acc>> grid;
  std::map<std::string, std::vector<std::string>> alg_order;
  for (const auto& j : jobs) {
    if (j.status == "incompatible") continue;
    if (j.status == "ok" && std::isnan(j.metric(metric))) continue;  // metric not measured
    if (!grid.count(j.dataset)) rep.datasets.push_back(j.dataset);
    auto& row = grid[j.dataset];
    if (!row.count(j.algorithm)) alg_order[j.dataset].push_back(j.algorithm);
    Acc& a = row[j.algorithm];
    if (failed_status(j.status)) {
      ++a.failures;
    } else {
      a.values.push_back(j.metric(metric));
      a.fits.push_back(j.fit_seconds);
    }
  }
  for (const auto& d : rep.datasets) {
    std::vector<LeaderboardCell> cells;
    for (const auto& alg : alg_order[d]) {
      const Acc& a = grid[d][alg];
      LeaderboardCell c;
      c.dataset = d;
      c.algorithm = alg;
      c.runs = static_cast<int>(a.values.size());
      c.failures = a.failures;
      if (c.runs > 0) {
        double s = 0, f = 0;
        for (size_t k = 0; k < a.values.size(); ++k) s += a.values[k], f += a.fits[k];
        c.mean = s / c.runs;
        c.fit_seconds = f / c.runs;
        double ss = 0;
        for (double v : a.values) ss += (v - c.mean) * (v - c.mean);
        c.stddev = c.runs > 1 ? std::sqrt(ss / (c.runs - 1)) : 0;
      } else {
        c.mean = c.stddev = c.fit_seconds = kNaN;
      }
      cells.push_back(c);
    }
    // Best first; failed cells last.
    const bool lower = rep.lower_is_better;
    std::stable_sort(cells.begin(), cells.end(), [lower](const auto& a, const auto& b) {
      if (a.runs == 0 || b.runs == 0) return a.runs > 0 && b.runs == 0;
      return lower ? a.mean < b.mean : a.mean > b.mean;
    });
    double best = kNaN, worst = kNaN;
    for (const auto& c : cells) {
      if (c.runs == 0) continue;
      if (std::isnan(best)) best = c.mean;
      worst = c.mean;
    }
    for (size_t i = 0; i < cells.size();) {
      size_t j = i;
      while (j < cells.size() && cells[j].runs > 0 && cells[i].runs > 0 &&
             cells[j].mean == cells[i].mean)
        ++j;
      if (j == i) j = cells.size();  // the failed tail shares the last ranks
      const double shared = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2.0;
      for (size_t k = i; k < j; ++k) {
        cells[k].rank = cells[k].runs > 0 ? shared : static_cast<double>(cells.size());
        cells[k].first = i == 0 && cells[k].runs > 0;
        cells[k].distance = cells[k].runs == 0 ? 1.0
                            : best == worst
                                ? 0.0
                                : std::fabs(best - cells[k].mean) / std::fabs(best - worst);
      }
      i = j;
    }
    rep.cells.insert(rep.cells.end(), cells.begin(), cells.end());
  }
  rep.overall = overall_of(rep.cells, false);
  rep.overall_real = overall_of(rep.cells, true);
  return rep;
}

nlohmann::json Report::to_json() const {
  auto rows = [](const std::vector<OverallRow>& v) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& r : v)
      a.push_back({{"algorithm", r.algorithm},
                   {"datasets", r.datasets},
                   {"wins", r.wins},
                   {"mean_rank", r.mean_rank},
                   {"mean_distance", r.mean_distance},
                   {"mean_fit_seconds", std::isfinite(r.mean_fit_seconds)
                                            ? nlohmann::json(r.mean_fit_seconds)
                                            : nlohmann::json()},
                   {"failures", r.failures}});
    return a;
  };
  nlohmann::json cs = nlohmann::json::array();
  for (const auto& c : cells) {
    auto opt = [](double x) { return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(); };
    cs.push_back({{"dataset", c.dataset},
                  {"algorithm", c.algorithm},
                  {"mean", opt(c.mean)},
                  {"stddev", opt(c.stddev)},
                  {"runs", c.runs},
                  {"failures", c.failures},
                  {"rank", c.rank},
                  {"distance", c.distance},
                  {"fit_seconds", opt(c.fit_seconds)}});
  }
  return {{"metric", metric},
          {"lower_is_better", lower_is_better},
          {"datasets", datasets.size()},
          {"overall", rows(overall)},
          {"overall_real", rows(overall_real)},
          {"cells", cs}};
}

std::string export_csv(const std::vector<JobRecord>& jobs) {
  std::vector<std::string> metrics;
  std::set<std::string> seen;
  for (const auto& j : jobs)
    for (const auto& [m, v] : j.metrics)
      if (seen.insert(m).second) metrics.push_back(m);
  std::ostringstream os;
  os << "dataset,fingerprint,users,items,interactions,density,feedback,timestamps,split,seed,"
        "algorithm,params,status,error,fit_seconds,score_seconds,peak_mib";
  for (const auto& m : metrics) os << ',' << m;
  os << '\n';
  for (const auto& j : jobs) {
    if (j.status == "incompatible") continue;  // not a result; absence says the same
    const auto& i = j.dataset_info;
    auto get = [&](const char* k) { return i.contains(k) ? i[k].dump() : std::string(); };
    os << csv_field(j.dataset) << ',' << j.fingerprint << ',' << get("users") << ',' << get("items")
       << ',' << get("interactions") << ','
       << (i.contains("density") ? num(i["density"].get<double>(), 8) : "") << ','
       << (i.contains("feedback") ? i["feedback"].get<std::string>() : "") << ','
       << get("timestamps") << ',' << csv_field(j.split) << ',' << j.seed << ',' << j.algorithm
       << ',' << csv_field(j.params) << ',' << j.status << ',' << csv_field(one_line(j.error))
       << ',' << num(j.fit_seconds, 4) << ',' << num(j.score_seconds, 4) << ','
       << num(j.peak_mib, 4);
    for (const auto& m : metrics) os << ',' << num(j.metric(m), 6);
    os << '\n';
  }
  return os.str();
}

namespace {

bool have_gnuplot() { return std::system("command -v gnuplot >/dev/null 2>&1") == 0; }

// Runs gnuplot on `script` in `dir`; returns the SVG written to `svg`, or "" on failure.
std::string plot(const std::string& dir, const std::string& name, const std::string& script) {
  const std::string gp_path = dir + "/" + name + ".gp", svg = dir + "/" + name + ".svg";
  write_file_atomic(gp_path, script);
  const std::string cmd = "cd '" + dir + "' && gnuplot '" + name + ".gp' 2>'" + name + ".log'";
  if (std::system(cmd.c_str()) != 0) return "";
  try {
    std::string s = read_file(svg);
    const auto at = s.find("<svg");
    return at == std::string::npos ? "" : s.substr(at);
  } catch (const Error&) {
    return "";
  }
}

// A distinct (colour, filled shape) pair per series: gnuplot cycles 8 colours, so the shape
// changes every 8 series.
std::string style(size_t series, double size) {
  static const int shapes[] = {7, 5, 9, 11, 13};
  return "lc " + std::to_string(series % 8 + 1) + " pt " +
         std::to_string(shapes[(series / 8) % 5]) + " ps " + num(size, 2);
}

std::string table_html(const std::vector<OverallRow>& rows) {
  std::ostringstream o;
  o << "<table><tr><th>algorithm</th><th>mean rank</th><th>wins</th><th>mean distance from "
       "best</th>"
       "<th>datasets</th><th>all seeds failed</th><th>mean fit s</th></tr>\n";
  for (const auto& r : rows)
    o << "<tr><td>" << html(r.algorithm) << "</td><td>" << num(r.mean_rank, 4) << "</td><td>"
      << r.wins << "</td><td>" << num(r.mean_distance, 3) << "</td><td>" << r.datasets
      << "</td><td>" << r.failures << "</td><td>" << num(r.mean_fit_seconds, 3) << "</td></tr>\n";
  return o.str() + "</table>\n";
}

}  // namespace

std::vector<std::string> write_report(const Report& rep, const std::vector<JobRecord>& jobs,
                                      const std::string& dir) {
  std::filesystem::create_directories(dir);
  std::vector<std::string> written;
  {
    std::ostringstream o;
    o << "dataset,algorithm,mean,stddev,runs,failures,rank,distance,fit_seconds\n";
    for (const auto& c : rep.cells)
      o << csv_field(c.dataset) << ',' << c.algorithm << ',' << num(c.mean) << ',' << num(c.stddev)
        << ',' << c.runs << ',' << c.failures << ',' << num(c.rank) << ',' << num(c.distance) << ','
        << num(c.fit_seconds, 4) << '\n';
    write_file_atomic(dir + "/leaderboard.csv", o.str());
    written.push_back(dir + "/leaderboard.csv");
  }
  {
    std::ostringstream o;
    o << "scope,algorithm,mean_rank,wins,mean_distance,datasets,failures,mean_fit_seconds\n";
    for (const auto* scope : {&rep.overall, &rep.overall_real})
      for (const auto& r : *scope)
        o << (scope == &rep.overall ? "all" : "real") << ',' << r.algorithm << ','
          << num(r.mean_rank) << ',' << r.wins << ',' << num(r.mean_distance) << ',' << r.datasets
          << ',' << r.failures << ',' << num(r.mean_fit_seconds, 4) << '\n';
    write_file_atomic(dir + "/overall.csv", o.str());
    written.push_back(dir + "/overall.csv");
  }
  write_file_atomic(dir + "/report.json", rep.to_json().dump(1) + "\n");
  written.push_back(dir + "/report.json");

  // Charts.
  std::vector<std::pair<std::string, std::string>> charts;  // title, svg
  const bool gnuplot = have_gnuplot();
  std::vector<std::string> algs;
  for (const auto& r : rep.overall) algs.push_back(r.algorithm);
  std::vector<std::string> real;
  for (const auto& d : rep.datasets)
    if (is_real(d)) real.push_back(d);
  if (gnuplot && !algs.empty()) {
    // The charts' gnuplot scripts and data stay beside the report, to re-plot or restyle.
    const std::string t = dir + "/charts";
    std::filesystem::create_directories(t);
    const std::string head =
        "set terminal svg size %W%,%H% dynamic noenhanced font 'sans,10' background '#ffffff'\n"
        "set output '%N%.svg'\nset datafile missing 'NaN'\n";
    auto header = [&](const std::string& name, int w, int h) {
      std::string s = head;
      for (auto [k, v] : {std::pair<std::string, std::string>{"%W%", std::to_string(w)},
                          {"%H%", std::to_string(h)},
                          {"%N%", name}})
        s.replace(s.find(k), k.size(), v);
      return s;
    };
    // 1. Metric against fit time, one point per (dataset, algorithm).
    {
      std::ostringstream data, cmd;
      for (size_t a = 0; a < algs.size(); ++a) {
        for (const auto& c : rep.cells)
          if (c.algorithm == algs[a] && c.runs > 0)
            data << std::max(c.fit_seconds, 1e-4) << ' ' << c.mean << '\n';
        data << "\n\n";
      }
      write_file_atomic(t + "/time.dat", data.str());
      cmd << header("time", 900, 560)
          << "set logscale x\nset xlabel 'fit seconds (log)'\nset ylabel " << gp(rep.metric)
          << "\nset key outside right\nset grid\nplot ";
      for (size_t a = 0; a < algs.size(); ++a)
        cmd << (a ? ", " : "") << "'time.dat' index " << a << " using 1:2 with points "
            << style(a, 0.5) << " title " << gp(algs[a]);
      cmd << "\n";
      charts.emplace_back(rep.metric + " against fit time (one point per dataset and algorithm)",
                          plot(t, "time", cmd.str()));
    }
    // 2. Rank heatmaps: real datasets (labelled), then all datasets.
    auto heatmap = [&](const std::string& name, const std::vector<std::string>& ds, bool labels) {
      std::map<std::pair<std::string, std::string>, double> rank;
      for (const auto& c : rep.cells) rank[{c.dataset, c.algorithm}] = c.rank;
      std::ostringstream data, cmd;
      for (size_t a = 0; a < algs.size(); ++a) {
        for (size_t d = 0; d < ds.size(); ++d) {
          auto it = rank.find({ds[d], algs[a]});
          data << (d ? " " : "") << (it == rank.end() ? std::string("NaN") : num(it->second));
        }
        data << '\n';
      }
      write_file_atomic(t + "/" + name + ".dat", data.str());
      const int w =
          std::max(600, std::min(2400, 160 + static_cast<int>(ds.size()) * (labels ? 22 : 6)));
      cmd << header(name, w, 200 + 18 * static_cast<int>(algs.size()) + (labels ? 160 : 0))
          << "set palette defined (0 '#1a9850', 0.5 '#fee08b', 1 '#d73027')\nset cblabel 'rank (1 "
             "= best)'\n"
          << "set yrange [-0.5:" << algs.size() - 0.5
          << "] reverse\nset xrange [-0.5:" << ds.size() - 0.5 << "]\nset ytics (";
      for (size_t a = 0; a < algs.size(); ++a) cmd << (a ? ", " : "") << gp(algs[a]) << ' ' << a;
      cmd << ")\n";
      if (labels) {
        cmd << "set bmargin 14\nset xtics rotate by -55 left (";
        for (size_t d = 0; d < ds.size(); ++d) cmd << (d ? ", " : "") << gp(ds[d]) << ' ' << d;
        cmd << ")\n";
      } else {
        cmd << "set xlabel 'datasets (" << ds.size() << ", in recorded order)'\nunset xtics\n";
      }
      cmd << "plot '" << name << ".dat' matrix with image pixels notitle\n";
      return plot(t, name, cmd.str());
    };
    if (!real.empty())
      charts.emplace_back("Rank of each algorithm on each real dataset",
                          heatmap("heat_real", real, true));
    charts.emplace_back("Rank of each algorithm on every dataset (real and derived)",
                        heatmap("heat_all", rep.datasets, false));
    // 3. Score distributions per real dataset.
    if (!real.empty()) {
      std::ostringstream data, cmd;
      for (size_t a = 0; a < algs.size(); ++a) {
        for (size_t d = 0; d < real.size(); ++d)
          for (const auto& c : rep.cells)
            if (c.dataset == real[d] && c.algorithm == algs[a] && c.runs > 0)
              data << d << ' ' << c.mean << '\n';
        data << "\n\n";
      }
      write_file_atomic(t + "/dist.dat", data.str());
      cmd << header("dist", std::max(700, 160 + 30 * static_cast<int>(real.size())), 620)
          << "set ylabel " << gp(rep.metric)
          << "\nset key outside right\nset grid ytics\nset xrange [-0.5:" << real.size() - 0.5
          << "]\nset bmargin 14\nset xtics rotate by -55 left (";
      for (size_t d = 0; d < real.size(); ++d) cmd << (d ? ", " : "") << gp(real[d]) << ' ' << d;
      cmd << ")\nplot ";
      for (size_t a = 0; a < algs.size(); ++a)
        cmd << (a ? ", " : "") << "'dist.dat' index " << a << " using 1:2 with points "
            << style(a, 0.7) << " title " << gp(algs[a]);
      cmd << "\n";
      charts.emplace_back("Scores of all algorithms on each real dataset",
                          plot(t, "dist", cmd.str()));
    }
  }

  std::ostringstream o;
  o << "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>metarec knowledge base report"
       "</title>\n<style>body{font-family:sans-serif;margin:2em;max-width:1400px}"
       "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:2px 8px;"
       "text-align:right}td:first-child,th:first-child{text-align:left}svg{max-width:100%;height:"
       "auto}"
       "h3{margin-top:1.5em}</style></head><body>\n"
    << "<h1>metarec knowledge base</h1>\n<p>" << jobs.size() << " jobs, " << rep.datasets.size()
    << " datasets (" << real.size() << " real), metric <b>" << html(rep.metric) << "</b> ("
    << (rep.lower_is_better ? "lower" : "higher")
    << " is better). Ranks per dataset, 1 = best; an algorithm whose every job failed on a dataset "
       "ranks last there; distance = |best - score| / |best - worst|.</p>\n"
    << "<h2>Overall, all datasets</h2>\n"
    << table_html(rep.overall) << "<h2>Overall, real datasets</h2>\n"
    << table_html(rep.overall_real);
  if (!gnuplot) o << "<p><i>Charts skipped: gnuplot is not installed.</i></p>\n";
  for (const auto& [title, svg] : charts)
    o << "<h2>" << html(title) << "</h2>\n"
      << (svg.empty() ? "<p><i>gnuplot failed</i></p>" : svg) << "\n";
  o << "<h2>Top 3 per real "
       "dataset</h2>\n<table><tr><th>dataset</th><th>1st</th><th>2nd</th><th>3rd</th></tr>\n";
  for (const auto& d : real) {
    o << "<tr><td>" << html(d) << "</td>";
    const auto cs = rep.dataset_cells(d);
    for (size_t k = 0; k < 3; ++k)
      o << "<td>"
        << (k < cs.size() && cs[k]->runs > 0 ? html(cs[k]->algorithm) + " " + num(cs[k]->mean, 4)
                                             : "")
        << "</td>";
    o << "</tr>\n";
  }
  o << "</table>\n</body></html>\n";
  write_file_atomic(dir + "/report.html", o.str());
  written.push_back(dir + "/report.html");
  return written;
}

}  // namespace metarec
