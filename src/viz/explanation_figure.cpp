#include "reff/viz/explanation_figure.h"

#include "reff/error.h"
#include "reff/viz/explanation_grid.h"
#include "reff/viz/image_grid.h"
#include "reff/viz/text.h"

#include <algorithm>
#include <sstream>

namespace reff::viz {
namespace {

constexpr int64_t kTitleSize = 13, kCaptionSize = 12, kBarHeight = 12, kMargin = 8;
constexpr const char* kBarCaption =
    "Grad-CAM over the input, scaled to each map's maximum (a map that is all zero stays blue)";

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

}  // namespace

torch::Tensor explanation_figure(const torch::Tensor& images, const torch::Tensor& masks,
                                 const std::vector<torch::Tensor>& maps, const FigureText& text,
                                 int64_t min_tile) {
  const auto grid = explanation_grid(images, masks, maps, min_tile);
  const int64_t columns = 1 + (masks.defined() ? 1 : 0) + static_cast<int64_t>(maps.size());
  const int64_t rows = images.size(0);
  REFF_REQUIRE(static_cast<int64_t>(text.columns.size()) == columns &&
                   static_cast<int64_t>(text.rows.size()) == rows,
               "explanation_figure", "one title per column and one caption per row");
  const int64_t scale = scale_to_at_least(std::max(images.size(2), images.size(3)), min_tile);
  const int64_t tile_h = images.size(2) * scale, tile_w = images.size(3) * scale;

  const int64_t title_line = line_height(kTitleSize), caption_line = line_height(kCaptionSize);
  int64_t left = 0;
  for (const auto& caption : text.rows)
    for (const auto& line : lines_of(caption))
      left = std::max(left, text_width(line, kCaptionSize) + 2 * kMargin);
  const int64_t top = title_line + kMargin;
  const int64_t bottom = kMargin + kBarHeight + 2 * caption_line + kMargin;
  const int64_t width =
      std::max(left + grid.size(2), left + text_width(kBarCaption, kCaptionSize) + 2 * kMargin);
  auto figure = torch::full({3, top + grid.size(1) + bottom, width}, 255, torch::kUInt8);
  figure.narrow(1, top, grid.size(1)).narrow(2, left, grid.size(2)).copy_(grid);

  for (int64_t c = 0; c < columns; ++c) {  // titles centred over their columns
    const auto& title = text.columns[static_cast<size_t>(c)];
    const int64_t centre = left + kGridPad + c * (tile_w + kGridPad) + tile_w / 2;
    draw_text(figure, title, centre - text_width(title, kTitleSize) / 2, kMargin / 2, kTitleSize);
  }
  for (int64_t r = 0; r < rows; ++r) {  // captions centred beside their rows
    const auto lines = lines_of(text.rows[static_cast<size_t>(r)]);
    int64_t y = top + kGridPad + r * (tile_h + kGridPad) + tile_h / 2 -
                static_cast<int64_t>(lines.size()) * caption_line / 2;
    for (const auto& line : lines) {
      draw_text(figure, line, kMargin, y, kCaptionSize);
      y += caption_line;
    }
  }
  // The colour bar: jet from 0 (left) to the map's maximum (right), labelled.
  const int64_t bar_x = left + kGridPad, bar_y = top + grid.size(1) + kMargin;
  const int64_t bar_w = std::max<int64_t>(128, std::min<int64_t>(256, grid.size(2) - 2 * kGridPad));
  const auto ramp = jet(torch::linspace(0, 1, bar_w)).unsqueeze(1).expand({3, kBarHeight, bar_w});
  figure.narrow(1, bar_y, kBarHeight).narrow(2, bar_x, bar_w).copy_(ramp);
  const int64_t label_y = bar_y + kBarHeight + 2;
  draw_text(figure, "0", bar_x, label_y, kCaptionSize);
  draw_text(figure, "max", bar_x + bar_w - text_width("max", kCaptionSize), label_y, kCaptionSize);
  draw_text(figure, kBarCaption, kMargin, label_y + caption_line, kCaptionSize, {80, 80, 80});
  return figure;
}

}  // namespace reff::viz
