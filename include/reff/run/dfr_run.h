// `reff dfr`: Deep Feature Reweighting (train/last_layer.h) of a finished run, written as a run
// folder of its own that `reff eval`, `explain` and `report` read like any other: config.json (the
// run's, with the validation split the head was fitted on, and a "dfr" section naming the run,
// the chosen C and the tuning), checkpoint-best.pt and checkpoint-last.pt (the run's network with
// the new head), metrics.jsonl (one record: the fit's accuracy as "train", the validation split
// and every test set of the run) and explanations.png.
#pragma once

#include "reff/train/last_layer.h"

#include <nlohmann/json.hpp>

#include <string>

namespace reff::run {

constexpr const char* kDfrSection = "dfr";  // in config.json

struct DfrRunOptions {
  std::string val;    // a --val value (run_config.h); empty: the run's own --val
  int64_t count = 0;  // the split's first `count` images; 0: as many as the run validated on
  std::string checkpoint = "best";
  std::string device = "cpu";
  // A refit is one step with nothing to resume: where the caller knows `out` holds no finished
  // refit (an experiment cell without its record, left by a killed process), it is done again.
  bool redo = false;
  train::DfrOptions fit;
};

// Writes the DFR run folder `out` from the run in `run_dir` and returns its metrics record. Bad
// input (no shift-free split, a folder that already holds a run unless `redo`, an unfinished
// run) is a reff::Error before anything is written.
nlohmann::json run_dfr(const std::string& run_dir, const std::string& out,
                       const DfrRunOptions& options);

}  // namespace reff::run
