#include "reff/data/coco_file.h"

#include "reff/data/region_shapes.h"
#include "reff/error.h"
#include "reff/json_file.h"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace reff::data {
namespace {

std::string base_name(const std::string& path) {
  return std::filesystem::path(path).filename().string();
}

void draw_segmentation(torch::Tensor& mask, const nlohmann::json& segmentation,
                       const std::string& where) {
  if (segmentation.is_array()) {  // polygons
    for (const auto& flat : segmentation) {
      REFF_REQUIRE(flat.is_array() && flat.size() % 2 == 0, where,
                   "a polygon is not a flat list [x1, y1, x2, y2, ...]");
      std::vector<Point> points;
      for (size_t i = 0; i < flat.size(); i += 2)
        points.emplace_back(flat[i].get<double>(), flat[i + 1].get<double>());
      fill_polygon(mask, points, where);
    }
    return;
  }
  REFF_REQUIRE(segmentation.is_object() && segmentation.contains("counts"), where,
               "a segmentation is neither polygons nor RLE {\"counts\", \"size\"}");
  const auto& size = segmentation.at("size");
  REFF_REQUIRE(size.is_array() && size.size() == 2 &&
                   json_integer(size[0], where) == mask.size(0) &&
                   json_integer(size[1], where) == mask.size(1),
               where, "RLE size differs from the image's [height, width]");
  const auto& counts = segmentation["counts"];
  std::vector<int64_t> runs;
  if (counts.is_string()) {
    runs = parse_rle_string(counts, where);
  } else {
    REFF_REQUIRE(counts.is_array(), where, "RLE counts are neither a list nor a string");
    for (const auto& count : counts) runs.push_back(json_integer(count, where));
  }
  mask.logical_or_(decode_rle(runs, mask.size(0), mask.size(1), where));
}

}  // namespace

CocoFile CocoFile::read(const std::string& path) {
  std::ifstream in(path);
  REFF_REQUIRE(in.good(), path, "cannot open");
  std::stringstream text;
  text << in.rdbuf();
  return parse(text.str(), path);
}

CocoFile CocoFile::parse(const std::string& text, const std::string& where) {
  return from_json(nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false), where);
}

bool CocoFile::is_coco(const nlohmann::json& json) {
  return json.is_object() && json.contains("images") && json.contains("annotations") &&
         !json.contains("shapes");
}

CocoFile CocoFile::from_json(const nlohmann::json& json, const std::string& where) {
  REFF_REQUIRE(is_coco(json), where, "not a COCO file (no \"images\" and \"annotations\")");
  CocoFile coco;
  coco.where_ = where;
  try {
    std::map<int64_t, size_t> by_id;
    for (const auto& image : json.at("images")) {
      const int64_t id = json_integer(image.at("id"), where);
      const std::string name = image.at("file_name");
      REFF_REQUIRE(by_id.emplace(id, coco.images_.size()).second, where,
                   "image id " + std::to_string(id) + " is listed twice");
      REFF_REQUIRE(coco.by_name_.emplace(name, coco.images_.size()).second, where,
                   "file_name " + name + " is listed twice");
      coco.by_base_name_[base_name(name)].push_back(coco.images_.size());
      coco.images_.push_back({name,
                              json_integer(image.at("height"), where),
                              json_integer(image.at("width"), where),
                              {}});
    }
    for (const auto& annotation : json.at("annotations")) {
      const int64_t id = json_integer(annotation.at("image_id"), where);
      const auto image = by_id.find(id);
      REFF_REQUIRE(image != by_id.end(), where,
                   "an annotation names image id " + std::to_string(id) + ", which is not listed");
      coco.images_[image->second].segmentations.push_back(annotation.at("segmentation"));
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(where + ": not a COCO file (" + e.what() + ")");
  }
  return coco;
}

const CocoFile::Image* CocoFile::find(const std::string& file) const {
  if (const auto exact = by_name_.find(file); exact != by_name_.end())
    return &images_[exact->second];
  const auto base = by_base_name_.find(base_name(file));
  if (base == by_base_name_.end() || base->second.size() != 1) return nullptr;
  return &images_[base->second.front()];
}

std::vector<std::string> CocoFile::file_names() const {
  std::vector<std::string> names;
  for (const auto& image : images_) names.push_back(image.file_name);
  return names;
}

torch::Tensor CocoFile::mask(const std::string& file, int64_t height, int64_t width) const {
  const auto* image = find(file);
  REFF_REQUIRE(image != nullptr, where_, "holds no image with file_name " + file);
  const auto at = where_ + ": " + image->file_name;
  REFF_REQUIRE(image->height == height && image->width == width, at,
               "is " + std::to_string(image->width) + "x" + std::to_string(image->height) +
                   " in the COCO file but " + std::to_string(width) + "x" + std::to_string(height) +
                   " on disk");
  auto mask = torch::zeros({height, width}, torch::kBool);
  try {
    for (const auto& segmentation : image->segmentations) draw_segmentation(mask, segmentation, at);
  } catch (const nlohmann::json::exception& e) {
    throw Error(at + ": bad segmentation (" + e.what() + ")");
  }
  return mask;
}

}  // namespace reff::data
