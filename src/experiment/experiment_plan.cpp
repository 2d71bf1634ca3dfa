#include "reff/experiment/experiment_plan.h"

#include "reff/error.h"
#include "reff/run/resolve.h"
#include "reff/train/annotator.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>

namespace reff::experiment {
namespace {

// The columns: the baseline, then every registered method with a grid (train/methods.h), in the
// registry's order. Grids hold the values the selection rule chooses from.
std::vector<MethodSpec> table2_methods(const std::map<std::string, std::vector<double>>& grids) {
  std::vector<MethodSpec> columns = {{"baseline", "Baseline", {}}, {kDfrMethod, "DFR", {}}};
  for (const auto& info : train::methods()) {
    const auto grid = grids.find(info.name);
    if (grid != grids.end()) columns.push_back({info.name, info.label, grid->second});
  }
  return columns;
}

std::vector<MethodSpec> table3_methods(const std::vector<MethodSpec>& table2) {
  const auto reff = std::find_if(table2.begin(), table2.end(),
                                 [](const MethodSpec& m) { return m.key == "reff"; });
  return {table2.front(), *reff};  // baseline, ReFF
}

run::TestSetSpec test_at(const std::string& name, double p, double q) { return {name, p, q, ""}; }

// The classifier config of a cell (annotator_dir is the runner's: it knows the folders).
run::AnnotatorRunConfig cell_config(const ExperimentPreset& preset, const MethodSpec& method,
                                    double lambda, int64_t n, double p, double q,
                                    const std::vector<run::TestSetSpec>& tests,
                                    const run::TestSetSpec& val, uint64_t seed) {
  auto overrides = preset.classifier;
  auto& data = overrides["data"];
  data["p"] = p;
  data["q"] = q;
  data["tests"] = nlohmann::json::array();
  for (const auto& test : tests) data["tests"].push_back(run::set_json(test));
  if (!val.name.empty()) data["val"] = run::set_json(val);  // else the training distribution's
  overrides["annotations"].update({{"n", n}, {"per_class", true}, {"seed", seed}});
  overrides["model"]["seed"] = seed;
  overrides["train"].update({{"seed", seed}, {"method", method.key}, {"lambda", lambda}});
  run::AnnotatorRunConfig config;
  static_cast<run::RunConfig&>(config) = classifier_config(preset, overrides);
  return config;
}

struct TableShape {
  double p, q;  // training distribution (table3: q varies)
  std::vector<run::TestSetSpec> tests;
  run::TestSetSpec val;  // empty name: drawn from the training distribution
};

TableShape table2_shape(const ExperimentPreset& preset) {
  return {0.0,
          1.0,
          {test_at("shift", 1.0, 1.0), test_at("iid", 0.0, 1.0)},
          table2_val(preset.selection)};
}
TableShape table3_shape(double q) { return {1.0, q, {test_at("test", 1.0, q)}, {}}; }

Cell classifier_cell(const ExperimentPreset& preset, const MethodSpec& method, double lambda,
                     int64_t n, const TableShape& shape, uint64_t seed) {
  Cell cell;
  cell.kind = CellKind::classifier;
  cell.method = method.key;
  cell.seed = seed;
  cell.config =
      cell_config(preset, method, lambda, n, shape.p, shape.q, shape.tests, shape.val, seed);
  const std::string where =
      "-p" + value_text(shape.p) + "-q" + value_text(shape.q) + "-seed" + std::to_string(seed);
  cell.id = method.key == "baseline"  // masks play no part: one run serves every n
                ? method.key + where
                : method.key + "-lambda" + value_text(lambda) + "-n" +
                      (n == 0 ? std::string("all") : std::to_string(n)) + where;
  return cell;
}

// DFR of the seed's baseline cell, on the shift-free split whatever the selection.
Cell dfr_cell(const Cell& baseline) {
  Cell cell = baseline;
  cell.method = kDfrMethod;
  cell.config.val = table2_val(Selection::shift_free);
  cell.refits = baseline.id;
  cell.id = kDfrMethod + baseline.id.substr(baseline.id.find('-'));  // dfr-p0-q1-seed0
  return cell;
}

Cell annotator_cell(const ExperimentPreset& preset, int64_t n, const TableShape& shape,
                    uint64_t seed) {
  Cell cell;
  cell.kind = CellKind::annotator;
  cell.seed = seed;
  // The annotator's held-out images are its training distribution's, whatever the selection.
  cell.config = cell_config(preset, preset.table2_methods.front(), 0, n, shape.p, shape.q,
                            shape.tests, {}, seed);
  auto options = train::AnnotatorOptions::from_json(preset.annotator);
  options.seed = seed;
  cell.config.annotator = options.to_json();
  cell.id = "annotator-n" + std::to_string(n) + "-p" + value_text(shape.p) + "-q" +
            value_text(shape.q) + "-seed" + std::to_string(seed);
  return cell;
}

// Sized so that table2 with one seed stays under 90 minutes on 2 cores: a third of the training
// images and 4 epochs of the cpu run preset, a 600-iteration annotator.
void cpu_experiment(ExperimentPreset& preset) {
  preset.run_preset = "cpu";
  preset.classifier = {{"data", {{"train_count", 2400}, {"val_count", 400}, {"test_count", 1000}}},
                       {"train", {{"epochs", 4}}}};
  auto annotator = train::annotator_preset("cpu");
  annotator.iterations = 600;
  preset.annotator = annotator.to_json();
  preset.table2_methods = table2_methods({{"reff", {1e-5, 1e-4, 1e-3}},
                                          {"reff-l1", {1e-6, 1e-5, 1e-4}},
                                          {"reff-l2", {1e-6, 1e-5, 1e-4}},
                                          {"abn", {1, 10, 100}},
                                          {"reff-focus", {1e-3, 1e-2, 1e-1}}});
}

void paper_experiment(ExperimentPreset& preset) {
  preset.run_preset = "paper";
  preset.annotator = train::annotator_preset("paper").to_json();
  // The paper's grids: L1/L2 in 1e-8..1e-5 (chose 1e-6), ABN's gamma in {1, 10, 100} (chose 10);
  // ReFF's lambda is not in the paper: around its 1e-6.
  preset.table2_methods = table2_methods({{"reff", {1e-7, 1e-6, 1e-5}},
                                          {"reff-l1", {1e-8, 1e-7, 1e-6, 1e-5}},
                                          {"reff-l2", {1e-8, 1e-7, 1e-6, 1e-5}},
                                          {"abn", {1, 10, 100}},
                                          {"reff-focus", {1e-3, 1e-2, 1e-1}}});
}

void micro_experiment(ExperimentPreset& preset) {  // seconds in all, for tests
  preset.run_preset = "cpu";
  preset.classifier = {{"data",
                        {{"canvas", 24},     // the annotator's smallest
                         {"digit_size", 0},  // the whole canvas
                         {"textures", "procedural"},
                         {"texture_dir", ""},
                         {"train_count", 40},
                         {"val_count", 16},
                         {"test_count", 16}}},
                       // the stand-in is the cpu preset's width-16 model
                       {"model", {{"width", 4}, {"pretrained", ""}}},
                       {"train", {{"epochs", 1}, {"batch_size", 8}, {"explain_count", 8}}}};
  auto annotator = train::annotator_preset("cpu");
  annotator.iterations = 2;
  annotator.generator_base = 4;
  annotator.discriminator_base = 4;
  preset.annotator = annotator.to_json();
  preset.table2_n = {1, 0};
  preset.table3_q = {0.0, 1.0};
  preset.table2_methods = table2_methods({{"reff", {1e-4, 1e-3}},
                                          {"reff-l1", {1e-5, 1e-4}},
                                          {"reff-l2", {1e-5, 1e-4}},
                                          {"abn", {1, 10}},
                                          {"reff-focus", {1e-2, 1e-1}}});
}

constexpr Named<void (*)(ExperimentPreset&)> kExperimentPresets[] = {
    {cpu_experiment, "cpu"}, {paper_experiment, "paper"}, {micro_experiment, "micro"}};

}  // namespace

std::string value_text(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", value);
  return text;
}

run::RunConfig classifier_config(const ExperimentPreset& preset, const nlohmann::json& overrides) {
  return run::resolve(preset.run_preset, "textured-mnist", overrides);  // the paper's tables
}

std::string experiment_preset_names() { return names_of(kExperimentPresets, " | "); }

ExperimentPreset experiment_preset(const std::string& name) {
  ExperimentPreset preset;
  preset.name = name;
  parse_named(kExperimentPresets, "--preset", name)(preset);
  preset.table3_methods = table3_methods(preset.table2_methods);
  return preset;
}

run::TestSetSpec table2_val(Selection selection) {
  if (selection == Selection::in_distribution) return {};
  return {"balanced", 1.0, 1.0, ""};
}

std::string selection_text(Table table, Selection selection) {
  if (table == Table::table3)
    return "the validation split of the training distribution (p = 1: no spurious background "
           "to break)";
  if (selection == Selection::in_distribution)
    return "the validation split of the training distribution ((p, q) = (0, 1), as the paper "
           "does; the background still gives the label away there)";
  return "the shift-free validation split `balanced` ((p, q) = (1, 1), drawn from the validation "
         "share of MNIST's training file, never its test file; the background gives nothing "
         "away there), as the spurious-correlation literature selects";
}

bool uses_no_masks(const std::string& method) {
  return method == "baseline" || method == kDfrMethod;
}

std::string cell_folder(const std::string& experiment_dir, const std::string& cell_id) {
  return (std::filesystem::path(experiment_dir) / "runs" / cell_id).string();
}

std::vector<Cell> selection_cells(Table table, const ExperimentPreset& preset,
                                  const std::vector<uint64_t>& seeds) {
  REFF_REQUIRE(!seeds.empty(), "--seeds", "must be at least 1");
  const auto& methods = table == Table::table2 ? preset.table2_methods : preset.table3_methods;
  const auto shape = table == Table::table2 ? table2_shape(preset) : table3_shape(1.0);
  std::vector<Cell> cells;
  for (const auto& method : methods) {
    for (double value : method.grid) {
      cells.push_back(classifier_cell(preset, method, value, 0, shape, seeds.front()));
    }
  }
  return cells;
}

std::vector<Cell> table_cells(Table table, const ExperimentPreset& preset,
                              const std::vector<uint64_t>& seeds,
                              const std::map<std::string, double>& chosen) {
  std::vector<Cell> cells;
  const auto add_methods = [&](const std::vector<MethodSpec>& methods, int64_t n,
                               const TableShape& shape, uint64_t seed) {
    for (const auto& method : methods) {
      if (method.grid.empty()) continue;  // the baseline: one run per seed, planned on its own
      const auto value = chosen.find(method.key);
      if (value == chosen.end()) continue;  // no value could be chosen: reported as such
      cells.push_back(classifier_cell(preset, method, value->second, n, shape, seed));
    }
  };
  if (table == Table::table2) {
    const auto shape = table2_shape(preset);
    for (auto seed : seeds) {
      cells.push_back(classifier_cell(preset, preset.table2_methods.front(), 0, 0, shape, seed));
      cells.push_back(dfr_cell(cells.back()));
    }
    for (int64_t n : preset.table2_n) {
      for (auto seed : seeds) {
        if (n > 0) cells.push_back(annotator_cell(preset, n, shape, seed));
        add_methods(preset.table2_methods, n, shape, seed);
      }
    }
  } else {
    for (double q : preset.table3_q) {
      const auto shape = table3_shape(q);
      for (auto seed : seeds) {
        cells.push_back(classifier_cell(preset, preset.table3_methods.front(), 0, 0, shape, seed));
        add_methods(preset.table3_methods, 0, shape, seed);
      }
    }
  }
  return cells;
}

RunSummary summarise_run(const nlohmann::json& result) {
  RunSummary summary;
  const auto& val = result.at("val");
  summary.val_accuracy = val.at("accuracy").get<double>();
  const auto& layers = val.at("layers");
  for (const auto& layer : layers) {
    const auto& mass = layer.at("mass_inside");
    // null (a layer without maps; NaN in memory, null once written) counts as 0
    if (mass.is_number() && std::isfinite(mass.get<double>()))
      summary.val_mass_inside += mass.get<double>();
  }
  if (!layers.empty()) summary.val_mass_inside /= double(layers.size());
  return summary;
}

std::optional<double> choose_value(const std::map<double, nlohmann::json>& results) {
  if (results.empty()) return std::nullopt;
  double best_accuracy = -1;
  for (const auto& [value, result] : results)
    best_accuracy = std::max(best_accuracy, summarise_run(result).val_accuracy);
  std::optional<double> chosen;
  double chosen_mass = -1;
  for (const auto& [value, result] : results) {  // ascending: ties keep the smaller value
    const auto summary = summarise_run(result);
    if (summary.val_accuracy < best_accuracy - 0.005) continue;
    if (summary.val_mass_inside > chosen_mass) {
      chosen = value;
      chosen_mass = summary.val_mass_inside;
    }
  }
  return chosen;
}

std::string row_label(Table table, const Cell& cell) {
  if (table == Table::table3) {
    char text[16];
    std::snprintf(text, sizeof text, "%.1f", cell.config.data.q);
    return text;
  }
  return cell.config.annotated.n == 0 ? "All" : std::to_string(cell.config.annotated.n);
}

}  // namespace reff::experiment
