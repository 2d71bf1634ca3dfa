// Text on the pictures reff draws (column titles, captions, colour-bar labels), rendered with
// FreeType in DejaVu Sans (Debian's fonts-dejavu-core), anti-aliased.
#pragma once

#include <torch/types.h>

#include <array>
#include <string>

namespace reff::viz {

using Colour = std::array<uint8_t, 3>;

// The width in pixels of UTF-8 `text` at `size` pixels per em. Throws reff::Error when the font
// is missing (install fonts-dejavu-core: scripts/install-deps).
int64_t text_width(const std::string& text, int64_t size);
// The height of a line of text at `size` (ascender to descender).
int64_t line_height(int64_t size);

// Draws `text` into `canvas` (uint8 [3, H, W], changed in place) with its line's top-left corner
// at (x, y), clipped to the canvas.
void draw_text(torch::Tensor& canvas, const std::string& text, int64_t x, int64_t y, int64_t size,
               Colour colour = {0, 0, 0});

}  // namespace reff::viz
