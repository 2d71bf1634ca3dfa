#include "reff/viz/explanation_grid.h"

#include "reff/error.h"
#include "reff/viz/image_grid.h"

namespace reff::viz {

torch::Tensor jet(const torch::Tensor& values) {
  // The classic piecewise-linear jet: each channel a clamped tent over [0, 1].
  const auto v = values.to(torch::kFloat32).clamp(0.0, 1.0);
  auto channel = [&](double centre) { return (1.5 - (4.0 * v - centre).abs()).clamp(0.0, 1.0); };
  return torch::stack({channel(3.0), channel(2.0), channel(1.0)})
      .mul(255.0)
      .round()
      .to(torch::kUInt8);
}

torch::Tensor overlay(const torch::Tensor& image, const torch::Tensor& map) {
  const auto m = map.detach().to(torch::kFloat32);
  const auto peak = m.max().item<float>();
  const auto normalised = peak > 0 ? m.clamp_min(0) / peak : torch::zeros_like(m);
  return (0.5 * image.to(torch::kFloat32) + 0.5 * jet(normalised).to(torch::kFloat32))
      .round()
      .to(torch::kUInt8);
}

torch::Tensor explanation_grid(const torch::Tensor& images, const torch::Tensor& masks,
                               const std::vector<torch::Tensor>& maps, int64_t min_tile) {
  REFF_REQUIRE(images.dim() == 4 && images.size(1) == 3, "explanation_grid",
               "images are [N, 3, H, W]");
  const int64_t n = images.size(0), height = images.size(2), width = images.size(3);
  for (const auto& map : maps) {
    REFF_REQUIRE(
        map.dim() == 3 && map.size(0) == n && map.size(1) == height && map.size(2) == width,
        "explanation_grid", "maps must be [N, H, W] like the images");
  }
  std::vector<torch::Tensor> tiles;
  for (int64_t i = 0; i < n; ++i) {
    tiles.push_back(images[i]);
    if (masks.defined()) tiles.push_back(masks[i].clamp(0, 1).mul(255).round().to(torch::kUInt8));
    for (const auto& map : maps) tiles.push_back(overlay(images[i], map[i]));
  }
  const int64_t columns = 1 + (masks.defined() ? 1 : 0) + static_cast<int64_t>(maps.size());
  return image_grid(tiles, columns, kGridPad, scale_to_at_least(std::max(height, width), min_tile));
}

}  // namespace reff::viz
