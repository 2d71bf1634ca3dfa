// Texture classes backed by real images: GIMP patterns (the default, offline) or a folder in
// DTD's layout. A patch is a random square crop (side 0.5..1 of the image's shorter side; for
// tileable images of up to the patch size, wrapping around), a random flip and quarter turn,
// resized to the patch size (bilinear, antialiased when shrinking).
#pragma once

#include "reff/data/texture_bank.h"

#include <memory>
#include <string>
#include <vector>

namespace reff::data {

class ImageTextureBank : public TextureBank {
 public:
  // images[c] holds class c's images, uint8 [3, H, W]. `tileable`: the images repeat
  // seamlessly (GIMP patterns), so crops may wrap around their edges.
  ImageTextureBank(std::vector<std::string> names, std::vector<std::vector<torch::Tensor>> images,
                   bool tileable);

  const std::vector<std::string>& class_names() const override { return names_; }
  torch::Tensor sample(int64_t cls, int64_t size, Rng& rng) const override;

 private:
  std::vector<std::string> names_;
  std::vector<std::vector<torch::Tensor>> images_;  // float [3, H, W] in [0, 1]
  bool tileable_;
};

// Every *.pat under `dir` (recursively) is one class, named by its path without extension
// ("Wood/wood1"). The ten classes of kGimpDigitTextures come first (Textured MNIST's digit
// textures), the others follow in name order.
std::shared_ptr<ImageTextureBank> load_gimp_patterns(const std::string& dir);
extern const std::vector<std::string> kGimpDigitTextures;

// A folder in DTD's layout: ROOT/images/<class>/*.jpg|*.jpeg|*.png, e.g.
//   dtd/images/banded/banded_0002.jpg
//   dtd/images/zigzagged/zigzagged_0133.jpg
// Classes in name order; at most `max_per_class` images per class (the first by name), each
// shrunk so its shorter side is at most `max_side` pixels, to bound memory.
struct DtdFolderOptions {
  int64_t max_per_class = 20;
  int64_t max_side = 256;
};
std::shared_ptr<ImageTextureBank> load_dtd_folder(const std::string& root,
                                                  const DtdFolderOptions& options = {});

}  // namespace reff::data
