// The folders that `reff train` and `reff annotator train` write, made from code: the command
// line and the experiments (experiment/) both go through these functions.
//
// Classifier run folder: config.json, metrics.jsonl, checkpoint-last.pt, checkpoint-best.pt
// (trainer.h) and explanations.png. Annotator folder: config.json, metrics.jsonl, annotator.pt
// (annotator.h) and eval.json (IoU and Dice of G(x) on held-out images).
#pragma once

#include "reff/run/run_config.h"
#include "reff/train/annotator.h"
#include "reff/train/trainer.h"

#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace reff::run {

constexpr const char* kConfigFile = "config.json";
constexpr const char* kExplanationsPicture = "explanations.png";
constexpr const char* kAnnotatorEval = "eval.json";

// Trains the classifier that `config` describes in `out`. Data is built (and checked) before
// anything is written. With `resume`, continues from the folder's last checkpoint when there is
// one; otherwise a folder holding a run is an error. Ends by drawing the best checkpoint's
// explanations on the first test set. Returns the trainer's final state.
nlohmann::json run_classifier(const RunConfig& config, const std::string& out, bool resume,
                              const train::TrainCallbacks& callbacks = {});

// A run's model with the weights of its best (or last) checkpoint, on `device`.
std::shared_ptr<models::ResNet> trained_model(const std::string& run_dir, const RunConfig& config,
                                              const std::string& which = "best",
                                              const std::string& device = "cpu");

// The first `count` samples of a test set, explained (viz/explained_samples.h) with the paper's
// Grad-CAM (the maps the explanation metrics measure), as a PNG.
void write_explanations(models::TappedModel& model, const RunConfig& config,
                        const TestSetSpec& spec, int64_t count, const std::string& out);

// An annotator folder's pix2pix, ready to annotate.
struct LoadedAnnotator {
  AnnotatorRunConfig config;
  std::shared_ptr<train::Pix2Pix> model;
};
LoadedAnnotator load_annotator(const std::string& dir);

// IoU and Dice of G(x) on `count` held-out (val) images (0: the whole val split).
nlohmann::json held_out_overlap(const LoadedAnnotator& annotator, int64_t count = 0);

// Trains the annotator that `config` describes (config.annotator: train::AnnotatorOptions) in `out`
// on `device`, then writes and returns its held-out overlap (eval.json, with the training seconds).
// `resume` continues from the folder's annotator.pt when there is one. Distributed, the ranks
// other than 0 return an empty object (rank 0 evaluates and writes). `callbacks`: progress and
// stop requests, as train_annotator takes them.
nlohmann::json run_annotator(const AnnotatorRunConfig& config, const std::string& out, bool resume,
                             const std::string& device,
                             const train::TrainCallbacks& callbacks = {});

// Like the paper's Fig. 2: a row of `count` val images, a row of their masks, then one row of G(x)
// per annotator (all made for the same data). uint8 [3, H, W].
torch::Tensor annotations_picture(const std::vector<std::string>& annotator_dirs, int64_t count);

}  // namespace reff::run
