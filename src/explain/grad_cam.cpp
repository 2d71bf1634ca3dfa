#include "reff/explain/grad_cam.h"

#include "reff/error.h"

#include <torch/autograd.h>
#include <torch/nn/functional/upsampling.h>

namespace reff::explain {
namespace F = torch::nn::functional;

namespace {

// The explained score, summed over the batch: samples do not share a gradient path except
// through batch statistics, so one backward pass gives every sample's dy/dA.
torch::Tensor target_score(const torch::Tensor& logits, const torch::Tensor& classes,
                           CamTarget target) {
  switch (target) {
    case CamTarget::class_logit:
      return logits.gather(1, classes.view({-1, 1})).sum();
    case CamTarget::logit_minus_mean:
      return (logits.gather(1, classes.view({-1, 1})).squeeze(1) - logits.mean(1)).sum();
  }
  throw Error("grad_cam: unknown CAM target");
}

torch::Tensor rectify(const torch::Tensor& map, CamRectifier rectifier) {
  switch (rectifier) {
    case CamRectifier::relu:
      return torch::relu(map);
    case CamRectifier::abs:
      return map.abs();
    case CamRectifier::none:
      break;
  }
  return map;
}

}  // namespace

std::vector<torch::Tensor> grad_cam(const models::Tapped& forward, const torch::Tensor& classes,
                                    torch::IntArrayRef input_size, const GradCamOptions& options) {
  const auto& logits = forward.logits;
  REFF_REQUIRE(!forward.features.empty(), "grad_cam", "the model tapped no feature maps");
  REFF_REQUIRE(logits.requires_grad(), "grad_cam",
               "the forward pass ran without gradients (NoGradGuard or InferenceMode)");
  REFF_REQUIRE(classes.dim() == 1 && classes.size(0) == logits.size(0), "grad_cam",
               "one target class per sample expected");
  REFF_REQUIRE(input_size.size() == 2, "grad_cam", "input size is (H, W)");
  const auto score = target_score(logits, classes.to(torch::kInt64), options.target);

  // One autograd call for every layer.
  const auto gradients = torch::autograd::grad({score}, forward.features, /*grad_outputs=*/{},
                                               /*retain_graph=*/true, options.create_graph,
                                               /*allow_unused=*/false);
  std::vector<torch::Tensor> maps;
  for (size_t l = 0; l < forward.features.size(); ++l) {
    // Grad-CAM: alpha_k [B, K, 1, 1]; HiResCAM: dy/dA_l itself [B, K, H_l, W_l]
    const auto weights = options.weighting == CamWeighting::gradcam
                             ? gradients[l].mean({2, 3}, /*keepdim=*/true)
                             : gradients[l];
    auto map = rectify((weights * forward.features[l]).sum(1, /*keepdim=*/true), options.rectifier);
    if (options.upsample) {
      map =
          F::interpolate(map, F::InterpolateFuncOptions()
                                  .size(std::vector<int64_t>(input_size.begin(), input_size.end()))
                                  .mode(torch::kBilinear)
                                  .align_corners(false));
    }
    // Without create_graph the maps are pictures, not losses: detached, so that no loss can be
    // built on a map whose gradient would miss the dependence through alpha.
    maps.push_back(options.create_graph ? map.squeeze(1) : map.squeeze(1).detach());
  }
  return maps;
}

}  // namespace reff::explain
