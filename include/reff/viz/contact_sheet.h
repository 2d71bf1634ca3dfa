// Textured MNIST samples at a glance (seed Fig. 1): images above their masks, 8 a row; a data
// folder's preview.png and the stand-in's corpus.png.
#pragma once

#include "reff/data/textured_mnist.h"

#include <torch/types.h>

#include <vector>

namespace reff::viz {

// uint8 [3, H, W]; `shown` must not be empty.
torch::Tensor contact_sheet(const std::vector<data::TexturedDigit>& shown);
// The generator's first `count` samples.
torch::Tensor contact_sheet(const data::TexturedMnist& generator, int64_t count);

}  // namespace reff::viz
