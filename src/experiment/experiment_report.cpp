#include "reff/experiment/experiment_report.h"

#include "reff/error.h"
#include "reff/json_file.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>

namespace reff::experiment {
namespace fs = std::filesystem;
namespace {

// The paper's Table 2 (docs/method.md): row -> method key -> "mean +- std" in %.
const std::map<std::string, std::map<std::string, std::string>> kSeedTable2 = {
    {"1",
     {{"reff", "50.25 ± 2.65"},
      {"reff-l1", "50.43 ± 1.19"},
      {"reff-l2", "45.21 ± 2.45"},
      {"abn", "43.88 ± 2.19"}}},
    {"5",
     {{"reff", "52.09 ± 4.96"},
      {"reff-l1", "51.47 ± 0.82"},
      {"reff-l2", "44.80 ± 2.53"},
      {"abn", "41.40 ± 2.54"}}},
    {"10",
     {{"reff", "56.73 ± 8.10"},
      {"reff-l1", "53.39 ± 3.17"},
      {"reff-l2", "45.42 ± 2.10"},
      {"abn", "43.42 ± 2.44"}}},
    {"20",
     {{"reff", "53.88 ± 1.41"},
      {"reff-l1", "55.01 ± 1.55"},
      {"reff-l2", "47.78 ± 0.28"},
      {"abn", "44.25 ± 3.97"}}},
    {"50",
     {{"reff", "51.81 ± 1.10"},
      {"reff-l1", "46.27 ± 1.38"},
      {"reff-l2", "47.51 ± 0.57"},
      {"abn", "45.44 ± 4.59"}}},
    {"All",
     {{"reff", "46.44 ± 1.01"},
      {"reff-l1", "43.22 ± 1.08"},
      {"reff-l2", "42.49 ± 0.98"},
      {"abn", "53.23 ± 4.77"}}},
};
// The paper's Table 3 gives q = 1.0 only; every q is above 99 % for both.
const std::map<std::string, std::map<std::string, std::string>> kSeedTable3 = {
    {"1.0", {{"baseline", "99.46 ± 0.05"}, {"reff", "99.49 ± 0.08"}}},
};

std::string percent(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f", 100 * value);
  return text;
}

std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", value);
  return text;
}

std::vector<std::string> rows(const ExperimentResults& results) {
  return table_rows(results.table, results.preset);
}

const std::vector<MethodSpec>& methods(const ExperimentResults& results) {
  return results.table == Table::table2 ? results.preset.table2_methods
                                        : results.preset.table3_methods;
}

double test_accuracy(const CellOutcome& outcome, const std::string& test) {
  return outcome.result.at("tests").at(test).at("accuracy").get<double>();
}

// Where a cell's model looks and which class it fails most on a test set (docs/metrics.md):
// "worst class | energy | zero maps", the last two averaged over the explained layers; "-" where
// the cell was run before these were recorded.
std::string shift_details(const CellOutcome& outcome, const std::string& test) {
  const auto& result = outcome.result.at("tests").at(test);
  if (!result.contains("per_class")) return "- | - | -";
  double worst = 1;
  for (const auto& [name, entry] : result["per_class"].items())
    worst = std::min(worst, entry.at("accuracy").get<double>());
  double energy = 0, zero = 0;
  int64_t layers = 0;
  for (const auto& layer : result.at("layers")) {
    if (!layer.at("energy").is_number() || !layer.at("zero_maps").is_number()) continue;
    energy += layer["energy"].get<double>();
    zero += layer["zero_maps"].get<double>();
    ++layers;
  }
  if (layers == 0) return percent(worst) + " | - | -";
  return percent(worst) + " | " + percent(energy / layers) + " | " + percent(zero / layers);
}

std::string entry_text(const Aggregate& a) {
  if (a.seeds == 0) return a.failed > 0 ? "failed" : "-";
  auto text = a.seeds == 1 ? percent(a.mean) : percent(a.mean) + " ± " + percent(a.std);
  if (a.failed > 0) text += " (" + std::to_string(a.failed) + " failed)";
  return text;
}

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

std::string one_line(std::string text) {
  for (auto& c : text)
    if (c == '\n' || c == '|') c = ' ';
  return text;
}

// "| n | Baseline | ReFF | ... |" and its rule: the head of the table and of the pictures' table.
void table_head(std::ostringstream& md, const ExperimentResults& results) {
  md << "| " << (results.table == Table::table2 ? "n" : "q") << " |";
  for (const auto& m : methods(results)) md << " " << m.label << " |";
  md << "\n|---|";
  for (size_t i = 0; i < methods(results).size(); ++i) md << "---|";
  md << "\n";
}

void markdown_table(std::ostringstream& md, const ExperimentResults& results) {
  const auto entries = table_entries(results);
  table_head(md, results);
  for (const auto& row : rows(results)) {
    const auto found = entries.find(row);
    double best = -1;
    if (found != entries.end()) {
      for (const auto& [key, a] : found->second)
        if (a.seeds > 0) best = std::max(best, a.mean);
    }
    md << "| " << row << " |";
    for (const auto& m : methods(results)) {
      Aggregate a;
      if (found != entries.end() && found->second.count(m.key)) a = found->second.at(m.key);
      const bool bold = a.seeds > 0 && a.mean == best;
      md << " " << (bold ? "**" : "") << entry_text(a) << (bold ? "**" : "");
      const auto paper = paper_number(results.table, row, m.key);
      if (!paper.empty()) md << " (paper " << paper << ")";
      md << " |";
    }
    md << "\n";
  }
}

}  // namespace

