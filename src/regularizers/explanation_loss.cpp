#include "reff/regularizers/explanation_loss.h"

#include "reff/error.h"

namespace reff::regularizers {

ExplanationLoss parse_explanation_loss(const std::string& name) {
  if (name == "reff") return ExplanationLoss::reff;
  if (name == "l1") return ExplanationLoss::l1;
  if (name == "l2") return ExplanationLoss::l2;
  throw Error("explanation loss: '" + name + "' is not one of reff, l1, l2");
}

std::string explanation_loss_name(ExplanationLoss loss) {
  switch (loss) {
    case ExplanationLoss::reff:
      return "reff";
    case ExplanationLoss::l1:
      return "l1";
    case ExplanationLoss::l2:
      return "l2";
  }
  return "?";
}

torch::Tensor explanation_loss_per_sample(const std::vector<torch::Tensor>& maps,
                                          const torch::Tensor& masks, const torch::Tensor& has_mask,
                                          const ExplanationLossOptions& options) {
  require(maps.size() == options.layer_weights.size(), "--layer-weights",
          std::to_string(options.layer_weights.size()) + " weights for " +
              std::to_string(maps.size()) + " explained layers");
  require(masks.dim() == 3, "masks", "expected [B, H, W]");
  require(has_mask.dim() == 1 && has_mask.size(0) == masks.size(0), "has_mask",
          "expected one flag per sample");
  require(!options.normalise || options.kind == ExplanationLoss::reff, "--cam-normalise",
          "only with the reff penalty (Eq. 3)");
  const auto s = masks.to(maps.front().dtype());
  torch::Tensor total;
  for (size_t l = 0; l < maps.size(); ++l) {
    // Normalised: I'_l / (||I'_l||_1 + eps), per sample (eps keeps an all-zero map at zero).
    const auto map = options.normalise
                         ? maps[l] / (maps[l].abs().sum({1, 2}, /*keepdim=*/true) + 1e-6)
                         : maps[l];
    require(map.sizes() == masks.sizes(), "masks",
            "mask size " + c10::str(masks.sizes()) + " differs from the explanation's " +
                c10::str(map.sizes()));
    torch::Tensor per_pixel;
    switch (options.kind) {
      case ExplanationLoss::reff:  // Eq. (3): || I'_l (.) (1 - s) ||_1
        per_pixel = (map * (1 - s)).abs();
        break;
      case ExplanationLoss::l1:  // || I'_l - s ||_1
        per_pixel = (map - s).abs();
        break;
      case ExplanationLoss::l2:  // || I'_l - s ||_2^2
        per_pixel = (map - s).pow(2);
        break;
    }
    const auto term = options.layer_weights[l] * per_pixel.sum({1, 2});  // w_l ||.||, [B]
    total = l == 0 ? term : total + term;
  }
  return total * has_mask.to(total.dtype());
}

torch::Tensor explanation_loss(const std::vector<torch::Tensor>& maps, const torch::Tensor& masks,
                               const torch::Tensor& has_mask,
                               const ExplanationLossOptions& options) {
  return explanation_loss_per_sample(maps, masks, has_mask, options).mean();
}

}  // namespace reff::regularizers
