#include "train_command.h"

#include "progress.h"
#include "reff/data/image_file.h"
#include "reff/device.h"
#include "reff/distributed/process_group.h"
#include "reff/error.h"
#include "reff/folder_lock.h"
#include "reff/json_file.h"
#include "reff/models/state_dict.h"
#include "reff/percent_text.h"
#include "reff/report/html_report.h"
#include "reff/run/dataset_kind.h"
#include "reff/run/pretrain.h"
#include "reff/run/resolve.h"
#include "reff/run/run_assembly.h"
#include "reff/run/run_config.h"
#include "reff/run/run_folders.h"
#include "reff/run/stand_in.h"
#include "reff/train/checkpoint.h"
#include "run_options.h"
#include "stop_on_signal.h"

#include <cmath>
#include <filesystem>
#include <iostream>
#include <memory>

namespace reff::cli {
namespace fs = std::filesystem;
namespace {

std::string percent(const nlohmann::json& value) {
  return value.is_number() ? percent_text(value.get<double>()) : "n/a";
}

// "val accuracy 90.0%", or for a --val split "val (balanced) accuracy 50.0%" and, where it
// chooses on its worst group, "val (grouped) accuracy 60.0%, worst-group 40.0%".
std::string val_text(const nlohmann::json& val, const std::string& accuracy) {
  const auto name = val.value("name", std::string("val"));
  auto text = "val" + (name == "val" ? "" : " (" + name + ")") + " " + accuracy + " " +
              percent(val["accuracy"]);
  if (val.contains("selects_on")) text += ", worst-group " + percent(val["worst_group_accuracy"]);
  return text;
}

struct TrainCommand {
  std::string out, method = "baseline", annotator, pretrained, device = "auto", val;
  double pseudo_threshold = 0;
  uint64_t seed = 0;
  bool resume = false, sync_batchnorm = false, prefetch = false;
  TrainOptionFlags train_options;
  RunOptionFlags model_options{"model", {}};
  DataOptions data;
  GivenOptions given;

  run::RunConfig resolve() const {
    auto overrides = data.overrides(given);
    if (given.given("--val")) overrides["data"]["val"] = val;
    overrides["train"]["method"] = method;
    model_options.add_overrides(given, overrides);
    train_options.add_overrides(given, overrides);
    if (given.given("--annotator")) overrides["annotations"]["annotator_dir"] = annotator;
    if (given.given("--pseudo-threshold"))
      overrides["annotations"]["pseudo_threshold"] = pseudo_threshold;
    if (given.given("--device")) overrides["device"] = device;
    if (given.given("--sync-batchnorm")) overrides["model"]["sync_batchnorm"] = sync_batchnorm;
    if (given.given("--pretrained")) {
      auto& file = overrides["model"]["pretrained"];
      if (pretrained == "none" || pretrained == run::kStandIn) {
        file = pretrained == "none" ? "" : run::kStandIn;
      } else {
        REFF_REQUIRE(std::filesystem::is_regular_file(pretrained), "--pretrained",
                     pretrained + ": file not found");
        file = fs::absolute(pretrained).string();
      }
    }
    if (given.given("--seed")) overrides["model"]["seed"] = overrides["train"]["seed"] = seed;
    return run::resolve(data.preset, data.dataset, overrides);
  }

