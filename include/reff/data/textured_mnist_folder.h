// Writes a Textured MNIST set to a folder:
//   DIR/images/000000.png ...   the images (RGB)
//   DIR/masks/000000.png ...    the regional annotations (0 / 255)
//   DIR/labels.csv              index,image,mask,label,digit_texture,background_texture,source,x,y
//   DIR/manifest.json           every option, the seed, the texture mapping, the counts
//   DIR/preview.png             the first samples as options.preview draws them (the command
//                               line: viz/contact_sheet.h, images above their masks)
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
  // The picture of the first preview_count samples (uint8 [3, H, W]); unset: no preview.png.
  std::function<torch::Tensor(const std::vector<TexturedDigit>& shown)> preview;
};

void write_textured_mnist_folder(const TexturedMnist& generator, const std::string& dir,
                                 const TexturedMnistFolderOptions& options);

}  // namespace reff::data
