// What a finished `reff tune` sweep (tune_runner.h) writes into DIR:
//   results.json  the spec, every configuration ranked (its seeds' cells, select scores, mean and
//                 spread, each test set's accuracy, the explanation metrics per layer on the
//                 first test set, seconds), the grids and their extensions, failed cells
//   best/         the winning configuration's best seed's run folder (a link into runs/)
//   best.pth      its weights as a PyTorch state dict (reff export)
//   compare/      links to the winner, the baseline and each method's best, for the comparison
// (report/html_report.h draws report.html from them: the ranking above compare/'s comparison.)
#pragma once

#include "reff/experiment/tune_runner.h"

#include <nlohmann/json.hpp>

#include <string>

namespace reff::experiment {

constexpr const char* kTuneResults = "results.json";
constexpr const char* kBestRun = "best";
constexpr const char* kBestWeights = "best.pth";
constexpr const char* kCompare = "compare";

// The ranking as results.json holds it ("ranking": best first, each with "cells" and "tests").
nlohmann::json tune_results(const TuneSpec& spec, const TuneState& state, const std::string& dir);

// Writes everything above from the state and returns results.json's content. With no done cell,
// writes results.json only.
nlohmann::json write_tune_outputs(const TuneSpec& spec, const TuneState& state,
                                  const std::string& dir);

}  // namespace reff::experiment