  void run() const {
    run::RunConfig config;
    if (resume) {  // a run stopped before its first checkpoint starts again from its config
      if (distributed::world().writes()) require_not_in_use(out);  // rank 0 locks
      config = run::load_run_config(out);
      given.set("--epochs", train_options.values.epochs, config.train.epochs);
      given.set("--max-steps", train_options.values.max_steps, config.train.max_steps);
      given.set("--device", device, config.device);
      config.validate();
    } else {
      config = resolve();
    }
    if (given.given("--prefetch")) config.train.prefetch = prefetch;  // run-time, not stored
    // SIGINT/SIGTERM: stop after the current step with a checkpoint; a second signal stops at once.
    const StopOnSignal stop_on_signal;
    const auto& group = distributed::world();
    if (!group.writes()) {  // rank 0 reports for all
      train::TrainCallbacks callbacks;
      callbacks.stop_requested = [] { return StopOnSignal::requested(); };
      run::run_classifier(config, out, resume, callbacks);
      return;
    }
    Progress progress("train", "steps");
    auto callbacks = console_callbacks(progress, "train");
    callbacks.preparing = [&] {
      std::cerr << "reff train: " << config.train.method << ", preset " << config.preset << ", "
                << config.dataset << ", lambda " << config.train.lambda << ", from "
                << (config.pretrained.empty()            ? "scratch"
                    : config.pretrained == run::kStandIn ? "the stand-in backbone"
                                                         : config.pretrained)
                << ", on " << parse_device(config.device);
      if (group.size() > 1) {
        std::cerr << " x " << group.size() << " processes (" << group.backend() << ", global batch "
                  << config.train.batch_size << ")";
      }
      std::cerr << ", preparing data...\n";
    };
    const auto state = run::run_classifier(config, out, resume, callbacks);
    const auto& chosen = state["history"][state["best_epoch"].get<int64_t>() - 1];
    std::cout << "best epoch " << state["best_epoch"] << " of " << config.train.epochs;
    if (config.train.max_steps > 0 && state.value("steps", int64_t(0)) >= config.train.max_steps) {
      std::cout << " (stopped after --max-steps " << config.train.max_steps << ")";
    }
    std::cout << " (" << val_text(chosen["val"], "accuracy") << ")";
    const auto tests = chosen.value("tests", nlohmann::json::object());  // none: no test split
    for (const auto& [name, result] : tests.items()) {
      std::cout << ", " << name << " accuracy " << percent(result["accuracy"]);
    }
    std::cout << "\nrun folder: " << out << " (config.json, metrics.jsonl, checkpoints, "
              << run::kExplanationsPicture << ", " << report::kReportHtml << ")\n";
  }
};

// One evaluated test set on stdout: accuracy, per class, per group, where the model looks.
void print_eval_result(const nlohmann::json& result) {
  std::cout << ": accuracy " << percent(result["accuracy"]) << " on " << result["count"]
            << " images\n  per class:";
  for (const auto& [name, r] : result["per_class"].items())
    std::cout << " " << name << " " << percent(r["accuracy"]) << " (" << r["count"] << ")";
  std::cout << "\n";
  if (result.contains("per_group")) {
    std::cout << "  per group:";
    for (const auto& [name, r] : result["per_group"].items())
      std::cout << " " << name << " " << percent(r["accuracy"]) << " (" << r["count"] << ")";
    std::cout << "\n  worst-group " << percent(result["worst_group_accuracy"]) << ", mean-group "
              << percent(result["mean_group_accuracy"]) << ", group-weighted "
              << percent(result["group_weighted_accuracy"]) << "\n";
  }
  const auto& layers = result["layers"];
  if (layers.empty()) return;
  for (const char* metric : {"mass_inside", "energy", "pointing", "iou", "zero_maps"}) {
    std::cout << "  " << metric << " per layer:";
    for (const auto& layer : layers) std::cout << " " << percent(layer[metric]);
    std::cout << "\n";
  }
}

struct EvalCommand {
  std::string run_dir, checkpoint = "best", device = "auto";
  std::vector<std::string> tests;
  int64_t count = 0;

  void run() const {
    const auto config = run::load_run_config(run_dir);
    auto model = run::trained_model(run_dir, config, checkpoint, device);
    nlohmann::json results;
    auto specs = config.tests;
    if (!tests.empty()) specs.clear();
    for (const auto& text : tests) specs.push_back(run::test_set_for(config, text));
    for (const auto& spec : specs) {
      const auto set = run::build_test_set(config, spec, count);
      auto result = set.evaluate(*model, config.train.eval);
      std::cout << spec.name;
      if (run::dataset_kind(config).generated) {
        result["p"] = spec.p;
        result["q"] = spec.q;
        std::cout << " (p " << spec.p << ", q " << spec.q << ")";
      }
      print_eval_result(result);
      results[spec.name] = result;
    }
    write_json_file((fs::path(run_dir) / "eval.json").string(), results);
  }
};

struct ExplainCommand {
  std::string run_dir, out, test, checkpoint = "best", device = "auto";
  int64_t count = 8;

  void run() const {
    const auto config = run::load_run_config(run_dir);
    REFF_REQUIRE(count >= 1 && count <= 256, "--count", "must be in [1, 256]");
    const auto spec = test.empty() ? (config.tests.empty() ? run::TestSetSpec{"shift", 1, 1, ""}
                                                           : config.tests.front())
                                   : run::test_set_for(config, test);
    auto model = run::trained_model(run_dir, config, checkpoint, device);
    run::write_explanations(*model, config, spec, count, out);
    std::cout << "wrote " << out << ": rows of input, mask, Grad-CAM of layer1..layer"
              << config.train.explanation.layer_weights.size() << " (top class) on " << spec.name
              << "\n";
  }
};

// The trained weights as a state dict that Python reads: torch.load + load_state_dict of
// torchvision's ResNet of the same name.
struct ExportCommand {
  std::string run_dir, out, checkpoint = "best";

