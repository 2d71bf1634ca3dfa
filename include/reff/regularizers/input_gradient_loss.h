// Right for the Right Reasons (Ross, Hughes & Doshi-Velez 2017), the input-gradient baseline of
// the shortcut study: the squared gradient of the summed log-probabilities with respect to the
// input, outside the relevant region,
//   l_b = sum_{c, i, j} ( (1 - s_b[i, j]) * d/dx_b[c, i, j] sum_k log p_k(x_b) )^2
// averaged over the batch (samples without a mask add zero). Differentiable (double
// back-propagation): `images` must be the tensor the logits were computed from, with
// requires_grad set before the forward pass.
#pragma once

#include <torch/types.h>

namespace reff::regularizers {

torch::Tensor input_gradient_loss(const torch::Tensor& logits, const torch::Tensor& images,
                                  const torch::Tensor& masks, const torch::Tensor& has_mask);

}  // namespace reff::regularizers
