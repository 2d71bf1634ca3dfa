#include "reff/error.h"
#include "reff/experiment/experiment_report.h"
#include "reff/json_file.h"
#include "reff/report/html.h"
#include "reff/report/html_report.h"

#include <algorithm>
#include <filesystem>
#include <sstream>

namespace reff::report {
namespace fs = std::filesystem;
namespace {

std::string entry_html(const nlohmann::json& entry) {
  const auto seeds = entry.value("seeds", 0);
  if (seeds == 0) return entry.value("failed", 0) > 0 ? "failed" : "-";
  auto text = percent_text(entry.at("mean").get<double>());
  if (seeds > 1) text += " ± " + percent_text(entry.at("std").get<double>());
  return text;
}

std::string accuracy_table(const nlohmann::json& results, experiment::Table table,
                           const experiment::ExperimentPreset& preset) {
  const auto& methods =
      table == experiment::Table::table2 ? preset.table2_methods : preset.table3_methods;
  std::vector<std::string> header{table == experiment::Table::table2 ? "n" : "q"};
  for (const auto& m : methods) header.push_back(escape(m.label));
  std::vector<std::vector<std::string>> rows;
  const auto& accuracy = results.at("accuracy");
  for (const auto& row : experiment::table_rows(table, preset)) {
    double best = -1;
    if (accuracy.contains(row))
      for (const auto& [_, entry] : accuracy.at(row).items())
        if (entry.value("seeds", 0) > 0) best = std::max(best, entry.at("mean").get<double>());
    std::vector<std::string> cells{escape(row)};
    for (const auto& m : methods) {
      const bool found = accuracy.contains(row) && accuracy.at(row).contains(m.key);
      const auto& entry = found ? accuracy.at(row).at(m.key) : nlohmann::json::object();
      const bool bold = found && entry.value("seeds", 0) > 0 && entry.at("mean") == best;
      auto cell =
          std::string(bold ? "<span class=\"best\">" : "<span>") + entry_html(entry) + "</span>";
      const auto paper = experiment::paper_number(table, row, m.key);
      if (!paper.empty()) cell += "<br><span class=\"paper\">paper " + escape(paper) + " %</span>";
      cells.push_back(cell);
    }
    rows.push_back(cells);
  }
  return html_table(header, rows);
}

std::string cells_table(const nlohmann::json& results, const std::string& dir) {
  std::vector<std::vector<std::string>> rows;
  const auto test = results.value("test", std::string("test"));
  for (const auto& cell : results.at("cells")) {
    const auto id = cell.value("id", std::string("?"));
    const auto run = fs::path("runs") / id / kReportHtml;
    const auto name = fs::exists(fs::path(dir) / run)
                          ? "<a href=\"" + escape(run.string()) + "\">" + escape(id) + "</a>"
                          : escape(id);
    const auto at = nlohmann::json::json_pointer("/result/tests/" + test + "/accuracy");
    const auto accuracy = cell.contains(at) && cell.at(at).is_number()
                              ? percent_text(cell.at(at).get<double>())
                              : "-";
    std::ostringstream seconds;
    seconds.precision(0);
    seconds << std::fixed << cell.value("seconds", 0.0);
    rows.push_back({name, escape(cell.value("status", std::string("?"))), accuracy, seconds.str(),
                    escape(cell.value("error", std::string()))});
  }
  return html_table({"cell", "status", test + " accuracy", "seconds", "error"}, rows);
}

}  // namespace

std::string experiment_report_html(const std::string& dir) {
  const auto results = read_json_file((fs::path(dir) / experiment::kResultsJson).string());
  const auto table = experiment::parse_table(results.at("table").get<std::string>());
  const auto preset = experiment::experiment_preset(results.at("preset").get<std::string>());
  const auto title = results.at("table").get<std::string>() + ", preset " + preset.name;
  std::ostringstream body;
  body << "<h1>reff experiment: " << escape(title) << "</h1><p>"
       << (table == experiment::Table::table2
               ? "Trained where the background gives the label away (p = 0), tested where it "
                 "does not (shift). "
               : "Trained and tested without a spurious background (p = 1), by q. ")
       << "Accuracy on <b>" << escape(results.value("test", std::string())) << "</b>, mean ± "
       << "std over seeds " << escape(results.at("seeds").dump())
       << "; the best of each row in bold, the paper's number below ours.</p>"
       << accuracy_table(results, table, preset);
  std::vector<std::vector<std::string>> chosen;
  for (const auto& [method, value] : results.at("chosen").items())
    chosen.push_back({escape(method), escape(value.dump())});
  // Results from before --selection chose on the training distribution's split.
  const auto selection = parse_enum<experiment::Selection>(
      "results.json", results.value("selection", std::string("in-distribution")));
  body << "<h2>Hyper-parameters chosen on val</h2><p>On "
       << escape(experiment::selection_text(table, selection)) << ".</p>"
       << html_table({"method", "value"}, chosen);
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".png")
      body << "<h2>" << escape(entry.path().filename().string()) << "</h2>"
           << inline_png(entry.path().string(), entry.path().filename().string());
  }
  body << "<h2>Cells</h2>" << cells_table(results, dir);
  return html_page("reff " + title, body.str());
}

std::string write_html_report(const std::string& dir) {
  const auto out = (fs::path(dir) / kReportHtml).string();
  // Each run wrote its own report when it finished; runs from before reports get one.
  const auto write_missing = [](const std::vector<std::string>& runs) {
    for (const auto& run : runs)
      if (!fs::exists(fs::path(run) / kReportHtml)) write_html_report(run);
  };
  if (fs::exists(fs::path(dir) / experiment::kResultsJson)) {
    const auto runs = fs::path(dir) / "runs";
    if (fs::is_directory(runs)) write_missing(run_folders_in(runs.string()));
    write_text_file(out, experiment_report_html(dir));
  } else if (fs::exists(fs::path(dir) / "config.json")) {
    write_text_file(out, run_report_html(dir));
  } else {
    const auto runs = run_folders_in(dir);
    REFF_REQUIRE(!runs.empty(), dir,
                 "neither a run folder (config.json), a finished experiment (results.json) nor a "
                 "folder of run folders");
    write_missing(runs);
    write_text_file(out, comparison_report_html(dir));
  }
  return out;
}

}  // namespace reff::report
