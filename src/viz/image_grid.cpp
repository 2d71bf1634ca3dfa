#include "reff/viz/image_grid.h"

#include "reff/error.h"

namespace reff::viz {

int64_t scale_to_at_least(int64_t side, int64_t target) {
  return side >= target ? 1 : (target + side - 1) / side;
}

torch::Tensor image_grid(const std::vector<torch::Tensor>& tiles, int64_t columns, int64_t pad,
                         int64_t scale, uint8_t background) {
  REFF_REQUIRE(!tiles.empty(), "image_grid", "no tiles");
  REFF_REQUIRE(columns > 0 && pad >= 0 && scale > 0, "image_grid", "bad layout");
  auto as_rgb = [](const torch::Tensor& tile) {
    REFF_REQUIRE(tile.scalar_type() == torch::kUInt8, "image_grid", "tiles must be uint8");
    const auto chw = tile.dim() == 2 ? tile.unsqueeze(0) : tile;
    REFF_REQUIRE(chw.dim() == 3 && (chw.size(0) == 1 || chw.size(0) == 3), "image_grid",
                 "tiles must be [H, W] or [C, H, W] with C = 1 or 3");
    return chw.expand({3, chw.size(1), chw.size(2)});
  };
  const auto first = as_rgb(tiles.front());
  const int64_t height = first.size(1) * scale, width = first.size(2) * scale;
  const int64_t count = static_cast<int64_t>(tiles.size());
  const int64_t rows = (count + columns - 1) / columns, cols = std::min(columns, count);
  auto grid = torch::full({3, pad + rows * (height + pad), pad + cols * (width + pad)}, background,
                          torch::kUInt8);
  for (int64_t k = 0; k < count; ++k) {
    auto tile = as_rgb(tiles[k]);
    REFF_REQUIRE(tile.size(1) * scale == height && tile.size(2) * scale == width, "image_grid",
                 "tiles differ in size");
    if (scale > 1) tile = tile.repeat_interleave(scale, 1).repeat_interleave(scale, 2);
    const int64_t top = pad + (k / columns) * (height + pad);
    const int64_t left = pad + (k % columns) * (width + pad);
    grid.narrow(1, top, height).narrow(2, left, width).copy_(tile);
  }
  return grid;
}

}  // namespace reff::viz
