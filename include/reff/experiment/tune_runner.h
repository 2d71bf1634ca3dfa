// Runs a `reff tune` sweep (tune_plan.h) in DIR, resumably and shared between processes:
//   DIR/tune.json         the sweep's spec: another sweep's options in DIR are refused
//   DIR/runs/<id>/        each cell's run folder, with cell.json once finished (done or failed)
//   DIR/claims/<id>/      a FolderLock (folder_lock.h) held while a process runs the cell, so
//                         processes on one DIR (--jobs, a second machine on a shared filesystem,
//                         Slurm tasks) each take the cells nobody holds; the kernel drops the lock
//                         of a killed process, and the cell resumes from its last checkpoint
//   DIR/logs/<id>.log     a cell's output when it ran in a process of its own
#pragma once

#include "reff/experiment/experiment_runner.h"
#include "reff/experiment/tune_plan.h"

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace reff::experiment {

constexpr const char* kTuneFile = "tune.json";
// `reff tune --cell` did not run its cell: held by another process or recorded (EX_TEMPFAIL).
constexpr int kHeldCellExit = 75;

// Writes DIR/tune.json, or checks that the one there holds the same spec: a DIR holding another
// sweep's plan is a reff::Error saying what differs.
void claim_tune_folder(const std::string& dir, const TuneSpec& spec);
TuneSpec read_tune_spec(const std::string& dir);  // reff::Error when DIR holds no sweep

struct TuneState {
  TunePlan plan;
  std::map<std::string, nlohmann::json> done;   // id -> result
  std::map<std::string, CellOutcome> recorded;  // every cell with a cell.json
  std::vector<std::string> failed;
};
// DIR/claims/<id>/ and DIR/logs/<id>.log.
std::string claim_folder(const std::string& dir, const std::string& id);
std::string cell_log(const std::string& dir, const std::string& id);
TuneState read_tune_state(const std::string& dir, const TuneSpec& spec);

// The cell `which` (an id, or its index in the plan) of the current plan; reff::Error naming
// --cell otherwise.
Cell find_tune_cell(const TuneState& state, const std::string& which);

enum class CellRun {
  ran,       // run now and recorded (done or failed)
  recorded,  // recorded before
  held,      // another process holds it
  waiting,   // its annotator or the run it refits has not finished
  blocked,   // its annotator or the run it refits failed: it never runs
};
// Runs `cell` in this process when it is runnable (the cases above).
CellRun run_tune_cell(const std::string& dir, const TuneSpec& spec, const TuneState& state,
                      const Cell& cell, const CellRunner& runner, bool retry_failed);

struct SweepOptions {
  std::string dir;
  int64_t jobs = 1;  // 1: cells run in this process; more: in processes of their own
  bool retry_failed = false;
  // The argv that runs one cell in a process of its own (`reff tune --out DIR --cell ID`).
  std::function<std::vector<std::string>(const std::string& id)> cell_command;
  std::function<bool(const Cell&)> runs_here = [](const Cell&) { return true; };
  std::function<void(const std::string&)> log;
  std::function<bool()> stop_requested = [] { return false; };
};

// Runs what is missing until every cell of the plan (which grows with the results) is recorded,
// held by nobody and blocked by nothing, then returns the state. A stop request ends it with
// train::TrainingInterrupted once the cells running have stopped.
TuneState run_sweep(const TuneSpec& spec, const SweepOptions& options, const CellRunner& runner);

}  // namespace reff::experiment
