// A run folder's metrics.jsonl (train/trainer.h) as the reports read it.
#pragma once

#include "reff/report/svg_chart.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace reff::report {

// The lines that hold an epoch's record; a damaged line (a run being written) is skipped.
std::vector<nlohmann::json> read_epochs(const std::string& path);
// The number at `at`, NaN where there is none (null: a NaN once written).
double number_at(const nlohmann::json& json, const nlohmann::json::json_pointer& at);
// The number at JSON pointer `pointer` of each epoch, against the epoch: one line of a chart.
Series series(const std::vector<nlohmann::json>& epochs, const std::string& name,
              const std::string& pointer);
// The index of the epoch a run keeps as its best, as the trainer chooses it: the first with the
// highest validation score (val.selects_on where given, else val accuracy). 0 for no epochs.
size_t best_epoch_index(const std::vector<nlohmann::json>& epochs);

}  // namespace reff::report
