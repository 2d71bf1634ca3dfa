#include "reff/error.h"
#include "reff/viz/image_grid.h"

#include <gtest/gtest.h>

namespace reff::viz {
namespace {

TEST(ImageGrid, LaysTilesRowByRowWithPadding) {
  std::vector<torch::Tensor> tiles;
  for (int v = 0; v < 5; ++v) tiles.push_back(torch::full({3, 2, 3}, v * 10, torch::kUInt8));
  const auto grid = image_grid(tiles, 3, /*pad=*/1);
  // 2 rows of 2 px, 3 columns of 3 px, 1 px padding around and between.
  EXPECT_EQ(grid.sizes(), (std::vector<int64_t>{3, 1 + 2 * 3, 1 + 3 * 4}));
  EXPECT_EQ(grid[0][0][0].item<uint8_t>(), 255);
  EXPECT_EQ(grid[1][1][1].item<uint8_t>(), 0);    // tile 0
  EXPECT_EQ(grid[1][1][5].item<uint8_t>(), 10);   // tile 1
  EXPECT_EQ(grid[1][4][5].item<uint8_t>(), 40);   // tile 4: row 1, column 1
  EXPECT_EQ(grid[1][4][9].item<uint8_t>(), 255);  // no tile 5
}

TEST(ImageGrid, ScalesWithCrispPixelsAndAcceptsMasks) {
  auto mask = torch::tensor({{0, 255}, {255, 0}}, torch::kUInt8);
  const auto grid = image_grid({mask}, 1, /*pad=*/0, /*scale=*/3);
  EXPECT_EQ(grid.sizes(), (std::vector<int64_t>{3, 6, 6}));
  EXPECT_EQ(grid[2][2][2].item<uint8_t>(), 0);
  EXPECT_EQ(grid[2][2][3].item<uint8_t>(), 255);
  EXPECT_EQ(scale_to_at_least(40, 96), 3);
  EXPECT_EQ(scale_to_at_least(224, 96), 1);
}

TEST(ImageGrid, RejectsMixedSizesAndEmptyInput) {
  EXPECT_THROW(image_grid({}, 2), Error);
  EXPECT_THROW(
      image_grid({torch::zeros({3, 2, 2}, torch::kUInt8), torch::zeros({3, 3, 3}, torch::kUInt8)},
                 2),
      Error);
  EXPECT_THROW(image_grid({torch::zeros({3, 2, 2}, torch::kFloat)}, 1), Error);
}

}  // namespace
}  // namespace reff::viz
