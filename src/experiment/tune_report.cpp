#include "reff/experiment/tune_report.h"

#include "reff/json_file.h"
#include "reff/models/pth_file.h"
#include "reff/models/state_dict.h"
#include "reff/run/run_folders.h"

#include <cmath>
#include <filesystem>
#include <set>

namespace reff::experiment {
namespace fs = std::filesystem;
namespace {

double mean_of(const std::vector<double>& values) {
  if (values.empty()) return NAN;
  double sum = 0;
  for (double v : values) sum += v;
  return sum / double(values.size());
}

// The test sets' names in the order the cells' configs list them.
std::vector<std::string> test_names(const TuneState& state) {
  std::vector<std::string> names;
  for (const auto& cell : state.plan.cells)
    if (cell.kind == CellKind::classifier) {
      for (const auto& test : cell.config.tests) names.push_back(test.name);
      break;
    }
  return names;
}

const Cell& cell_by_id(const TuneState& state, const std::string& id) {
  for (const auto& cell : state.plan.cells)
    if (cell.id == id) return cell;
  throw Error(id + ": not a cell of the plan");
}

nlohmann::json entry_json(const TuneEntry& entry, const TuneState& state,
                          const std::vector<std::string>& tests) {
  nlohmann::json seeds = nlohmann::json::array();
  std::map<std::string, std::vector<double>> accuracy;
  std::vector<std::vector<double>> energy(4), zero_maps(4);
  double seconds = 0;
  for (size_t i = 0; i < entry.cells.size(); ++i) {
    const auto& id = entry.cells[i];
    const auto& result = state.done.at(id);
    nlohmann::json cell = {{"cell", id},
                           {"seed", cell_by_id(state, id).seed},
                           {"select", entry.scores[i]},
                           {"best_epoch", result.value("best_epoch", 1)},
                           {"tests", nlohmann::json::object()}};
    // The records are read, never indexed where a key may be missing (const operator[]).
    const auto& results = result.contains("tests") ? result.at("tests") : nlohmann::json::object();
    for (const auto& name : tests) {
      if (!results.contains(name)) continue;
      const auto& test = results.at(name);
      cell["tests"][name] = test.value("accuracy", NAN);
      accuracy[name].push_back(test.value("accuracy", NAN));
      if (name != tests.front() || !test.contains("layers")) continue;
      for (size_t l = 0; l < test.at("layers").size() && l < 4; ++l) {
        const auto& layer = test.at("layers").at(l);
        if (layer.contains("energy") && layer.at("energy").is_number())
          energy[l].push_back(layer.at("energy").get<double>());
        if (layer.contains("zero_maps") && layer.at("zero_maps").is_number())
          zero_maps[l].push_back(layer.at("zero_maps").get<double>());
      }
    }
    seconds += state.recorded.at(id).seconds;
    seeds.push_back(cell);
  }
  nlohmann::json json = {{"label", entry.label()},
                         {"method", entry.method},
                         {"lambda", entry.lambda},
                         {"dfr", entry.dfr},
                         {"select_mean", entry.mean},
                         {"select_low", entry.low},
                         {"select_high", entry.high},
                         {"seeds", seeds},
                         {"failed", entry.failed},
                         {"seconds", seconds},
                         {"tests", nlohmann::json::object()},
                         {"energy_inside", nlohmann::json::array()},
                         {"zero_maps", nlohmann::json::array()}};
  for (const auto& [name, values] : accuracy) json["tests"][name] = mean_of(values);
  for (size_t l = 0; l < 4; ++l) {
    if (energy[l].empty()) continue;
    json["energy_inside"].push_back(mean_of(energy[l]));
    json["zero_maps"].push_back(mean_of(zero_maps[l]));
  }
  return json;
}

// The entry's cell with the highest select score.
std::string best_cell(const nlohmann::json& entry) {
  std::string id;
  double best = -1;
  for (const auto& seed : entry["seeds"])
    if (seed["select"].get<double>() > best) best = seed["select"], id = seed["cell"];
  return id;
}

void link(const std::string& target, const fs::path& at) {
  std::error_code error;
  fs::remove(at, error);
  fs::create_directory_symlink(target, at);
}

// compare/: the winner, the baseline's best configuration and each method's best, linked.
void link_comparison(const nlohmann::json& results, const std::string& dir) {
  const auto compare = fs::path(dir) / kCompare;
  std::error_code error;
  fs::remove_all(compare, error);
  fs::create_directories(compare);
  std::set<std::string> linked, methods;
  int64_t rank = 0;
  for (const auto& entry : results["ranking"]) {
    ++rank;
    const std::string method = entry["method"];
    const bool winner = rank == 1;
    if (!winner && !methods.insert(method + (entry["dfr"].get<bool>() ? "+dfr" : "")).second)
      continue;
    if (winner) methods.insert(method + (entry["dfr"].get<bool>() ? "+dfr" : ""));
    const auto id = best_cell(entry);
    if (!linked.insert(id).second) continue;
    char name[24];
    std::snprintf(name, sizeof name, "%02lld-", static_cast<long long>(rank));
    link(fs::path("..") / "runs" / id, compare / (name + id));
  }
}

}  // namespace

nlohmann::json tune_results(const TuneSpec& spec, const TuneState& state, const std::string& dir) {
  const auto tests = test_names(state);
  nlohmann::json ranking = nlohmann::json::array();
  for (const auto& entry : rank_tune(state.plan.cells, state.done, state.failed))
    ranking.push_back(entry_json(entry, state, tests));
  std::string score = "accuracy";
  for (const auto& [id, result] : state.done)  // the annotator's record has no val
    if (result.contains("val")) score = result.at("val").value("selects_on", score);
  nlohmann::json results = {{"dir", fs::absolute(dir).lexically_normal().string()},
                            {"spec", spec.to_json()},
                            {"score", score},
                            {"tests", test_names(state)},
                            {"ranking", ranking},
                            {"grids", state.plan.grids},
                            {"extended", state.plan.extended},
                            {"failed", state.failed},
                            {"cells", state.plan.cells.size()},
                            {"recorded", state.recorded.size()}};
  if (!ranking.empty())
    results["winner"] = {{"label", ranking[0]["label"]},
                         {"cell", best_cell(ranking[0])},
                         {"select_mean", ranking[0]["select_mean"]},
                         {"tests", ranking[0]["tests"]}};
  return results;
}

nlohmann::json write_tune_outputs(const TuneSpec& spec, const TuneState& state,
                                  const std::string& dir) {
  const auto results = tune_results(spec, state, dir);
  if (results.contains("winner")) {
    const std::string winner = results["winner"]["cell"];
    link(fs::path("runs") / winner, fs::path(dir) / kBestRun);
    const auto run_dir = cell_folder(dir, winner);
    const auto config = run::load_run_config(run_dir);
    const auto model = run::trained_model(run_dir, config, "best");
    models::write_pth((fs::path(dir) / kBestWeights).string(), models::state_dict(*model));
    link_comparison(results, dir);
  }
  write_json_file((fs::path(dir) / kTuneResults).string(), results);
  return results;
}

}  // namespace reff::experiment
