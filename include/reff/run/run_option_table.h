// The data and model options of a run (RunConfig) that config.json stores, one line each: its flag
// of `reff train` / `reff annotator train`, its section and key in config.json, its help line and
// its field. The command line (with each preset's value in the help), config.json and its reading
// are all made from this table, so a new data or model option is its field and one line here (and
// its rule in RunConfig::validate). Training options have their own table
// (train/train_option_table.h).
#pragma once

#include "reff/data/texture_bank_choice.h"
#include "reff/run/run_config.h"

#include <string>

namespace reff::run {

struct RunOption {
  const char* flag;     // nullptr: set by the commands themselves (a path they check, a seed)
  const char* section;  // in config.json: "data" or "model"
  const char* key;
  std::string help;  // the command line adds "(default; preset cpu x)"
  // In config.json since the first release: a file without it is damaged. Keys added later keep
  // their default when missing, so older run folders still load.
  bool required = false;
  // Applies to every kind of data set; else only to the kinds that list its key (dataset_kind.h),
  // and the resolver (resolve.h) refuses it for the others.
  bool every_kind = true;
  bool is_switch = false;  // a bool flag given without a value
};

// The "data" section's options, in for_each_run_option's form.
template <typename Visit>
void for_each_data_option(Visit&& visit) {
  visit(
      RunOption{nullptr, "data", "dataset", ""}, [](auto& c) -> auto& { return c.dataset; });
  visit(
      RunOption{nullptr, "data", "data_dir", ""}, [](auto& c) -> auto& { return c.data_dir; });
  visit(
      RunOption{"--mnist", "data", "mnist_dir", "Folder in MNIST's layout", true, false},
      [](auto& c) -> auto& { return c.mnist_dir; });
  visit(
      RunOption{"--textures", "data", "textures", data::texture_bank_names(" | "), true, false},
      [](auto& c) -> auto& { return c.textures.kind; });
  visit(
      RunOption{"--texture-dir", "data", "texture_dir", "Folder of the texture bank", true, false},
      [](auto& c) -> auto& { return c.textures.path; });
  visit(
      RunOption{"--canvas,--image-size", "data", "canvas", "Image side in pixels", true},
      [](auto& c) -> auto& { return c.data.canvas; });
  visit(
      RunOption{"--digit-size", "data", "digit_size",
                "Digit side in pixels (0: the whole canvas, also where the canvas is smaller)",
                true, false},
      [](auto& c) -> auto& { return c.data.digit_size; });
  visit(
      RunOption{"--luminance-offset", "data", "luminance_offset",
                "Digit lighter than background by", true, false},
      [](auto& c) -> auto& { return c.data.luminance_offset; });
  visit(
      RunOption{"--stretch-textures", "data", "stretch_textures",
                "true: min-max scale every texture patch to [0, 1]", false, false},
      [](auto& c) -> auto& { return c.data.stretch_textures; });
  visit(
      RunOption{"--colour-jitter", "data", "colour_jitter",
                "true: turn and tint each texture patch's colours at random (a class keeps its "
                "pattern, not its colour)",
                false, false},
      [](auto& c) -> auto& { return c.data.colour_jitter; });
  visit(
      RunOption{"--texture-shrink", "data", "texture_shrink",
                "Draw each texture patch this many times larger and shrink it: its pattern "
                "appears that many times smaller, as on large photographs (1: the bank's scale)",
                false, false},
      [](auto& c) -> auto& { return c.data.texture_shrink; });
  visit(
      RunOption{"--mask-threshold", "data", "mask_threshold",
                "The mask is the digit's coverage >= this; of files: a gray pixel >= this x 255",
                false, false},
      [](auto& c) -> auto& { return c.data.mask_threshold; });
  visit(
      RunOption{"--mask-values", "data", "mask_values",
                "Mask values (palette indices of indexed PNGs, else gray levels) that mark "
                "relevant pixels, repeatable; none: an indexed PNG's every index but 0, a gray "
                "one's levels >= --mask-threshold",
                false, false},
      [](auto& c) -> auto& { return c.mask_values; });
  visit(
      RunOption{"--allow-empty-masks", "data", "allow_empty_masks",
                "Train although more than 5 % of the masked training images have a mask that "
                "marks nothing (refused by default)",
                false, false, true},
      [](auto& c) -> auto& { return c.allow_empty_masks; });
  visit(
      RunOption{nullptr, "data", "classes", "", true, false},
      [](auto& c) -> auto& { return c.class_names; });
  visit(
      RunOption{nullptr, "data", "groups", "", false, false},
      [](auto& c) -> auto& { return c.group_names; });
  visit(
      RunOption{
          "--masks", "data", "masks_dir",
          "CUB-200-2011's folder, whose segmentations/ hold the birds' masks (none: no masks)",
          false, false},
      [](auto& c) -> auto& { return c.masks_dir; });
  visit(
      RunOption{"--p", "data", "p", "Training background randomness", true, false},
      [](auto& c) -> auto& { return c.data.p; });
  visit(
      RunOption{"--q", "data", "q", "Training digit-texture randomness", true, false},
      [](auto& c) -> auto& { return c.data.q; });
  visit(
      RunOption{"--data-seed", "data", "seed", "Seed of the generated images", true, false},
      [](auto& c) -> auto& { return c.data.seed; });
  visit(
      RunOption{"--val-share", "data", "val_share",
                "Share of each class's training images held out as val where a data set has no "
                "val split",
                true},
      [](auto& c) -> auto& { return c.split.val_share; });
  visit(
      RunOption{"--val-part", "data", "val_part",
                "Part of the validation split to see: all | fit | select (two halves, stratified "
                "by class and group: DFR fits on one, the best epoch is chosen on the other)"},
      [](auto& c) -> auto& { return c.val_part; });
  visit(
      RunOption{"--split-seed", "data", "split_seed",
                "Seed of the train/val split of MNIST's or Pet's training file", true},
      [](auto& c) -> auto& { return c.split.seed; });
  visit(
      RunOption{"--train-count", "data", "train_count",
                "Training images (0: one per digit of the split)", true},
      [](auto& c) -> auto& { return c.train_count; });
  visit(
      RunOption{"--val-count", "data", "val_count", "Validation images (0: all)", true},
      [](auto& c) -> auto& { return c.val_count; });
  visit(
      RunOption{"--test-count", "data", "test_count", "Images per test set (0: all)", true},
      [](auto& c) -> auto& { return c.test_count; });
}

// The "model" section's options.
template <typename Visit>
void for_each_model_option(Visit&& visit) {
  visit(
      RunOption{"--model", "model", "name", models::model_names(), true},
      [](auto& c) -> auto& { return c.model; });
  visit(
      RunOption{"--width", "model", "width", "Channels of the small ResNet's first stage", true},
      [](auto& c) -> auto& { return c.small.width; });
  visit(
      RunOption{nullptr, "model", "blocks", "", true},
      [](auto& c) -> auto& { return c.small.blocks; });
  visit(
      RunOption{nullptr, "model", "seed", "", true}, [](auto& c) -> auto& { return c.model_seed; });
  visit(
      RunOption{"--num-classes", "model", "num_classes",
                "Classes of the model's head (0: the data set's; a pretrained fc of another size "
                "is replaced)"},
      [](auto& c) -> auto& { return c.num_classes; });
  visit(
      RunOption{nullptr, "model", "pretrained", ""}, [](auto& c) -> auto& { return c.pretrained; });
  visit(
      RunOption{nullptr, "model", "sync_batchnorm", ""},
      [](auto& c) -> auto& { return c.sync_batchnorm; });
}

// Calls visit(option, field) for each option, where field(config) is the option's member of a
// RunConfig (const or not), so one table serves reading, writing and copying.
template <typename Visit>
void for_each_run_option(Visit&& visit) {
  for_each_data_option(visit);
  for_each_model_option(visit);
}

}  // namespace reff::run
