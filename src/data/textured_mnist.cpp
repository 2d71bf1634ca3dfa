#include "reff/data/textured_mnist.h"

#include "reff/data/image_resize.h"
#include "reff/error.h"

#include <ATen/Parallel.h>
#include <torch/nn/functional/upsampling.h>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace reff::data {
namespace F = torch::nn::functional;

void TexturedMnistOptions::validate() const {
  REFF_REQUIRE(canvas >= 8 && canvas <= 4096, "--canvas",
               "must be in [8, 4096] pixels, got " + std::to_string(canvas));
  REFF_REQUIRE(digit_size >= 0, "--digit-size", "must be positive (0: the whole canvas)");
  REFF_REQUIRE(resolved_digit_size() <= canvas, "--digit-size",
               "digit (" + std::to_string(resolved_digit_size()) + " px) larger than the canvas (" +
                   std::to_string(canvas) + " px)");
  REFF_REQUIRE(resolved_digit_size() >= 4, "--digit-size", "must be at least 4 pixels");
  REFF_REQUIRE(p >= 0.0 && p <= 1.0, "--p", "background randomness must be in [0, 1]");
  REFF_REQUIRE(q >= 0.0 && q <= 1.0, "--q", "digit-texture randomness must be in [0, 1]");
  REFF_REQUIRE(luminance_offset >= 0.0 && luminance_offset < 1.0, "--luminance-offset",
               "must be in [0, 1)");
  REFF_REQUIRE(texture_shrink >= 1.0 && texture_shrink <= 16.0, "--texture-shrink",
               "must be in [1, 16]");
  REFF_REQUIRE(mask_threshold > 0.0 && mask_threshold <= 1.0, "--mask-threshold",
               "must be in (0, 1]");
  REFF_REQUIRE(max_backgrounds >= 10, "max_backgrounds", "needs at least 10 (one per label)");
}

TexturedMnist::TexturedMnist(DigitSet digits, std::shared_ptr<const TextureBank> textures,
                             TexturedMnistOptions options)
    : digits_(std::move(digits)), textures_(std::move(textures)), options_(options) {
  options_.validate();
  REFF_REQUIRE(digits_.size() > 0, "digits", "the digit set is empty");
  REFF_REQUIRE(digits_.images.dim() == 3 && digits_.images.scalar_type() == torch::kUInt8, "digits",
               "images must be uint8 [N, H, W]");
  num_backgrounds_ = std::min(options_.max_backgrounds, textures_->num_classes() - kDigitTextures);
  REFF_REQUIRE(num_backgrounds_ >= 10, "textures",
               "the bank has " + std::to_string(textures_->num_classes()) +
                   " classes; Textured MNIST needs at least 20 (10 digit + 10 background)");
  order_.resize(digits_.size());
  std::iota(order_.begin(), order_.end(), 0);
  Rng rng(options_.seed, /*stream=*/~uint64_t{0});
  for (size_t i = order_.size() - 1; i > 0; --i) std::swap(order_[i], order_[rng.below(i + 1)]);
}

namespace {

// In HSV: the hue turned by a random amount, the saturation scaled by 0.6..1.4 and raised by up to
// 0.31 (grey patterns take a colour too), the value (the brightest channel) kept.
torch::Tensor jitter_colour(const torch::Tensor& rgb, Rng& rng) {
  const double turn = rng.uniform(), scale = rng.uniform(0.6, 1.4), lift = rng.uniform(0.0, 0.31);
  const auto [value, top] = rgb.max(0);
  const auto chroma = value - std::get<0>(rgb.min(0));
  const auto saturation = chroma / value.clamp_min(1e-12);  // a black pixel has no chroma: 0
  // Hue in sixths: the sector of the brightest channel plus the offset within it.
  const auto safe = chroma.clamp_min(1e-12);
  const auto r = rgb[0], g = rgb[1], b = rgb[2];
  auto hue = torch::where(top == 0, ((g - b) / safe).remainder(6.0),
                          torch::where(top == 1, (b - r) / safe + 2.0, (r - g) / safe + 4.0));
  hue = torch::where(chroma > 0, hue, 0.0f).add_(6.0 * turn).remainder_(6.0);
  const auto s = (saturation * scale + lift).clamp_(0.0, 1.0);
  // Back: channel n (5: red, 3: green, 1: blue) is V - V S max(0, min(k, 4 - k, 1)),
  // k = (n + hue) mod 6.
  std::vector<torch::Tensor> channels;
  for (const double n : {5.0, 3.0, 1.0}) {
    const auto k = (hue + n).remainder(6.0);
    channels.push_back(value - value * s * torch::minimum(k, 4.0 - k).clamp(0.0, 1.0));
  }
  return torch::stack(channels).clamp_(0.0, 1.0);
}

}  // namespace

