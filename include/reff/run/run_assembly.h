// How a run is assembled from its configuration (run_config.h): the model it starts from, its
// data sets (built by its data set kind, dataset_kind.h) and, for Algorithm 1, the training set
// with D1's masks and the annotator's G(x) for D2.
#pragma once

#include "reff/data/tensor_dataset.h"
#include "reff/data/textured_mnist.h"
#include "reff/models/resnet.h"
#include "reff/run/run_config.h"

#include <memory>
#include <string>
#include <vector>

namespace reff::run {

// The data set kind's (dataset_kind.h): its class count, and its files checked before any work
// starts (for an own folder, also its class_names and group_names, and its test split as the test
// set).
int64_t dataset_classes(const RunConfig& config);
void check_dataset_files(RunConfig& config);

// The model, seeded by model_seed, on CPU (to be loaded from a checkpoint).
std::shared_ptr<models::ResNet> build_model(const RunConfig& config);
// Copies the pretrained weights the config names into `model` (nothing when it names none).
// The head (fc) keeps its seeded initial values when the file's has another class count or none.
void load_pretrained(models::ResNet& model, const RunConfig& config);
// build_model + load_pretrained: the model a run starts from.
std::shared_ptr<models::ResNet> initial_model(const RunConfig& config);

// The Textured MNIST generator of the set `name` (its seed: data.seed and the name).
data::TexturedMnist textured_mnist(const RunConfig& config, data::Split split,
                                   const std::string& name, double p, double q);

// Which training samples keep their masks (D1): the annotated subset of Algorithm 1, or, for an
// own folder, the images that come with a mask.
std::vector<int64_t> annotated_indices(const RunConfig& config, const data::TensorDataset& train);

// The share of an own folder's masked training images that may have an empty mask (one marking no
// pixel relevant) without RunConfig::allow_empty_masks; at most this many train with a notice.
constexpr double kMaxEmptyMaskShare = 0.05;

// Data sets, each generated with its own seed derived from data.seed and the set's name.
// The training set as generated (every mask present). An own folder's empty masks beyond
// kMaxEmptyMaskShare are a reff::Error naming the count, the first files and the likely fix.
data::TensorDataset build_train_set(const RunConfig& config);
// ... and as Algorithm 1 trains on it: D1 keeps its masks, D2 gets the annotator's G(x).
data::TensorDataset build_algorithm1_train_set(const RunConfig& config);
// The val split's part that config.val_part names (run_config.h).
train::NamedDataset build_val_set(const RunConfig& config);
// Which images of a set with these labels and groups (undefined: none) form the part "all", "fit"
// or "select": each (class, group) stratum shuffled by `seed` and cut in two, the first floor(n/2)
// fitting and the rest selecting. Ascending indices.
std::vector<int64_t> val_part_indices(const torch::Tensor& labels, const torch::Tensor& groups,
                                      const std::string& part, uint64_t seed);
train::NamedDataset build_test_set(const RunConfig& config, const TestSetSpec& spec,
                                   int64_t count = 0);

}  // namespace reff::run
