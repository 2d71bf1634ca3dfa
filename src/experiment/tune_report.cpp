#include "reff/experiment/tune_report.h"

#include "reff/json_file.h"
#include "reff/models/pth_file.h"
#include "reff/models/state_dict.h"
#include "reff/report/html.h"
#include "reff/report/html_report.h"
#include "reff/run/run_folders.h"

#include <cmath>
#include <filesystem>
#include <set>
#include <sstream>

namespace reff::experiment {
namespace fs = std::filesystem;
namespace {

constexpr const char* kCompare = "compare";

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
    for (const auto& name : tests) {
      if (!result["tests"].contains(name)) continue;
      const auto& test = result["tests"][name];
      cell["tests"][name] = test.value("accuracy", NAN);
      accuracy[name].push_back(test.value("accuracy", NAN));
      if (name != tests.front() || !test.contains("layers")) continue;
      for (size_t l = 0; l < test["layers"].size() && l < 4; ++l) {
        const auto& layer = test["layers"][l];
        if (layer["energy"].is_number()) energy[l].push_back(layer["energy"].get<double>());
        if (layer["zero_maps"].is_number())
          zero_maps[l].push_back(layer["zero_maps"].get<double>());
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

std::string ranking_table(const nlohmann::json& results, const std::vector<std::string>& tests) {
  std::vector<std::string> header = {"rank", "configuration", "select (mean over seeds)",
                                     "seeds: select"};
  for (const auto& test : tests) header.push_back(report::escape(test));
  if (!tests.empty()) {
    header.push_back(report::escape(tests.front()) + ": energy inside, layer1-4");
    header.push_back(report::escape(tests.front()) + ": zero maps, layer1-4");
  }
  header.push_back("seconds");
  std::vector<std::vector<std::string>> rows;
  int64_t rank = 0;
  for (const auto& entry : results["ranking"]) {
    std::string seeds;
    for (const auto& seed : entry["seeds"])
      seeds += (seeds.empty() ? "" : ", ") +
               ("<a href=\"runs/" + report::escape(seed["cell"].get<std::string>()) +
                "/report.html\">" + report::percent_text(seed["select"]) + "</a>");
    for (const auto& id : entry["failed"])
      seeds += ", failed: " + report::escape(id.get<std::string>());
    std::string spread = report::percent_text(entry["select_mean"]);
    if (entry["seeds"].size() > 1)
      spread += " (" + report::percent_text(entry["select_low"]) + " to " +
                report::percent_text(entry["select_high"]) + ")";
    std::vector<std::string> row = {std::to_string(++rank),
                                    (rank == 1 ? "<b>" : std::string()) +
                                        report::escape(entry["label"].get<std::string>()) +
                                        (rank == 1 ? "</b>" : ""),
                                    spread, seeds};
    for (const auto& test : tests)
      row.push_back(report::percent_text(entry["tests"].value(test, NAN)));
    if (!tests.empty()) {
      std::string energy, zero;
      for (const auto& v : entry["energy_inside"])
        energy += (energy.empty() ? "" : " / ") + report::percent_text(v);
      for (const auto& v : entry["zero_maps"])
        zero += (zero.empty() ? "" : " / ") + report::percent_text(v);
      row.push_back(energy.empty() ? "-" : energy);
      row.push_back(zero.empty() ? "-" : zero);
    }
    row.push_back(std::to_string(int64_t(entry["seconds"].get<double>())));
    rows.push_back(row);
  }
  return report::html_table(header, rows);
}

// The comparison page's body, its links made relative to DIR.
std::string comparison_body(const std::string& dir) {
  auto page = report::comparison_report_html((fs::path(dir) / kCompare).string());
  const auto begin = page.find("<body>"), end = page.rfind("</body>");
  if (begin == std::string::npos || end == std::string::npos) return "";
  auto body = page.substr(begin + 6, end - begin - 6);
  const std::string href = "href=\"";
  for (auto at = body.find(href); at != std::string::npos; at = body.find(href, at + 1))
    body.insert(at + href.size(), std::string(kCompare) + "/");
  return body;
}

void write_page(const nlohmann::json& results, const std::vector<std::string>& tests,
                const std::string& dir) {
  std::ostringstream body;
  const auto name = fs::path(dir).lexically_normal().filename().string();
  body << "<h1>reff tune: " << report::escape(name) << "</h1>";
  const auto& spec = results["spec"];
  body << "<p>Preset " << report::escape(spec["preset"].get<std::string>()) << ", data set "
       << report::escape(spec["dataset"].get<std::string>()) << ", " << spec["seeds"].size()
       << " seed(s). Every cell chose its epoch on the <b>select</b> half of the shift-free "
          "validation split and is scored there ("
       << report::escape(results["score"].get<std::string>())
       << "); DFR cells refit their last layer on the other half. A configuration ranks by the "
          "mean of its seeds. Accuracy in %.</p>";
  if (results["ranking"].empty()) {
    body << "<p>No cell has finished yet.</p>";
  } else {
    body << "<p class=\"best\">Winner: "
         << report::escape(results["winner"]["label"].get<std::string>())
         << " (run <a href=\"best/report.html\">best/</a>, weights best.pth)</p>";
  }
  for (const auto& [method, text] : results["extended"].items())
    body << "<p class=\"note\">" << report::escape(method) << ": "
         << report::escape(text.get<std::string>()) << "</p>";
  if (!results["failed"].empty()) {
    body << "<p>Failed cells (their logs: runs/&lt;cell&gt;/cell.json, logs/&lt;cell&gt;.log):";
    for (const auto& id : results["failed"]) body << " " << report::escape(id.get<std::string>());
    body << "</p>";
  }
  body << "<h2>Ranking</h2>" << ranking_table(results, tests);
  if (!results["ranking"].empty())
    body << "<h2>The winner beside the baseline and each method's best</h2>"
         << comparison_body(dir);
  write_text_file((fs::path(dir) / report::kReportHtml).string(),
                  report::html_page("reff tune " + name, body.str()));
}

}  // namespace

nlohmann::json tune_results(const TuneSpec& spec, const TuneState& state, const std::string& dir) {
  const auto tests = test_names(state);
  nlohmann::json ranking = nlohmann::json::array();
  for (const auto& entry : rank_tune(state.plan.cells, state.done, state.failed))
    ranking.push_back(entry_json(entry, state, tests));
  std::string score = "accuracy";
  for (const auto& [id, result] : state.done)
    if (result["val"].contains("selects_on")) score = result["val"]["selects_on"];
  nlohmann::json results = {{"dir", fs::absolute(dir).lexically_normal().string()},
                            {"spec", spec.to_json()},
                            {"score", score},
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
  const auto tests = test_names(state);
  if (results.contains("winner")) {
    const std::string winner = results["winner"]["cell"];
    link(fs::path("runs") / winner, fs::path(dir) / kBestRun);
    const auto run_dir = cell_folder(dir, winner);
    const auto config = run::load_run_config(run_dir);
    const auto model = run::trained_model(run_dir, config, "best");
    models::write_pth((fs::path(dir) / kBestWeights).string(), models::state_dict(*model));
    link_comparison(results, dir);
    for (const auto& run : report::run_folders_in((fs::path(dir) / kCompare).string()))
      if (!fs::exists(fs::path(run) / report::kReportHtml)) report::write_html_report(run);
  }
  write_json_file((fs::path(dir) / kTuneResults).string(), results);
  write_page(results, tests, dir);
  return results;
}

}  // namespace reff::experiment
