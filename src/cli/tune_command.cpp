#include "tune_command.h"

#include "launch_command.h"
#include "progress.h"
#include "reff/error.h"
#include "reff/experiment/tune_report.h"
#include "reff/experiment/tune_slurm.h"
#include "reff/percent_text.h"
#include "reff/report/html_report.h"
#include "reff/run/dataset_kind.h"
#include "reff/run/pretrain.h"
#include "reff/run/run_assembly.h"
#include "reff/train/annotator.h"
#include "run_options.h"
#include "stop_on_signal.h"
#include "train_command.h"

#include <torch/torch.h>

#include <filesystem>
#include <iostream>
#include <memory>
#include <stdexcept>

namespace reff::cli {
namespace fs = std::filesystem;
namespace {

std::vector<double> parse_lambdas(const std::string& text, std::string& method) {
  const auto colon = text.find(':');
  REFF_REQUIRE(colon != std::string::npos && colon > 0, "--lambdas",
               "'" + text + "' is not METHOD:v,v,... (e.g. reff:1e-4,1e-3,1e-2)");
  method = text.substr(0, colon);
  std::vector<double> values;
  std::string rest = text.substr(colon + 1);
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    const auto item = rest.substr(0, comma);
    double value = 0;
    try {
      size_t used = 0;
      value = std::stod(item, &used);
      REFF_REQUIRE(used == item.size(), "--lambdas", "'" + item + "' is not a number");
    } catch (const std::logic_error&) {
      fail("--lambdas", "'" + item + "' is not a number");
    }
    REFF_REQUIRE(value > 0 && std::isfinite(value), "--lambdas",
                 method + ": every value must be > 0, not " + item);
    values.push_back(value);
    rest = comma == std::string::npos ? "" : rest.substr(comma + 1);
  }
  REFF_REQUIRE(!values.empty(), "--lambdas", method + ": the grid is empty");
  return values;
}

struct TuneCommand {
  std::string out, val, annotator = "auto", device = "auto", cell;
  std::vector<std::string> methods, lambdas, sbatch;
  int64_t seeds = 3, jobs = 2, grow = experiment::kMaxExtensions, annotator_iterations = 0;
  bool dfr = true, retry_failed = false, slurm = false, collect = false;
  RunOptionFlags model_options{"model", {}};
  TrainOptionFlags train_options;
  DataOptions data;
  GivenOptions given;

  // The sweep the options describe (checked: one line and exit 2 for bad input).
  experiment::TuneSpec spec() const {
    REFF_REQUIRE(given.given("--val"), "--val",
                 "reff tune chooses on a validation split where the background no longer gives "
                 "the label away, and no such split can be made from the training images: give "
                 "one (textured-mnist: e.g. balanced:1:1; folder: a folder of images; waterbirds: "
                 "official)");
    REFF_REQUIRE(!given.given("--lambda"), "--lambda",
                 "reff tune searches lambda: give grids with --lambdas METHOD:v,v,...");
    REFF_REQUIRE(seeds >= 1 && seeds <= 100, "--seeds", "must be in [1, 100]");
    experiment::TuneSpec spec;
    spec.preset = data.preset;
    spec.dataset = data.dataset;
    spec.base = data.overrides(given);
    spec.base["data"]["val"] = val;
    spec.base["data"]["val_part"] = "select";
    model_options.add_overrides(given, spec.base);
    train_options.add_overrides(given, spec.base);
    if (given.given("--device")) spec.base["device"] = device;
    spec.seeds.clear();
    for (int64_t s = 0; s < seeds; ++s) spec.seeds.push_back(static_cast<uint64_t>(s));
    spec.dfr = dfr;
    REFF_REQUIRE(grow >= 0 && grow <= 10, "--grow", "must be in [0, 10]");
    spec.grow = grow;
    const auto config = experiment::tune_config(spec, "baseline", 0, 0);  // checks the data options
    for (const auto& test : config.tests)
      REFF_REQUIRE(run::set_text(test) != run::set_text(config.val), "--val",
                   val +
                       " is a test set of this run: a split that chooses must not be one that "
                       "reports; give a validation split of its own");
    // resolve() made it absolute where it is a folder: store that, so any working folder resumes
    spec.base["data"]["val"] = run::set_text(config.val);
    if (!config.data_dir.empty()) spec.base["data"]["data_dir"] = config.data_dir;
    auto names = methods.empty() ? experiment::default_tune_methods() : methods;
    std::map<std::string, std::vector<double>> grids;
    for (const auto& text : lambdas) {
      std::string method;
      const auto values = parse_lambdas(text, method);
      REFF_REQUIRE(method != "baseline", "--lambdas", "the baseline has no lambda");
      grids[method] = values;
      if (std::find(names.begin(), names.end(), method) == names.end()) names.push_back(method);
    }
    REFF_REQUIRE(!names.empty(), "--methods", "the grid is empty: name at least one method");
    for (const auto& name : names) {
      const auto grid = grids.count(name) ? grids[name] : experiment::default_grid(spec, name);
      spec.methods.push_back({name, grid});
    }
    add_annotator(spec, config);
    return spec;
  }

