#include "reff/data/image_resize.h"

#include <torch/nn/functional/upsampling.h>

namespace reff::data {
namespace F = torch::nn::functional;

torch::Tensor resize_image(const torch::Tensor& chw, int64_t height, int64_t width) {
  if (chw.size(1) == height && chw.size(2) == width) return chw;
  const bool shrinking = chw.size(1) > height || chw.size(2) > width;
  return F::interpolate(chw.unsqueeze(0), F::InterpolateFuncOptions()
                                              .size(std::vector<int64_t>{height, width})
                                              .mode(torch::kBilinear)
                                              .align_corners(false)
                                              .antialias(shrinking))
      .squeeze(0);
}

}  // namespace reff::data
