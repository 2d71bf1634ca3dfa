#include "fixtures.h"
#include "reff/error.h"
#include "reff/experiment/tune_report.h"
#include "reff/file_bytes.h"
#include "reff/json_file.h"
#include "reff/report/html_report.h"
#include "reff/run/run_assembly.h"

#include <gtest/gtest.h>

#include <set>

namespace reff::experiment {
namespace {
namespace fs = std::filesystem;

// A sweep over the micro experiment's Textured MNIST (seconds a cell).
TuneSpec micro_spec(std::vector<TuneMethod> methods, std::vector<uint64_t> seeds = {0, 1}) {
  static const auto mnist = [] {
    const auto dir = test::fresh_dir("tune_mnist");
    test::write_mnist_folder(dir, test::bar_digits(200));
    return dir.string();
  }();
  TuneSpec spec;
  spec.base = experiment_preset("micro").classifier;
  spec.base["data"]["mnist_dir"] = mnist;
  spec.base["data"]["val"] = "balanced:1:1";
  spec.base["data"]["val_part"] = "select";
  spec.methods = std::move(methods);
  spec.seeds = std::move(seeds);
  return spec;
}

nlohmann::json result(double select, double shift = 0.5) {
  return {{"val", {{"accuracy", select}}},
          {"tests", {{"shift", {{"accuracy", shift}}}}},
          {"best_epoch", 1}};
}

std::vector<std::string> ids(const TunePlan& plan) {
  std::vector<std::string> out;
  for (const auto& cell : plan.cells) out.push_back(cell.id);
  return out;
}

TEST(TunePlan, GridsSeedsDfrAndTheAnnotatorComeFirst) {
  auto spec = micro_spec({{"baseline", {}}, {"reff", {1e-4, 1e-3}}});
  spec.train_annotator = true;
  spec.annotator = nlohmann::json::object();
  const auto plan = plan_tune(spec, {});
  const std::vector<std::string> expected = {"annotator",
                                             "baseline-seed0",
                                             "dfr-baseline-seed0",
                                             "baseline-seed1",
                                             "dfr-baseline-seed1",
                                             "reff-lambda0.0001-seed0",
                                             "dfr-reff-lambda0.0001-seed0",
                                             "reff-lambda0.0001-seed1",
                                             "dfr-reff-lambda0.0001-seed1",
                                             "reff-lambda0.001-seed0",
                                             "dfr-reff-lambda0.001-seed0",
                                             "reff-lambda0.001-seed1",
                                             "dfr-reff-lambda0.001-seed1"};
  EXPECT_EQ(ids(plan), expected);
  EXPECT_EQ(plan.cells[0].kind, CellKind::annotator);
  for (const auto& cell : plan.cells) {
    if (cell.kind == CellKind::annotator) continue;
    EXPECT_EQ(cell.config.val_part, "select") << cell.id;
    EXPECT_EQ(cell.config.train.seed, cell.seed) << cell.id;
    EXPECT_EQ(cell.config.model_seed, cell.seed) << cell.id;
    if (cell.method == kDfrMethod) EXPECT_EQ("dfr-" + cell.refits, cell.id);
  }
  EXPECT_EQ(plan.cells[5].config.train.lambda, 1e-4);
  spec.dfr = false;
  EXPECT_EQ(plan_tune(spec, {}).cells.size(), 7u);
  // The default grid: a decade either side of the method's default on the preset.
  EXPECT_EQ(default_grid(spec, "reff").size(), 3u);
  EXPECT_DOUBLE_EQ(default_grid(spec, "reff")[1], 1e-3);
  EXPECT_TRUE(default_grid(spec, "baseline").empty());
  EXPECT_THROW(default_grid(spec, "no-such-method"), Error);
}

TEST(TunePlan, AGridWhoseBestSitsAtAnEdgeGrowsThereUpToTheLimit) {
  const auto spec = micro_spec({{"reff", {1e-4, 1e-3, 1e-2}}}, {0});
  std::map<std::string, nlohmann::json> done;
  const auto finish = [&](double lambda, double score) {
    char id[64];
    std::snprintf(id, sizeof id, "reff-lambda%g-seed0", lambda);
    done[id] = result(score);
    done[std::string("dfr-") + id] = result(score - 0.1);
  };
  finish(1e-4, 0.5);
  finish(1e-3, 0.6);
  EXPECT_EQ(plan_tune(spec, done).cells.size(), 6u);  // 1e-2 not scored: nothing grows yet
  finish(1e-2, 0.7);                                  // the best at the upper edge
  auto plan = plan_tune(spec, done);
  ASSERT_EQ(plan.cells.size(), 8u);
  EXPECT_EQ(plan.cells[6].id, "reff-lambda0.1-seed0");
  EXPECT_EQ(plan.extended.count("reff"), 1u);
  finish(1e-1, 0.8);  // still the edge: one more step
  finish(1, 0.9);     // and again, but the limit (2 a side) is reached
  plan = plan_tune(spec, done);
  EXPECT_EQ(plan.cells.size(), 10u);
  EXPECT_EQ(plan.grids.at("reff"), (std::vector<double>{1e-4, 1e-3, 1e-2, 1e-1, 1}));
  // The cells keep their places as the plan grows, so --cell K names the same cell.
  EXPECT_EQ(plan.cells[6].id, "reff-lambda0.1-seed0");
  // An interior best adds nothing.
  std::map<std::string, nlohmann::json> interior;
  for (double l : {1e-4, 1e-3, 1e-2}) {
    char id[64];
    std::snprintf(id, sizeof id, "reff-lambda%g-seed0", l);
    interior[id] = result(l == 1e-3 ? 0.9 : 0.5);
    interior[std::string("dfr-") + id] = result(0.1);
  }
  EXPECT_EQ(plan_tune(spec, interior).cells.size(), 6u);
}

TEST(TuneSelection, AConfigurationWinsOnItsMeanOverSeedsNotOnItsLuckiestCell) {
  const auto spec = micro_spec({{"baseline", {}}, {"reff", {1e-3}}}, {0, 1, 2});
  const auto plan = plan_tune(spec, {});
  std::map<std::string, nlohmann::json> done = {
      // baseline: one seed fits the select half best of all cells, the others do not
      {"baseline-seed0", result(0.99)},
      {"baseline-seed1", result(0.40)},
      {"baseline-seed2", result(0.41)},
      // reff: never the single best cell, best on average
      {"reff-lambda0.001-seed0", result(0.80)},
      {"reff-lambda0.001-seed1", result(0.78)},
      {"reff-lambda0.001-seed2", result(0.82)},
      {"dfr-reff-lambda0.001-seed0", result(0.70)},
  };
  const auto ranking = rank_tune(plan.cells, done, {"dfr-reff-lambda0.001-seed1"});
  ASSERT_EQ(ranking.size(), 3u);
  EXPECT_EQ(ranking[0].label(), "reff lambda=0.001");
  EXPECT_NEAR(ranking[0].mean, 0.80, 1e-12);
  EXPECT_DOUBLE_EQ(ranking[0].low, 0.78);
  EXPECT_DOUBLE_EQ(ranking[0].high, 0.82);
  EXPECT_EQ(ranking[1].label(), "reff lambda=0.001 + DFR");
  EXPECT_EQ(ranking[1].failed, std::vector<std::string>{"dfr-reff-lambda0.001-seed1"});
  EXPECT_EQ(ranking[2].label(), "baseline");
  // Worst-group accuracy chooses where the val split has groups.
  const nlohmann::json grouped = {
      {"val",
       {{"accuracy", 0.9}, {"worst_group_accuracy", 0.3}, {"selects_on", "worst_group_accuracy"}}}};
  EXPECT_DOUBLE_EQ(select_score(grouped), 0.3);
}

TEST(TuneSelection, TheFitAndSelectHalvesShareNoImageAndKeepEveryStratum) {
  const auto labels = torch::tensor(std::vector<int64_t>{0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 1});
  const auto groups = torch::tensor(std::vector<int64_t>{0, 0, 1, 1, 2, 2, 3, 3, 2, 2, 1, 3});
  const auto fit = run::val_part_indices(labels, groups, "fit", 7);
  const auto select = run::val_part_indices(labels, groups, "select", 7);
  const auto all = run::val_part_indices(labels, groups, "all", 7);
  std::set<int64_t> both(fit.begin(), fit.end());
  for (auto i : select) EXPECT_TRUE(both.insert(i).second) << i << " is in both halves";
  EXPECT_EQ(both.size(), all.size());
  // each (class, group) stratum is cut in two: the fit half holds floor(n / 2) of each
  std::map<std::pair<int64_t, int64_t>, int64_t> fit_count, total;
  for (auto i : all) ++total[{labels[i].item<int64_t>(), groups[i].item<int64_t>()}];
  for (auto i : fit) ++fit_count[{labels[i].item<int64_t>(), groups[i].item<int64_t>()}];
  for (const auto& [stratum, n] : total) EXPECT_EQ(fit_count[stratum], n / 2);
  // the same seed cuts the same way; another seed may not
  EXPECT_EQ(run::val_part_indices(labels, groups, "fit", 7), fit);
  // without groups, by class alone
  const auto by_class = run::val_part_indices(labels, torch::Tensor(), "fit", 7);
  EXPECT_EQ(by_class.size(), 5u);  // floor(5 / 2) + floor(7 / 2)
}

TEST(TuneSelection, ADfrCellFitsOnTheFitHalfAndIsScoredOnTheSelectHalf) {
  // The DFR cell's record names the half it fitted; its val is the run's (select) half.
  const auto spec = micro_spec({{"baseline", {}}}, {0});
  const auto dir = test::fresh_dir("tune_dfr");
  claim_tune_folder(dir.string(), spec);
  SweepOptions options;
  options.dir = dir.string();
  const auto state = run_sweep(spec, options, training_runner("cpu"));
  ASSERT_EQ(state.done.size(), 2u);
  const auto dfr = read_json_file((dir / "runs" / "dfr-baseline-seed0" / "config.json").string());
  EXPECT_EQ(dfr["dfr"]["val_part"], "fit");
  EXPECT_EQ(dfr["data"]["val_part"], "select");
  const auto fit_images = dfr["dfr"]["images"].get<int64_t>();
  const auto scored = state.done.at("dfr-baseline-seed0")["val"]["count"].get<int64_t>();
  const auto trained = state.done.at("baseline-seed0")["val"]["count"].get<int64_t>();
  EXPECT_EQ(scored, trained);  // the same select half
  EXPECT_GT(fit_images, 0);
  EXPECT_GE(scored, fit_images);  // floor(n / 2) of each stratum fits, the rest selects
  // A refit killed after its checkpoint was written but before its record is done again.
  fs::remove(dir / "runs" / "dfr-baseline-seed0" / kCellFile);
  const auto resumed = run_sweep(spec, options, training_runner("cpu"));
  EXPECT_EQ(resumed.done.size(), 2u);
  EXPECT_TRUE(resumed.failed.empty());
  // The outputs: a ranking, best/ and best.pth.
  const auto results = write_tune_outputs(spec, state, dir.string());
  EXPECT_EQ(results["ranking"].size(), 2u);
  EXPECT_TRUE(fs::exists(dir / "best" / "config.json"));
  EXPECT_TRUE(fs::exists(dir / "best.pth"));
  report::write_html_report(dir.string());
  EXPECT_NE(read_file_bytes((dir / "report.html").string()).find("Ranking"), std::string::npos);
  // Another sweep in the same folder is refused.
  auto other = spec;
  other.seeds = {5};
  EXPECT_THROW(claim_tune_folder(dir.string(), other), Error);
}

}  // namespace
}  // namespace reff::experiment
