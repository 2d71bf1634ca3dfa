// Pictures of explanations, like the paper's Figs. 3-7: one row per sample holding the input,
// its mask, and each layer's map drawn in the jet colormap over the input.
#pragma once

#include <torch/types.h>

#include <vector>

namespace reff::viz {

// Jet colormap: values in [0, 1] (any shape) -> uint8 RGB with a leading channel dimension.
torch::Tensor jet(const torch::Tensor& values);

// Blends jet(map / max(map)) over the image at half opacity. image uint8 [3, H, W], map [H, W];
// an all-zero map shows as the colormap's lowest colour.
torch::Tensor overlay(const torch::Tensor& image, const torch::Tensor& map);

// Pixels between and around the tiles of explanation_grid.
constexpr int64_t kGridPad = 3;

// images uint8 [N, 3, H, W]; masks [N, H, W] in [0, 1] (undefined: no mask column); maps: per layer
// [N, H, W]. Returns uint8 [3, H', W'] with tiles enlarged to at least `min_tile` pixels.
torch::Tensor explanation_grid(const torch::Tensor& images, const torch::Tensor& masks,
                               const std::vector<torch::Tensor>& maps, int64_t min_tile = 96);

}  // namespace reff::viz
