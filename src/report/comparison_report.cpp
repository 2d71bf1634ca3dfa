#include "reff/json_file.h"
#include "reff/report/html.h"
#include "reff/report/html_report.h"
#include "reff/report/run_metrics.h"
#include "reff/report/svg_chart.h"
#include "reff/run/run_folders.h"
#include "reff/train/trainer.h"

#include <algorithm>
#include <filesystem>
#include <sstream>

namespace reff::report {
namespace fs = std::filesystem;
namespace {

struct RunPage {
  std::string name;  // the folder's path below the compared folder
  fs::path dir;
  nlohmann::json config;
  std::vector<nlohmann::json> epochs;
  size_t best = 0;
  const nlohmann::json& best_epoch() const { return epochs[best]; }
};

// What a run trained: "reff", "reff + background swap", or "DFR of baseline" for a `reff dfr`
// folder.
std::string method_of(const RunPage& run) {
  auto method = run.config.value("/train/method"_json_pointer, std::string("?"));
  if (run.config.value("/train/background_swap"_json_pointer, false))
    method += " + background swap";
  return run.config.contains("dfr") ? "DFR of " + method : method;
}

// Names of the values a key holds across the runs' records at `pointer`, in first-seen order.
std::vector<std::string> keys_at(const std::vector<RunPage>& runs, const std::string& pointer) {
  std::vector<std::string> keys;
  for (const auto& run : runs) {
    for (const auto& epoch : run.epochs) {
      const nlohmann::json::json_pointer at(pointer);
      if (!epoch.contains(at) || !epoch.at(at).is_object()) continue;
      for (const auto& [key, _] : epoch.at(at).items())
        if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(key);
    }
  }
  return keys;
}

// The test sets in the order the runs' config.json lists them (the first is each run's main one),
// then any other their metrics hold.
std::vector<std::string> test_names(const std::vector<RunPage>& runs) {
  std::vector<std::string> names;
  const auto add = [&](const std::string& name) {
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  };
  for (const auto& run : runs)
    for (const auto& test : run.config.value("/data/tests"_json_pointer, nlohmann::json::array()))
      add(test.value("name", std::string()));
  for (const auto& name : keys_at(runs, "/tests")) add(name);
  names.erase(std::remove(names.begin(), names.end(), std::string()), names.end());
  return names;
}

// "a / b / c / d": a metric of each explained layer, in %.
std::string per_layer(const nlohmann::json& result, const std::string& metric) {
  if (!result.contains("layers") || result["layers"].empty()) return "-";
  std::string text;
  for (const auto& layer : result["layers"])
    text += (text.empty() ? "" : " / ") +
            percent_text(number_at(layer, nlohmann::json::json_pointer("/" + metric)));
  return text;
}

std::string summary_table(const std::vector<RunPage>& runs, const std::vector<std::string>& tests) {
  std::vector<std::string> header = {"run", "method", "best epoch", "val"};
  for (const auto& test : tests) header.push_back(escape(test));
  const auto first = tests.empty() ? std::string() : tests.front();
  if (!first.empty()) {
    header.push_back(escape(first) + ": energy inside, layer1-4");
    header.push_back(escape(first) + ": zero maps, layer1-4");
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& run : runs) {
    const auto& best = run.best_epoch();
    const auto val_name = best.value("/val/name"_json_pointer, std::string("val"));
    std::vector<std::string> row = {
        "<a href=\"" + escape(run.name + "/" + kReportHtml) + "\">" + escape(run.name) + "</a>",
        escape(method_of(run)),
        best.at("epoch").dump() + " of " + std::to_string(run.epochs.size()),
        "<span class=\"val\">" + percent_text(number_at(best, "/val/accuracy"_json_pointer)) +
            "</span>" + (val_name == "val" ? "" : " (" + escape(val_name) + ")")};
    for (const auto& test : tests)
      row.push_back("<span class=\"test\" data-test=\"" + escape(test) + "\">" +
                    percent_text(number_at(
                        best, nlohmann::json::json_pointer("/tests/" + test + "/accuracy"))) +
                    "</span>");
    if (!first.empty()) {
      const nlohmann::json::json_pointer at("/tests/" + first);
      const auto result = best.contains(at) ? best.at(at) : nlohmann::json::object();
      row.push_back(per_layer(result, "energy"));
      row.push_back(per_layer(result, "zero_maps"));
    }
    rows.push_back(row);
  }
  return html_table(header, rows);
}

// One chart per quantity, a line per run.
std::string overlaid_charts(const std::vector<RunPage>& runs,
                            const std::vector<std::string>& tests) {
  std::vector<Chart> charts;
  const auto add = [&](const std::string& title, const std::string& y, const std::string& pointer,
                       bool percent) {
    Chart chart{title, "epoch", y, {}, percent};
    for (const auto& run : runs) chart.series.push_back(series(run.epochs, run.name, pointer));
    charts.push_back(chart);
  };
  add("val accuracy", "accuracy", "/val/accuracy", true);
  for (const auto& test : tests)
    add(test + " accuracy", "accuracy", "/tests/" + test + "/accuracy", true);
  for (const auto& key : keys_at(runs, "/train"))
    if (key.find("loss") != std::string::npos) add("Training " + key, key, "/train/" + key, false);
  std::ostringstream html;
  html << "<h2>Curves</h2><div class=\"charts\">";
  for (const auto& chart : charts) html << svg_chart(chart, 420, 260);
  html << "</div>";
  return html.str();
}

std::string pictures(const std::vector<RunPage>& runs) {
  std::ostringstream html;
  html << "<h2>Grad-CAM of each run's best model</h2><p class=\"note\">Each run draws the first "
          "images of its first test set: the same images where the runs share their data.</p>";
  for (const auto& run : runs) {
    const auto picture = run.dir / run::kExplanationsPicture;
    if (!fs::exists(picture)) continue;
    html << "<h3>" << escape(run.name) << " (" << escape(method_of(run)) << ")</h3>"
         << inline_png(picture.string(), "Grad-CAM of " + run.name);
  }
  return html.str();
}

}  // namespace

std::vector<std::string> run_folders_in(const std::string& dir) {
  std::vector<std::string> runs;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(dir, error))
    if (entry.is_directory() && fs::exists(entry.path() / "config.json") &&
        fs::exists(entry.path() / train::kMetrics))
      runs.push_back(entry.path().string());
  std::sort(runs.begin(), runs.end());
  return runs;
}

std::string comparison_report_html(const std::string& dir) {
  std::vector<RunPage> runs;
  for (const auto& run_dir : run_folders_in(dir)) {
    RunPage run{fs::path(run_dir).filename().string(), run_dir,
                read_json_file((fs::path(run_dir) / "config.json").string()),
                read_epochs((fs::path(run_dir) / train::kMetrics).string())};
    if (run.epochs.empty()) continue;  // not one finished epoch yet
    run.best = best_epoch_index(run.epochs);
    runs.push_back(std::move(run));
  }
  const auto name = fs::path(dir).lexically_normal().filename().string();
  std::ostringstream body;
  body << "<h1>reff runs compared: " << escape(name) << "</h1>";
  if (runs.empty()) {
    body << "<p>No run in this folder has finished an epoch yet.</p>";
    return html_page("reff runs " + name, body.str());
  }
  const auto tests = test_names(runs);
  body << "<p>" << runs.size()
       << " runs, each at the epoch it keeps as best (by its own validation split); accuracy in "
          "%, each run's name links to its own page.</p>"
       << summary_table(runs, tests) << overlaid_charts(runs, tests) << pictures(runs);
  return html_page("reff runs " + name, body.str());
}

}  // namespace reff::report
