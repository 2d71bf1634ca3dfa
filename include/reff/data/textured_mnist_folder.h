// Writes a Textured MNIST set to a folder:
//   DIR/images/000000.png ...   the images (RGB)
//   DIR/masks/000000.png ...    the regional annotations (0 / 255)
//   DIR/labels.csv              index,image,mask,label,digit_texture,background_texture,source,x,y
//   DIR/manifest.json           every option, the seed, the texture mapping, the counts
//   DIR/preview.png             the first samples, images above their masks (seed Fig. 1)
// The set is written to a temporary sibling folder and renamed into place at the end, so DIR is
// either the complete old set, the complete new one, or absent: never half-written. An existing
// DIR is replaced only when it is empty or holds a set this writer made.
#pragma once

#include "reff/data/textured_mnist.h"

#include <nlohmann/json.hpp>

#include <functional>
#include <string>

namespace reff::data {

struct TexturedMnistFolderOptions {
  int64_t count = 1000;
  int64_t preview_count = 16;
  nlohmann::json provenance;  // recorded as is under "source" in the manifest (split, paths...)
  std::function<void(int64_t done, int64_t total)> progress;  // optional
};

// The first `count` samples, images above their masks, 8 a row (the folder's preview.png).
torch::Tensor contact_sheet(const TexturedMnist& generator, int64_t count);

void write_textured_mnist_folder(const TexturedMnist& generator, const std::string& dir,
                                 const TexturedMnistFolderOptions& options);

}  // namespace reff::data
