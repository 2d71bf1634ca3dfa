// Textures drawn by formula, for tests and machines without image textures: 8 patterns
// (stripes, checks, dots, grid, waves, rings, zigzag, noise) times 6 colour pairs = 48 classes,
// named "<pattern>-<colour>". Period, angle and phase are random per patch.
#pragma once

#include "reff/data/texture_bank.h"

namespace reff::data {

class ProceduralTextureBank : public TextureBank {
 public:
  ProceduralTextureBank();
  const std::vector<std::string>& class_names() const override { return names_; }
  torch::Tensor sample(int64_t cls, int64_t size, Rng& rng) const override;

 private:
  std::vector<std::string> names_;
};

}  // namespace reff::data
