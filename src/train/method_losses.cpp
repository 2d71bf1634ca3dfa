#include "reff/train/method_losses.h"

#include "reff/error.h"
#include "reff/models/attention_branch.h"
#include "reff/regularizers/attention_map_loss.h"
#include "reff/regularizers/input_gradient_loss.h"
#include "reff/train/trainer.h"

#include <torch/nn/functional/loss.h>

namespace reff::train {
namespace F = torch::nn::functional;

MethodTerms cross_entropy_only(const MethodInfo&, models::TappedModel& model,
                               const torch::Tensor& images, const data::Batch& batch,
                               const TrainOptions&) {
  const auto logits = model.forward(images).logits;
  return {logits, F::cross_entropy(logits, batch.labels), {}};
}

MethodTerms grad_cam_penalty(const MethodInfo& self, models::TappedModel& model,
                             const torch::Tensor& images, const data::Batch& batch,
                             const TrainOptions& options) {
  const auto forward = model.forward(images);
  MethodTerms terms{forward.logits, F::cross_entropy(forward.logits, batch.labels), {}};
  const auto& layer_weights = options.explanation.layer_weights;
  REFF_REQUIRE(layer_weights.size() == forward.features.size(), "--layer-weights",
               std::to_string(layer_weights.size()) + " weights for " +
                   std::to_string(forward.features.size()) + " explained layers");
  // Only the layers with a weight are explained, and only batches with a mask (D2 without an
  // annotator has none): a skipped term is exactly the 0 its weight or mask would make it, at no
  // Grad-CAM and no double-backward graph.
  models::Tapped explained{forward.logits, {}, {}};
  auto loss_options = options.explanation;
  loss_options.layer_weights.clear();
  for (size_t l = 0; l < forward.features.size(); ++l) {
    if (layer_weights[l] == 0) continue;
    explained.features.push_back(forward.features[l]);
    loss_options.layer_weights.push_back(layer_weights[l]);
  }
  const bool any_mask = batch.masked >= 0 ? batch.masked > 0 : batch.has_mask.any().item<bool>();
  if (loss_options.layer_weights.empty() || !any_mask) return terms;
  auto cam = options.cam;
  cam.create_graph = true;  // the maps feed the loss: double back-propagation
  const auto maps =
      explain::grad_cam(explained, batch.labels, {batch.images.size(2), batch.images.size(3)}, cam);
  terms.term =
      regularizers::explanation_loss(maps, batch.masks, batch.has_mask, self.penalty, loss_options);
  return terms;
}

MethodTerms input_gradient_penalty(const MethodInfo&, models::TappedModel& model,
                                   const torch::Tensor& images, const data::Batch& batch,
                                   const TrainOptions&) {
  const auto inputs = images.detach().requires_grad_(true);
  const auto logits = model.forward(inputs).logits;
  return {logits, F::cross_entropy(logits, batch.labels),
          regularizers::input_gradient_loss(logits, inputs, batch.masks, batch.has_mask)};
}

MethodTerms attention_branch_loss(const MethodInfo& self, models::TappedModel& model,
                                  const torch::Tensor& images, const data::Batch& batch,
                                  const TrainOptions&) {
  const auto forward = model.forward(images);
  const auto attention = forward.extra.find(models::kAttentionMap);
  REFF_REQUIRE(attention != forward.extra.end(), std::string("--method ") + self.name,
               "the model has no attention branch");
  const auto& scores = forward.extra.at(models::kAttentionScores);
  return {forward.logits,
          F::cross_entropy(forward.logits, batch.labels) + F::cross_entropy(scores, batch.labels),
          regularizers::attention_map_loss(attention->second, batch.masks, batch.has_mask)};
}

}  // namespace reff::train
