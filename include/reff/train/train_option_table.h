// The options of a training run (TrainOptions) that a user sets, one line each: its flag of
// `reff train`, its key in config.json's "train" section, its help line and its field. The command
// line and config.json are both made from this table, so a new training option is its field in
// TrainOptions, one line here and its check in TrainOptions::validate. --method is the method
// registry's (methods.h); --prefetch is a run-time choice, not stored.
#pragma once

#include "reff/train/train_options.h"

namespace reff::train {

struct TrainOption {
  const char* flag;  // nullptr: set by the command itself (--seed also seeds the model)
  const char* key;   // in config.json's "train"
  const char* help;
  // In config.json since the first release: a file without it is damaged. Keys added later keep
  // their default when missing, so older run folders still load.
  bool required = false;
};

// Calls visit(option, field) for each option, where field(options) is the option's member of a
// TrainOptions (const or not), so one table serves reading, writing and copying.
template <typename Visit>
void for_each_train_option(Visit&& visit) {
  visit(
      TrainOption{"--epochs", "epochs", "Epochs (preset: cpu 10, paper 50)", true},
      [](auto& o) -> auto& { return o.epochs; });
  visit(
      TrainOption{"--batch-size", "batch_size", "Mini-batch size (32)", true},
      [](auto& o) -> auto& { return o.batch_size; });
  visit(
      TrainOption{"--lr", "lr", "SGD learning rate (0.01)", true},
      [](auto& o) -> auto& { return o.lr; });
  visit(
      TrainOption{"--momentum", "momentum", "SGD momentum (0.8)", true},
      [](auto& o) -> auto& { return o.momentum; });
  visit(
      TrainOption{"--weight-decay", "weight_decay", "Weight decay (1e-5)", true},
      [](auto& o) -> auto& { return o.weight_decay; });
  visit(
      TrainOption{"--lambda", "lambda",
                  "Weight of the explanation loss (the command line adds the presets' values and "
                  "those of the methods that bring their own)",
                  true},
      [](auto& o) -> auto& { return o.lambda; });
  visit(
      TrainOption{"--layer-weights", "layer_weights",
                  "w_l per explained layer, comma-separated (15,60,250,1000)", true},
      [](auto& o) -> auto& { return o.explanation.layer_weights; });
  visit(
      TrainOption{"--cam-rectifier", "cam_rectifier",
                  "Penalised maps: relu (paper) | none (signed) | abs", true},
      [](auto& o) -> auto& { return o.cam.rectifier; });
  visit(
      TrainOption{"--cam-target", "cam_target",
                  "Penalised maps explain: class-logit (paper) | logit-minus-mean"},
      [](auto& o) -> auto& { return o.cam.target; });
  visit(
      TrainOption{"--cam-weighting", "cam_weighting",
                  "Penalised maps weigh features by: gradcam (channel-mean gradient, paper) | "
                  "hirescam (element-wise gradient)"},
      [](auto& o) -> auto& { return o.cam.weighting; });
  visit(
      TrainOption{"--cam-normalise", "cam_normalise",
                  "Penalise each map's share outside the mask, not its mass (reff only)"},
      [](auto& o) -> auto& { return o.explanation.normalise; });
  visit(
      TrainOption{"--lambda-warmup", "lambda_warmup_epochs",
                  "Epochs over which lambda ramps up linearly from lambda/E (0: none)"},
      [](auto& o) -> auto& { return o.lambda_warmup_epochs; });
  visit(
      TrainOption{nullptr, "seed", "", true}, [](auto& o) -> auto& { return o.seed; });
  visit(
      TrainOption{"--augment", "augment",
                  "Random resized crops and flips of image and mask (default: on for real data "
                  "sets with the paper preset)"},
      [](auto& o) -> auto& { return o.augment; });
  visit(
      TrainOption{"--background-swap", "background_swap",
                  "true: paste each annotated foreground onto another sample's digit-free "
                  "background (any method; it edits the images, so it is a method of its own "
                  "beside ReFF; default false)"},
      [](auto& o) -> auto& { return o.swap_backgrounds; });
  visit(
      TrainOption{"--max-steps", "max_steps", "Stop after this many steps in all (0: no limit)"},
      [](auto& o) -> auto& { return o.max_steps; });
  visit(
      TrainOption{"--precision", "precision",
                  "fp32 | bf16 | fp16 (CUDA only, with loss scaling): the training step's "
                  "arithmetic (default fp32)"},
      [](auto& o) -> auto& { return o.precision; });
  visit(
      TrainOption{"--channels-last", "channels_last",
                  "true | false: NHWC images and convolution weights (default: NHWC on the CPU "
                  "for baseline and abn, whose steps it speeds up; NCHW otherwise)"},
      [](auto& o) -> auto& { return o.channels_last; });
  visit(
      TrainOption{"--explain-count", "explain_count",
                  "Images per set for explanation metrics (256)", true},
      [](auto& o) -> auto& { return o.eval.explain_count; });
}

}  // namespace reff::train
