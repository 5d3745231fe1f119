// `metarec fit ALGO DATA -p key=value -o MODEL`: train on all of DATA and save the model.
#include <metarec/algorithms/catalog.h>

#include <chrono>
#include <iostream>

#include "cli.h"

namespace metarec::cli {

void register_fit(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("fit", "Train an algorithm on a dataset and save the model");
  static std::string algo, spec, out;
  static std::vector<std::string> params;
  cmd->add_option("algorithm", algo, "Algorithm (see `metarec algorithms`)")->required();
  cmd->add_option("data", spec, "Dataset (see `metarec info`)")->required();
  cmd->add_option("-p,--param", params, "Parameter key=value (repeatable)");
  cmd->add_option("-o,--out", out, "Model file to write (safetensors layout)")->required();
  add_data_options(cmd, g);
  add_run_options(cmd, g);
  cmd->callback([&g] {
    auto model = make_recommender(algo, params);  // validates parameters before loading data
    LoadedDataset d = load(spec, g);
    Progress bar("fit " + algo, !g.quiet);
    FitContext ctx;
    ctx.seed = g.seed;
    ctx.threads = g.threads;
    ctx.progress = bar.callback();
    const auto t0 = std::chrono::steady_clock::now();
    model->fit(d.data, ctx);
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    bar.done();
    model->save(out);
    nlohmann::json j = {{"algorithm", algo},           {"params", model->params().to_json()},
                        {"dataset", d.spec},           {"users", d.data.num_users()},
                        {"items", d.data.num_items()}, {"interactions", d.data.nnz()},
                        {"fit_seconds", secs},         {"model", out}};
    if (g.json) return print_json(j);
    std::cout << "Trained " << algo << " (" << model->params().to_string() << ") on " << d.spec
              << " (" << human_count(d.data.nnz()) << " interactions) in " << fmt(secs, 2)
              << " s\nSaved " << out << "\n";
  });
}

}  // namespace metarec::cli
