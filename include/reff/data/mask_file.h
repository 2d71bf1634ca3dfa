// Region masks in the formats annotation tools export, read as the task-relevant pixels of one
// image (bool [H, W], the image's size):
//   .png   binary or grayscale: value >= threshold x 255 is relevant; indexed (palette), as CVAT
//          and Pascal VOC export class masks: every index but 0 (background) is relevant, VOC's
//          255 ("void", the band around each object) included, so object borders are never
//          penalised; with `values`, the pixels whose stored value (the palette index of an
//          indexed PNG, else the gray level) is one of them
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
  // For a mask that reads empty: the nonzero values its PNG holds that the reading rule drops,
  // and the option that keeps them ("gray levels {1} present, below --mask-threshold 0.5 x 255;
  // pass --mask-values 1"), or "" (not a PNG, or none dropped: nothing suggests a misreading).
  std::string empty_hint(const std::string& mask_path) const;

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
