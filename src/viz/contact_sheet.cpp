#include "reff/viz/contact_sheet.h"

#include "reff/error.h"
#include "reff/viz/image_grid.h"

#include <algorithm>

namespace reff::viz {

torch::Tensor contact_sheet(const std::vector<data::TexturedDigit>& shown) {
  REFF_REQUIRE(!shown.empty(), "contact sheet", "needs at least one sample");
  constexpr int64_t kColumns = 8;
  std::vector<torch::Tensor> tiles;
  for (size_t row = 0; row < shown.size(); row += kColumns) {
    const size_t end = std::min(shown.size(), row + kColumns);
    for (size_t k = row; k < end; ++k) tiles.push_back(shown[k].image);
    // Fill a short last row so the masks stay under their images.
    for (size_t k = end; k < row + kColumns && row > 0; ++k) {
      tiles.push_back(torch::full_like(shown[0].image, 255));
    }
    for (size_t k = row; k < end; ++k) tiles.push_back(shown[k].mask * 255);
  }
  const int64_t side = shown.front().image.size(1);
  return image_grid(tiles, std::min<int64_t>(kColumns, shown.size()), 4,
                    scale_to_at_least(side, 96));
}

torch::Tensor contact_sheet(const data::TexturedMnist& generator, int64_t count) {
  REFF_REQUIRE(count > 0, "contact sheet", "needs at least one sample");
  return contact_sheet(generator.generate(0, count));
}

}  // namespace reff::viz
