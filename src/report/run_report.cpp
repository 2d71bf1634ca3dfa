#include "reff/json_file.h"
#include "reff/report/html.h"
#include "reff/report/html_report.h"
#include "reff/report/run_metrics.h"
#include "reff/report/svg_chart.h"
#include "reff/run/run_folders.h"
#include "reff/train/trainer.h"

#include <cmath>
#include <filesystem>
#include <map>
#include <sstream>

namespace reff::report {
namespace fs = std::filesystem;
namespace {

// The evaluated sets of an epoch line: "val" and each test set, as JSON pointers.
std::vector<std::pair<std::string, std::string>> evaluated_sets(const nlohmann::json& epoch) {
  std::vector<std::pair<std::string, std::string>> sets;
  if (epoch.contains("val")) sets.emplace_back("val", "/val");
  if (epoch.contains("tests"))
    for (const auto& [name, _] : epoch.at("tests").items())
      sets.emplace_back(name, "/tests/" + name);
  return sets;
}

std::string charts(const std::vector<nlohmann::json>& epochs) {
  const auto& last = epochs.back();
  std::ostringstream html;
  // One chart per loss term: their scales differ by orders of magnitude.
  std::vector<Chart> losses;
  for (const auto& [key, value] : last.at("train").items())
    if (value.is_number() && key.find("loss") != std::string::npos)
      losses.push_back({"Training " + key, "epoch", key, {series(epochs, key, "/train/" + key)}});
  Chart accuracy{
      "Accuracy", "epoch", "accuracy", {series(epochs, "train", "/train/accuracy")}, true};
  const auto sets = evaluated_sets(last);
  for (const auto& [name, at] : sets)
    accuracy.series.push_back(series(epochs, name, at + "/accuracy"));
  html << "<h2>Curves</h2><div class=\"charts\">" << svg_chart(accuracy);
  for (const auto& chart : losses) html << svg_chart(chart, 360, 240);
  html << "</div>";

  // Explanation metrics: per set, one chart per metric with a line per layer.
  html << "<h2>Explanations per layer</h2><p class=\"note\">mass inside: the share of each "
          "Grad-CAM map's mass on the task-relevant region; pointing: how often the map's "
          "maximum lies inside it; energy and IoU as defined in docs/metrics.md; zero maps: the "
          "share of samples whose map is all zero (a silenced layer).</p>";
  for (const auto& [name, at] : sets) {
    const auto& layers = last.at(nlohmann::json::json_pointer(at + "/layers"));
    if (!layers.is_array() || layers.empty()) continue;
    std::vector<std::string> metrics;
    for (const auto& [key, value] : layers.front().items())
      if (key != "explained" && (value.is_number() || value.is_null())) metrics.push_back(key);
    html << "<h3>" << escape(name) << "</h3><div class=\"charts\">";
    for (const auto& metric : metrics) {
      Chart chart{name + ": " + metric, "epoch", metric, {}, true};
      for (size_t l = 0; l < layers.size(); ++l)
        chart.series.push_back(series(epochs, "layer" + std::to_string(l + 1),
                                      at + "/layers/" + std::to_string(l) + "/" + metric));
      html << svg_chart(chart, 360, 240);
    }
    html << "</div>";
    std::vector<std::vector<std::string>> rows;
    for (size_t l = 0; l < layers.size(); ++l) {
      std::vector<std::string> row{"layer" + std::to_string(l + 1)};
      for (const auto& metric : metrics)
        row.push_back(
            percent_text(number_at(layers[l], nlohmann::json::json_pointer("/" + metric))));
      rows.push_back(row);
    }
    auto header = metrics;
    header.insert(header.begin(), "epoch " + last.at("epoch").dump());
    html << html_table(header, rows);
  }
  return html.str();
}

std::string summary(const std::vector<nlohmann::json>& epochs) {
  const auto& last = epochs.back();
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"train", percent_text(number_at(last, "/train/accuracy"_json_pointer))});
  for (const auto& [name, at] : evaluated_sets(last))
    rows.push_back({escape(name),
                    percent_text(number_at(last, nlohmann::json::json_pointer(at + "/accuracy")))});
  return html_table({"set", "accuracy, epoch " + last.at("epoch").dump()}, rows);
}

}  // namespace

std::string run_report_html(const std::string& run_dir) {
  const auto config = read_json_file((fs::path(run_dir) / "config.json").string());
  const auto epochs = read_epochs((fs::path(run_dir) / train::kMetrics).string());
  const auto name = fs::path(run_dir).lexically_normal().filename().string();
  std::ostringstream body;
  body << "<h1>reff run " << escape(name) << "</h1><p>";
  if (config.contains("dfr")) {
    body << "DFR (the last layer refit on "
         << escape(config.value("/data/val/name"_json_pointer, std::string("?"))) << ", C "
         << escape(config.at("dfr").value("c", nlohmann::json()).dump()) << ") of ";
  }
  body << escape(config.value("/train/method"_json_pointer, std::string("?"))) << " on "
       << escape(config.value("/data/dataset"_json_pointer, std::string("?"))) << ", preset "
       << escape(config.value("preset", std::string("?"))) << "; " << epochs.size()
       << " epoch(s) recorded.</p>";
  if (epochs.empty()) {
    body << "<p>No epoch has finished yet: metrics.jsonl holds no line.</p>";
  } else {
    body << summary(epochs) << charts(epochs);
  }
  const auto picture = fs::path(run_dir) / run::kExplanationsPicture;
  if (fs::exists(picture)) {
    body << "<h2>Grad-CAM of the best model</h2>"
         << inline_png(picture.string(), "Grad-CAM of the first test images, per layer");
  }
  body << "<h2>Config</h2><details><summary>config.json</summary><pre>" << escape(config.dump(2))
       << "</pre></details>";
  return html_page("reff run " + name, body.str());
}

}  // namespace reff::report
