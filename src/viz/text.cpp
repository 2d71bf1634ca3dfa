#include "reff/viz/text.h"

#include "reff/error.h"

#include <ft2build.h>
#include FT_FREETYPE_H

#include <mutex>
#include <vector>

namespace reff::viz {
namespace {

constexpr const char* kFontPath = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

// One FreeType face for the process; FreeType faces are not thread-safe, so every use locks.
struct Font {
  FT_Library library = nullptr;
  FT_Face face = nullptr;
  std::mutex mutex;
  Font() {
    REFF_REQUIRE(FT_Init_FreeType(&library) == 0, "FreeType", "cannot initialise");
    REFF_REQUIRE(FT_New_Face(library, kFontPath, 0, &face) == 0, kFontPath,
                 "cannot load the font for picture captions (install fonts-dejavu-core: "
                 "scripts/install-deps)");
  }
  ~Font() {
    FT_Done_Face(face);
    FT_Done_FreeType(library);
  }
};

Font& font() {
  static Font instance;
  return instance;
}

// UTF-8 -> code points; a malformed byte becomes '?'.
std::vector<uint32_t> code_points(const std::string& text) {
  std::vector<uint32_t> points;
  for (size_t i = 0; i < text.size();) {
    const auto byte = static_cast<uint8_t>(text[i]);
    const int length = byte < 0x80         ? 1
                       : (byte >> 5) == 6  ? 2
                       : (byte >> 4) == 14 ? 3
                       : (byte >> 3) == 30 ? 4
                                           : 0;
    if (length == 0 || i + length > text.size()) {
      points.push_back('?');
      ++i;
      continue;
    }
    uint32_t point = length == 1 ? byte : byte & (0x7F >> length);
    for (int k = 1; k < length; ++k)
      point = (point << 6) | (static_cast<uint8_t>(text[i + k]) & 0x3F);
    points.push_back(point);
    i += length;
  }
  return points;
}

// Calls draw(glyph, pen x) for each glyph of `text` at `size`; returns the advance in pixels.
template <typename Draw>
int64_t lay_out(const std::string& text, int64_t size, Draw draw) {
  auto& f = font();
  std::lock_guard<std::mutex> lock(f.mutex);
  FT_Set_Pixel_Sizes(f.face, 0, static_cast<FT_UInt>(size));
  int64_t pen = 0;
  for (const auto point : code_points(text)) {
    if (FT_Load_Char(f.face, point, FT_LOAD_RENDER) != 0) continue;
    draw(f.face->glyph, pen, f.face->size->metrics.ascender >> 6);
    pen += f.face->glyph->advance.x >> 6;
  }
  return pen;
}

}  // namespace

int64_t text_width(const std::string& text, int64_t size) {
  return lay_out(text, size, [](FT_GlyphSlot, int64_t, int64_t) {});
}

int64_t line_height(int64_t size) {
  auto& f = font();
  std::lock_guard<std::mutex> lock(f.mutex);
  FT_Set_Pixel_Sizes(f.face, 0, static_cast<FT_UInt>(size));
  return (f.face->size->metrics.ascender - f.face->size->metrics.descender) >> 6;
}

void draw_text(torch::Tensor& canvas, const std::string& text, int64_t x, int64_t y, int64_t size,
               Colour colour) {
  REFF_REQUIRE(canvas.scalar_type() == torch::kUInt8 && canvas.dim() == 3 && canvas.size(0) == 3 &&
                   canvas.is_contiguous(),
               "draw_text", "draws on contiguous uint8 [3, H, W]");
  const int64_t height = canvas.size(1), width = canvas.size(2);
  auto* pixels = canvas.data_ptr<uint8_t>();
  lay_out(text, size, [&](FT_GlyphSlot glyph, int64_t pen, int64_t ascender) {
    const auto& bitmap = glyph->bitmap;
    const int64_t left = x + pen + glyph->bitmap_left, top = y + ascender - glyph->bitmap_top;
    for (int64_t row = 0; row < int64_t(bitmap.rows); ++row) {
      for (int64_t column = 0; column < int64_t(bitmap.width); ++column) {
        const int64_t py = top + row, px = left + column;
        if (py < 0 || py >= height || px < 0 || px >= width) continue;
        const float alpha = bitmap.buffer[row * bitmap.pitch + column] / 255.0f;
        for (int64_t c = 0; c < 3; ++c) {
          auto& value = pixels[(c * height + py) * width + px];
          value = static_cast<uint8_t>(value * (1 - alpha) + colour[c] * alpha + 0.5f);
        }
      }
    }
  });
}

}  // namespace reff::viz
