#include "reff/regularizers/attention_map_loss.h"

#include "reff/error.h"

#include <torch/nn/functional/pooling.h>

namespace reff::regularizers {

torch::Tensor attention_map_loss(const torch::Tensor& attention, const torch::Tensor& masks,
                                 const torch::Tensor& has_mask) {
  REFF_REQUIRE(attention.dim() == 4 && attention.size(1) == 1, "attention",
               "expected [B, 1, h, w]");
  REFF_REQUIRE(masks.dim() == 3 && masks.size(0) == attention.size(0), "masks",
               "expected [B, H, W] with one mask per attention map");
  REFF_REQUIRE(has_mask.dim() == 1 && has_mask.size(0) == masks.size(0), "has_mask",
               "expected one flag per sample");
  const auto s = torch::nn::functional::adaptive_avg_pool2d(
      masks.to(attention.dtype()).unsqueeze(1),
      torch::nn::functional::AdaptiveAvgPool2dFuncOptions({attention.size(2), attention.size(3)}));
  const auto per_sample = (attention - s).pow(2).mean({1, 2, 3});  // l_b
  return (per_sample * has_mask.to(per_sample.dtype())).mean();
}

}  // namespace reff::regularizers