  // --annotator auto: one pix2pix for the sweep when some training images have no mask.
  void add_annotator(experiment::TuneSpec& spec, const run::RunConfig& config) const {
    if (annotator == "none") return;
    if (annotator != "auto") {
      REFF_REQUIRE(fs::is_directory(annotator), "--annotator",
                   annotator + ": not a folder (auto | none | an annotator's folder)");
      spec.annotator_dir = fs::absolute(annotator).lexically_normal().string();
      experiment::tune_config(spec, "baseline", 0, 0);  // checks that it fits the data
      return;
    }
    if (run::dataset_kind(config).generated && config.annotated.n == 0) return;  // all masked
    const auto train = run::build_train_set(config);
    const auto masked = static_cast<int64_t>(run::annotated_indices(config, train).size());
    if (masked == train.size()) return;
    REFF_REQUIRE(masked > 0, "--annotator",
                 "no training image has a mask: the annotator needs a few (see docs/own-data.md)");
    spec.train_annotator = true;
    auto options = train::annotator_preset(spec.preset);
    if (annotator_iterations > 0) options.iterations = annotator_iterations;
    options.validate();
    spec.annotator = options.to_json();
    std::cerr << "reff tune: " << masked << " of " << train.size()
              << " training images have a mask: one pix2pix annotator labels the others for "
                 "every cell (Algorithm 1)\n";
  }

  static std::string reff_path() { return fs::read_symlink("/proc/self/exe").string(); }

  std::vector<std::string> cell_argv(const std::string& id, int threads) const {
    return {reff_path(), "--threads", std::to_string(threads),
            "tune",      "--out",     fs::absolute(out).string(),
            "--cell",    id};
  }

  void run() const {
    REFF_REQUIRE(jobs >= 1 && jobs <= 256, "--jobs", "must be in [1, 256]");
    if (!cell.empty()) return run_one_cell();
    if (collect) return run_collect();
    const auto tune = spec();
    experiment::claim_tune_folder(out, tune);
    // Built once for the sweep, before any cell could race to build it.
    run::build_stand_in_if_missing(experiment::tune_config(tune, "baseline", 0, 0));
    const auto state = experiment::read_tune_state(out, tune);
    std::cerr << "reff tune: " << tune.methods.size() << " method(s), " << tune.seeds.size()
              << " seed(s), " << state.plan.cells.size() << " cells planned ("
              << state.recorded.size() << " finished), in " << out
              << " (rerun the same command to resume)\n";
    if (slurm) {
      if (!experiment::submit_tune_round(out, reff_path(), sbatch, state))
        std::cerr << "reff tune: every cell is recorded: run reff tune --out " << out
                  << " --collect for the report\n";
      return;
    }
    finish(tune, sweep(tune, [](const experiment::Cell&) { return true; }));
  }

  experiment::TuneState sweep(const experiment::TuneSpec& tune,
                              std::function<bool(const experiment::Cell&)> runs_here) const {
    const StopOnSignal stop_on_signal;
    experiment::SweepOptions options;
    options.dir = out;
    options.jobs = jobs;
    options.retry_failed = retry_failed;
    const int threads = std::max(1, torch::get_num_threads() / static_cast<int>(jobs));
    options.cell_command = [this, threads](const std::string& id) {
      return cell_argv(id, threads);
    };
    options.runs_here = std::move(runs_here);
    options.log = [](const std::string& line) { std::cerr << line << "\n"; };
    options.stop_requested = [] { return StopOnSignal::requested(); };
    Progress progress("cell", "steps");
    auto callbacks = console_callbacks(progress, "tune");
    callbacks.stop_requested = [] { return StopOnSignal::requested(); };
    return experiment::run_sweep(tune, options, experiment::training_runner(device, callbacks));
  }

  // Ranks what finished, writes the outputs and says who won; exit 1 when cells failed.
  void finish(const experiment::TuneSpec& tune, const experiment::TuneState& state) const {
    const auto results = experiment::write_tune_outputs(tune, state, out);
    const auto html = report::write_html_report(out);
    const auto missing = state.plan.cells.size() - state.recorded.size();
    std::cout << "tune: " << state.recorded.size() << " of " << state.plan.cells.size()
              << " cells finished, " << state.failed.size() << " failed; report: " << html
              << " (+ results.json, best/, best.pth)\n";
    for (const auto& [method, text] : state.plan.extended)
      std::cout << "tune: " << method << ": " << text << "\n";
    if (results.contains("winner")) {
      const auto& winner = results["winner"];
      std::string line = "winner: " + winner["label"].get<std::string>() + ", select " +
                         percent_text(winner["select_mean"]);
      for (const auto& [name, accuracy] : winner["tests"].items())
        line += ", " + name + " " + percent_text(accuracy.get<double>());
      std::cout << line << " (mean over " << tune.seeds.size()
                << " seed(s); run: " << (fs::path(out) / experiment::kBestRun).string() << ")\n";
    }
    if (!state.failed.empty() || missing > 0) {
      std::string names;
      for (const auto& id : state.failed) names += " " + id;
      throw std::runtime_error("tune: " + std::to_string(state.failed.size()) + " cell(s) failed" +
                               (names.empty() ? "" : " (" + names.substr(1) + ")") + ", " +
                               std::to_string(missing) +
                               " not run; the ranking holds the rest (see the report)");
    }
  }

