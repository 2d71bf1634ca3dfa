#include "reff/error.h"
#include "reff/viz/explanation_grid.h"

#include <gtest/gtest.h>

namespace reff::viz {
namespace {

TEST(Jet, RunsFromDarkBlueThroughGreenToDarkRed) {
  const auto colours = jet(torch::tensor({0.0, 0.5, 1.0}));
  EXPECT_TRUE(torch::equal(
      colours.t(), torch::tensor({{0, 0, 128}, {128, 255, 128}, {128, 0, 0}}, torch::kUInt8)));
}

TEST(ExplanationGrid, OneRowPerSampleWithInputMaskAndEachLayer) {
  const auto images = torch::full({2, 3, 10, 10}, 100, torch::kUInt8);
  const auto masks = torch::zeros({2, 10, 10});
  auto map = torch::zeros({2, 10, 10});
  map[0][5][5] = 1.0;
  const auto grid = explanation_grid(images, masks, {map, map, map}, /*min_tile=*/10);
  // 5 columns (input, mask, 3 maps) x 2 rows of 10 px tiles with 3 px padding.
  EXPECT_EQ(grid.sizes(), (std::vector<int64_t>{3, 3 + 2 * 13, 3 + 5 * 13}));
  // The map's peak is drawn dark red over the grey input: (100 + 128) / 2, (100 + 0) / 2.
  const int64_t top = 3 + 5, left = 3 + 2 * 13 + 5;
  EXPECT_EQ(grid[0][top][left].item<uint8_t>(), 114);
  EXPECT_EQ(grid[1][top][left].item<uint8_t>(), 50);
  EXPECT_THROW(explanation_grid(images, masks, {torch::zeros({2, 5, 5})}), Error);
}

}  // namespace
}  // namespace reff::viz
