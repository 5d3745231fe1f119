// `metarec embed`: the catalog's algorithm embeddings, each algorithm's nearest neighbours by
// cosine similarity, and the similarity heatmap drawn by gnuplot.
#include <metarec/core/error.h>
#include <metarec/meta/embed.h>
#include <metarec/meta/selectors.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "cli.h"

namespace metarec::cli {

namespace {

// A gnuplot single-quoted string: only the quote itself needs escaping, by doubling it.
std::string gnuplot_quote(const std::string& s) {
  std::string q = "'";
  for (const char c : s) q += c == '\'' ? std::string("''") : std::string(1, c);
  return q + "'";
}

std::string heatmap_script(const std::vector<AlgorithmEmbedding>& e,
                           const std::vector<std::vector<double>>& s, const std::string& title,
                           const std::string& path) {
  const size_t n = e.size();
  double lo = 0;
  for (const auto& row : s)
    for (const double x : row) lo = std::min(lo, x);
  const int side = 200 + 18 * static_cast<int>(n);
  std::ostringstream g;
  g << "set terminal svg size " << side + 120 << "," << side << " noenhanced font 'sans,10'\n"
    << "set output " << gnuplot_quote(path) << "\n"
    << "set title " << gnuplot_quote(title) << "\n"
    << "unset key\nset size ratio -1\nset tics scale 0\n"
    << "set xrange [-0.5:" << n - 0.5 << "]\nset yrange [" << n - 0.5 << ":-0.5]\n"
    << "set cbrange [" << lo << ":1]\nset cblabel 'cosine similarity'\n"
    << "set palette defined (0 '#ffffff', 0.5 '#6baed6', 1 '#08306b')\n";
  std::ostringstream tics;
  for (size_t i = 0; i < n; ++i) tics << (i ? ", " : "") << gnuplot_quote(e[i].name) << " " << i;
  g << "set xtics (" << tics.str() << ") rotate by 90 right\n"
    << "set ytics (" << tics.str() << ")\n"
    << "$M << EOD\n";
  for (const auto& row : s) {
    for (size_t j = 0; j < n; ++j) g << (j ? " " : "") << fmt(row[j], 5);
    g << "\n";
  }
  g << "EOD\nplot $M matrix with image pixels\n";
  return g.str();
}

void write_heatmap(const std::string& script, const std::string& path) {
  FILE* p = popen("gnuplot", "w");
  if (!p) METAREC_THROW(IoError, "cannot start gnuplot to draw ", path);
  fwrite(script.data(), 1, script.size(), p);
  const int status = pclose(p);
  if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    METAREC_THROW(
        IoError, "gnuplot failed to write ", path,
        WIFEXITED(status) && WEXITSTATUS(status) == 127 ? " (gnuplot is not installed)" : "");
  if (!std::filesystem::exists(path)) METAREC_THROW(IoError, "gnuplot did not write ", path);
}

}  // namespace

void register_embed(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand(
      "embed",
      "Algorithm embeddings from each algorithm's card and source files, and their "
      "nearest neighbours by cosine similarity");
  static std::string source_root = METAREC_SOURCE_DIR;
  static std::string heatmap;
  static int k = 3;
  static bool vectors = false;
  cmd->add_flag("--json", g.json, "Print JSON: names, neighbours and the similarity matrix");
  cmd->add_flag("--vectors", vectors, "With --json, include the embedding vectors");
  cmd->add_option("--heatmap", heatmap, "Write the cosine-similarity heatmap as SVG (gnuplot)");
  cmd->add_option("-k,--neighbours", k, "Nearest neighbours listed per algorithm")
      ->check(CLI::NonNegativeNumber);
  static int study = 0;
  cmd->add_option("--similarity-study", study,
                  "Instead: how far each similarity function of the seed's study agrees with "
                  "cosine on the embeddings (mean top-K overlap, Spearman); give K");
  cmd->add_option("--source-root", source_root,
                  "Repository root that the catalog's source paths are relative to")
      ->capture_default_str();
  cmd->callback([&g] {
    HashedTfIdfEncoder encoder;
    const std::vector<AlgorithmEmbedding> e = embed_catalog(encoder, source_root);
    const auto s = similarity_matrix(e);
    const int n = static_cast<int>(e.size());
    if (study > 0) {
      nn::Matrix m(n, encoder.dim());
      for (int i = 0; i < n; ++i)
        for (int c = 0; c < encoder.dim(); ++c)
          m(i, c) = e[static_cast<size_t>(i)].vector[static_cast<size_t>(c)];
      const auto rows = similarity_study(m, m, study, true);
      if (g.json) {
        nlohmann::json j = nlohmann::json::array();
        for (const auto& r : rows)
          j.push_back(
              {{"similarity", r.similarity}, {"overlap", r.overlap}, {"spearman", r.spearman}});
        return print_json(j);
      }
      std::cout << "Agreement with cosine over the " << n
                << " algorithm embeddings (each as the query, "
                << "the others ranked), top " << study << ":\n";
      Table t({"similarity", "top-" + std::to_string(study) + " overlap", "Spearman"});
      for (const auto& r : rows) t.add({r.similarity, fmt(r.overlap, 3), fmt(r.spearman, 3)});
      std::cout << t.str();
      return;
    }
    if (!heatmap.empty())
      write_heatmap(
          heatmap_script(e, s,
                         "metarec algorithm embeddings (" + encoder.name() + "), cosine similarity",
                         heatmap),
          heatmap);
    if (g.json) {
      nlohmann::json j = {{"encoder", encoder.name()}, {"dim", encoder.dim()}};
      nlohmann::json algorithms = nlohmann::json::array();
      for (int i = 0; i < n; ++i) {
        nlohmann::json nb = nlohmann::json::array();
        for (const int o : nearest_neighbours(s, i, k))
          nb.push_back({{"name", e[o].name}, {"cosine", s[i][o]}});
        nlohmann::json a = {{"name", e[i].name}, {"neighbours", nb}};
        if (vectors) a["vector"] = e[i].vector;
        algorithms.push_back(a);
      }
      j["algorithms"] = algorithms;
      j["similarity"] = s;
      if (!heatmap.empty()) j["heatmap"] = heatmap;
      return print_json(j);
    }
    std::vector<std::string> header = {"algorithm", "family"};
    for (int r = 1; r <= k; ++r) header.push_back("nearest " + std::to_string(r));
    Table t(header);
    for (int i = 0; i < n; ++i) {
      std::vector<std::string> row = {e[i].name, find_algorithm(e[i].name).card.family};
      for (const int o : nearest_neighbours(s, i, k))
        row.push_back(e[o].name + " " + fmt(s[i][o], 2));
      while (static_cast<int>(row.size()) < k + 2) row.push_back("-");
      t.add(row);
    }
    std::cout << encoder.name() << ": " << n << " algorithms, " << encoder.dim()
              << " dimensions, cosine similarity of the nearest others\n\n"
              << t.str();
    if (!heatmap.empty()) std::cout << "\nheatmap: " << heatmap << "\n";
  });
}

}  // namespace metarec::cli
