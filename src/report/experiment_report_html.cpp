#include "reff/error.h"
#include "reff/experiment/experiment_report.h"
#include "reff/experiment/tune_report.h"
#include "reff/json_file.h"
#include "reff/report/html.h"
#include "reff/report/html_report.h"

#include <algorithm>
#include <filesystem>
#include <sstream>

namespace reff::report {
namespace fs = std::filesystem;
namespace {

std::string ranking_table(const nlohmann::json& results, const std::vector<std::string>& tests) {
  std::vector<std::string> header = {"rank", "configuration", "select (mean over seeds)",
                                     "seeds: select"};
  for (const auto& test : tests) header.push_back(escape(test));
  if (!tests.empty()) {
    header.push_back(escape(tests.front()) + ": energy inside, layer1-4");
    header.push_back(escape(tests.front()) + ": zero maps, layer1-4");
  }
  header.push_back("seconds");
  std::vector<std::vector<std::string>> rows;
  int64_t rank = 0;
  for (const auto& entry : results["ranking"]) {
    std::string seeds;
    for (const auto& seed : entry["seeds"])
      seeds += (seeds.empty() ? "" : ", ") +
               ("<a href=\"runs/" + escape(seed["cell"].get<std::string>()) + "/report.html\">" +
                percent_text(seed["select"]) + "</a>");
    for (const auto& id : entry["failed"]) seeds += ", failed: " + escape(id.get<std::string>());
    std::string spread = percent_text(entry["select_mean"]);
    if (entry["seeds"].size() > 1)
      spread += " (" + percent_text(entry["select_low"]) + " to " +
                percent_text(entry["select_high"]) + ")";
    std::vector<std::string> row = {std::to_string(++rank),
                                    (rank == 1 ? "<b>" : std::string()) +
                                        escape(entry["label"].get<std::string>()) +
                                        (rank == 1 ? "</b>" : ""),
                                    spread, seeds};
    for (const auto& test : tests) row.push_back(percent_text(entry["tests"].value(test, NAN)));
    if (!tests.empty()) {
      std::string energy, zero;
      for (const auto& v : entry["energy_inside"])
        energy += (energy.empty() ? "" : " / ") + percent_text(v);
      for (const auto& v : entry["zero_maps"])
        zero += (zero.empty() ? "" : " / ") + percent_text(v);
      row.push_back(energy.empty() ? "-" : energy);
      row.push_back(zero.empty() ? "-" : zero);
    }
    row.push_back(std::to_string(int64_t(entry["seconds"].get<double>())));
    rows.push_back(row);
  }
  return html_table(header, rows);
}

// The comparison page's body, its links made relative to DIR.
std::string comparison_body(const std::string& dir) {
  auto page = comparison_report_html((fs::path(dir) / experiment::kCompare).string());
  const auto begin = page.find("<body>"), end = page.rfind("</body>");
  if (begin == std::string::npos || end == std::string::npos) return "";
  auto body = page.substr(begin + 6, end - begin - 6);
  const auto title_end = body.find("</h1>");  // the section's heading stands for its title
  if (title_end != std::string::npos) body.erase(0, title_end + 5);
  const std::string href = "href=\"";
  for (auto at = body.find(href); at != std::string::npos; at = body.find(href, at + 1))
    body.insert(at + href.size(), std::string(experiment::kCompare) + "/");
  return body;
}

std::string tune_page(const nlohmann::json& results, const std::string& dir) {
  const auto tests = results.value("tests", std::vector<std::string>{});
  std::ostringstream body;
  const auto name = fs::path(dir).lexically_normal().filename().string();
  body << "<h1>reff tune: " << escape(name) << "</h1>";
  const auto& spec = results["spec"];
  body << "<p>Preset " << escape(spec["preset"].get<std::string>()) << ", data set "
       << escape(spec["dataset"].get<std::string>()) << ", " << spec["seeds"].size()
       << " seed(s). Every cell chose its epoch on the <b>select</b> half of the shift-free "
          "validation split and is scored there ("
       << escape(results["score"].get<std::string>())
       << "); DFR cells refit their last layer on the other half. A configuration ranks by the "
          "mean of its seeds. Accuracy in %.</p>";
  if (results["ranking"].empty()) {
    body << "<p>No cell has finished yet.</p>";
  } else {
    body << "<p class=\"best\">Winner: " << escape(results["winner"]["label"].get<std::string>())
         << " (run <a href=\"best/report.html\">best/</a>, weights best.pth)</p>";
  }
  for (const auto& [method, text] : results["extended"].items())
    body << "<p class=\"note\">" << escape(method) << ": " << escape(text.get<std::string>())
         << "</p>";
  if (!results["failed"].empty()) {
    body << "<p>Failed cells (their logs: runs/&lt;cell&gt;/cell.json, logs/&lt;cell&gt;.log):";
    for (const auto& id : results["failed"]) body << " " << escape(id.get<std::string>());
    body << "</p>";
  }
  body << "<h2>Ranking</h2>" << ranking_table(results, tests);
  if (!results["ranking"].empty())
    body << "<h2>The winner beside the baseline and each method's best</h2>"
         << comparison_body(dir);
  return html_page("reff tune " + name, body.str());
}

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

std::string tune_report_html(const std::string& tune_dir) {
  return tune_page(read_json_file((fs::path(tune_dir) / experiment::kTuneResults).string()),
                   tune_dir);
}

std::string write_html_report(const std::string& dir) {
  const auto out = (fs::path(dir) / kReportHtml).string();
  // Each run wrote its own report when it finished; runs from before reports get one.
  const auto write_missing = [](const std::vector<std::string>& runs) {
    for (const auto& run : runs)
      if (!fs::exists(fs::path(run) / kReportHtml)) write_html_report(run);
  };
  if (fs::exists(fs::path(dir) / experiment::kTuneFile) &&
      fs::exists(fs::path(dir) / experiment::kTuneResults)) {
    const auto compare = fs::path(dir) / experiment::kCompare;
    if (fs::is_directory(compare)) write_missing(run_folders_in(compare.string()));
    write_text_file(out, tune_report_html(dir));
  } else if (fs::exists(fs::path(dir) / experiment::kResultsJson)) {
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
