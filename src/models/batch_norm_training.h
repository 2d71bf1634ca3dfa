// BatchNorm in training mode on the CPU, differentiable twice with a fused second derivative.
//
// The forward pass and the first derivative are LibTorch's own kernels (the same numbers as
// torch::batch_norm). The derivative of that first derivative, which ReFF's loss needs because
// its Grad-CAM maps are themselves gradients, is computed per channel in one reduction pass and
// one element-wise pass, where LibTorch's composite takes ~30 element-wise operations.
#pragma once

#include <torch/types.h>

namespace reff::models {

// Whether batch_norm_training handles this input: a non-empty CPU tensor of floats or doubles,
// contiguous in NCHW or in channels-last (NHWC) layout.
bool fused_batch_norm_applies(const torch::Tensor& input, const torch::Tensor& weight);

// torch::batch_norm(input, weight, bias, running_mean, running_var, /*training=*/true, momentum,
// eps): the same output and running statistics, with the fused second derivative.
torch::Tensor batch_norm_training(const torch::Tensor& input, const torch::Tensor& weight,
                                  const torch::Tensor& bias, const torch::Tensor& running_mean,
                                  const torch::Tensor& running_var, double momentum, double eps);

}  // namespace reff::models
