#include "annotator_command.h"

#include "progress.h"
#include "reff/data/image_file.h"
#include "reff/device.h"
#include "reff/distributed/process_group.h"
#include "reff/error.h"
#include "reff/folder_lock.h"
#include "reff/json_file.h"
#include "reff/run/dataset_kind.h"
#include "reff/run/run_folders.h"
#include "reff/train/annotator.h"
#include "run_options.h"
#include "stop_on_signal.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>

namespace reff::cli {
namespace fs = std::filesystem;
namespace {

// "held-out IoU 0.741, Dice 0.850 on 16 <images>", or, with no masked held-out image, so in words.
std::string overlap_text(const nlohmann::json& overlap, const std::string& images) {
  if (overlap["images"].get<int64_t>() == 0)
    return "no held-out IoU or Dice: none of the " + images + " has a mask";
  char text[128];
  std::snprintf(text, sizeof text, "held-out IoU %.3f, Dice %.3f on %lld %s",
                overlap["iou"].get<double>(), overlap["dice"].get<double>(),
                static_cast<long long>(overlap["images"].get<int64_t>()), images.c_str());
  return text;
}

struct AnnotatorTrainCommand {
  std::string out, device = "auto";
  int64_t iterations = 0, generator_base = 0, discriminator_base = 0;
  uint64_t seed = 0;
  bool resume = false;
  DataOptions data;
  GivenOptions given;

  void run() const {
    run::AnnotatorRunConfig config;
    if (resume) {
      if (distributed::world().writes()) require_not_in_use(out);  // rank 0 locks
      config = run::load_annotator_config(out);
    } else {
      static_cast<run::RunConfig&>(config) = data.resolve(given);
      auto options = train::annotator_preset(config.preset);
      given.set("--iterations", iterations, options.iterations);
      given.set("--generator-base", generator_base, options.generator_base);
      given.set("--discriminator-base", discriminator_base, options.discriminator_base);
      given.set("--seed", seed, options.seed);
      config.annotator = options.to_json();
      config.validate();
    }
    Progress progress("annotator", "it");
    const StopOnSignal stop_on_signal;  // a first Ctrl-C: annotator.pt, then exit 130
    train::TrainCallbacks callbacks;
    if (distributed::world().writes()) {  // rank 0 reports for all
      callbacks.progress = [&](int64_t done, int64_t total, const std::string& status) {
        progress.update(done, total, status);
      };
    }
    callbacks.stop_requested = [] { return StopOnSignal::requested(); };
    const auto summary = run::run_annotator(config, out, resume, device, callbacks);
    if (!distributed::world().writes()) return;
    std::cout << "annotator ";
    if (run::dataset_kind(config).own_masks) {
      std::cout << "from " << summary["annotated_images"] << " masked images";
    } else {
      std::cout << "n " << config.annotated.n
                << (config.annotated.per_class ? " per class" : " in total");
    }
    std::cout << ", " << train::AnnotatorOptions::from_json(config.annotator).iterations
              << " iterations: " << overlap_text(summary, "val images") << " ("
              << std::lround(summary["train_seconds_this_session"].get<double>())
              << " s of training)\n";
  }
};

struct AnnotatorEvalCommand {
  std::string dir;
  int64_t count = 0;
  void run() const {
    const auto result = run::held_out_overlap(run::load_annotator(dir), count);
    write_json_file((fs::path(dir) / run::kAnnotatorEval).string(), result);
    std::cout << "annotator n " << result["n"] << ": " << overlap_text(result, "val images")
              << "\n";
  }
};

// Like the paper's Fig. 2: a row of images, a row of their masks, then one row of G(x) per
// annotator.
struct AnnotatorShowCommand {
  std::vector<std::string> dirs;
  std::string out;
  int64_t count = 8;
  void run() const {
    data::write_png(out, run::annotations_picture(dirs, count));
    std::cout << "rows: x, s";
    for (const auto& dir : dirs) std::cout << ", G(x) of " << dir;
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