std::vector<std::string> table_rows(Table table, const ExperimentPreset& preset) {
  std::vector<std::string> labels;
  if (table == Table::table2) {
    for (int64_t n : preset.table2_n) labels.push_back(n == 0 ? "All" : std::to_string(n));
  } else {
    for (double q : preset.table3_q) {
      char text[16];
      std::snprintf(text, sizeof text, "%.1f", q);
      labels.push_back(text);
    }
  }
  return labels;
}

std::string paper_number(Table table, const std::string& row, const std::string& method) {
  const auto& seed = table == Table::table2 ? kSeedTable2 : kSeedTable3;
  const auto found = seed.find(row);
  if (found == seed.end() || !found->second.count(method)) return "";
  return found->second.at(method);
}

Aggregate aggregate(const std::vector<double>& values, int64_t failed) {
  Aggregate a;
  a.seeds = static_cast<int64_t>(values.size());
  a.failed = failed;
  if (values.empty()) return a;
  for (double v : values) a.mean += v;
  a.mean /= double(values.size());
  if (values.size() > 1) {
    double squares = 0;
    for (double v : values) squares += (v - a.mean) * (v - a.mean);
    a.std = std::sqrt(squares / double(values.size() - 1));
  }
  return a;
}

std::string main_test(Table table) { return table == Table::table2 ? "shift" : "test"; }

std::map<std::string, std::map<std::string, Aggregate>> table_entries(
    const ExperimentResults& results) {
  std::map<std::string, std::map<std::string, std::vector<double>>> values;
  std::map<std::string, std::map<std::string, int64_t>> failures;
  const auto test = main_test(results.table);
  for (const auto& [cell, outcome] : results.cells) {
    if (cell.kind != CellKind::classifier) continue;
    // table2's baseline and DFR run once per seed and stand in every row.
    const bool every_row = results.table == Table::table2 && uses_no_masks(cell.method);
    const auto targets =
        every_row ? rows(results) : std::vector<std::string>{row_label(results.table, cell)};
    for (const auto& row : targets) {
      if (outcome.status == CellStatus::done) {
        values[row][cell.method].push_back(test_accuracy(outcome, test));
      } else {
        ++failures[row][cell.method];
      }
    }
  }
  std::map<std::string, std::map<std::string, Aggregate>> entries;
  for (const auto& row : rows(results)) {
    for (const auto& m : methods(results)) {
      const auto& v = values[row][m.key];
      const auto f = failures[row][m.key];
      if (!v.empty() || f > 0) entries[row][m.key] = aggregate(v, f);
    }
  }
  return entries;
}