  void run_one_cell() const {
    const auto tune = experiment::read_tune_spec(out);
    const auto state = experiment::read_tune_state(out, tune);
    const auto chosen = experiment::find_tune_cell(state, cell);
    const StopOnSignal stop_on_signal;
    Progress progress("cell", "steps");
    auto callbacks = console_callbacks(progress, chosen.id);
    callbacks.stop_requested = [] { return StopOnSignal::requested(); };
    const auto outcome = experiment::run_tune_cell(
        out, tune, state, chosen, experiment::training_runner(device, callbacks), retry_failed);
    switch (outcome) {
      case experiment::CellRun::held:
      case experiment::CellRun::recorded:
        std::cerr << "reff tune: " << chosen.id
                  << (outcome == experiment::CellRun::held ? " is held by another process\n"
                                                           : " was recorded before\n");
        throw ExitStatus{experiment::kHeldCellExit};
      case experiment::CellRun::waiting:
      case experiment::CellRun::blocked:
        throw std::runtime_error(
            chosen.id + ": its annotator or the run it refits " +
            (outcome == experiment::CellRun::waiting ? "has not finished" : "failed"));
      case experiment::CellRun::ran:
        std::cerr << "reff tune: " << chosen.id << " recorded\n";
    }
  }

  // The Slurm array's collecting job: DFR cells (seconds each) run here, cells whose task ended
  // without a record are marked failed, and a grid that grew is submitted as another round.
  void run_collect() const {
    const auto tune = experiment::read_tune_spec(out);
    auto state = sweep(tune, [](const experiment::Cell& c) { return !c.refits.empty(); });
    if (slurm && experiment::record_lost_cells(out, state))
      state = experiment::read_tune_state(out, tune);
    if (slurm && experiment::submit_tune_round(out, reff_path(), {}, state)) return;
    finish(tune, state);
  }
};

}  // namespace

void add_tune_command(CLI::App& app) {
  auto t = std::make_shared<TuneCommand>();
  auto* tune = app.add_subcommand(
      "tune", "Search methods, lambda and DFR on a shift-free split; keep the most robust model");
  auto& g = t->given;
  tune->add_option("--out", t->out, "Sweep folder (rerun the same command to resume)")->required();
  g.add(*tune, "--val", t->val,
        "Shift-free validation split (required): textured-mnist NAME:P:Q, e.g. balanced:1:1; "
        "folder: a folder of images; waterbirds: official. Cut in two halves: DFR fits on one, "
        "every cell is chosen and ranked on the other");
  tune->add_option("--methods", t->methods,
                   "Methods to try (default: baseline,reff,reff-focus; see docs/tune.md)")
      ->delimiter(',');
  tune->add_option("--lambdas", t->lambdas,
                   "A method's lambda grid METHOD:v,v,... (repeatable; default: its default "
                   "lambda x 0.1, 1, 10, grown at the edge where the best sits)");
  tune->add_option("--seeds", t->seeds, "Seeds per configuration (0, 1, ...)")
      ->capture_default_str();
  tune->add_option("--grow", t->grow,
                   "Steps a grid may grow on a side where its best value sits at the edge (0: "
                   "fixed grids)")
      ->capture_default_str();
  tune->add_option("--dfr", t->dfr, "true: a DFR cell on every trained cell")
      ->capture_default_str();
  tune->add_option("--annotator", t->annotator,
                   "auto (a pix2pix for the sweep when some training images lack a mask) | none "
                   "| an annotator's folder")
      ->capture_default_str();
  tune->add_option("--annotator-iterations", t->annotator_iterations,
                   "The sweep's annotator's training iterations (0: the preset's)")
      ->check(CLI::NonNegativeNumber);
  tune->add_option("--jobs", t->jobs,
                   "Cells at once, each in a process of its own with --threads / N threads (2 "
                   "measured faster than 1 on 2 cores: bench/tune_jobs.sh)")
      ->capture_default_str();
  tune->add_option("--cell", t->cell, "Run only this cell (an id or index) of DIR's sweep");
  tune->add_flag("--collect", t->collect,
                 "Run DIR's DFR cells, rank what finished and write the report");
  tune->add_flag("--slurm", t->slurm,
                 "Write DIR/tune.sbatch (a job array, a task per cell) and a collecting job, and "
                 "submit them when sbatch is on PATH");
  tune->add_option("--sbatch", t->sbatch,
                   "An sbatch option for every job, written --sbatch=--partition=gpu (repeatable)");
  tune->add_flag("--retry-failed", t->retry_failed, "Run failed cells again");
  g.add(*tune, "--device", t->device, "auto (CUDA if present) | cpu | cuda | cuda:N");
  t->model_options.add_to(*tune, g);
  t->train_options.add_to(*tune, g);
  t->data.add_to(*tune, g);
  tune->callback([t] { t->run(); });
}

}  // namespace reff::cli
