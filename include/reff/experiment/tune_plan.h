// `reff tune`: the search for the most robust model on any data set kind, as a plan of cells
// (experiment_plan.h's Cell, each an ordinary run folder) and the rule that chooses among them.
//
// The plan: for every method, a grid of lambda around its default on the preset (log-spaced,
// one decade apart); every (method, lambda) once per seed; a DFR cell (run/dfr_run.h) on every
// trained cell; one pix2pix annotator shared by every cell when only some training images have a
// mask (Algorithm 1). When a method's best value sits at its grid's edge, the grid grows by one
// step on that side, up to TuneSpec::grow times (kMaxExtensions by default): the plan is a function
// of the finished cells, and the cells it adds come after the ones it had, so a cell's index
// (--cell K) never changes.
//
// The selection: the shift-free validation split is cut once into two halves (run_config.h's
// val_part): every trained cell chooses its epoch on the "select" half, DFR cells fit on the
// "fit" half, and every cell is scored on the "select" half (worst-group accuracy where groups
// exist, else accuracy: train::selection_score). A configuration (method, lambda, DFR or not)
// scores the mean of its seeds; the highest mean wins, ties going to the earlier configuration.
#pragma once

#include "reff/experiment/experiment_plan.h"

#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace reff::experiment {

constexpr int64_t kMaxExtensions = 2;  // per method and side
constexpr double kGridStep = 10.0;     // one decade between neighbouring values

struct TuneMethod {
  std::string key;              // a method of train/methods.h
  std::vector<double> lambdas;  // the grid (empty for the baseline, which has no lambda)
};

// What the sweep is: fixed when it starts (DIR/tune.json), so that every process and every Slurm
// task plans the same cells.
struct TuneSpec {
  std::string preset = "cpu";
  std::string dataset = "textured-mnist";
  // run::resolve's overrides for every cell (data, model, train): the options given, with the
  // shift-free val and val_part "select".
  nlohmann::json base = nlohmann::json::object();
  std::vector<TuneMethod> methods;
  std::vector<uint64_t> seeds = {0, 1, 2};
  bool dfr = true;
  int64_t grow = kMaxExtensions;  // steps a grid may grow on each side (0: fixed grids)
  // Absolute folder of the annotator every classifier uses; "" with `train_annotator` false: none.
  std::string annotator_dir;
  bool train_annotator = false;  // the sweep trains one (its cell runs first)
  nlohmann::json annotator;      // train::AnnotatorOptions::to_json() when train_annotator

  nlohmann::json to_json() const;
  static TuneSpec from_json(const nlohmann::json& json);
};

// The default methods (docs/tune.md says why) and a method's default grid on `base`: its
// default lambda on the preset times 1/10, 1, 10 (empty for the baseline).
std::vector<std::string> default_tune_methods();
std::vector<double> default_grid(const TuneSpec& spec, const std::string& method);
// The classifier config of (method, lambda, seed).
run::RunConfig tune_config(const TuneSpec& spec, const std::string& method, double lambda,
                           uint64_t seed);

constexpr const char* kAnnotatorCell = "annotator";

// A cell's score on the select half: its result's val (train::selection_score).
double select_score(const nlohmann::json& result);

// One configuration's seeds, by the selection rule above.
struct TuneEntry {
  std::string method;  // "baseline", "reff", ...
  double lambda = 0;   // 0 for the baseline
  bool dfr = false;
  std::vector<std::string> cells;  // done cells, one per seed
  std::vector<std::string> failed;
  std::vector<double> scores;  // select scores, as cells
  double mean = 0, low = 0, high = 0;
  std::string label() const;  // "reff lambda=0.001 + DFR"
};

// The plan given the finished cells (id -> result of the done ones): the grids' cells, their
// extensions where the finished ones call for them, and the extension count of each method
// (negative: below the grid). `extended` says which methods grew, for the report.
struct TunePlan {
  std::vector<Cell> cells;
  std::map<std::string, std::vector<double>> grids;  // method -> its values, ascending
  std::map<std::string, std::string> extended;       // method -> "grown below 1e-05" ...
};
TunePlan plan_tune(const TuneSpec& spec, const std::map<std::string, nlohmann::json>& done);

// The ranking of every configuration with at least one done cell, best first (failed cells are
// listed with their configuration). `cells`: the plan's; `done`: as plan_tune's; `failed`: ids.
std::vector<TuneEntry> rank_tune(const std::vector<Cell>& cells,
                                 const std::map<std::string, nlohmann::json>& done,
                                 const std::vector<std::string>& failed);

}  // namespace reff::experiment