namespace {

void write_table(std::ostringstream& md, const ExperimentResults& results) {
  std::string seeds;
  for (auto s : results.seeds) seeds += (seeds.empty() ? "" : ", ") + std::to_string(s);
  if (results.table == Table::table2) {
    md << "# Table 2: robustness to a spurious background\n\n"
       << "Trained at (p, q) = (0, 1), where the background gives the label away; tested at "
          "(1, 1) (`shift`), where it does not. ";
  } else {
    md << "# Table 3: no spurious feature\n\n"
       << "Trained and tested at p = 1 (random backgrounds) with the digit-texture randomness q "
          "of the row. ";
  }
  md << "Preset `" << results.preset.name << "`, seeds " << seeds << "; accuracy in % on the `"
     << main_test(results.table)
     << "` set, mean ± std over the seeds that finished (sample std; a single number: one seed); "
        "the best "
        "of each row in bold; the paper's number in brackets. Hyper-parameters and each cell's "
        "best epoch chosen on "
     << selection_text(results.table, results.preset.selection)
     << " (rule in `experiment_plan.h`).\n\n";
  markdown_table(md, results);
  if (results.table == Table::table2) {
    md << "\nDFR: the baseline's last layer refit on the shift-free validation split `balanced` "
          "(Deep Feature Reweighting, `reff dfr`; no masks). ReFF (focus): Eq. (3) on the share "
          "of each map outside the mask, with maps of |Grad-CAM| of z_c - mean_j z_j.\n";
  }
  if (results.table == Table::table3) {
    md << "\nThe paper reports q = 1.0 only, and above 99 % for both at every q.\n";
  }
}

// table2's classifier cells on the training distribution too, with where they look.
void write_classifier_cells(std::ostringstream& md, const ExperimentResults& results) {
  if (results.table != Table::table2) return;
  md << "\n## Every classifier cell: accuracy (%) at (0, 1) (`iid`) and (1, 1) (`shift`)\n\n"
     << "On `shift`: the accuracy of the worst class, and, averaged over the four layers, the "
        "energy pointing game and the share of all-zero maps (docs/metrics.md).\n\n"
     << "| cell | iid | shift | worst class | energy | zero maps |\n|---|---|---|---|---|---|\n";
  for (const auto& [cell, outcome] : results.cells) {
    if (cell.kind != CellKind::classifier || outcome.status != CellStatus::done) continue;
    md << "| " << cell.id << " | " << percent(test_accuracy(outcome, "iid")) << " | "
       << percent(test_accuracy(outcome, "shift")) << " | " << shift_details(outcome, "shift")
       << " |\n";
  }
}

void write_selection(std::ostringstream& md, const ExperimentResults& results) {
  md << "\n## Hyper-parameters chosen on validation\n\n"
     << "On " << selection_text(results.table, results.preset.selection)
     << ". Each value trained once (seed " << results.seeds.front() << ", "
     << (results.table == Table::table2 ? "n = All" : "q = 1.0")
     << "); kept: val accuracy within 0.5 points of the best; chosen among those: the most "
        "Grad-CAM mass inside the val masks (mean over layers); ties: the smaller value.\n\n"
     << "| method | lambda (ABN: gamma) | status | val acc | val mass inside | chosen |\n"
     << "|---|---|---|---|---|---|\n";
  for (const auto& [cell, outcome] : results.selection) {
    const auto chosen = results.chosen.find(cell.method);
    const bool is_chosen =
        chosen != results.chosen.end() && chosen->second == cell.config.train.lambda;
    md << "| " << cell.method << " | " << number(cell.config.train.lambda) << " | "
       << enum_name(outcome.status) << " | ";
    if (outcome.status == CellStatus::done) {
      const auto s = summarise_run(outcome.result);
      md << percent(s.val_accuracy) << " | " << std::to_string(s.val_mass_inside).substr(0, 5);
    } else {
      md << "- | -";
    }
    md << " | " << (is_chosen ? "**yes**" : "") << " |\n";
  }
}

void write_annotators(std::ostringstream& md, const ExperimentResults& results) {
  bool annotators = false;
  for (const auto& [cell, outcome] : results.cells) annotators |= cell.kind == CellKind::annotator;
  if (!annotators) return;
  md << "\n## Pseudo-annotators: G(x) against the true masks on held-out val images\n\n"
     << "| annotator | status | IoU | Dice | seconds |\n|---|---|---|---|---|\n";
  for (const auto& [cell, outcome] : results.cells) {
    if (cell.kind != CellKind::annotator) continue;
    md << "| " << cell.id << " | " << enum_name(outcome.status) << " | ";
    if (outcome.status == CellStatus::done) {
      md << std::to_string(outcome.result.value("iou", 0.0)).substr(0, 5) << " | "
         << std::to_string(outcome.result.value("dice", 0.0)).substr(0, 5);
    } else {
      md << "- | -";
    }
    md << " | " << int64_t(outcome.seconds) << " |\n";
  }
  md << "\n![pseudo-annotations](" << kAnnotationsPicture
     << ")\n\nRows: images x, masks s, then G(x) for each n, largest first (the paper's "
        "Fig. 2).\n";
}

// A link to the explanations picture of each row and method (the first seed's run).
void write_pictures(std::ostringstream& md, const ExperimentResults& results) {
  md << "\n## Explanations (the paper's Figs. 3-6), seed " << results.seeds.front() << "\n\n"
     << "Each picture: rows of test samples; columns input, mask, Grad-CAM of the top class at "
        "layer1..layer4 (ABN: and its attention map M(x)).\n\n";
  table_head(md, results);
  for (const auto& row : rows(results)) {
    md << "| " << row << " |";
    for (const auto& m : methods(results)) {
      std::string link = "-";
      for (const auto& [cell, outcome] : results.cells) {
        if (cell.kind == CellKind::classifier && cell.method == m.key &&
            cell.seed == results.seeds.front() && outcome.status == CellStatus::done &&
            (row_label(results.table, cell) == row ||
             (results.table == Table::table2 && m.key == "baseline")))
          link = "[png](runs/" + cell.id + "/explanations.png)";
      }
      md << " " << link << " |";
    }
    md << "\n";
  }
}

// Every cell, selection cells first: a line of the report's last table, of cells.csv and of
// results.json's "cells".
struct CellRecords {
  std::ostringstream md, csv;
  nlohmann::json json = nlohmann::json::array();
};

void add_cell(CellRecords& records, const ExperimentResults& results, const Cell& cell,
              const CellOutcome& outcome) {
  const auto test = main_test(results.table);
  const bool classifier = cell.kind == CellKind::classifier;
  const bool done = outcome.status == CellStatus::done;
  std::string result = done ? "" : one_line(outcome.error);
  if (done && classifier) {
    result = "val " + percent(outcome.result["val"]["accuracy"].get<double>()) + ", " + test + " " +
             percent(test_accuracy(outcome, test));
  } else if (done) {
    result = "IoU " + std::to_string(outcome.result.value("iou", 0.0)).substr(0, 5);
  }
  records.md << "| " << cell.id << " | " << enum_name(outcome.status) << " | "
             << int64_t(outcome.seconds) << " | " << result << " |\n";
  auto& csv = records.csv;
  csv << table_name(results.table) << "," << cell.id << ","
      << (classifier ? "classifier" : "annotator") << "," << cell.method << ","
      << row_label(results.table, cell) << "," << cell.seed << ","
      << number(cell.config.train.lambda) << "," << enum_name(outcome.status) << ","
      << outcome.seconds << ",";
  if (done && classifier) {
    csv << outcome.result["val"]["accuracy"].get<double>() << "," << test_accuracy(outcome, test)
        << ",";
    csv << (results.table == Table::table2 ? number(test_accuracy(outcome, "iid")) : "") << ",";
  } else {
    csv << ",,,";
  }
  csv << (done && !classifier ? number(outcome.result.value("iou", 0.0)) : "") << ","
      << csv_field(one_line(outcome.error)) << "\n";
  records.json.push_back({{"id", cell.id},
                          {"kind", classifier ? "classifier" : "annotator"},
                          {"method", cell.method},
                          {"row", row_label(results.table, cell)},
                          {"seed", cell.seed},
                          {"lambda", cell.config.train.lambda},
                          {"status", enum_name(outcome.status)},
                          {"seconds", outcome.seconds},
                          {"error", outcome.error},
                          {"result", outcome.result}});
}

nlohmann::json accuracy_json(const ExperimentResults& results) {
  nlohmann::json table_json;
  for (const auto& [row, entries] : table_entries(results)) {
    for (const auto& [method, a] : entries) {
      table_json[row][method] = {
          {"mean", a.mean}, {"std", a.std}, {"seeds", a.seeds}, {"failed", a.failed}};
    }
  }
  return table_json;
}

}  // namespace

