#include "reff/run/run_folders.h"

#include "reff/data/annotated_subset.h"
#include "reff/data/image_file.h"
#include "reff/device.h"
#include "reff/distributed/process_group.h"
#include "reff/error.h"
#include "reff/folder_lock.h"
#include "reff/json_file.h"
#include "reff/names.h"
#include "reff/run/pretrain.h"
#include "reff/run/run_assembly.h"
#include "reff/run/stand_in.h"
#include "reff/train/checkpoint.h"
#include "reff/viz/explained_samples.h"
#include "reff/viz/image_grid.h"

#include <chrono>
#include <filesystem>

namespace reff::run {
namespace fs = std::filesystem;
namespace {

constexpr int64_t kPictureSamples = 8;

constexpr Named<const char*> kCheckpoints[] = {{train::kBestCheckpoint, "best"},
                                               {train::kLastCheckpoint, "last"}};

std::string checkpoint_path(const std::string& run_dir, const std::string& which) {
  return (fs::path(run_dir) / parse_named(kCheckpoints, "--checkpoint", which)).string();
}

}  // namespace

nlohmann::json run_classifier(const RunConfig& config, const std::string& out, bool resume,
                              const train::TrainCallbacks& callbacks) {
  config.validate();
  const auto lock = lock_if_writer(distributed::world().writes(), out, {kConfigFile});
  const auto last = (fs::path(out) / train::kLastCheckpoint).string();
  const bool continuing = resume && train::has_checkpoint(last);
  if (!continuing) train::require_no_checkpoint(last, out, "a run (checkpoint-last.pt)");
  const auto on = parse_device(config.device);  // a missing GPU fails before any work
  REFF_REQUIRE(config.train.precision != train::Precision::fp16 || on.is_cuda(), "--precision",
               "fp16 needs a CUDA device (bf16 runs on the CPU)");
  // A continued run takes its weights from the checkpoint. A new one starts from the pretrained
  // file, read (and checked) before the data are prepared, except for a stand-in backbone still
  // to be built: the first run of its preset builds it once its own data proved sound (one
  // process only: the ranks of a distributed run would race).
  const bool build_stand_in = !continuing && distributed::world().size() == 1 &&
                              config.pretrained == kStandIn &&
                              !fs::exists(stand_in_backbone(config.preset));
  auto model = continuing || build_stand_in ? build_model(config) : initial_model(config);
  if (build_stand_in) require_stand_in_fits(config);
  if (callbacks.preparing) callbacks.preparing();
  const auto train_set = build_algorithm1_train_set(config);
  const auto val = build_val_set(config);
  std::vector<train::NamedDataset> test_sets;
  for (const auto& spec : config.tests) test_sets.push_back(build_test_set(config, spec));
  if (build_stand_in) {
    build_stand_in_if_missing(config, callbacks);
    load_pretrained(*model, config);
  }
  const bool writes = distributed::world().writes();
  if (writes) write_json_file((fs::path(out) / kConfigFile).string(), config.to_json());
  model->to(on);
  auto state =
      train::train(*model, config.train, train_set, val, test_sets, out, continuing, callbacks);
  if (writes && !config.tests.empty()) {
    const auto best = trained_model(out, config, "best", config.device);
    write_explanations(*best, config, config.tests.front(), kPictureSamples,
                       (fs::path(out) / kExplanationsPicture).string());
  }
  if (writes && callbacks.finished) callbacks.finished(out);
  return state;
}

std::shared_ptr<models::ResNet> trained_model(const std::string& run_dir, const RunConfig& config,
                                              const std::string& which, const std::string& device) {
  auto model = build_model(config);
  model->to(parse_device(device));
  train::load_checkpoint(checkpoint_path(run_dir, which), *model);
  return model;
}

void write_explanations(models::TappedModel& model, const RunConfig& config,
                        const TestSetSpec& spec, int64_t count, const std::string& out) {
  const auto set = build_test_set(config, spec, count);
  // The paper's maps, as the explanation metrics draw them, whatever form the run penalised.
  data::write_png(out, viz::explained_samples(model, set.data, std::min(count, set.data.size()),
                                              config.train.eval.cam, set.class_names));
}

LoadedAnnotator load_annotator(const std::string& dir) {
  LoadedAnnotator loaded{load_annotator_config(dir), nullptr};
  loaded.model = std::make_shared<train::Pix2Pix>(
      loaded.config.data.canvas, train::AnnotatorOptions::from_json(loaded.config.annotator));
  train::load_checkpoint((fs::path(dir) / train::kAnnotatorCheckpoint).string(), *loaded.model);
  return loaded;
}

nlohmann::json held_out_overlap(const LoadedAnnotator& annotator, int64_t count) {
  auto config = annotator.config;
  if (count > 0) config.val_count = count;
  auto val = build_val_set(config).data;
  if (!val.has_mask().all().item<bool>()) {  // an own folder: the images that have masks
    const auto masked = val.masked_indices();
    if (masked.empty()) return {{"iou", nullptr}, {"dice", nullptr}, {"images", 0}};
    val = val.subset(masked);
  }
  const auto overlap = train::mask_overlap(train::pseudo_annotate(*annotator.model->generator, val),
                                           val.masks().to(torch::kFloat32).div(255.0));
  return {{"iou", overlap.iou},
          {"dice", overlap.dice},
          {"images", val.size()},
          {"n", annotator.config.annotated.n},
          {"per_class", annotator.config.annotated.per_class}};
}

nlohmann::json run_annotator(const AnnotatorRunConfig& config, const std::string& out, bool resume,
                             const std::string& device, const train::TrainCallbacks& callbacks) {
  const auto lock = lock_if_writer(distributed::world().writes(), out, {kConfigFile});
  const auto checkpoint = fs::path(out) / train::kAnnotatorCheckpoint;
  const bool continuing = resume && train::has_checkpoint(checkpoint.string());
  if (!continuing) train::require_no_checkpoint(checkpoint.string(), out, "an annotator");
  config.validate();
  const auto options = train::AnnotatorOptions::from_json(config.annotator);
  const auto on = parse_device(device);
  // Data and D1 first: a bad --annotated-n fails before anything is written.
  const auto generated = build_train_set(config);
  const auto d1 = annotated_indices(config, generated);
  REFF_REQUIRE(!d1.empty(), config.data_dir,
               "none of the training images has a mask to learn from");
  torch::manual_seed(options.seed);
  auto model = std::make_shared<train::Pix2Pix>(config.data.canvas, options);
  model->to(on);
  const bool writes = distributed::world().writes();
  if (writes) {
    auto json = config.to_json();
    json["annotator"] = config.annotator;
    write_json_file((fs::path(out) / kConfigFile).string(), json);
  }
  const auto start = std::chrono::steady_clock::now();
  train_annotator(*model, options, generated.subset(d1), out, continuing, callbacks);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!writes) return {};                            // rank 0 evaluates and reports
  auto summary = held_out_overlap({config, model});  // the trained model, not a reload of it
  summary["annotated_images"] = d1.size();
  summary["train_seconds_this_session"] = seconds;
  write_json_file((fs::path(out) / kAnnotatorEval).string(), summary);
  return summary;
}

