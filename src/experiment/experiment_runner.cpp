#include "reff/experiment/experiment_runner.h"

#include "reff/data/image_file.h"
#include "reff/distributed/process_group.h"
#include "reff/error.h"
#include "reff/folder_lock.h"
#include "reff/json_file.h"
#include "reff/percent_text.h"
#include "reff/run/dfr_run.h"
#include "reff/run/run_assembly.h"
#include "reff/run/run_folders.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <set>

namespace reff::experiment {
namespace fs = std::filesystem;
namespace {

std::string annotator_id(const Cell& classifier, const std::vector<Cell>& cells) {
  auto data = classifier.config;
  data.val = {};  // annotators are validated on their training distribution (experiment_plan.h)
  for (const auto& cell : cells) {
    if (cell.kind == CellKind::annotator && cell.seed == classifier.seed &&
        cell.config.annotated.n == classifier.config.annotated.n &&
        cell.config.data_json() == data.data_json())
      return cell.id;
  }
  return "";
}

class Session {
 public:
  Session(const ExperimentOptions& options, const CellRunner& runner)
      : options_(options), runner_(runner) {}

  // Runs the cells that have not finished; `all` holds every cell of the table (dependencies).
  std::vector<std::pair<Cell, CellOutcome>> run(const std::vector<Cell>& cells,
                                                const std::vector<Cell>& all, int64_t& ran) {
    std::vector<std::pair<Cell, CellOutcome>> outcomes;
    for (const auto& planned : cells) {
      auto cell = planned;
      const auto folder = cell_folder(options_.dir, cell.id);
      const auto record = (fs::path(folder) / kCellFile).string();
      const auto known = finished_.find(cell.id);
      CellOutcome outcome;
      if (known != finished_.end()) {
        outcome = known->second;
      } else {
        if (fs::exists(record)) outcome = read_cell_record(record);
        if (outcome.status == CellStatus::missing ||
            (options_.retry_failed && outcome.status == CellStatus::failed)) {
          outcome = run_cell(cell, folder, all);
          if (outcome.status != CellStatus::missing) ++ran;
        }
      }
      finished_[cell.id] = outcome;
      log("[" + std::to_string(outcomes.size() + 1) + "/" + std::to_string(cells.size()) + "] " +
          cell.id + ": " + describe_outcome(cell, outcome) +
          (outcome.seconds > 0 ? " (" + std::to_string(int64_t(outcome.seconds)) + " s)" : ""));
      outcomes.emplace_back(cell, outcome);
    }
    return outcomes;
  }

 private:
  CellOutcome run_cell(Cell& cell, const std::string& folder, const std::vector<Cell>& all) {
    CellOutcome outcome;
    if (cell.kind == CellKind::classifier && cell.config.annotated.n > 0) {
      const auto dependency = annotator_id(cell, all);
      const auto found = finished_.find(dependency);
      if (dependency.empty() || found == finished_.end() ||
          found->second.status != CellStatus::done) {
        outcome.error = "its annotator " + dependency + " did not finish";
        return outcome;  // "missing": not recorded, so a later run tries again
      }
      cell.config.annotator_dir = fs::absolute(cell_folder(options_.dir, dependency)).string();
    }
    if (!cell.refits.empty()) {
      const auto found = finished_.find(cell.refits);
      if (found == finished_.end() || found->second.status != CellStatus::done) {
        outcome.error = "the run it refits, " + cell.refits + ", did not finish";
        return outcome;
      }
      cell.refits = fs::absolute(cell_folder(options_.dir, cell.refits)).string();
    }
    log("running " + cell.id + " ...");
    return run_and_record(cell, folder, runner_);
  }

  void log(const std::string& line) const {
    if (options_.log) options_.log(line);
  }

