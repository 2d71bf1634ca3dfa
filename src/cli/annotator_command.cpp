#include "annotator_command.h"

#include "progress.h"
#include "reff/data/image_file.h"
#include "reff/device.h"
#include "reff/error.h"
#include "reff/train/annotator.h"
#include "reff/train/checkpoint.h"
#include "reff/viz/image_grid.h"
#include "run_options.h"

#include <chrono>
#include <filesystem>
#include <iostream>

namespace reff::cli {
namespace fs = std::filesystem;
namespace {

// An annotator folder's generator, ready to annotate.
struct LoadedAnnotator {
  train::AnnotatorRunConfig config;
  std::shared_ptr<train::Pix2Pix> model;
};

LoadedAnnotator load_annotator(const std::string& dir) {
  LoadedAnnotator loaded{train::load_annotator_config(dir), nullptr};
  loaded.model = std::make_shared<train::Pix2Pix>(
      loaded.config.data.canvas, train::AnnotatorOptions::from_json(loaded.config.annotator));
  train::load_checkpoint((fs::path(dir) / train::kAnnotatorCheckpoint).string(), *loaded.model);
  return loaded;
}

// IoU and Dice of G(x) on `count` held-out (val) images.
nlohmann::json held_out_overlap(const LoadedAnnotator& annotator, int64_t count) {
  auto config = annotator.config;
  if (count > 0) config.val_count = count;
  const auto val = train::build_val_set(config);
  const auto overlap =
      train::mask_overlap(train::pseudo_annotate(*annotator.model->generator, val.data),
                          val.data.masks().to(torch::kFloat32).div(255.0));
  return {{"iou", overlap.iou},
          {"dice", overlap.dice},
          {"images", val.data.size()},
          {"n", annotator.config.annotated.n},
          {"per_class", annotator.config.annotated.per_class}};
}

struct AnnotatorTrainCommand {
  std::string out, device = "auto";
  int64_t iterations = 0, generator_base = 0, discriminator_base = 0;
  uint64_t seed = 0;
  bool resume = false;
  DataOptions data;
  GivenOptions given;

