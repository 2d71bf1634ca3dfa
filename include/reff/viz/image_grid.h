// Pictures made of pictures: tiles laid out on a grid, for previews and figures.
#pragma once

#include <torch/types.h>

#include <vector>

namespace reff::viz {

// Lays uint8 tiles ([3, H, W] or [H, W], all of one size) row by row, `columns` per row, with
// `pad` pixels of `background` between and around them. Each tile is enlarged by the integer
// factor `scale` (nearest neighbour, so pixels stay crisp).
torch::Tensor image_grid(const std::vector<torch::Tensor>& tiles, int64_t columns, int64_t pad = 2,
                         int64_t scale = 1, uint8_t background = 255);

// The integer enlargement that brings `side` up to at least `target` pixels (1 when it already is).
int64_t scale_to_at_least(int64_t side, int64_t target);

}  // namespace reff::viz