  const ExperimentOptions& options_;
  const CellRunner& runner_;
  std::map<std::string, CellOutcome> finished_;
};

// The folder holds this experiment or none (rank 0 holds its lock, folder_lock.h).
void claim_folder(const ExperimentOptions& options) {
  const auto path = (fs::path(options.dir) / kExperimentFile).string();
  const nlohmann::json identity = {{"table", table_name(options.table)},
                                   {"preset", options.preset.name},
                                   {"selection", enum_name(options.preset.selection)}};
  if (fs::exists(path)) {
    auto stored = read_json_file(path);  // every rank checks; rank 0 writes
    // Folders from before --selection chose on the training distribution's split.
    if (!stored.contains("selection")) stored["selection"] = enum_name(Selection::in_distribution);
    REFF_REQUIRE(stored == identity, options.dir,
                 "holds the experiment " + stored.value("table", std::string("?")) +
                     " with preset " + stored.value("preset", std::string("?")) + ", selection " +
                     stored.value("selection", std::string("?")) + "; choose another --out");
  } else if (distributed::world().writes()) {
    write_json_file(path, identity);
  }
}

void write_annotations_picture(const ExperimentResults& results, const std::string& dir) {
  std::vector<std::pair<int64_t, std::string>> done;  // first seed's, largest n first (Fig. 2)
  for (const auto& [cell, outcome] : results.cells) {
    if (cell.kind == CellKind::annotator && cell.seed == results.seeds.front() &&
        outcome.status == CellStatus::done)
      done.emplace_back(cell.config.annotated.n, cell_folder(dir, cell.id));
  }
  if (done.empty()) return;
  std::sort(done.rbegin(), done.rend());
  std::vector<std::string> folders;
  for (const auto& entry : done) folders.push_back(entry.second);
  data::write_png((fs::path(dir) / kAnnotationsPicture).string(),
                  run::annotations_picture(folders, 8));
}

}  // namespace

std::string describe_outcome(const Cell& cell, const CellOutcome& outcome) {
  if (outcome.status != CellStatus::done) return enum_name(outcome.status) + (": " + outcome.error);
  char text[160];
  if (cell.kind == CellKind::annotator) {
    std::snprintf(text, sizeof text, "held-out IoU %.3f", outcome.result.value("iou", 0.0));
    return text;
  }
  std::string line = "val " + percent_text(outcome.result["val"]["accuracy"].get<double>());
  for (const auto& [name, test] : outcome.result["tests"].items())
    line += ", " + name + " " + percent_text(test["accuracy"].get<double>());
  return line;
}

CellOutcome read_cell_record(const std::string& path) {
  const auto json = read_json_file(path);
  CellOutcome outcome;
  try {
    outcome.status = parse_enum<CellStatus>(path, json.at("status"));
    outcome.result = json.value("result", nlohmann::json());
    outcome.error = json.value("error", "");
    outcome.seconds = json.value("seconds", 0.0);
  } catch (const nlohmann::json::exception& e) {
    throw Error(path + ": not a cell record (" + e.what() + ")");
  }
  REFF_REQUIRE(outcome.status == CellStatus::done || outcome.status == CellStatus::failed, path,
               "status must be done or failed");
  return outcome;
}

CellOutcome run_and_record(const Cell& cell, const std::string& folder, const CellRunner& runner) {
  CellOutcome outcome;
  const auto& group = distributed::world();
  const auto start = std::chrono::steady_clock::now();
  try {
    outcome.result = runner(cell, folder);
    outcome.status = CellStatus::done;
  } catch (const train::TrainingInterrupted&) {
    // The cell's checkpoint holds the point; its runner, not --resume, continues from it.
    throw train::TrainingInterrupted("interrupted in cell " + cell.id +
                                     ", its checkpoint holds that point: the same command resumes");
  } catch (const std::exception& e) {
    // Distributed, the ranks may be out of step after a failure: the experiment stops, the cell
    // stays unrecorded and the same command resumes there.
    if (group.size() > 1) throw;
    outcome.status = CellStatus::failed;
    const std::string what = e.what();
    outcome.error = what.substr(0, what.find('\n'));  // LibTorch appends a backtrace
  }
  outcome.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  nlohmann::json json = {{"status", enum_name(outcome.status)},
                         {"result", outcome.result},
                         {"error", outcome.error},
                         {"seconds", outcome.seconds},
                         {"id", cell.id}};
  if (group.writes()) {
    std::error_code error;
    fs::create_directories(folder, error);
    write_json_file((fs::path(folder) / kCellFile).string(), json);
  }
  // Rank 0 evaluated: its outcome (written before this) is every rank's.
  json = nlohmann::json::parse(group.broadcast_text(json.dump()));
  outcome.result = json["result"];
  return outcome;
}

CellRunner training_runner(const std::string& device, const train::TrainCallbacks& callbacks) {
  return [device, callbacks](const Cell& cell, const std::string& folder) -> nlohmann::json {
    if (cell.kind == CellKind::annotator) {
      return run::run_annotator(cell.config, folder, /*resume=*/true, device, callbacks);
    }
    if (cell.method == kDfrMethod) {  // cell.refits: the baseline's folder (run_cell)
      run::DfrRunOptions options;
      options.val = run::set_text(cell.config.val);
      options.device = device;
      options.redo = true;  // the cell has no record: a refit in its folder was killed
      auto record = run::run_dfr(cell.refits, folder, options);
      if (callbacks.finished) callbacks.finished(folder);
      record["best_epoch"] = 1;
      return record;
    }
    auto config = static_cast<const run::RunConfig&>(cell.config);
    config.device = device;
    const auto state = run::run_classifier(config, folder, /*resume=*/true, callbacks);
    if (!distributed::world().writes()) return {};  // rank 0's result is shared (run_cell)
    auto result = state["history"][state["best_epoch"].get<int64_t>() - 1];
    result["best_epoch"] = state["best_epoch"];
    return result;
  };
}

std::vector<std::pair<Cell, CellOutcome>> all_cells(const ExperimentResults& results) {
  auto cells = results.selection;
  std::set<std::string> listed;
  for (const auto& entry : cells) listed.insert(entry.first.id);
  for (const auto& entry : results.cells)
    if (listed.insert(entry.first.id).second) cells.push_back(entry);
  return cells;
}

ExperimentResults run_experiment(const ExperimentOptions& options, const CellRunner& runner) {
  ExperimentResults results;
  results.table = options.table;
  results.preset = options.preset;
  results.seeds = options.seeds;
  REFF_REQUIRE(!options.seeds.empty(), "--seeds", "must be at least 1");
  REFF_REQUIRE(
      std::set<uint64_t>(options.seeds.begin(), options.seeds.end()).size() == options.seeds.size(),
      "--seeds", "each seed once");
  const auto lock = lock_if_writer(distributed::world().writes(), options.dir, {kExperimentFile});
  if (options.claimed) options.claimed();
  // The data must be there before the first cell: a missing MNIST or texture folder is one
  // clear error, not a table of failed cells.
  run::build_val_set(classifier_config(results.preset, results.preset.classifier));
  claim_folder(options);

  Session session(options, runner);
  const auto selection = selection_cells(options.table, results.preset, options.seeds);
  results.selection = session.run(selection, selection, results.cells_run);
  std::map<std::string, std::map<double, nlohmann::json>> by_method;
  for (const auto& [cell, outcome] : results.selection) {
    if (outcome.status == CellStatus::done)
      by_method[cell.method][cell.config.train.lambda] = outcome.result;
  }
  for (const auto& [method, values] : by_method) {
    if (const auto value = choose_value(values)) results.chosen[method] = *value;
  }
  const auto cells = table_cells(options.table, results.preset, options.seeds, results.chosen);
  results.cells = session.run(cells, cells, results.cells_run);
  if (distributed::world().writes()) write_annotations_picture(results, options.dir);
  return results;
}

}  // namespace reff::experiment
