// Textures drawn by formula. Period, angle and phase are random per patch.
//   fixed colours ("procedural"): 8 patterns (stripes, checks, dots, grid, waves, rings, zigzag,
//     noise) times 6 fixed colour pairs = 48 classes, named "<pattern>-<colour>";
//   varied colours ("varied"): 10 patterns (the 8, plaid, bricks) times 2 palettes (warm, cool) =
//     20 classes, named "<pattern>-<palette>", warm first. Each patch draws its dark and light
//     colours from the palette's hues, so a class is a pattern, not a colour: in Textured MNIST
//     the digits wear warm patterns (classes 0-9) and the backgrounds cool ones (10-19).
#pragma once

#include "reff/data/texture_bank.h"

namespace reff::data {

class ProceduralTextureBank : public TextureBank {
 public:
  enum class Colouring { fixed, varied };
  explicit ProceduralTextureBank(Colouring colouring = Colouring::fixed);
  const std::vector<std::string>& class_names() const override { return names_; }
  torch::Tensor sample(int64_t cls, int64_t size, Rng& rng) const override;

 private:
  Colouring colouring_;
  std::vector<std::string> names_;
};

}  // namespace reff::data
