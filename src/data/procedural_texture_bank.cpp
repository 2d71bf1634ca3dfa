#include "reff/data/procedural_texture_bank.h"

#include "reff/error.h"

#include <torch/nn/functional/upsampling.h>

#include <array>
#include <cmath>

namespace reff::data {
namespace {

constexpr double kTwoPi = 6.283185307179586;

const std::array<const char*, 10> kPatterns = {"stripes", "checks", "dots",  "grid",  "waves",
                                               "rings",   "zigzag", "noise", "plaid", "bricks"};
constexpr size_t kFixedPatterns = 8;  // the fixed-colour bank's: stripes .. noise

struct Colours {
  const char* name;
  std::array<float, 3> dark, light;
};
const std::array<Colours, 6> kColours = {{
    {"red", {0.45f, 0.05f, 0.05f}, {1.0f, 0.55f, 0.45f}},
    {"green", {0.05f, 0.35f, 0.1f}, {0.6f, 0.95f, 0.5f}},
    {"blue", {0.05f, 0.1f, 0.45f}, {0.5f, 0.7f, 1.0f}},
    {"yellow", {0.45f, 0.4f, 0.0f}, {1.0f, 0.95f, 0.45f}},
    {"purple", {0.3f, 0.05f, 0.4f}, {0.85f, 0.6f, 1.0f}},
    {"grey", {0.15f, 0.15f, 0.15f}, {0.85f, 0.85f, 0.85f}},
}};

// The varied bank's palettes: hue ranges in degrees; every patch draws its two colours from one.
struct Palette {
  const char* name;
  double hue_low, hue_high;
};
const std::array<Palette, 2> kPalettes = {{{"warm", -40.0, 70.0}, {"cool", 150.0, 280.0}}};

std::array<float, 3> hsv_to_rgb(double hue, double saturation, double value) {
  const double h = std::fmod(hue + 360.0, 360.0) / 60.0;
  const double c = value * saturation, x = c * (1.0 - std::abs(std::fmod(h, 2.0) - 1.0));
  const double m = value - c;
  const std::array<std::array<double, 3>, 6> sectors = {
      {{c, x, 0}, {x, c, 0}, {0, c, x}, {0, x, c}, {x, 0, c}, {c, 0, x}}};
  const auto& s = sectors[static_cast<size_t>(h) % 6];
  return {float(s[0] + m), float(s[1] + m), float(s[2] + m)};
}

Colours palette_colours(const Palette& palette, Rng& rng) {
  Colours out{palette.name, {}, {}};
  const double dark_hue = rng.uniform(palette.hue_low, palette.hue_high);
  out.dark = hsv_to_rgb(dark_hue, rng.uniform(0.4, 1.0), rng.uniform(0.1, 0.45));
  const double light_hue = rng.uniform(palette.hue_low, palette.hue_high);
  out.light = hsv_to_rgb(light_hue, rng.uniform(0.2, 0.8), rng.uniform(0.7, 1.0));
  return out;
}

torch::Tensor square_wave(const torch::Tensor& t) { return (torch::sin(t) > 0).to(torch::kFloat); }

// The pattern's intensity in [0, 1] on a size x size grid, rotated by a random angle.
torch::Tensor intensity(size_t pattern, int64_t size, Rng& rng) {
  const double period = rng.uniform(std::max(3.0, size / 10.0), std::max(4.0, size / 4.0));
  const double angle = rng.uniform(0.0, kTwoPi);
  const double phase_u = rng.uniform(0.0, period), phase_v = rng.uniform(0.0, period);
  const auto axis = torch::arange(size, torch::kFloat);
  const auto y = axis.view({size, 1}).expand({size, size});
  const auto x = axis.view({1, size}).expand({size, size});
  const auto u = x * std::cos(angle) + y * std::sin(angle) + phase_u;
  const auto v = -x * std::sin(angle) + y * std::cos(angle) + phase_v;
  const double w = kTwoPi / period;
  switch (pattern) {
    case 0:  // stripes
      return square_wave(u * w);
    case 1:  // checks
      return (square_wave(u * w) - square_wave(v * w)).abs();
    case 2: {  // dots
      const auto du = torch::remainder(u, period) - period / 2;
      const auto dv = torch::remainder(v, period) - period / 2;
      return ((du * du + dv * dv).sqrt() < period * 0.3).to(torch::kFloat);
    }
    case 3:  // grid
      return ((torch::remainder(u, period) < period * 0.25) |
              (torch::remainder(v, period) < period * 0.25))
          .to(torch::kFloat);
    case 4:  // waves
      return 0.5 + 0.5 * torch::sin((u + period * 0.4 * torch::sin(v * w * 0.5)) * w);
    case 5: {  // rings around a random centre
      const double cy = rng.uniform(0.0, size), cx = rng.uniform(0.0, size);
      return square_wave(((x - cx).pow(2) + (y - cy).pow(2)).sqrt() * w);
    }
    case 6:  // zigzag: stripes displaced by a triangle wave
      return square_wave(
          (u + period * 0.5 * (torch::remainder(v, period) / period - 0.5).abs() * 2) * w);
    case 8:  // plaid: two crossed soft waves
      return 0.5 + 0.25 * (torch::sin(u * w) + torch::sin(v * w * 0.5));
    case 9: {  // bricks: mortar lines, every other row shifted by half a brick
      const auto row = torch::floor(v / period);
      const auto shifted = u + torch::remainder(row, 2.0) * period;
      return ((torch::remainder(v, period) < period * 0.2) |
              (torch::remainder(shifted, 2.0 * period) < period * 0.2))
          .to(torch::kFloat);
    }
    default: {  // value noise: a coarse random grid, smoothly enlarged
      const int64_t cells = std::max<int64_t>(2, std::llround(size / period) + 1);
      std::vector<float> values(cells * cells);
      for (auto& value : values) value = static_cast<float>(rng.uniform());
      const auto coarse = torch::tensor(values).view({1, 1, cells, cells});
      namespace F = torch::nn::functional;
      return F::interpolate(coarse, F::InterpolateFuncOptions()
                                        .size(std::vector<int64_t>{size, size})
                                        .mode(torch::kBicubic)
                                        .align_corners(true))
          .view({size, size})
          .clamp(0.0, 1.0);
    }
  }
}

}  // namespace

ProceduralTextureBank::ProceduralTextureBank(Colouring colouring) : colouring_(colouring) {
  if (colouring_ == Colouring::fixed) {
    for (size_t pattern = 0; pattern < kFixedPatterns; ++pattern) {
      for (const auto& colours : kColours)
        names_.push_back(std::string(kPatterns[pattern]) + "-" + colours.name);
    }
    return;
  }
  for (const auto& palette : kPalettes) {
    for (const auto* pattern : kPatterns)
      names_.push_back(std::string(pattern) + "-" + palette.name);
  }
}

torch::Tensor ProceduralTextureBank::sample(int64_t cls, int64_t size, Rng& rng) const {
  REFF_REQUIRE(cls >= 0 && cls < num_classes(), "texture class " + std::to_string(cls),
               "out of range");
  const bool fixed = colouring_ == Colouring::fixed;
  const size_t pattern = fixed ? cls / kColours.size() : cls % kPatterns.size();
  const auto level = intensity(pattern, size, rng).unsqueeze(0);
  const auto colours = fixed ? kColours[cls % kColours.size()]
                             : palette_colours(kPalettes[cls / kPatterns.size()], rng);
  const auto dark = torch::tensor(std::vector<float>(colours.dark.begin(), colours.dark.end()));
  const auto light = torch::tensor(std::vector<float>(colours.light.begin(), colours.light.end()));
  return (dark.view({3, 1, 1}) + (light - dark).view({3, 1, 1}) * level).contiguous();
}

}  // namespace reff::data
