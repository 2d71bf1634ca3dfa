#include "fixtures.h"
#include "reff/error.h"
#include "reff/experiment/experiment_report.h"
#include "reff/json_file.h"
#include "reff/train/trainer.h"

#include <gtest/gtest.h>

#include <fstream>

namespace reff::experiment {
namespace {
namespace fs = std::filesystem;

// The micro preset on a small MNIST-layout folder written by the test (no download, seconds).
ExperimentPreset micro_preset() {
  static const auto mnist = [] {
    const auto dir = test::fresh_dir("experiment_mnist");
    test::write_mnist_folder(dir, test::bar_digits(200));
    return dir.string();
  }();
  auto preset = experiment_preset("micro");
  preset.classifier["data"]["mnist_dir"] = mnist;
  return preset;
}

ExperimentOptions options_for(Table table, const fs::path& dir) {
  ExperimentOptions options;
  options.table = table;
  options.preset = micro_preset();
  options.seeds = {0};
  options.dir = dir.string();
  return options;
}

// A classifier's result with the given accuracies, in the trainer's record format.
nlohmann::json fake_result(double val, double test, double mass) {
  const nlohmann::json layers = {{{"mass_inside", mass}}, {{"mass_inside", nullptr}}};
  return {{"val", {{"accuracy", val}, {"layers", layers}}},
          {"tests",
           {{"shift", {{"accuracy", test}}},
            {"iid", {{"accuracy", 1.0}}},
            {"test", {{"accuracy", test}}}}},
          {"best_epoch", 1}};
}

TEST(ExperimentPlan, ChoosesTheValueWithTheMostMassInsideAmongTheNearlyBestOnValidation) {
  std::map<double, nlohmann::json> results = {
      {1e-5, fake_result(0.990, 0.1, 0.30)},  // within half a point, less focused
      {1e-4, fake_result(0.996, 0.1, 0.50)},  // kept, most focused: chosen
      {1e-3, fake_result(0.950, 0.9, 0.90)},  // most focused but too inaccurate on val
  };
  EXPECT_EQ(choose_value(results), 1e-4);
  results[1e-2] = fake_result(0.996, 0.1, 0.50);  // a tie goes to the smaller value
  EXPECT_EQ(choose_value(results), 1e-4);
  EXPECT_FALSE(choose_value({}).has_value());
  // The null mass of a layer without maps counts as 0: (0.5 + 0) / 2.
  EXPECT_DOUBLE_EQ(summarise_run(fake_result(1, 0, 0.5)).val_mass_inside, 0.25);
}

TEST(ExperimentPlan, Table2SharesAnnotatorsAndReusesSelectionRunsAsCells) {
  const auto preset = micro_preset();
  const auto selection = selection_cells(Table::table2, preset, {0, 1});
  EXPECT_EQ(selection.size(), 10u);  // five methods with two values each
  const std::map<std::string, double> chosen = {{"reff", 1e-3}, {"abn", 10}};
  const auto cells = table_cells(Table::table2, preset, {0, 1}, chosen);
  // Per seed: the baseline, its DFR, one annotator (n = 1), reff and abn at n = 1 and n = All.
  EXPECT_EQ(cells.size(), 2u * 7u);
  EXPECT_EQ(cells[1].id, "dfr-p0-q1-seed0");
  EXPECT_EQ(cells[1].refits, "baseline-p0-q1-seed0");
  int64_t reused = 0;
  for (const auto& cell : cells)
    for (const auto& s : selection) reused += cell.id == s.id;
  EXPECT_EQ(reused, 2);  // reff and abn at n = All with seed 0
  for (const auto& cell : cells) {
    if (cell.method == "abn") EXPECT_EQ(cell.config.train.lambda, 10);
    EXPECT_EQ(cell.config.model_seed, cell.seed);
  }
  for (const auto& cell : cells) {  // shift-free selection: the classifiers' val is balanced
    if (cell.kind == CellKind::classifier) EXPECT_EQ(cell.config.val.name, "balanced") << cell.id;
    if (cell.kind == CellKind::annotator) EXPECT_TRUE(cell.config.val.name.empty()) << cell.id;
  }
  auto paper_selection = preset;
  paper_selection.selection = Selection::in_distribution;
  for (const auto& cell : selection_cells(Table::table2, paper_selection, {0}))
    EXPECT_TRUE(cell.config.val.name.empty()) << cell.id;
  for (const auto& cell : selection_cells(Table::table3, preset, {0}))
    EXPECT_TRUE(cell.config.val.name.empty()) << cell.id;  // p = 1: nothing to break
  test::expect_error_mentioning([] { experiment_preset("huge"); }, "--preset");
  test::expect_error_mentioning([] { parse_table("table9"); }, "table9");
}

TEST(ExperimentReport, AggregatesSeedsWithTheSampleStd) {
  const auto a = aggregate({0.5, 0.7}, 1);
  EXPECT_DOUBLE_EQ(a.mean, 0.6);
  EXPECT_NEAR(a.std, std::sqrt(0.02), 1e-12);
  EXPECT_EQ(a.failed, 1);
  EXPECT_EQ(aggregate({0.4}, 0).std, 0);
}

TEST(ExperimentRunner, ReportsFailuresKeepsFinishedCellsAndRetriesOnRequest) {
  const auto dir = test::fresh_dir("experiment_fake");
  auto options = options_for(Table::table3, dir);
  options.seeds = {0, 1};
  int64_t calls = 0;
  const CellRunner fake = [&](const Cell& cell, const std::string&) -> nlohmann::json {
    ++calls;
    if (cell.method == "reff" && cell.config.data.q == 0.0) throw Error("boom at q 0");
    return fake_result(0.9, cell.method == "reff" ? 0.8 : 0.7 + 0.1 * double(cell.seed), 0.5);
  };
  auto results = run_experiment(options, fake);
  // Selection: reff's two values at q = 1 (seed 0); cells: baseline and reff at q = 0 and q = 1
  // for both seeds, the seed-0 reff cell at q = 1 being the chosen selection run.
  EXPECT_EQ(calls, 2 + 7);
  EXPECT_EQ(results.cells_run, 9);
  write_report(results, dir.string());
  const auto entries = table_entries(results);
  EXPECT_EQ(entries.at("0.0").at("reff").failed, 2);
  EXPECT_DOUBLE_EQ(entries.at("1.0").at("reff").mean, 0.8);
  const auto report = test::read_file(dir / kReport);
  // Mean +- sample std of 0.7 and 0.8; the failed cells shown as such.
  EXPECT_NE(report.find("| 0.0 | **75.00 ± 7.07** | failed |"), std::string::npos) << report;
  EXPECT_NE(report.find("boom at q 0"), std::string::npos);
  EXPECT_NE(report.find("99.49 ± 0.08"), std::string::npos);  // the paper's number beside ours

  calls = 0;
  results = run_experiment(options, fake);
  EXPECT_EQ(calls, 0);  // everything finished, the failure included
  options.retry_failed = true;
  results = run_experiment(options, fake);
  EXPECT_EQ(calls, 2);  // only the failed cells
  // Another selection or table in the same folder is refused.
  options.preset.selection = Selection::in_distribution;
  test::expect_error_mentioning([&] { run_experiment(options, fake); }, "selection shift-free");
  options.preset.selection = Selection::shift_free;
  options.table = Table::table2;
  test::expect_error_mentioning([&] { run_experiment(options, fake); }, "table3");
}

TEST(ExperimentRunner, MicroTable2TrainsEveryCellOnceAndTheReportMatchesTheRuns) {
  const auto dir = test::fresh_dir("experiment_micro");
  const auto options = options_for(Table::table2, dir);
  int64_t runs = 0;
  const auto real = training_runner("cpu");
  const CellRunner counting = [&](const Cell& cell, const std::string& folder) {
    ++runs;
    return real(cell, folder);
  };
  const auto results = run_experiment(options, counting);
  write_report(results, dir.string());
  // 10 selection runs (5 methods x 2 values at n = All), then the baseline, its DFR, the n = 1
  // annotator and 5 methods at n = 1; the n = All cells are selection runs.
  EXPECT_EQ(runs, 18);
  EXPECT_EQ(results.chosen.size(), 5u);
  EXPECT_TRUE(fs::exists(dir / kAnnotationsPicture));
  const auto json = read_json_file((dir / kResultsJson).string());
  int64_t checked = 0;
  for (const auto& cell : json.at("cells")) {
    ASSERT_EQ(cell.at("status"), "done") << cell.at("id") << ": " << cell.at("error");
    if (cell.at("kind") != "classifier") continue;
    // The report's numbers are the run's own: its metrics line of the best epoch.
    std::ifstream metrics(dir / "runs" / cell.at("id").get<std::string>() / "metrics.jsonl");
    std::string line, best;
    const auto best_epoch = cell.at("result").at("best_epoch").get<int64_t>();
    for (int64_t epoch = 1; std::getline(metrics, line); ++epoch)
      if (epoch == best_epoch) best = line;
    const auto record = nlohmann::json::parse(best);
    EXPECT_EQ(record["tests"]["shift"]["accuracy"], cell["result"]["tests"]["shift"]["accuracy"]);
    ++checked;
  }
  EXPECT_EQ(checked, 17);
  // DFR stands in every row, read from its own run folder.
  const auto dfr = json.at("accuracy").at("1").at("dfr");
  EXPECT_EQ(dfr.at("seeds"), 1);
  EXPECT_EQ(dfr.at("mean"), json.at("accuracy").at("All").at("dfr").at("mean"));
  const auto dfr_config =
      read_json_file((dir / "runs" / "dfr-p0-q1-seed0" / "config.json").string());
  EXPECT_EQ(dfr_config.at("data").at("val").at("name"), "balanced");
  EXPECT_EQ(dfr_config.at("dfr").at("from"),
            fs::absolute(dir / "runs" / "baseline-p0-q1-seed0").lexically_normal().string());
  EXPECT_TRUE(fs::exists(dir / kReport));

  // Resume: a finished experiment runs nothing; a cell whose record was lost runs again and
  // continues from its checkpoint.
  runs = 0;
  run_experiment(options, counting);
  EXPECT_EQ(runs, 0);
  fs::remove(dir / "runs" / results.cells.back().first.id / kCellFile);
  run_experiment(options, counting);
  EXPECT_EQ(runs, 1);
}

}  // namespace
}  // namespace reff::experiment
