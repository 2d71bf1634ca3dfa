#include "reff/regularizers/input_gradient_loss.h"

#include "reff/error.h"

#include <torch/autograd.h>

namespace reff::regularizers {

torch::Tensor input_gradient_loss(const torch::Tensor& logits, const torch::Tensor& images,
                                  const torch::Tensor& masks, const torch::Tensor& has_mask) {
  REFF_REQUIRE(images.requires_grad(), "input_gradient_loss",
               "the images need requires_grad before the forward pass");
  REFF_REQUIRE(
      masks.dim() == 3 && masks.size(1) == images.size(2) && masks.size(2) == images.size(3),
      "masks", "expected [B, H, W] of the images' size");
  const auto score = torch::log_softmax(logits, 1).sum();
  const auto gradient = torch::autograd::grad({score}, {images}, /*grad_outputs=*/{},
                                              /*retain_graph=*/true, /*create_graph=*/true)[0];
  const auto outside = (1 - masks.to(gradient.dtype())).unsqueeze(1);  // [B, 1, H, W]
  const auto per_sample = (gradient * outside).pow(2).sum({1, 2, 3});
  return (per_sample * has_mask.to(per_sample.dtype())).mean();
}

}  // namespace reff::regularizers