  void run() const {
    train::AnnotatorRunConfig config;
    const auto checkpoint = fs::path(out) / train::kAnnotatorCheckpoint;
    if (resume) {
      config = train::load_annotator_config(out);
    } else {
      static_cast<train::RunConfig&>(config) = data.resolve(given);
      require(config.annotated.n > 0, "--annotated-n",
              "the annotator learns from a few annotated images: give a count");
      auto options = train::annotator_preset(config.preset);
      given.set("--iterations", iterations, options.iterations);
      given.set("--generator-base", generator_base, options.generator_base);
      given.set("--discriminator-base", discriminator_base, options.discriminator_base);
      given.set("--seed", seed, options.seed);
      options.validate();
      config.annotator = options.to_json();
      require(!fs::exists(checkpoint), out,
              "already holds an annotator; pass --resume or choose another --out");
    }
    const auto options = train::AnnotatorOptions::from_json(config.annotator);
    // Data and D1 first: a bad --annotated-n fails before anything is written.
    const auto generated = train::build_train_set(config);
    const auto d1 = data::annotated_subset(generated.labels(), config.annotated);
    if (!resume) {
      std::error_code error;
      fs::create_directories(out, error);
      require(!error, out, "cannot create the folder (" + error.message() + ")");
      auto json = config.to_json();
      json["annotator"] = config.annotator;
      write_json((fs::path(out) / "config.json").string(), json);
    }
    std::cerr << "reff annotator train: " << d1.size() << " annotated images (n "
              << config.annotated.n << (config.annotated.per_class ? " per class" : " in total")
              << "), " << options.iterations << " iterations\n";

    torch::manual_seed(options.seed);
    train::Pix2Pix model(config.data.canvas, options);
    model.to(parse_device(device));
    Progress progress("annotator", "it");
    const auto start = std::chrono::steady_clock::now();
    train::train_annotator(model, options, generated.subset(d1), out,
                           resume && fs::exists(checkpoint),
                           [&](int64_t done, int64_t total, const std::string& status) {
                             progress.update(done, total, status);
                           });
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    auto summary = held_out_overlap(load_annotator(out), 0);
    summary["train_seconds_this_session"] = seconds;
    write_json((fs::path(out) / "eval.json").string(), summary);
    std::cout << "annotator n " << config.annotated.n << ": held-out IoU " << summary["iou"]
              << ", Dice " << summary["dice"] << " on " << summary["images"] << " val images ("
              << seconds << " s of training)\n";
  }
};

struct AnnotatorEvalCommand {
  std::string dir;
  int64_t count = 0;
  void run() const {
    const auto result = held_out_overlap(load_annotator(dir), count);
    write_json((fs::path(dir) / "eval.json").string(), result);
    std::cout << "annotator n " << result["n"] << ": IoU " << result["iou"] << ", Dice "
              << result["dice"] << " on " << result["images"] << " held-out images\n";
  }
};

// Like the seed's Fig. 2: a row of images, a row of their masks, then one row of G(x) per
// annotator.
struct AnnotatorShowCommand {
  std::vector<std::string> dirs;
  std::string out;
  int64_t count = 8;
  void run() const {
    require(count >= 1 && count <= 32, "--count", "must be in [1, 32]");
    std::vector<LoadedAnnotator> annotators;
    for (const auto& dir : dirs) {
      annotators.push_back(load_annotator(dir));
      require(annotators.back().config.data_json() == annotators.front().config.data_json(), dir,
              "made for other data than " + dirs.front());
    }
    auto config = annotators.front().config;
    config.val_count = count;
    const auto val = train::build_val_set(config).data;
    std::vector<torch::Tensor> tiles;
    for (int64_t i = 0; i < count; ++i) tiles.push_back(val.images()[i]);
    for (int64_t i = 0; i < count; ++i) tiles.push_back(val.masks()[i]);
    std::cout << "rows: x, s";
    for (const auto& a : annotators) {
      const auto g = train::pseudo_annotate(*a.model->generator, val);
      for (int64_t i = 0; i < count; ++i) {
        tiles.push_back(g[i].mul(255).round().to(torch::kUInt8));
      }
      std::cout << ", G(x) n=" << a.config.annotated.n;
    }
    const int64_t side = config.data.canvas;
    data::write_png(out, viz::image_grid(tiles, count, 3, viz::scale_to_at_least(side, 64)));
    std::cout << "\nwrote " << out << "\n";
  }
};

}  // namespace

void add_annotator_commands(CLI::App& app) {
  auto* annotator = app.add_subcommand("annotator", "The pix2pix pseudo-annotator");
  annotator->require_subcommand(1);

  auto t = std::make_shared<AnnotatorTrainCommand>();
  auto* train = annotator->add_subcommand("train", "Train G on the n annotated images (D1)");
  auto& g = t->given;
  train->add_option("--out", t->out, "Annotator folder")->required();
  g.add_flag(*train, "--resume", t->resume, "Continue the annotator in --out");
  g.add(*train, "--iterations", t->iterations, "Iterations (preset: cpu 2000, paper 30000)");
  g.add(*train, "--generator-base", t->generator_base, "U-Net channels after its first step (64)");
  g.add(*train, "--discriminator-base", t->discriminator_base, "PatchGAN's first channels (64)");
  g.add(*train, "--seed", t->seed, "Seed of weights and batches (0)");
  t->data.add_to(*train, g);
  add_device_option(*train, t->device);
  train->callback([t] { t->run(); });

  auto e = std::make_shared<AnnotatorEvalCommand>();
  auto* eval = annotator->add_subcommand("eval", "IoU and Dice of G(x) on held-out images");
  eval->add_option("dir", e->dir, "Annotator folder")->required();
  eval->add_option("--count", e->count, "Held-out images (0: the whole val split)");
  eval->callback([e] { e->run(); });

  auto s = std::make_shared<AnnotatorShowCommand>();
  auto* show = annotator->add_subcommand("show", "Picture: x, s and G(x) of each annotator");
  show->add_option("dirs", s->dirs, "Annotator folders (one row each)")->required();
  show->add_option("--out", s->out, "PNG to write")->required();
  show->add_option("--count", s->count, "Images (columns)")->capture_default_str();
  show->callback([s] { s->run(); });
}

}  // namespace reff::cli
