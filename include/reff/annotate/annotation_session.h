// What `reff annotate` serves: the few images of an own folder (folder_dataset.h) that ReFF's
// Algorithm 1 keeps annotated (D1), chosen by the same rule and seed as the annotated subset
// (annotated_subset.h), each with its mask to draw, plus the images whose mask was saved in an
// earlier session (with another n). Masks are saved as 0/255 PNGs in the folder
// layout, OUT/train/<class>/<stem>.png, so with OUT = DIR/masks the folder's D1 is exactly the
// images drawn. The browser never names a file: images are addressed by their index in D1.
#pragma once

#include "reff/data/annotated_subset.h"
#include "reff/data/folder_dataset.h"
#include "reff/data/mask_file.h"
#include "reff/run/run_folders.h"

#include <torch/types.h>
#include <nlohmann/json.hpp>

#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace reff::annotate {

struct AnnotateOptions {
  std::string data_dir;       // the own folder
  std::string out_dir;        // where masks are saved (DIR/masks: where the folder reads them)
  std::string annotator_dir;  // a pseudo-annotator's folder for suggestions; empty: none
  data::SplitOptions split;
  data::AnnotatedSubsetOptions subset{10, true, 0};
  data::MaskOptions masks;  // how masks already in the folder are read
};

struct ImageFile {
  std::string bytes;         // the file as it is on disk
  std::string content_type;  // image/png | image/jpeg
};

class AnnotationSession {
 public:
  // Lists the folder and picks D1. Throws reff::Error for a bad folder, an n larger than a class,
  // or an annotator folder that cannot be loaded.
  explicit AnnotationSession(const AnnotateOptions& options);

  int64_t size() const { return static_cast<int64_t>(items_.size()); }
  // {"classes": [...], "items": [{"class", "name", "saved"}], "suggest": bool}; "saved": a mask
  // is in OUT (drawn in an earlier session counts).
  nlohmann::json listing() const;
  ImageFile image(int64_t index) const;
  // The mask to start from as a 0/255 PNG: the one saved in OUT, else the folder's own mask (any
  // format it reads), else none.
  std::optional<std::string> mask_png(int64_t index);
  // The pseudo-annotator's G(x) at the image's size, binarised at 0.5, as a 0/255 PNG.
  std::string suggestion_png(int64_t index);
  // Decodes the upload (mask_upload.h) and writes it atomically; concurrent saves of one image
  // leave one whole file. Throws reff::Error for a bad upload (nothing is written) and for a
  // labelme mask of the same image beside the PNG (the folder would see two masks).
  void save(int64_t index, const std::string& body);

 private:
  struct Item {
    data::FolderImage image;
    std::string class_name, out_mask;
  };
  const Item& item(int64_t index) const;  // throws reff::Error out of range
  // The image's height and width (decoded once).
  std::pair<int64_t, int64_t> image_size(int64_t index);

  AnnotateOptions options_;
  std::vector<std::string> classes_;
  std::vector<Item> items_;
  std::vector<std::pair<int64_t, int64_t>> sizes_;  // (0, 0): not decoded yet
  data::MaskReader masks_;
  std::optional<run::LoadedAnnotator> annotator_;
  mutable std::mutex mutex_;
};

}  // namespace reff::annotate
