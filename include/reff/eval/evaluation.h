// Evaluation: accuracy, and where the model looks. Explanation metrics use the Grad-CAM of the
// label class at each explained layer, on samples that have a mask:
//   mass inside = sum(I' * s) / sum(I')  (share of the explanation on task-relevant pixels;
//                 maps that are zero everywhere are left out)
//   pointing    = [argmax I' lies in s]  (the pointing game; zero maps are left out)
#pragma once

#include "reff/data/tensor_dataset.h"
#include "reff/explain/grad_cam.h"
#include "reff/models/tapped_model.h"

#include <nlohmann/json.hpp>

#include <vector>

namespace reff::eval {

struct LayerMetrics {
  double mass_inside = 0;  // mean over explained samples
  double pointing = 0;     // hit rate
  int64_t explained = 0;   // samples whose map is not all zero
};

struct EvalResult {
  double accuracy = 0;
  int64_t count = 0;
  std::vector<LayerMetrics> layers;  // one per explained layer
  nlohmann::json to_json() const;
};

struct EvalOptions {
  int64_t batch_size = 256;
  int64_t explain_count = 256;  // samples for the explanation metrics (0: none)
  explain::GradCamOptions cam;  // create_graph is ignored
};

// Per-sample metrics of one layer's maps [B, H, W] against masks [B, H, W]: mass inside and
// pointing hit (NaN where the map is zero everywhere).
torch::Tensor mass_inside(const torch::Tensor& maps, const torch::Tensor& masks);
torch::Tensor pointing_hits(const torch::Tensor& maps, const torch::Tensor& masks);

// Accuracy on all samples (eval mode, no autograd) and explanation metrics on the first
// `explain_count` samples that have masks. Restores the model's training mode.
EvalResult evaluate(models::TappedModel& model, const data::TensorDataset& data,
                    const EvalOptions& options);

}  // namespace reff::eval
