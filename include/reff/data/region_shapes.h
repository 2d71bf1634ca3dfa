// The shapes annotation tools describe regions with, drawn into a mask (bool [H, W], true on the
// task-relevant pixels): polygons, rectangles and circles in pixel coordinates (x right, y down,
// (0, 0) the top-left corner of the first pixel), and COCO's run-length encodings. A pixel belongs
// to a shape when its centre (x + 0.5, y + 0.5) lies inside it (even-odd rule for polygons).
// Coordinates may lie on the image's border (0..W, 0..H), not beyond it.
#pragma once

#include <torch/types.h>

#include <string>
#include <utility>
#include <vector>

namespace reff::data {

using Point = std::pair<double, double>;  // (x, y)

// Each throws reff::Error("<where>: ...") for too few points or coordinates outside the image.
void fill_polygon(torch::Tensor& mask, const std::vector<Point>& points, const std::string& where);
void fill_rectangle(torch::Tensor& mask, Point corner, Point opposite, const std::string& where);
void fill_circle(torch::Tensor& mask, Point centre, Point on_rim, const std::string& where);

// COCO's RLE: alternating runs of 0 and 1 (starting with 0) in column-major order (down the
// first column, then the next). `counts` as numbers (uncompressed) or as COCO's compressed
// string. Throws reff::Error unless the runs cover exactly height x width pixels.
torch::Tensor decode_rle(const std::vector<int64_t>& counts, int64_t height, int64_t width,
                         const std::string& where);
std::vector<int64_t> parse_rle_string(const std::string& counts, const std::string& where);

}  // namespace reff::data
