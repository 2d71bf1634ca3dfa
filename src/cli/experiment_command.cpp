#include "experiment_command.h"

#include "progress.h"
#include "reff/device.h"
#include "reff/distributed/process_group.h"
#include "reff/error.h"
#include "reff/experiment/experiment_report.h"
#include "reff/report/html_report.h"
#include "run_options.h"
#include "stop_on_signal.h"

#include <filesystem>
#include <iostream>
#include <memory>
#include <stdexcept>

namespace reff::cli {
namespace {

struct ExperimentCommand {
  std::string table, preset = "cpu", out, device = "auto", selection = "shift-free";
  int64_t seeds = 1;
  bool retry_failed = false;

  void run() const {
    REFF_REQUIRE(seeds >= 1 && seeds <= 100, "--seeds", "must be in [1, 100]");
    experiment::ExperimentOptions options;
    options.table = experiment::parse_table(table);
    options.preset = experiment::experiment_preset(preset);
    options.preset.selection = parse_enum<experiment::Selection>("--selection", selection);
    options.seeds.clear();
    for (int64_t s = 0; s < seeds; ++s) options.seeds.push_back(static_cast<uint64_t>(s));
    options.dir = out;
    options.retry_failed = retry_failed;
    const bool writes = distributed::world().writes();  // rank 0 reports for all
    options.log = [writes](const std::string& line) {
      if (writes) std::cerr << line << "\n";
    };
    const auto on = parse_device(device);
    options.claimed = [&] {
      if (writes)
        std::cerr << "reff experiment " << table << ": preset " << preset << ", " << seeds
                  << " seed(s), " << selection << " selection, on " << on << ", in " << out
                  << " (finished cells are kept; rerun the same command to resume)\n";
    };

    Progress progress("cell", "steps");
    train::TrainCallbacks callbacks;
    const StopOnSignal stop_on_signal;
    callbacks.stop_requested = [] { return StopOnSignal::requested(); };
    callbacks.finished = [](const std::string& run_dir) { report::write_html_report(run_dir); };
    callbacks.progress = [&](int64_t done, int64_t total, const std::string& status) {
      if (!writes) return;
      if (done == 1) progress = Progress("cell", "steps");
      progress.update(done, total, status);
    };
    const auto results =
        experiment::run_experiment(options, experiment::training_runner(device, callbacks));
    if (!writes) return;
    experiment::write_report(results, out);
    const auto html = report::write_html_report(out);
    const auto cells = experiment::all_cells(results);
    int64_t failed = 0;
    for (const auto& [cell, outcome] : cells)
      failed += outcome.status != experiment::CellStatus::done;
    std::cout << table << ": " << results.cells_run << " cells run now, " << cells.size()
              << " in all, " << failed << " not done; report: "
              << (std::filesystem::path(out) / experiment::kReport).string() << " (+ "
              << experiment::kCellsCsv << ", " << experiment::kResultsJson << ", " << html << ")\n";
    if (failed > 0) {  // not bad input: exit status 1 (main.cpp)
      throw std::runtime_error(table + ": " + std::to_string(failed) +
                               " cell(s) failed or could not run: see the report");
    }
  }
};

}  // namespace

void add_experiment_command(CLI::App& app) {
  auto e = std::make_shared<ExperimentCommand>();
  auto* experiment =
      app.add_subcommand("experiment", "Rerun the paper's Table 2 or Table 3 and write a report");
  experiment->add_option("table", e->table, "table2 | table3")->required();
  experiment->add_option("--preset", e->preset, experiment::experiment_preset_names())
      ->capture_default_str();
  experiment->add_option("--seeds", e->seeds, "Seeds per cell (0, 1, ...)")->capture_default_str();
  experiment->add_option("--out", e->out, "Experiment folder")->required();
  experiment
      ->add_option("--selection", e->selection,
                   "Validation split that chooses lambda and each cell's best epoch: "
                   "shift-free (table2: balanced:1:1, as the spurious-correlation literature "
                   "selects) | in-distribution (the training distribution's, as the paper)")
      ->capture_default_str();
  experiment->add_flag("--retry-failed", e->retry_failed, "Run failed cells again");
  add_device_option(*experiment, e->device);
  experiment->callback([e] { e->run(); });
}

}  // namespace reff::cli
