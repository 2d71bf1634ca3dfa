// An explanation grid (explanation_grid.h) a person can read without the docs: each column
// titled (input, mask, layer1 ... layerL, ABN's attention), each row captioned with the true
// and the predicted class and its probability, and a colour bar that says what the colours mean.
#pragma once

#include <torch/types.h>

#include <string>
#include <vector>

namespace reff::viz {

struct FigureText {
  std::vector<std::string> columns;  // one title per grid column
  std::vector<std::string> rows;     // one caption per row (sample); "\n" breaks lines
};

// explanation_grid(images, masks, maps, min_tile) with the titles above, the captions left and
// the colour bar below: uint8 [3, H', W']. Throws reff::Error when the text does not match the
// grid's columns (1 + mask + maps) and rows (samples).
torch::Tensor explanation_figure(const torch::Tensor& images, const torch::Tensor& masks,
                                 const std::vector<torch::Tensor>& maps, const FigureText& text,
                                 int64_t min_tile = 96);

}  // namespace reff::viz
