#include "train_command.h"

#include "progress.h"
#include "reff/data/image_file.h"
#include "reff/error.h"
#include "reff/train/checkpoint.h"
#include "reff/train/run_config.h"
#include "reff/viz/explained_samples.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

namespace reff::cli {
namespace fs = std::filesystem;
namespace {

constexpr const char* kConfig = "config.json";
constexpr const char* kExplanations = "explanations.png";
constexpr int64_t kPictureSamples = 8;

void write_json(const fs::path& path, const nlohmann::json& json) {
  const auto temporary = path.string() + ".tmp";
  std::ofstream out(temporary, std::ios::trunc);
  out << json.dump(2) << "\n";
  out.close();
  require(out.good(), path.string(), "cannot write");
  fs::rename(temporary, path);
}

train::RunConfig read_run_config(const std::string& run_dir) {
  const auto path = fs::path(run_dir) / kConfig;
  require(fs::is_directory(run_dir), run_dir, "run folder not found");
  std::ifstream in(path);
  require(in.good(), path.string(), "not found: is " + run_dir + " a run folder of reff train?");
  const auto json = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  require(!json.is_discarded(), path.string(), "not valid JSON");
  return train::RunConfig::from_json(json);
}

std::string checkpoint_path(const std::string& run_dir, const std::string& which) {
  if (which == "best") return (fs::path(run_dir) / train::kBestCheckpoint).string();
  if (which == "last") return (fs::path(run_dir) / train::kLastCheckpoint).string();
  throw Error("--checkpoint: '" + which + "' is not one of best, last");
}

// The run's model with the weights of its best (or last) checkpoint.
std::shared_ptr<models::ResNet> trained_model(const std::string& run_dir,
                                              const train::RunConfig& config,
                                              const std::string& which) {
  auto model = train::build_model(config);
  train::load_checkpoint(checkpoint_path(run_dir, which), *model, nullptr);
  return model;
}

std::vector<train::TestSetSpec> parse_tests(const std::vector<std::string>& texts) {
  std::vector<train::TestSetSpec> specs;
  for (const auto& text : texts) specs.push_back(train::parse_test_set(text));
  return specs;
}

void write_picture(models::TappedModel& model, const train::RunConfig& config,
                   const train::TestSetSpec& spec, int64_t count, const std::string& out) {
  const auto set = train::build_test_set(config, spec, count);
  data::write_png(out, viz::explained_samples(model, set.data, count, config.train.cam));
}

// Options that override the preset only when given.
struct TrainCommand {
  std::string preset = "cpu", out, method = "baseline", model, textures, texture_dir, mnist;
  std::string cam_rectifier;
  std::vector<std::string> tests;
  std::vector<double> layer_weights;
  int64_t epochs = 0, batch_size = 0, canvas = 0, digit_size = 0, width = 0;
  int64_t train_count = 0, val_count = 0, test_count = 0, explain_count = 0;
  double lr = 0, momentum = 0, weight_decay = 0, lambda = 0, p = 0, q = 0, luminance_offset = 0;
  uint64_t seed = 0, data_seed = 0;
  bool resume = false;
  std::map<std::string, CLI::Option*> given;

  template <class T>
  void set(const std::string& name, const T& value, T& target) const {
    if (given.at(name)->count() > 0) target = value;
  }

  train::RunConfig resolve() const {
    auto c = train::preset_config(preset);
    c.train.method = train::parse_method(method);
    set("--model", model, c.model);
    set("--width", width, c.small.width);
    set("--textures", textures, c.textures.kind);
    set("--texture-dir", texture_dir, c.textures.path);
    set("--mnist", mnist, c.mnist_dir);
    set("--canvas", canvas, c.data.canvas);
    set("--digit-size", digit_size, c.data.digit_size);
    set("--luminance-offset", luminance_offset, c.data.luminance_offset);
    set("--p", p, c.data.p);
    set("--q", q, c.data.q);
    set("--data-seed", data_seed, c.data.seed);
    set("--train-count", train_count, c.train_count);
    set("--val-count", val_count, c.val_count);
    set("--test-count", test_count, c.test_count);
    set("--epochs", epochs, c.train.epochs);
    set("--batch-size", batch_size, c.train.batch_size);
    set("--lr", lr, c.train.lr);
    set("--momentum", momentum, c.train.momentum);
    set("--weight-decay", weight_decay, c.train.weight_decay);
    set("--lambda", lambda, c.train.lambda);
    set("--layer-weights", layer_weights, c.train.layer_weights);
    set("--explain-count", explain_count, c.train.eval.explain_count);
    if (given.at("--cam-rectifier")->count() > 0) {
      c.train.cam.rectifier = explain::parse_cam_rectifier(cam_rectifier);
    }
    if (given.at("--test")->count() > 0) c.tests = parse_tests(tests);
    if (given.at("--seed")->count() > 0) c.model_seed = c.train.seed = seed;
    c.data.validate();
    c.train.validate();
    for (const auto& t : {c.train_count, c.val_count, c.test_count}) {
      require(t >= 0, "--train-count/--val-count/--test-count", "must be >= 0 (0: all)");
    }
    return c;
  }

