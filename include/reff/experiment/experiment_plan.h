// The paper's experiments as lists of runs ("cells"), each a run folder of its own:
//
//   table2: train at (p, q) = (0, 1), test at (1, 1) ("shift"; also (0, 1), "iid"), for
//           n in {1, 5, 10, 20, 50, All} annotated images per class and the methods ReFF,
//           ReFF (L1), ReFF (L2), ABN and the focused form, with the baseline and DFR (the
//           baseline's last layer refit on the shift-free validation split, run/dfr_run.h; no
//           masks) beside them; one pseudo-annotator per (n, seed), shared by every method.
//   table3: no spurious feature: train and test at p = 1, q in {0, 0.2, ..., 1}, baseline and
//           ReFF with every mask.
//
// Hyper-parameters and each cell's best epoch are chosen on a validation split, never on a test
// set (Selection below): by default, as the spurious-correlation literature selects, table2's is
// shift-free (`balanced`, (p, q) = (1, 1), drawn from the validation share of MNIST's training
// file); with in-distribution selection it is drawn from the training distribution, as in the
// paper. table3 trains at p = 1, so its validation split from the training distribution has no
// shortcut to break either way. The rule: train each value of the
// method's grid once (first seed; table2 at n = All, table3 at q = 1); keep the values whose val
// accuracy is within half a point of the best; of those take the one whose Grad-CAMs put the most
// mass inside the val masks (mean over layers); ties go to the smaller value. The chosen value
// serves every row and seed. A selection run is itself the table's cell when they coincide.
//
// Seeds: seed s sets the model's initial weights, the batch order, which images form D1 and the
// annotator's weights; the data set is the same for every seed.
#pragma once

#include "reff/explain/grad_cam.h"
#include "reff/names.h"
#include "reff/run/run_config.h"

#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace reff::experiment {

// Which validation split chooses (above).
enum class Selection { shift_free, in_distribution };
inline constexpr Named<Selection> kSelections[] = {{Selection::shift_free, "shift-free"},
                                                   {Selection::in_distribution, "in-distribution"}};
inline const auto& name_table(Selection) { return kSelections; }

// A column of the tables: a registered training method (train/methods.h) and its grid of lambda
// (gamma for ABN) to choose from (empty: nothing to choose, the baseline).
struct MethodSpec {
  std::string key;    // the method's name, in folder names: baseline, reff, reff-l1, ...
  std::string label;  // in the report
  std::vector<double> grid;
};

struct ExperimentPreset {
  std::string name;
  // The run preset and its changes in config.json's shape (run/resolve.h): everything but method,
  // lambda, n, p, q and seeds, which each cell adds.
  std::string run_preset;
  nlohmann::json classifier = nlohmann::json::object();
  nlohmann::json annotator;                               // train::AnnotatorOptions::to_json()
  std::vector<int64_t> table2_n = {1, 5, 10, 20, 50, 0};  // 0: All
  std::vector<double> table3_q = {0.0, 0.2, 0.4, 0.6, 0.8, 1.0};
  std::vector<MethodSpec> table2_methods;  // the baseline first
  std::vector<MethodSpec> table3_methods;
  Selection selection = Selection::shift_free;
};

// table2's validation split under `selection` (an empty name: the training distribution's).
run::TestSetSpec table2_val(Selection selection);

// cpu: minutes per run on a 2-core machine (sizes in the .cpp and the README); paper: the paper's
// Table 4 at 224 px with ResNet-50; micro: seconds in all, for tests. Throws reff::Error otherwise.
ExperimentPreset experiment_preset(const std::string& name);
// The preset's classifier on Textured MNIST, `overrides` being its `classifier` with a cell's
// values added (run::resolve).
run::RunConfig classifier_config(const ExperimentPreset& preset, const nlohmann::json& overrides);
std::string experiment_preset_names();  // "cpu | paper | micro", for a help line

enum class CellKind { annotator, classifier };

struct Cell {
  std::string id;  // folder name: unique, and the same whenever the cell is the same run
  CellKind kind = CellKind::classifier;
  run::AnnotatorRunConfig config;  // the classifier's config; annotators also fill .annotator
  std::string method;              // MethodSpec::key (classifiers)
  uint64_t seed = 0;
  std::string refits;  // DFR: the id of the cell whose last layer it refits
};

// A lambda (or p, q) as cell ids and labels write it: "%g", e.g. 0.001, 1e-06.
std::string value_text(double value);

constexpr const char* kDfrMethod = "dfr";
// The columns that use no masks (the baseline, DFR): one cell per seed stands in every row.
bool uses_no_masks(const std::string& method);

// An experiment's place on disk: DIR/runs/<cell id>/ for each cell.
std::string cell_folder(const std::string& experiment_dir, const std::string& cell_id);

// Cells of one table, in the order they run. The planner needs the chosen hyper-parameters, so a
// table is planned in two steps: selection cells first, then (with `chosen` from
// choose_hyper_parameters) the annotators and the table's cells.
enum class Table { table2, table3 };
inline constexpr Named<Table> kTables[] = {{Table::table2, "table2"}, {Table::table3, "table3"}};
inline Table parse_table(const std::string& name) {
  return parse_named(kTables, "experiment", name);
}
inline std::string table_name(Table table) { return name_of(kTables, table); }
// Which split chose, in words, for the reports.
std::string selection_text(Table table, Selection selection);

std::vector<Cell> selection_cells(Table table, const ExperimentPreset& preset,
                                  const std::vector<uint64_t>& seeds);
std::vector<Cell> table_cells(Table table, const ExperimentPreset& preset,
                              const std::vector<uint64_t>& seeds,
                              const std::map<std::string, double>& chosen);

// A classifier cell's results (a cell.json "result"): the best-val epoch's metrics.
struct RunSummary {
  double val_accuracy = 0;
  double val_mass_inside = 0;  // mean over the explained layers (layers without maps: 0)
};
RunSummary summarise_run(const nlohmann::json& result);

// The documented rule above, over the finished selection cells of one method: value -> result.
// nullopt when none finished.
std::optional<double> choose_value(const std::map<double, nlohmann::json>& results);

// The tables' rows, for the report: table2's n ("1", ..., "All"), table3's q.
std::string row_label(Table table, const Cell& cell);

}  // namespace reff::experiment
