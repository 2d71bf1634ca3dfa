// The options of a training run (TrainOptions): the optimisation, the method and its explanation
// loss, precision and layout, and the evaluation each epoch ends with. Their flags, config.json
// keys and help lines are in train_option_table.h; the loop that follows them is trainer.h's
// (where TrainOptions' functions are defined).
#pragma once

#include "reff/eval/evaluation.h"
#include "reff/explain/grad_cam.h"
#include "reff/regularizers/explanation_loss.h"
#include "reff/train/precision.h"

#include <torch/types.h>

#include <optional>
#include <string>

namespace reff::train {

// What a user sets of these is listed, with its flag, config.json key and help, in
// train_option_table.h.
struct TrainOptions {
  std::string method = "baseline";  // a name in the registry (methods.h); set it with use_method
  int64_t epochs = 50;
  int64_t batch_size = 32;
  double lr = 0.01;
  double momentum = 0.8;
  double weight_decay = 1e-5;
  double lambda = 1e-6;              // weight of L_ReFF
  int64_t lambda_warmup_epochs = 0;  // > 0: lambda ramps linearly, lambda * min(1, epoch / this)
  regularizers::ExplanationLossOptions explanation;  // w_l and normalising; the penalty: method
  explain::GradCamOptions cam;            // target, rectifier, weighting of the penalised maps
  double lambda_at(int64_t epoch) const;  // the warm-up's lambda in epoch 1, 2, ...
  uint64_t seed = 0;     // shuffling and augmentation (model initialisation is the caller's)
  bool augment = false;  // random resized crop + flip of image and mask (augmentation.h)
  bool swap_backgrounds = false;          // background swapping, the competitor (augmentation.h)
  int64_t max_steps = 0;                  // > 0: stop after this many steps in all (smoke runs)
  Precision precision = Precision::fp32;  // of the training step (precision.h)
  // NHWC images and convolution weights; unset: runs_channels_last's choice.
  std::optional<bool> channels_last;
  // Build the next batch while a step runs (batch_loader.h); unset: on a CUDA device only (on 2
  // CPU cores the loader thread slows the step more than it hides: docs/results/performance.md).
  // A run-time choice, not stored in config.json.
  std::optional<bool> prefetch;
  eval::EvalOptions eval;
  // The method named `name`, with the defaults it brings (lambda, the penalised maps' form).
  void use_method(const std::string& name);
  void validate() const;  // throws reff::Error naming the option
};

// Whether a step of `options` on `device` runs NHWC: --channels-last when given; else NHWC on the
// CPU for a step without a second derivative (baseline, ABN), where LibTorch's NHWC convolutions
// are faster, and NCHW for the methods that differentiate a gradient (their double backward is
// slower NHWC) and on GPUs (docs/results/performance.md).
bool runs_channels_last(const TrainOptions& options, const torch::Device& device);

}  // namespace reff::train
