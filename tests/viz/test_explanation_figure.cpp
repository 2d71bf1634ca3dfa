// Labelled explanation pictures (explanation_figure.h, text.h): titles, captions and the colour
// bar around the bare grid, which stays pixel for pixel what explanation_grid draws.
#include "fixtures.h"
#include "reff/viz/explanation_figure.h"
#include "reff/viz/explanation_grid.h"
#include "reff/viz/text.h"

#include <gtest/gtest.h>

namespace reff::viz {
namespace {

TEST(Text, DrawsInkWithinItsWidthAndLineHeight) {
  EXPECT_GT(text_width("layer1", 13), text_width("l", 13));
  EXPECT_EQ(text_width("", 13), 0);
  auto canvas = torch::full({3, 40, 120}, 255, torch::kUInt8);
  draw_text(canvas, "Hg", 10, 5, 16);
  const auto ink = canvas[0] < 128;
  EXPECT_GT(ink.sum().item<int64_t>(), 20);
  const auto columns = ink.any(0).nonzero(), rows = ink.any(1).nonzero();
  EXPECT_GE(columns.min().item<int64_t>(), 10);
  EXPECT_LE(columns.max().item<int64_t>(), 10 + text_width("Hg", 16));
  EXPECT_GE(rows.min().item<int64_t>(), 5);
  EXPECT_LE(rows.max().item<int64_t>(), 5 + line_height(16));
  draw_text(canvas, "clipped", 110, 35, 16);  // partly outside: no crash
  auto other = torch::zeros({1, 4, 4}, torch::kUInt8);
  test::expect_error_mentioning([&] { draw_text(other, "x", 0, 0, 10); }, "uint8 [3, H, W]");
}

TEST(ExplanationFigure, FramesTheGridWithTitlesCaptionsAndAColourBar) {
  const auto images = torch::full({2, 3, 8, 8}, 100, torch::kUInt8);
  const auto masks = torch::ones({2, 8, 8});
  const auto map = torch::rand({2, 8, 8});
  const FigureText text{{"input", "mask", "layer1"},
                        {"true 3\npred 3 (97%)", "true 1\npred 7 (51%)"}};
  const auto grid = explanation_grid(images, masks, {map}, 24);
  const auto figure = explanation_figure(images, masks, {map}, text, 24);
  ASSERT_GT(figure.size(1), grid.size(1));
  ASSERT_GT(figure.size(2), grid.size(2));
  // The grid sits unchanged right of the captions and below the titles: find it by its first
  // tile's grey.
  const auto grey = (figure[0] == 100) & (figure[1] == 100) & (figure[2] == 100);
  const auto at = grey.nonzero()[0];
  const int64_t top = at[0].item<int64_t>() - kGridPad, left = at[1].item<int64_t>() - kGridPad;
  EXPECT_TRUE(
      torch::equal(figure.narrow(1, top, grid.size(1)).narrow(2, left, grid.size(2)), grid));
  // Ink above the grid (titles), left of it (captions), below it (the bar and its labels).
  const auto ink = std::get<0>(figure.min(0)) < 200;
  EXPECT_TRUE(ink.narrow(0, 0, top).any().item<bool>());
  EXPECT_TRUE(ink.narrow(1, 0, left).any().item<bool>());
  const auto below = figure.narrow(1, top + grid.size(1), figure.size(1) - top - grid.size(1));
  // The bar runs from jet(0) (dark blue) to jet(1) (dark red).
  const auto blue = jet(torch::zeros({1})).flatten(), red = jet(torch::ones({1})).flatten();
  auto has_colour = [&](const torch::Tensor& colour) {
    return ((below[0] == colour[0]) & (below[1] == colour[1]) & (below[2] == colour[2]))
        .any()
        .item<bool>();
  };
  EXPECT_TRUE(has_colour(blue));
  EXPECT_TRUE(has_colour(red));
  test::expect_error_mentioning(
      [&] {
        explanation_figure(images, masks, {map}, {{"input"}, text.rows}, 24);
      },
      "one title per column");
}

}  // namespace
}  // namespace reff::viz
