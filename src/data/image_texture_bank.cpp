#include "reff/data/image_texture_bank.h"

#include "reff/data/gimp_pattern.h"
#include "reff/data/image_file.h"
#include "reff/data/image_resize.h"
#include "reff/error.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

namespace reff::data {
namespace fs = std::filesystem;

namespace {

std::vector<fs::path> sorted_files(const fs::path& dir, const std::vector<std::string>& extensions,
                                   bool recursive) {
  std::vector<fs::path> files;
  auto consider = [&](const fs::directory_entry& entry) {
    if (!entry.is_regular_file()) return;
    auto ext = entry.path().extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
    if (std::find(extensions.begin(), extensions.end(), ext) != extensions.end()) {
      files.push_back(entry.path());
    }
  };
  if (recursive) {
    for (const auto& entry : fs::recursive_directory_iterator(dir)) consider(entry);
  } else {
    for (const auto& entry : fs::directory_iterator(dir)) consider(entry);
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

ImageTextureBank::ImageTextureBank(std::vector<std::string> names,
                                   std::vector<std::vector<torch::Tensor>> images, bool tileable)
    : names_(std::move(names)), tileable_(tileable) {
  REFF_REQUIRE(names_.size() == images.size(), "texture bank", "one image list per class name");
  for (size_t c = 0; c < images.size(); ++c) {
    REFF_REQUIRE(!images[c].empty(), names_[c], "texture class has no images");
    std::vector<torch::Tensor> floats;
    for (const auto& image : images[c]) {
      REFF_REQUIRE(image.dim() == 3 && image.size(0) == 3, "texture bank",
                   "texture images are [3, H, W]");
      floats.push_back(image.to(torch::kFloat32).div_(255.0).contiguous());
    }
    images_.push_back(std::move(floats));
  }
}

torch::Tensor ImageTextureBank::sample(int64_t cls, int64_t size, Rng& rng) const {
  if (cls < 0 || cls >= num_classes())  // per sample: the message is made only on failure
    throw Error("texture class " + std::to_string(cls) + ": out of range");
  const auto& choices = images_[cls];
  const auto& image = choices[rng.below(choices.size())];
  const int64_t height = image.size(1), width = image.size(2);
  const int64_t shorter = std::min(height, width);
  // Crop side: 0.5..1 of the shorter side; tileable images may give up to `size` pixels of
  // native resolution by wrapping, so small patterns are not blown up.
  const double extent = tileable_ ? std::max(shorter, size) : shorter;
  int64_t crop = std::max<int64_t>(2, std::llround(rng.uniform(0.5, 1.0) * extent));
  if (!tileable_) crop = std::min(crop, shorter);
  const int64_t top = rng.below(tileable_ ? height : height - crop + 1);
  const int64_t left = rng.below(tileable_ ? width : width - crop + 1);
  const bool flip_h = rng.bernoulli(0.5), flip_v = rng.bernoulli(0.5);
  const int64_t quarter_turns = rng.below(4);

  const auto rows = torch::arange(top, top + crop, torch::kInt64).remainder_(height);
  const auto cols = torch::arange(left, left + crop, torch::kInt64).remainder_(width);
  auto patch = image.index_select(1, rows).index_select(2, cols);
  if (flip_h) patch = patch.flip({2});
  if (flip_v) patch = patch.flip({1});
  if (quarter_turns > 0) patch = patch.rot90(quarter_turns, {1, 2});
  return resize_image(patch, size, size).clamp_(0.0, 1.0).contiguous();
}

const std::vector<std::string> kGimpDigitTextures = {
    "Wood/wood1",   "Stone/brick",   "Animal/leopard",    "Legacy/bluegrid", "Sky/starfield",
    "Plant/leaves", "Fabric/burlap", "Stone/pink_marble", "Legacy/redcube",  "Water/pool"};

std::shared_ptr<ImageTextureBank> load_gimp_patterns(const std::string& dir) {
  REFF_REQUIRE(fs::is_directory(dir), dir, "GIMP pattern folder not found (install gimp-data)");
  std::vector<std::pair<std::string, torch::Tensor>> patterns;
  for (const auto& path : sorted_files(dir, {".pat"}, /*recursive=*/true)) {
    auto name = fs::relative(path, dir).replace_extension().generic_string();
    patterns.emplace_back(name, read_gimp_pattern(path.string()).pixels);
  }
  REFF_REQUIRE(!patterns.empty(), dir, "no .pat files");
  // The digit textures first, in kGimpDigitTextures order (when all are present), then the rest.
  auto rank = [](const std::string& name) {
    const auto it = std::find(kGimpDigitTextures.begin(), kGimpDigitTextures.end(), name);
    return it - kGimpDigitTextures.begin();
  };
  std::stable_sort(patterns.begin(), patterns.end(),
                   [&](const auto& a, const auto& b) { return rank(a.first) < rank(b.first); });
  std::vector<std::string> names;
  std::vector<std::vector<torch::Tensor>> images;
  for (auto& [name, pixels] : patterns) {
    names.push_back(name);
    images.push_back({pixels});
  }
  return std::make_shared<ImageTextureBank>(std::move(names), std::move(images), true);
}

std::shared_ptr<ImageTextureBank> load_dtd_folder(const std::string& root,
                                                  const DtdFolderOptions& options) {
  const fs::path images_dir = fs::path(root) / "images";
  REFF_REQUIRE(fs::is_directory(images_dir), images_dir.string(),
               "not found: a DTD folder holds images/<class>/*.jpg");
  REFF_REQUIRE(options.max_per_class > 0 && options.max_side > 0, root,
               "max_per_class and max_side must be positive");
  std::vector<fs::path> class_dirs;
  for (const auto& entry : fs::directory_iterator(images_dir)) {
    if (entry.is_directory()) class_dirs.push_back(entry.path());
  }
  std::sort(class_dirs.begin(), class_dirs.end());
  REFF_REQUIRE(!class_dirs.empty(), images_dir.string(), "no class folders");

  std::vector<std::string> names;
  std::vector<std::vector<torch::Tensor>> images;
  for (const auto& class_dir : class_dirs) {
    auto files = sorted_files(class_dir, {".jpg", ".jpeg", ".png"}, /*recursive=*/false);
    REFF_REQUIRE(!files.empty(), class_dir.string(),
                 "texture class folder has no .jpg/.png images");
    if (static_cast<int64_t>(files.size()) > options.max_per_class) {
      files.resize(options.max_per_class);
    }
    std::vector<torch::Tensor> class_images;
    for (const auto& file : files) {
      auto image = read_image(file.string());
      const int64_t shorter = std::min(image.size(1), image.size(2));
      if (shorter > options.max_side) {
        const double f = double(options.max_side) / shorter;
        image = resize_image(image.to(torch::kFloat32), std::llround(image.size(1) * f),
                             std::llround(image.size(2) * f))
                    .round()
                    .clamp(0, 255)
                    .to(torch::kUInt8);
      }
      class_images.push_back(image);
    }
    names.push_back(class_dir.filename().string());
    images.push_back(std::move(class_images));
  }
  return std::make_shared<ImageTextureBank>(std::move(names), std::move(images), false);
}

}  // namespace reff::data
