// Region masks in the formats annotation tools export, read as the task-relevant pixels of one
// image (bool [H, W], the image's size):
//   .png   binary or grayscale: value >= threshold x 255 is relevant; with `values`, the pixels
//          whose stored value (the palette index of an indexed PNG, as CVAT and Pascal VOC
//          write them, else the gray level) is one of them
//   .json  labelme's file of the image (labelme_file.h), or a COCO file holding it (coco_file.h)
#pragma once

#include "reff/data/coco_file.h"

#include <torch/types.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace reff::data {

struct MaskOptions {
  double threshold = 0.5;
  std::vector<int64_t> values;  // empty: threshold
  void validate() const;        // threshold in (0, 1], values in [0, 255]
};

class MaskReader {
 public:
  explicit MaskReader(MaskOptions options) : options_(std::move(options)) {}
  // The mask `mask_path` gives the image `image` (its path as listed: COCO files match it against
  // file_name) of height x width. Thread-safe; each COCO file is read once. Throws reff::Error
  // naming the file for an unreadable mask, another size than the image's, or bad content.
  torch::Tensor read(const std::string& mask_path, const std::string& image, int64_t height,
                     int64_t width);

 private:
  // The COCO file at `path` if it was read before, else nullptr.
  std::shared_ptr<const CocoFile> coco(const std::string& path);
  // Keeps `json` as the COCO file at `path` (the first thread's, when two read it at once).
  std::shared_ptr<const CocoFile> keep_coco(const std::string& path, const nlohmann::json& json);

  MaskOptions options_;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<const CocoFile>> coco_files_;
};

}  // namespace reff::data
