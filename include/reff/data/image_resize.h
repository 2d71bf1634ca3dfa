// Resizing a float [C, H, W] image: bilinear (half-pixel centres), antialiased when shrinking.
#pragma once

#include <torch/types.h>

namespace reff::data {

torch::Tensor resize_image(const torch::Tensor& chw, int64_t height, int64_t width);

}  // namespace reff::data
