// Runs an experiment's cells (experiment_plan.h) in DIR/runs/<cell id>/, resumably: a cell whose
// folder holds cell.json has finished, done or failed, and is not run again (failed ones are with
// retry_failed); a cell that was interrupted continues from its checkpoint; a cell that fails is
// recorded as failed with its error, and the experiment goes on. A stop request (SIGINT) ends the
// experiment with train::TrainingInterrupted after the running cell's checkpoint.
#pragma once

#include "reff/experiment/experiment_plan.h"
#include "reff/train/trainer.h"

#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace reff::experiment {

constexpr const char* kCellFile = "cell.json";
constexpr const char* kExperimentFile = "experiment.json";
constexpr const char* kAnnotationsPicture = "pseudo-annotations.png";

enum class CellStatus {
  missing,  // not run (yet, or a dependency failed)
  done,
  failed,
};
inline constexpr Named<CellStatus> kCellStatuses[] = {
    {CellStatus::missing, "missing"}, {CellStatus::done, "done"}, {CellStatus::failed, "failed"}};
inline const auto& name_table(CellStatus) { return kCellStatuses; }

struct CellOutcome {
  CellStatus status = CellStatus::missing;
  nlohmann::json result;  // classifier: the best-val epoch's record; annotator: eval.json
  std::string error;
  double seconds = 0;  // wall time of the session that finished the cell
};

// Trains one cell in its folder and returns its result; throws on failure.
using CellRunner = std::function<nlohmann::json(const Cell& cell, const std::string& folder)>;

// "val 91.2%, shift 80.1%" (an annotator: its held-out IoU; else the status and error).
std::string describe_outcome(const Cell& cell, const CellOutcome& outcome);
// A cell's record (its folder's cell.json). Throws reff::Error naming the file when it is not one.
CellOutcome read_cell_record(const std::string& path);
// Runs `cell` in `folder` with `runner` (its dependencies' folders already in
// cell.config.annotator_dir and cell.refits) and records the outcome there as cell.json: done with
// the result, or failed with the error's first line. A stop request passes through unrecorded.
CellOutcome run_and_record(const Cell& cell, const std::string& folder, const CellRunner& runner);

// The real thing (run_folders.h), on `device`, with `callbacks` for every classifier and annotator
// (progress and stop requests).
CellRunner training_runner(const std::string& device, const train::TrainCallbacks& callbacks = {});

struct ExperimentOptions {
  Table table = Table::table2;
  ExperimentPreset preset = experiment_preset("cpu");
  std::vector<uint64_t> seeds = {0};
  std::string dir;
  bool retry_failed = false;
  std::function<void(const std::string&)> log;  // one line per cell
  std::function<void()> claimed;  // once the folder is this process's, before any work
};

struct ExperimentResults {
  Table table = Table::table2;
  ExperimentPreset preset;
  std::vector<uint64_t> seeds;
  std::vector<std::pair<Cell, CellOutcome>> selection;
  std::map<std::string, double> chosen;  // method key -> lambda (gamma)
  std::vector<std::pair<Cell, CellOutcome>> cells;
  int64_t cells_run = 0;  // by this call
};

// Every cell once: the selection runs, then the table's other cells.
std::vector<std::pair<Cell, CellOutcome>> all_cells(const ExperimentResults& results);

// Runs what is missing and returns every cell's outcome. DIR/experiment.json records the table
// and preset: another table or preset in the same folder is a reff::Error (seeds may be added).
// Writes DIR/pseudo-annotations.png when the table has annotators (the first seed's, like the
// seed's Fig. 2).
ExperimentResults run_experiment(const ExperimentOptions& options, const CellRunner& runner);

}  // namespace reff::experiment