  void run() const {
    train::RunConfig config;
    // --resume continues from the last checkpoint; a run stopped before its first checkpoint
    // starts again from its stored config.
    const bool continuing = resume && fs::exists(fs::path(out) / train::kLastCheckpoint);
    if (resume) {
      config = read_run_config(out);
      if (given.at("--epochs")->count() > 0) config.train.epochs = epochs;
      config.train.validate();
    } else {
      config = resolve();
      require(!fs::exists(fs::path(out) / train::kLastCheckpoint), out,
              "already holds a run (checkpoint-last.pt); pass --resume or choose another --out");
      std::error_code error;
      fs::create_directories(out, error);
      require(!error, out, "cannot create the run folder (" + error.message() + ")");
    }
    write_json(fs::path(out) / kConfig, config.to_json());

    std::cerr << "reff train: " << train::method_name(config.train.method) << ", preset "
              << config.preset << ", lambda " << config.train.lambda << ", generating data...\n";
    const auto train_set = train::build_train_set(config);
    const auto val = train::build_val_set(config);
    std::vector<train::NamedDataset> test_sets;
    for (const auto& spec : config.tests) test_sets.push_back(train::build_test_set(config, spec));
    auto model = train::build_model(config);

    Progress progress("train", "steps");
    train::TrainCallbacks callbacks;
    callbacks.progress = [&](int64_t done, int64_t total, const std::string& status) {
      if (done == 1) progress = Progress("train", "steps");
      progress.update(done, total, status);
    };
    callbacks.epoch_end = [&](const nlohmann::json& e) {
      std::cerr << "epoch " << e["epoch"] << ": train acc " << e["train"]["accuracy"]
                << ", val acc " << e["val"]["accuracy"];
      for (const auto& [name, result] : e["tests"].items()) {
        std::cerr << ", " << name << " acc " << result["accuracy"];
      }
      std::cerr << ", " << e["train"]["images_per_s"].get<double>() << " img/s\n";
    };
    const auto state =
        train::train(*model, config.train, train_set, val, test_sets, out, continuing, callbacks);

    const auto best = trained_model(out, config, "best");
    if (!config.tests.empty()) {
      write_picture(*best, config, config.tests.front(), kPictureSamples,
                    (fs::path(out) / kExplanations).string());
    }
    const auto& chosen = state["history"][state["best_epoch"].get<int64_t>() - 1];
    std::cout << "best epoch " << state["best_epoch"] << " of " << config.train.epochs
              << " (val accuracy " << chosen["val"]["accuracy"] << ")";
    for (const auto& [name, result] : chosen["tests"].items()) {
      std::cout << ", " << name << " accuracy " << result["accuracy"];
    }
    std::cout << "\nrun folder: " << out << " (config.json, metrics.jsonl, checkpoints, "
              << kExplanations << ")\n";
  }
};

struct EvalCommand {
  std::string run_dir, checkpoint = "best";
  std::vector<std::string> tests;
  int64_t count = 0;

  void run() const {
    const auto config = read_run_config(run_dir);
    auto model = trained_model(run_dir, config, checkpoint);
    nlohmann::json results;
    for (const auto& spec : tests.empty() ? config.tests : parse_tests(tests)) {
      const auto set = train::build_test_set(config, spec, count);
      auto result = eval::evaluate(*model, set.data, config.train.eval).to_json();
      result["p"] = spec.p;
      result["q"] = spec.q;
      std::cout << spec.name << " (p " << spec.p << ", q " << spec.q << "): accuracy "
                << result["accuracy"] << " on " << result["count"] << " images; mass inside mask "
                << "per layer";
      for (const auto& layer : result["layers"]) std::cout << " " << layer["mass_inside"];
      std::cout << "\n";
      results[spec.name] = result;
    }
    write_json(fs::path(run_dir) / "eval.json", results);
  }
};

struct ExplainCommand {
  std::string run_dir, out, test, checkpoint = "best";
  int64_t count = 8;