torch::Tensor TexturedMnist::patch(int64_t cls, int64_t size, Rng& rng) const {
  const auto drawn = std::max<int64_t>(size, std::llround(size * options_.texture_shrink));
  auto texture = resize_image(textures_->sample(cls, drawn, rng), size, size);
  if (options_.colour_jitter) texture = jitter_colour(texture, rng);
  if (!options_.stretch_textures) return texture;
  const auto [low, high] = texture.aminmax();
  const float range = (high - low).item<float>();
  // A flat patch has no contrast to stretch: mid-grey.
  if (range < 1e-6f) return texture.fill_(0.5);
  return texture.sub_(low).div_(range);
}

TexturedDigit TexturedMnist::get(int64_t i) const {
  REFF_REQUIRE(i >= 0, "sample index " + std::to_string(i), "must be non-negative");
  Rng rng(options_.seed, static_cast<uint64_t>(i));
  TexturedDigit out;
  out.source_index = order_[i % order_.size()];
  out.label = digits_.labels[out.source_index].item<int64_t>();
  out.digit_texture = rng.bernoulli(options_.q) ? int64_t(rng.below(kDigitTextures))
                                                : digit_texture_class(out.label);
  const int64_t background_draw = rng.below(num_backgrounds_);
  out.background_texture =
      kDigitTextures +
      (rng.bernoulli(options_.p) ? background_draw : background_class(out.label) - kDigitTextures);
  const int64_t canvas = options_.canvas, side = options_.resolved_digit_size();
  out.x = rng.below(canvas - side + 1);
  out.y = rng.below(canvas - side + 1);

  // a: the digit's anti-aliased coverage at `side` pixels.
  const auto strokes = digits_.images[out.source_index].to(torch::kFloat32).div(255.0);
  const auto coverage = F::interpolate(strokes.view({1, 1, strokes.size(0), strokes.size(1)}),
                                       F::InterpolateFuncOptions()
                                           .size(std::vector<int64_t>{side, side})
                                           .mode(torch::kBilinear)
                                           .align_corners(false))
                            .view({1, side, side})
                            .clamp(0.0, 1.0);
  const double c = options_.luminance_offset;
  const auto digit = patch(out.digit_texture, side, rng).mul_(1.0 - c).add_(c);
  auto image = patch(out.background_texture, canvas, rng).mul_(1.0 - c);

  // image = a * digit + (1 - a) * background, inside the digit's square.
  auto region = image.narrow(1, out.y, side).narrow(2, out.x, side);
  region.add_(coverage * (digit - region));
  out.image = image.mul_(255.0).round_().clamp_(0, 255).to(torch::kUInt8);
  out.mask = torch::zeros({canvas, canvas}, torch::kUInt8);
  out.mask.narrow(0, out.y, side)
      .narrow(1, out.x, side)
      .copy_(coverage[0] >= options_.mask_threshold);
  return out;
}

std::vector<TexturedDigit> TexturedMnist::generate(int64_t first, int64_t count) const {
  std::vector<TexturedDigit> samples(count);
  at::parallel_for(0, count, /*grain_size=*/8, [&](int64_t begin, int64_t end) {
    for (int64_t k = begin; k < end; ++k) samples[k] = get(first + k);
  });
  return samples;
}

}  // namespace reff::data
