// A COCO annotation file: {"images": [{"id", "file_name", "height", "width"}, ...],
// "annotations": [{"image_id", "segmentation"}, ...]}, the segmentation either polygons
// ([[x1, y1, x2, y2, ...], ...]) or RLE ({"counts": [...] or COCO's compressed string,
// "size": [height, width]}). An image's mask is the union of all its annotations.
#pragma once

#include <torch/types.h>
#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

namespace reff::data {

class CocoFile {
 public:
  // Throws reff::Error naming the file when it is not COCO JSON (unknown image ids, duplicate
  // file names, a segmentation of neither form).
  static CocoFile read(const std::string& path);
  static CocoFile parse(const std::string& text, const std::string& where);
  static CocoFile from_json(const nlohmann::json& json, const std::string& where);
  // Whether parsed JSON looks like a COCO file ("images" and "annotations", no labelme "shapes").
  static bool is_coco(const nlohmann::json& json);

  // The mask of the image named `file` (its path as the data set lists it: matched against
  // file_name exactly, else by base name when that is unambiguous), bool [height, width].
  // Throws reff::Error when the file holds no such image, its size differs, or a segmentation
  // is bad (a polygon of < 3 points, points outside the image, RLE not covering H x W).
  torch::Tensor mask(const std::string& file, int64_t height, int64_t width) const;
  bool holds(const std::string& file) const { return find(file) != nullptr; }
  // file_name of every image, in the file's order.
  std::vector<std::string> file_names() const;

 private:
  struct Image {
    std::string file_name;
    int64_t height = 0, width = 0;
    std::vector<nlohmann::json> segmentations;
  };
  const Image* find(const std::string& file) const;

  std::string where_;
  std::vector<Image> images_;
  std::map<std::string, size_t> by_name_;
  std::map<std::string, std::vector<size_t>> by_base_name_;
};

}  // namespace reff::data
