// Textured MNIST (docs/method.md, Textured MNIST): the digit's pixels carry one texture, the
// background another. Label y maps to digit texture class y (the bank's classes 0..9) and to
// background class y (the bank's class 10 + y); the backgrounds are the bank's classes 10 .. 10 + B
// - 1 (B = min(37, bank size - 10)).
//   p: with probability p the background class is uniform over the B, else the label's class.
//   q: with probability q the digit texture is uniform over the 10, else the label's class.
// p = 0 makes the background a perfect (spurious) cue for the label.
//
// Compositing, with the digit's anti-aliased coverage a in [0, 1] (bilinear resize of the
// MNIST strokes) and the luminance offset c:
//   image = a * (c + (1 - c) * digit_texture) + (1 - a) * (1 - c) * background_texture
// so the digit is lighter than the background on average by c and stays visible whatever the
// textures; for c >= 0.5 every digit pixel is at least as bright as every background pixel.
// With texture stretching each patch is first min-max scaled to [0, 1] (a flat one to 0.5), so
// no texture is dull: each uses its region's whole range. With colour jitter each patch's hue is
// first turned by a random amount and its saturation scaled by 0.6..1.4 and raised by up to 0.31
// (in HSV, the value kept): a texture class keeps its pattern but not its colour
// (docs/results/photographic-banks.md). With texture shrink z > 1 each patch is drawn from the bank
// at z times its side and shrunk (antialiased) to it: its pattern appears z times smaller, as DTD's
// large photographs do at Textured MNIST's sizes. The regional annotation s is the digit's shape:
// s = [a >= t], t the mask threshold.
//
// Sample i depends only on (seed, i); generation runs on all cores and gives the same bytes.
#pragma once

#include "reff/data/mnist_folder.h"
#include "reff/data/texture_bank.h"

#include <torch/types.h>

#include <memory>
#include <string>
#include <vector>

namespace reff::data {

struct TexturedMnistOptions {
  int64_t canvas = 40;            // image side in pixels
  int64_t digit_size = 0;         // digit side in pixels; 0: the whole canvas
  double p = 0.0;                 // background randomness
  double q = 1.0;                 // digit-texture randomness
  double luminance_offset = 0.3;  // c above, in [0, 1)
  bool stretch_textures = false;  // min-max scale each texture patch to [0, 1]
  bool colour_jitter = false;     // each patch's colours turned and tinted at random (below)
  double texture_shrink = 1.0;    // each patch drawn this many times larger, then shrunk (below)
  double mask_threshold = 0.5;    // t above, in (0, 1]
  int64_t max_backgrounds = 37;   // B is at most this (and at least 10)
  uint64_t seed = 0;

  int64_t resolved_digit_size() const { return digit_size == 0 ? canvas : digit_size; }
  void validate() const;  // throws reff::Error naming the option
};

struct TexturedDigit {
  torch::Tensor image;  // uint8 [3, canvas, canvas]
  torch::Tensor mask;   // uint8 [canvas, canvas], 1 on the digit
  int64_t label = 0;
  int64_t digit_texture = 0;       // bank class index
  int64_t background_texture = 0;  // bank class index
  int64_t source_index = 0;        // index into the digit set
  int64_t x = 0, y = 0;            // top-left corner of the digit on the canvas
};

class TexturedMnist {
 public:
  TexturedMnist(DigitSet digits, std::shared_ptr<const TextureBank> textures,
                TexturedMnistOptions options);

  // Sample i (any i >= 0; digits repeat, in a seeded order, after digits().size() samples).
  TexturedDigit get(int64_t i) const;
  // Samples first .. first + count - 1, generated on all cores.
  std::vector<TexturedDigit> generate(int64_t first, int64_t count) const;

  const TexturedMnistOptions& options() const { return options_; }
  const TextureBank& textures() const { return *textures_; }
  const DigitSet& digits() const { return digits_; }
  int64_t num_backgrounds() const { return num_backgrounds_; }
  int64_t digit_texture_class(int64_t label) const { return label; }
  int64_t background_class(int64_t label) const { return kDigitTextures + label; }

  static constexpr int64_t kDigitTextures = 10;

 private:
  // A texture patch of class cls, stretched when the options say so.
  torch::Tensor patch(int64_t cls, int64_t size, Rng& rng) const;

  DigitSet digits_;
  std::shared_ptr<const TextureBank> textures_;
  TexturedMnistOptions options_;
  int64_t num_backgrounds_;
  std::vector<int64_t> order_;  // seeded permutation of the digit set
};

}  // namespace reff::data