  void run() const {
    const auto config = run::load_run_config(run_dir);
    const auto model = run::trained_model(run_dir, config, checkpoint);
    const auto tensors = models::state_dict(*model);
    models::write_pth(out, tensors);
    std::cout << "wrote " << out << ": " << tensors.size() << " tensors of " << config.model << " ("
              << model->options().num_classes << " classes); in Python: "
              << (config.model == "small" ? "reff's small ResNet has no torchvision twin"
                                          : "torchvision.models." + config.model + "(num_classes=" +
                                                std::to_string(model->options().num_classes) +
                                                ").load_state_dict(torch.load(path))")
              << "\n";
  }
};

// `reff pretrain`: the stand-in backbone (stand_in.h), into the cache or --out.
struct PretrainCommand {
  std::string preset = "cpu", out, corpus = run::kFashionMnistDir, device = "auto";
  int64_t epochs = 0, train_count = 0, max_steps = 0;
  uint64_t seed = 0;
  GivenOptions given;

  void run() const {
    auto base = run::preset_config(preset);
    given.set("--seed", seed, base.train.seed);
    auto config = run::pretrain_config(base, corpus);
    config.model_seed = config.train.seed;
    given.set("--epochs", epochs, config.train.epochs);
    given.set("--train-count", train_count, config.train_count);
    given.set("--max-steps", max_steps, config.train.max_steps);
    config.device = device;
    config.train.validate();
    REFF_REQUIRE(config.train_count > 0, "--train-count", "must be positive");
    const auto dir = out.empty() ? run::stand_in_dir(preset) : out;
    const auto backbone = fs::path(dir) / run::kBackboneFile;
    if (fs::exists(backbone)) {
      std::cout << "already built: " << backbone.string() << " (remove " << dir
                << " to build it again)\n";
      return;
    }
    const StopOnSignal stop_on_signal;
    Progress progress("pretrain", "steps");
    auto callbacks = console_callbacks(progress, "pretrain");
    callbacks.preparing = [&] {
      std::cerr << "reff pretrain: " << config.model << " on " << config.train_count
                << " textured garments of " << corpus << ", " << config.train.epochs
                << " epochs, preparing data...\n";
    };
    const auto state = run::pretrain(config, dir, /*resume=*/true, callbacks);
    const auto& last = state["history"].back();
    std::cout << "val accuracy " << percent(last["val"]["accuracy"]) << " after " << last["epoch"]
              << " epochs\nwrote " << backbone.string() << " and "
              << (fs::path(dir) / run::kCorpusPicture).string() << "\n";
  }
};

}  // namespace

train::TrainCallbacks console_callbacks(Progress& progress, const std::string& what) {
  train::TrainCallbacks callbacks;
  callbacks.stop_requested = [] { return StopOnSignal::requested(); };
  callbacks.finished = [](const std::string& run_dir) { report::write_html_report(run_dir); };
  // The stand-in's pretraining, when a run builds it first, is named so until its last step.
  auto label = std::make_shared<std::string>(what);
  callbacks.progress = [&progress, label, what](int64_t done, int64_t total,
                                                const std::string& status) {
    if (done == 1) progress = Progress(*label, "steps");
    progress.update(done, total, status);
    if (done == total) *label = what;
  };
  callbacks.building_stand_in = [label](const std::string& dir) {
    std::cerr << "reff: this preset starts from a pretrained stand-in backbone (reff pretrain); "
              << "building it once into " << dir << "\n";
    *label = "pretrain";
  };
  callbacks.epoch_end = [](const nlohmann::json& e) {
    std::cerr << "epoch " << e["epoch"] << ": train acc " << percent(e["train"]["accuracy"]) << ", "
              << val_text(e["val"], "acc");
    if (e.contains("tests")) {  // a pretraining run has none
      for (const auto& [name, result] : e["tests"].items()) {
        std::cerr << ", " << name << " acc " << percent(result["accuracy"]);
      }
    }
    // Training speed three ways: the training loop (batches included), its steps alone and the
    // whole epoch with its evaluation.
    const auto& train = e["train"];
    const double loop = train["images_per_s"].get<double>();
    std::string also;
    if (train.contains("epoch_over_steps"))
      also = "steps " + std::to_string(std::lround(loop * train["epoch_over_steps"].get<double>()));
    if (e.contains("evaluation_seconds")) {
      const double seconds = train["seconds"].get<double>();
      const double whole = seconds + e["evaluation_seconds"].get<double>();
      also += (also.empty() ? "" : ", ") + std::string("with evaluation ") +
              std::to_string(std::lround(loop * seconds / whole));
    }
    std::cerr << ", " << std::lround(loop) << " img/s" << (also.empty() ? "" : " (" + also + ")")
              << "\n";
  };
  return callbacks;
}

void add_train_commands(CLI::App& app) {
  auto t = std::make_shared<TrainCommand>();
  auto* train = app.add_subcommand("train", "Train a classifier with or without ReFF");
  auto& g = t->given;
  train->add_option("--out", t->out, "Run folder")->required();
  g.add(*train, "--method", t->method, train::method_help())->capture_default_str();
  g.add_flag(*train, "--resume", t->resume,
             "Continue the run in --out with its config (a finished run: no-op)");
  t->model_options.add_to(*train, g);
  t->train_options.add_to(*train, g);
  g.add(*train, "--seed", t->seed, "Seed of the initial weights and the batch order (0)");
  g.add(*train, "--annotator", t->annotator,
        "Folder of reff annotator train: its G(x) annotates D2 (Algorithm 1)");
  g.add(*train, "--pseudo-threshold", t->pseudo_threshold,
        "Binarise pseudo-annotations at this value (default: soft)");
  g.add(*train, "--pretrained", t->pretrained,
        "Start from this .pth state dict (torchvision's ResNet weights, torch.save format), "
        "stand-in (the preset's pretrained backbone, reff pretrain; the cpu preset's default) "
        "or none (from scratch)");
  g.add(*train, "--device", t->device, "auto (CUDA if present) | cpu | cuda | cuda:N");
  g.add(*train, "--prefetch", t->prefetch,
        "true: build each batch during the step before, false: when its step starts (the batches "
        "are the same; default: true on a CUDA device, false on the CPU)");
  g.add_flag(*train, "--sync-batchnorm", t->sync_batchnorm,
             "Distributed runs: BatchNorm statistics of the global batch, not each process's");
  t->data.add_to(*train, g);
  g.add(*train, "--val", t->val,
        "Validation split that chooses the best epoch (default: drawn from the training "
        "distribution). textured-mnist: NAME:P:Q, e.g. balanced:1:1 where the background no "
        "longer gives the label away, from the training file's validation share; folder: a folder "
        "of validation images, chosen on worst-group accuracy where labels.csv has groups");
  train->callback([t] { t->run(); });

  auto e = std::make_shared<EvalCommand>();
  auto* eval = app.add_subcommand("eval", "Evaluate a trained run on test sets");
  eval->add_option("run_dir", e->run_dir, "Run folder of reff train")->required();
  eval->add_option("--test", e->tests, "Test set NAME:P:Q, repeatable (default: the run's)");
  eval->add_option("--count", e->count, "Images per test set (0: the run's)")
      ->check(CLI::NonNegativeNumber);
  eval->add_option("--checkpoint", e->checkpoint, "best | last")->capture_default_str();
  add_device_option(*eval, e->device);
  eval->callback([e] { e->run(); });

  auto x = std::make_shared<ExplainCommand>();
  auto* explain = app.add_subcommand("explain", "Draw Grad-CAMs of a trained run's predictions");
  explain->add_option("run_dir", x->run_dir, "Run folder of reff train")->required();
  explain->add_option("--out", x->out, "PNG to write")->required();
  explain->add_option("--count", x->count, "Samples (rows)")->capture_default_str();
  explain->add_option("--test", x->test, "Test set NAME:P:Q (default: the run's first)");
  explain->add_option("--checkpoint", x->checkpoint, "best | last")->capture_default_str();
  add_device_option(*explain, x->device);
  explain->callback([x] { x->run(); });

  auto p = std::make_shared<ExportCommand>();
  auto* exp =
      app.add_subcommand("export", "Write a run's weights as a .pth state dict for PyTorch");
  exp->add_option("run_dir", p->run_dir, "Run folder of reff train")->required();
  exp->add_option("--out", p->out, ".pth file to write")->required();
  exp->add_option("--checkpoint", p->checkpoint, "best | last")->capture_default_str();
  exp->callback([p] { p->run(); });

  auto r = std::make_shared<PretrainCommand>();
  auto* pre = app.add_subcommand(
      "pretrain",
      "Build a preset's pretrained stand-in backbone from textured Fashion-MNIST (once; cached)");
  auto& rg = r->given;
  pre->add_option("--preset", r->preset, run::preset_names())->capture_default_str();
  pre->add_option("--out", r->out, "Run folder (default: the cache, where reff train looks)");
  pre->add_option("--corpus", r->corpus, "Garments in MNIST's layout")->capture_default_str();
  rg.add(*pre, "--epochs", r->epochs, "Epochs (3)");
  rg.add(*pre, "--train-count", r->train_count, "Corpus images (12000)");
  rg.add(*pre, "--max-steps", r->max_steps, "Stop after this many steps (0: no limit)");
  rg.add(*pre, "--seed", r->seed, "Seed of the initial weights and the batch order (0)");
  add_device_option(*pre, r->device);
  pre->callback([r] { r->run(); });
}

}  // namespace reff::cli
