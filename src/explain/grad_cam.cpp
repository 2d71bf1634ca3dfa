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

// sum_k w_k A_k, [B, 1, H, W], whose gradient dL/dA = dL/dmap * w comes back in A's layout: the
// broadcast product autograd would form is laid out NCHW, and a channels-last network then runs
// its ReLU and BatchNorm backward on operands in mixed layouts (several times slower). The values
// are autograd's own: one product per element for dL/dA, and dL/dw = sum over (H, W) of
// dL/dmap * A, as its reduction to w's shape.
struct WeightedChannelSum : torch::autograd::Function<WeightedChannelSum> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& weights,
                               const torch::Tensor& features) {
    ctx->save_for_backward({weights, features});
    return (weights * features).sum(1, /*keepdim=*/true);
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto& weights = saved[0];
    const auto& features = saved[1];
    torch::Tensor d_weights, d_features;
    if (ctx->needs_input_grad(0)) d_weights = (grads[0] * features).sum_to_size(weights.sizes());
    if (ctx->needs_input_grad(1) && torch::GradMode::is_enabled()) {
      d_features = grads[0] * weights;  // differentiated again: an out= product would not be
    } else if (ctx->needs_input_grad(1)) {
      d_features = torch::empty_like(features);  // A's memory format
      torch::mul_out(d_features, grads[0], weights);
    }
    return {d_weights, d_features};
  }
};

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
    auto map = rectify(WeightedChannelSum::apply(weights, forward.features[l]), options.rectifier);
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