torch::Tensor annotations_picture(const std::vector<std::string>& annotator_dirs, int64_t count) {
  REFF_REQUIRE(count >= 1 && count <= 32, "--count", "must be in [1, 32]");
  REFF_REQUIRE(!annotator_dirs.empty(), "annotators", "none given");
  std::vector<LoadedAnnotator> annotators;
  for (const auto& dir : annotator_dirs) {
    annotators.push_back(load_annotator(dir));
    REFF_REQUIRE(annotators.back().config.data_json() == annotators.front().config.data_json(), dir,
                 "made for other data than " + annotator_dirs.front());
  }
  auto config = annotators.front().config;
  config.val_count = count;
  const auto val = build_val_set(config).data;
  std::vector<torch::Tensor> tiles;
  for (int64_t i = 0; i < count; ++i) tiles.push_back(val.images()[i]);
  for (int64_t i = 0; i < count; ++i) tiles.push_back(val.masks()[i]);
  for (const auto& a : annotators) {
    const auto g = train::pseudo_annotate(*a.model->generator, val);
    for (int64_t i = 0; i < count; ++i) tiles.push_back(g[i].mul(255).round().to(torch::kUInt8));
  }
  const int64_t side = config.data.canvas;
  return viz::image_grid(tiles, count, /*pad=*/3, viz::scale_to_at_least(side, 64));
}

}  // namespace reff::run
