// The training methods, one registry. Each entry is a method's name, help line and column label,
// the loss its training step computes (a function of the model, the batch and the options, in
// method_losses.h), the name of its own term in metrics.jsonl and the defaults it brings.
// Parsing --method, its help, the trainer's loss, the experiments' columns and the smoke tests'
// list all come from here. A new Grad-CAM penalty is its per-pixel function (its own file,
// regularizers/explanation_loss.h), one line here and its test; a loss of another shape (input
// gradients, an extra branch) is its MethodLoss function, one line here and its test.
#pragma once

#include "reff/data/tensor_dataset.h"
#include "reff/explain/grad_cam.h"
#include "reff/models/tapped_model.h"
#include "reff/regularizers/explanation_loss.h"

#include <optional>
#include <string>
#include <vector>

namespace reff::train {

struct TrainOptions;
struct MethodInfo;

// What a method's step computes from one batch: the logits, L_main and the method's own term
// before lambda (undefined: no term on this batch, e.g. the baseline or a batch without masks).
struct MethodTerms {
  torch::Tensor logits, main, term;
};
using MethodLoss = MethodTerms (*)(const MethodInfo& self, models::TappedModel& model,
                                   const torch::Tensor& images, const data::Batch& batch,
                                   const TrainOptions& options);

// What reff.METHODS tells Python users a method's step needs besides the classification loss.
enum class MethodNeeds { nothing, grad_cam, input_gradients, attention_branch };

// Defaults a method brings to TrainOptions when chosen (use_method); options given explicitly
// (--lambda, --cam-*) still override them.
struct MethodDefaults {
  std::optional<double> lambda;  // else the preset's
  std::optional<explain::CamRectifier> rectifier;
  std::optional<explain::CamTarget> target;
  std::optional<bool> normalise;
};

struct MethodInfo {
  const char* name;   // --method, config.json, experiment folders
  const char* label;  // its column in the experiments' tables
  const char* help;
  const char* term;  // its own term's key in metrics.jsonl's "train" (nullptr: none)
  MethodNeeds needs;
  MethodLoss loss;
  regularizers::PixelPenalty penalty = nullptr;  // the Grad-CAM family: the penalty on the maps
  MethodDefaults defaults = {};
};

const std::vector<MethodInfo>& methods();  // the registry, in --method's order
// The entry named `name`; Error naming --method and the known names otherwise.
const MethodInfo& method_info(const std::string& name);
std::string method_names(const char* separator = " | ");
std::string method_help();  // --method's help: each name with its help line

}  // namespace reff::train
