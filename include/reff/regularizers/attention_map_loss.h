// ABN's map loss (Mitsuhara et al. 2021; docs/method.md, methods compared): the squared error
// between the attention map and the annotation brought to the map's size by area averaging,
//   l_b = mean_{i, j} ( M(x_b)[i, j] - s_b[i, j] )^2
// averaged over the batch (samples without a mask add zero). ABN's loss is
// CE(attention) + CE(perception) + gamma * mean_b l_b, gamma being the trainer's lambda.
#pragma once

#include <torch/types.h>

namespace reff::regularizers {

// attention [B, 1, h, w] in [0, 1]; masks [B, H, W] in [0, 1] with H, W multiples of h, w.
torch::Tensor attention_map_loss(const torch::Tensor& attention, const torch::Tensor& masks,
                                 const torch::Tensor& has_mask);

}  // namespace reff::regularizers
