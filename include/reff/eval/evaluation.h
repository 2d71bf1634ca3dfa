// Evaluation: accuracy (overall, per class and, where samples carry groups, per group), and
// where the model looks. Explanation metrics use the Grad-CAM I' of the label class at each
// explained layer, on samples that have a mask s (definitions: docs/metrics.md):
//   mass inside = sum(I' * s) / sum(I')            (maps that are zero everywhere left out)
//   pointing    = [argmax I' lies in s]             (the pointing game; zero maps left out)
//   energy      = sum(I'+ * s) / sum(I'+)           (energy pointing game, I'+ = max(I', 0))
//   IoU         = |B & s| / |B | s|, B = [I' >= max I' / 2]   (maps without a positive value
//                                                              left out)
//   zero maps   = share of maps without a positive value (they explain nothing)
#pragma once

#include "reff/data/tensor_dataset.h"
#include "reff/explain/grad_cam.h"
#include "reff/models/tapped_model.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace reff::eval {

struct LayerMetrics {
  double mass_inside = 0;  // mean over explained samples
  double pointing = 0;     // hit rate
  double energy = 0;       // mean energy pointing game
  double iou = 0;          // mean IoU of the map above half its maximum with the mask
  double zero_maps = 0;    // share of maps without a positive value
  int64_t explained = 0;   // samples whose map is not all zero
};

// Accuracy per class or per group: entry k over the samples of index k (NaN where none).
struct AccuracyBreakdown {
  std::vector<double> accuracy;
  std::vector<int64_t> count;
  // The lowest accuracy of an index with samples (worst-group accuracy), NaN if none has any.
  double worst() const;
  // sum_k w_k acc_k / sum_k w_k over the indices with samples; uniform weights when `weights` is
  // empty (mean-group accuracy), the groups' shares of the training set for group-weighted
  // accuracy.
  double weighted(const std::vector<double>& weights = {}) const;
};
// correct: bool [N]; index: int64 [N] in [-1, n) (-1: counted nowhere).
AccuracyBreakdown accuracy_by(const torch::Tensor& correct, const torch::Tensor& index, int64_t n);

// The groups of a data set's samples (a group column of the user's CSV).
struct Groups {
  torch::Tensor ids;                 // int64 [N], -1: no group
  std::vector<std::string> names;    // group -> name
  std::vector<double> train_shares;  // each group's share of the training set
  bool defined() const { return ids.defined() && !names.empty(); }
};

struct EvalResult {
  double accuracy = 0;
  int64_t count = 0;
  AccuracyBreakdown per_class;
  std::vector<std::string> class_names;  // empty: classes are named by number
  AccuracyBreakdown per_group;           // empty without groups
  Groups groups;
  std::vector<LayerMetrics> layers;  // one per explained layer
  nlohmann::json to_json() const;
};

struct EvalOptions {
  // 0: 64 images on the CPU, where a batch's activations then stay in cache (1.3x the img/s of
  // 256 on the cpu preset, the same results: docs/results/performance.md), 256 on a GPU.
  int64_t batch_size = 0;
  int64_t explain_count = 256;  // samples for the explanation metrics (0: none)
  explain::GradCamOptions cam;  // create_graph is ignored
};

// Per-sample metrics of one layer's maps [B, H, W] against masks [B, H, W]: mass inside and
// pointing hit (NaN where the map is zero everywhere).
torch::Tensor mass_inside(const torch::Tensor& maps, const torch::Tensor& masks);
torch::Tensor pointing_hits(const torch::Tensor& maps, const torch::Tensor& masks);
torch::Tensor energy_inside(const torch::Tensor& maps, const torch::Tensor& masks);
torch::Tensor iou_at_half_max(const torch::Tensor& maps, const torch::Tensor& masks);

// Accuracy on all samples (eval mode) and explanation metrics on those of the first
// `explain_count` samples that have masks: one forward pass with gradients gives both the
// predictions and the Grad-CAMs of the explained samples; the rest run without autograd.
// Restores the model's training mode.
// With `groups` (defined), also per-group accuracy.
EvalResult evaluate(models::TappedModel& model, const data::TensorDataset& data,
                    const EvalOptions& options, const Groups& groups = {});

}  // namespace reff::eval
