// A set of named texture classes to draw patches from (DESIGN: DTD's role in Textured MNIST).
#pragma once

#include "reff/data/rng.h"

#include <torch/types.h>

#include <string>
#include <vector>

namespace reff::data {

class TextureBank {
 public:
  virtual ~TextureBank() = default;

  // Class names in the bank's order; Textured MNIST maps labels to classes by this order.
  virtual const std::vector<std::string>& class_names() const = 0;

  // A patch of class `cls` as float [3, size, size] in [0, 1]. Patches of one class differ
  // (random crop, scale, flips, quarter turns) and depend only on the generator's state.
  virtual torch::Tensor sample(int64_t cls, int64_t size, Rng& rng) const = 0;

  int64_t num_classes() const { return static_cast<int64_t>(class_names().size()); }
};

}  // namespace reff::data
