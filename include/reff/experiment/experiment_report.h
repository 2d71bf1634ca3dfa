// The report of an experiment (experiment_runner.h), written into its folder:
//   report.md    the table as mean +- std over seeds (accuracy in %, the best of each row in
//                bold, the paper's number beside ours), the chosen hyper-parameters with their
//                validation results, the annotators' held-out overlap, the pictures, and every
//                cell with its status and time (failed cells with their error)
//   cells.csv    one line per cell
//   results.json the tables and every cell's outcome
#pragma once

#include "reff/experiment/experiment_runner.h"

#include <string>

namespace reff::experiment {

constexpr const char* kReport = "report.md";
constexpr const char* kCellsCsv = "cells.csv";
constexpr const char* kResultsJson = "results.json";

// One table entry: the main test set's accuracy over the seeds that finished.
struct Aggregate {
  double mean = 0, std = 0;  // std: the sample standard deviation (0 for one seed)
  int64_t seeds = 0;
  int64_t failed = 0;
};
Aggregate aggregate(const std::vector<double>& values, int64_t failed);

// The table's row labels in order: table2 n (1, 5, ..., "All"), table3 q ("0.0", ..., "1.0").
std::vector<std::string> table_rows(Table table, const ExperimentPreset& preset);
// The paper's "mean ± std" (in %) of a row and method key; empty where it reports none.
std::string paper_number(Table table, const std::string& row, const std::string& method);

// table2: "shift"; table3: "test".
std::string main_test(Table table);

// Row label -> method key -> aggregate of the main test's accuracy (the baseline appears in
// every row of table2: its runs do not depend on n).
std::map<std::string, std::map<std::string, Aggregate>> table_entries(
    const ExperimentResults& results);

void write_report(const ExperimentResults& results, const std::string& dir);

}  // namespace reff::experiment
