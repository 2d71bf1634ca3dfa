#include "reff/regularizers/explanation_loss.h"

#include "reff/error.h"
#include "reff/shape_text.h"

namespace reff::regularizers {

torch::Tensor outside_mask(const torch::Tensor& map, const torch::Tensor& s) {
  return (map * (1 - s)).abs();  // Eq. (3): || I'_l (.) (1 - s) ||_1
}

torch::Tensor l1_to_mask(const torch::Tensor& map, const torch::Tensor& s) {
  return (map - s).abs();  // || I'_l - s ||_1
}

torch::Tensor l2_to_mask(const torch::Tensor& map, const torch::Tensor& s) {
  return (map - s).pow(2);  // || I'_l - s ||_2^2
}

torch::Tensor explanation_loss_per_sample(const std::vector<torch::Tensor>& maps,
                                          const torch::Tensor& masks, const torch::Tensor& has_mask,
                                          PixelPenalty penalty,
                                          const ExplanationLossOptions& options) {
  REFF_REQUIRE(maps.size() == options.layer_weights.size(), "--layer-weights",
               std::to_string(options.layer_weights.size()) + " weights for " +
                   std::to_string(maps.size()) + " explained layers");
  REFF_REQUIRE(masks.dim() == 3, "masks", "expected [B, H, W]");
  REFF_REQUIRE(has_mask.dim() == 1 && has_mask.size(0) == masks.size(0), "has_mask",
               "expected one flag per sample");
  REFF_REQUIRE(!options.normalise || penalty == outside_mask, "--cam-normalise",
               "only with the reff penalty (Eq. 3)");
  const auto s = masks.to(maps.front().dtype());
  torch::Tensor total;
  for (size_t l = 0; l < maps.size(); ++l) {
    // Normalised: I'_l / (||I'_l||_1 + eps), per sample (eps keeps an all-zero map at zero).
    const auto map = options.normalise
                         ? maps[l] / (maps[l].abs().sum({1, 2}, /*keepdim=*/true) + 1e-6)
                         : maps[l];
    REFF_REQUIRE(map.sizes() == masks.sizes(), "masks",
                 "mask size " + shape_text(masks.sizes()) + " differs from the explanation's " +
                     shape_text(map.sizes()));
    const auto term = options.layer_weights[l] * penalty(map, s).sum({1, 2});  // w_l ||.||, [B]
    total = l == 0 ? term : total + term;
  }
  return total * has_mask.to(total.dtype());
}

torch::Tensor explanation_loss(const std::vector<torch::Tensor>& maps, const torch::Tensor& masks,
                               const torch::Tensor& has_mask, PixelPenalty penalty,
                               const ExplanationLossOptions& options) {
  return explanation_loss_per_sample(maps, masks, has_mask, penalty, options).mean();
}

}  // namespace reff::regularizers
