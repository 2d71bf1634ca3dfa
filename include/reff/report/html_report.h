// report.html: a run or an experiment on one self-contained page (html.h, svg_chart.h).
//   run folder         the config, per-epoch curves of every loss term and of every accuracy
//                      (train, val, each test set), the explanation metrics per layer (curves
//                      and the last epoch's table) and the Grad-CAM pictures
//   experiment folder  the table with the paper's numbers beside ours, the chosen
//                      hyper-parameters, each cell with a link to its run's report, the pictures
//   tune folder        `reff tune`'s ranking of every configuration above the comparison of the
//                      winner, the baseline and each method's best (tune_report_html)
//   folder of runs     the runs compared (comparison_report_html)
#pragma once

#include <string>

namespace reff::report {

constexpr const char* kReportHtml = "report.html";

std::string run_report_html(const std::string& run_dir);
std::string experiment_report_html(const std::string& experiment_dir);
std::string tune_report_html(const std::string& tune_dir);
// The run folders (config.json and metrics.jsonl) directly inside `dir`, sorted by name.
std::vector<std::string> run_folders_in(const std::string& dir);
// Runs side by side: each run's best epoch in one table (val, every test set, where it looks),
// accuracy and loss curves overlaid, each run's Grad-CAM picture, links to each run's page.
std::string comparison_report_html(const std::string& dir);

// Writes DIR/report.html for a run folder (config.json), a tune folder (tune.json and results.json;
// and the compared runs' reports where they have none), an experiment folder (results.json; and
// each cell's run report where it has none) or a folder of run folders (the comparison; and each
// run's report where it has none) and returns its path. Throws reff::Error naming the folder
// when it is none of these, or a file in it that cannot be read.
std::string write_html_report(const std::string& dir);

}  // namespace reff::report
