// labelme's per-image JSON: {"imageHeight": H, "imageWidth": W, "shapes": [{"label",
// "shape_type", "points": [[x, y], ...], "mask": base64 PNG or null}, ...]}. Every shape marks
// relevant pixels: polygon (>= 3 points), rectangle (2 corners), circle (centre, a point on the
// rim) and mask (a PNG, non-zero = inside, placed at the first point: its bounding box's top-left
// corner). A shape_type that encloses nothing (line, point, linestrip, points) is an error.
#pragma once

#include <torch/types.h>
#include <nlohmann/json.hpp>

#include <string>

namespace reff::data {

// The union of the shapes of a labelme file's text, bool [height, width]. Throws reff::Error
// naming the file (`where`) when it is not labelme JSON, its imageHeight/imageWidth differ from
// the image's, or a shape is bad.
torch::Tensor parse_labelme_mask(const std::string& text, int64_t height, int64_t width,
                                 const std::string& where);
// The same from the parsed file.
torch::Tensor labelme_mask(const nlohmann::json& json, int64_t height, int64_t width,
                           const std::string& where);

}  // namespace reff::data