  void run() const {
    const auto config = read_run_config(run_dir);
    require(count >= 1 && count <= 256, "--count", "must be in [1, 256]");
    const auto spec = test.empty() ? (config.tests.empty() ? train::TestSetSpec{"shift", 1, 1}
                                                           : config.tests.front())
                                   : train::parse_test_set(test);
    auto model = trained_model(run_dir, config, checkpoint);
    write_picture(*model, config, spec, count, out);
    std::cout << "wrote " << out << ": rows of input, mask, Grad-CAM of layer1..layer"
              << config.train.layer_weights.size() << " (top class) on " << spec.name << "\n";
  }
};

}  // namespace

void add_train_commands(CLI::App& app) {
  auto t = std::make_shared<TrainCommand>();
  auto* train = app.add_subcommand("train", "Train a classifier with or without ReFF");
  auto add = [&](const std::string& name, auto& target, const std::string& help) {
    t->given[name] = train->add_option(name, target, help);
    return t->given[name];
  };
  train->add_option("--out", t->out, "Run folder")->required();
  add("--method", t->method, "baseline | reff | reff-l1 | reff-l2")->capture_default_str();
  add("--preset", t->preset, "cpu | paper")->capture_default_str();
  t->given["--resume"] = train->add_flag(
      "--resume", t->resume, "Continue the run in --out with its config (a finished run: no-op)");
  add("--model", t->model, "small | resnet18 | resnet34 | resnet50 (preset)");
  add("--width", t->width, "Channels of the small ResNet's first stage (preset: 16)");
  add("--epochs", t->epochs, "Epochs (preset: cpu 10, paper 50)");
  add("--batch-size", t->batch_size, "Mini-batch size (32)");
  add("--lr", t->lr, "SGD learning rate (0.01)");
  add("--momentum", t->momentum, "SGD momentum (0.8)");
  add("--weight-decay", t->weight_decay, "Weight decay (1e-5)");
  add("--lambda", t->lambda, "Weight of the explanation loss (preset: cpu 1e-4, paper 1e-6)");
  add("--layer-weights", t->layer_weights, "w_l per explained layer (15 60 250 1000)")
      ->delimiter(',');
  add("--cam-rectifier", t->cam_rectifier, "relu (paper) | none");
  add("--seed", t->seed, "Seed of the initial weights and the batch order (0)");
  add("--data-seed", t->data_seed, "Seed of the generated images (0)");
  add("--p", t->p, "Training background randomness (0)");
  add("--q", t->q, "Training digit-texture randomness (1)");
  add("--test", t->tests, "Test set NAME:P:Q, repeatable (shift:1:1 iid:0:1)");
  add("--canvas", t->canvas, "Canvas side in pixels (preset: cpu 40, paper 224)");
  add("--digit-size", t->digit_size, "Digit side in pixels (0: the whole canvas)");
  add("--luminance-offset", t->luminance_offset, "Digit lighter than background by (0.3)");
  add("--textures", t->textures, "gimp | dtd | procedural (gimp)");
  add("--texture-dir", t->texture_dir, "Folder of the texture bank");
  add("--mnist", t->mnist, "Folder in MNIST's layout (data/mnist)");
  add("--train-count", t->train_count, "Training images (0: one per digit of the split)");
  add("--val-count", t->val_count, "Validation images (0: all)");
  add("--test-count", t->test_count, "Images per test set (0: all)");
  add("--explain-count", t->explain_count, "Images per set for explanation metrics (256)");
  train->callback([t] { t->run(); });

  auto e = std::make_shared<EvalCommand>();
  auto* eval = app.add_subcommand("eval", "Evaluate a trained run on test sets");
  eval->add_option("run_dir", e->run_dir, "Run folder of reff train")->required();
  eval->add_option("--test", e->tests, "Test set NAME:P:Q, repeatable (default: the run's)");
  eval->add_option("--count", e->count, "Images per test set (0: the run's)");
  eval->add_option("--checkpoint", e->checkpoint, "best | last")->capture_default_str();
  eval->callback([e] { e->run(); });

  auto x = std::make_shared<ExplainCommand>();
  auto* explain = app.add_subcommand("explain", "Draw Grad-CAMs of a trained run's predictions");
  explain->add_option("run_dir", x->run_dir, "Run folder of reff train")->required();
  explain->add_option("--out", x->out, "PNG to write")->required();
  explain->add_option("--count", x->count, "Samples (rows)")->capture_default_str();
  explain->add_option("--test", x->test, "Test set NAME:P:Q (default: the run's first)");
  explain->add_option("--checkpoint", x->checkpoint, "best | last")->capture_default_str();
  explain->callback([x] { x->run(); });
}

}  // namespace reff::cli
