#include "reff/data/region_shapes.h"

#include "reff/error.h"

#include <algorithm>
#include <cmath>

namespace reff::data {
namespace {

void require_inside(const torch::Tensor& mask, Point p, const std::string& where) {
  const auto height = double(mask.size(0)), width = double(mask.size(1));
  REFF_REQUIRE(std::isfinite(p.first) && std::isfinite(p.second) && p.first >= 0 &&
                   p.first <= width && p.second >= 0 && p.second <= height,
               where,
               "point (" + std::to_string(p.first) + ", " + std::to_string(p.second) +
                   ") lies outside the " + std::to_string(mask.size(1)) + "x" +
                   std::to_string(mask.size(0)) + " image");
}

}  // namespace

void fill_polygon(torch::Tensor& mask, const std::vector<Point>& points, const std::string& where) {
  REFF_REQUIRE(points.size() >= 3, where,
               "a polygon needs at least 3 points, not " + std::to_string(points.size()));
  for (const auto& p : points) require_inside(mask, p, where);
  auto pixels = mask.accessor<bool, 2>();
  const size_t n = points.size();
  std::vector<double> crossings;
  for (int64_t y = 0; y < mask.size(0); ++y) {
    const double cy = y + 0.5;
    crossings.clear();
    for (size_t i = 0; i < n; ++i) {
      const auto& [x0, y0] = points[i];
      const auto& [x1, y1] = points[(i + 1) % n];
      if ((y0 <= cy) != (y1 <= cy)) crossings.push_back(x0 + (cy - y0) * (x1 - x0) / (y1 - y0));
    }
    std::sort(crossings.begin(), crossings.end());
    // Even-odd: pixel centres between the 1st and 2nd crossing, the 3rd and 4th, ...
    for (size_t k = 0; k + 1 < crossings.size(); k += 2) {
      const auto first = static_cast<int64_t>(std::ceil(crossings[k] - 0.5));
      const auto last = static_cast<int64_t>(std::ceil(crossings[k + 1] - 0.5)) - 1;
      for (int64_t x = std::max<int64_t>(first, 0); x <= std::min(last, mask.size(1) - 1); ++x)
        pixels[y][x] = true;
    }
  }
}

void fill_rectangle(torch::Tensor& mask, Point corner, Point opposite, const std::string& where) {
  fill_polygon(mask,
               {corner, {opposite.first, corner.second}, opposite, {corner.first, opposite.second}},
               where);
}

void fill_circle(torch::Tensor& mask, Point centre, Point on_rim, const std::string& where) {
  require_inside(mask, centre, where);
  require_inside(mask, on_rim, where);
  const double r2 =
      std::pow(on_rim.first - centre.first, 2) + std::pow(on_rim.second - centre.second, 2);
  auto pixels = mask.accessor<bool, 2>();
  for (int64_t y = 0; y < mask.size(0); ++y)
    for (int64_t x = 0; x < mask.size(1); ++x)
      if (std::pow(x + 0.5 - centre.first, 2) + std::pow(y + 0.5 - centre.second, 2) <= r2)
        pixels[y][x] = true;
}

torch::Tensor decode_rle(const std::vector<int64_t>& counts, int64_t height, int64_t width,
                         const std::string& where) {
  REFF_REQUIRE(height > 0 && width > 0, where, "RLE size must be positive");
  const int64_t total = height * width;
  // Column-major: run positions index x * height + y, the transpose of [H, W].
  auto transposed = torch::zeros({width, height}, torch::kBool);
  auto flat = transposed.view({-1});
  int64_t at = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    REFF_REQUIRE(counts[i] >= 0 && counts[i] <= total - at, where,
                 "RLE counts do not sum to height x width (" + std::to_string(height) + " x " +
                     std::to_string(width) + ")");
    if (i % 2 == 1) flat.slice(0, at, at + counts[i]).fill_(true);
    at += counts[i];
  }
  REFF_REQUIRE(at == total, where,
               "RLE counts sum to " + std::to_string(at) + ", not height x width (" +
                   std::to_string(height) + " x " + std::to_string(width) + ")");
  return transposed.t().contiguous();
}

// COCO's compressed counts: each count in 5-bit groups (low first) as characters from '0', 0x20
// set while more groups follow, 0x10 in the last group the sign; from the third count on, each
// is stored as its difference to the count two before.
std::vector<int64_t> parse_rle_string(const std::string& counts, const std::string& where) {
  std::vector<int64_t> values;
  size_t p = 0;
  while (p < counts.size()) {
    int64_t x = 0;
    int shift = 0;
    bool more = true;
    while (more) {
      REFF_REQUIRE(p < counts.size(), where, "RLE string ends inside a count");
      const int c = static_cast<unsigned char>(counts[p]) - 48;
      REFF_REQUIRE(c >= 0 && c < 64, where, "RLE string holds a character outside '0'..'o'");
      REFF_REQUIRE(shift <= 50, where, "RLE count too large");
      x |= int64_t(c & 0x1f) << shift;
      more = (c & 0x20) != 0;
      ++p;
      shift += 5;
      if (!more && (c & 0x10)) x -= int64_t(1) << shift;  // sign-extend
    }
    if (values.size() > 2) x += values[values.size() - 2];
    values.push_back(x);
  }
  return values;
}

}  // namespace reff::data