void write_report(const ExperimentResults& results, const std::string& dir) {
  std::ostringstream md;
  write_table(md, results);
  write_classifier_cells(md, results);
  write_selection(md, results);
  write_annotators(md, results);
  write_pictures(md, results);

  const auto every_cell = all_cells(results);
  double total_seconds = 0;
  for (const auto& [cell, outcome] : every_cell) total_seconds += outcome.seconds;
  CellRecords records;
  records.csv << "table,cell,kind,method,row,seed,lambda,status,seconds,val_accuracy,"
                 "test_accuracy,iid_accuracy,iou,error\n";
  for (const auto& [cell, outcome] : every_cell) add_cell(records, results, cell, outcome);
  md << "\n## Cells\n\nTime: " << int64_t(total_seconds / 60)
     << " min in all (wall time of the sessions that finished each cell).\n\n"
     << "| cell | status | seconds | result |\n|---|---|---|---|\n"
     << records.md.str();

  write_text_file((fs::path(dir) / kReport).string(), md.str());
  write_text_file((fs::path(dir) / kCellsCsv).string(), records.csv.str());
  write_json_file((fs::path(dir) / kResultsJson).string(),
                  {{"table", table_name(results.table)},
                   {"preset", results.preset.name},
                   {"selection", enum_name(results.preset.selection)},
                   {"seeds", results.seeds},
                   {"test", main_test(results.table)},
                   {"chosen", results.chosen},
                   {"accuracy", accuracy_json(results)},
                   {"seconds", total_seconds},
                   {"cells", records.json}});
}

}  // namespace reff::experiment
