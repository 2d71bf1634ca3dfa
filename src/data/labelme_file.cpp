#include "reff/data/labelme_file.h"

#include "reff/data/base64.h"
#include "reff/data/png_values.h"
#include "reff/data/region_shapes.h"
#include "reff/error.h"
#include "reff/json_file.h"

#include <nlohmann/json.hpp>

namespace reff::data {
namespace {

std::vector<Point> points_of(const nlohmann::json& shape, const std::string& where) {
  std::vector<Point> points;
  for (const auto& p : shape.at("points")) {
    REFF_REQUIRE(p.is_array() && p.size() == 2, where, "a point is not [x, y]");
    points.emplace_back(p.at(0).get<double>(), p.at(1).get<double>());
  }
  return points;
}

void draw_mask_shape(torch::Tensor& mask, const nlohmann::json& shape,
                     const std::vector<Point>& points, const std::string& where) {
  REFF_REQUIRE(points.size() >= 1 && shape.contains("mask") && shape["mask"].is_string(), where,
               "a mask shape needs its top-left point and a base64 PNG \"mask\"");
  const auto tile = decode_png_values(decode_base64(shape["mask"], where), where).values.ne(0);
  const auto x = static_cast<int64_t>(points[0].first), y = static_cast<int64_t>(points[0].second);
  REFF_REQUIRE(points[0].first >= 0 && points[0].second >= 0 && x + tile.size(1) <= mask.size(1) &&
                   y + tile.size(0) <= mask.size(0),
               where,
               "the mask shape (" + std::to_string(tile.size(1)) + "x" +
                   std::to_string(tile.size(0)) + " at " + std::to_string(x) + ", " +
                   std::to_string(y) + ") leaves the image");
  auto region = mask.slice(0, y, y + tile.size(0)).slice(1, x, x + tile.size(1));
  region.logical_or_(tile);
}

}  // namespace

torch::Tensor parse_labelme_mask(const std::string& text, int64_t height, int64_t width,
                                 const std::string& where) {
  return labelme_mask(nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false), height,
                      width, where);
}

torch::Tensor labelme_mask(const nlohmann::json& json, int64_t height, int64_t width,
                           const std::string& where) {
  REFF_REQUIRE(json.is_object() && json.contains("shapes") && json["shapes"].is_array(), where,
               "not a labelme file (no \"shapes\" list)");
  auto mask = torch::zeros({height, width}, torch::kBool);
  try {
    const int64_t h = json_integer(json.at("imageHeight"), where),
                  w = json_integer(json.at("imageWidth"), where);
    REFF_REQUIRE(h == height && w == width, where,
                 "is made for a " + std::to_string(w) + "x" + std::to_string(h) +
                     " image, but its image is " + std::to_string(width) + "x" +
                     std::to_string(height));
    int index = 0;
    for (const auto& shape : json["shapes"]) {
      const auto at = where + ": shape " + std::to_string(index++);
      const auto kind = shape.value("shape_type", nlohmann::json());  // absent or null: polygon
      const std::string type = kind.is_string() ? kind.get<std::string>() : "polygon";
      const auto points = points_of(shape, at);
      if (type == "polygon") {
        fill_polygon(mask, points, at);
      } else if (type == "rectangle" || type == "circle") {
        REFF_REQUIRE(points.size() == 2, at, "a " + type + " needs 2 points");
        if (type == "rectangle")
          fill_rectangle(mask, points[0], points[1], at);
        else
          fill_circle(mask, points[0], points[1], at);
      } else if (type == "mask") {
        draw_mask_shape(mask, shape, points, at);
      } else {
        throw Error(at + ": shape_type '" + type +
                    "' encloses no region (polygon, rectangle, circle or mask)");
      }
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(where + ": not a labelme file (" + e.what() + ")");
  }
  return mask;
}

}  // namespace reff::data
