// The metarec command-line tool: parses the subcommand, runs it, and turns exceptions into a
// one-line message and an exit code (2 for usage errors, 1 for runtime errors).
#include <metarec/core/error.h>
#include <metarec/core/process.h>

#include <iostream>
#include <string>

#include "cli.h"

int main(int argc, char** argv) {
  using namespace metarec;
  prepare_process(argv);
  CLI::App app{"metarec: which recommendation algorithm should this dataset use? (v" METAREC_VERSION
               ")",
               "metarec"};
  app.require_subcommand(1);
  app.set_version_flag("--version", METAREC_VERSION);
  cli::Globals g;
  cli::register_algorithms(app, g);
  cli::register_info(app, g);
  cli::register_split(app, g);
  cli::register_fit(app, g);
  cli::register_evaluate(app, g);
  cli::register_recommend(app, g);
  cli::register_compare(app, g);
  cli::register_benchmark(app, g);
  cli::register_report(app, g);
  cli::register_features(app, g);
  cli::register_embed(app, g);
  cli::register_meta(app, g);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  } catch (const InvalidArgument& e) {
    std::cerr << "metarec: " << e.what() << "\n";
    return 2;
  } catch (const Error& e) {
    std::cerr << "metarec: " << e.what() << "\n";
    return 1;
  } catch (const std::bad_alloc&) {
    std::cerr << "metarec: out of memory\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "metarec: internal error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
