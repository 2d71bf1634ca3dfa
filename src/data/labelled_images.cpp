#include "reff/data/labelled_images.h"

#include "reff/data/image_file.h"
#include "reff/error.h"

#include <ATen/Parallel.h>
#include <torch/nn/functional/upsampling.h>

#include <filesystem>

namespace reff::data {
namespace F = torch::nn::functional;
namespace {

// float [C, H, W] -> [C, size, size]
torch::Tensor squash(const torch::Tensor& image, int64_t size) {
  return F::interpolate(image.unsqueeze(0), F::InterpolateFuncOptions()
                                                .size(std::vector<int64_t>{size, size})
                                                .mode(torch::kBilinear)
                                                .align_corners(false)
                                                .antialias(true))
      .squeeze(0);
}

torch::Tensor relevant_pixels(const torch::Tensor& mask, MaskEncoding encoding) {
  return encoding == MaskEncoding::binary ? mask.ge(128) : mask.eq(1);
}

}  // namespace

void require_file(const std::string& path, const std::string& what, const std::string& data_set) {
  require(std::filesystem::is_regular_file(path), path,
          "expected " + what + " (is the folder given the " + data_set + " layout?)");
}

TensorDataset load_labelled_images(const std::vector<LabelledImage>& files, int64_t size,
                                   MaskEncoding encoding) {
  require(size >= 8 && size <= 4096, "--image-size", "must be in [8, 4096]");
  const auto n = static_cast<int64_t>(files.size());
  require(n > 0, "data set", "no images listed");
  auto images = torch::empty({n, 3, size, size}, torch::kUInt8);
  auto masks = torch::empty({n, size, size}, torch::kUInt8);
  auto labels = torch::empty({n}, torch::kInt64);
  at::parallel_for(0, n, /*grain_size=*/1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const auto& file = files[static_cast<size_t>(i)];
      const auto image = read_image(file.image);
      const auto mask = read_image(file.mask)[0];
      require(mask.sizes() == image.sizes().slice(1), file.mask,
              "is " + std::to_string(mask.size(1)) + "x" + std::to_string(mask.size(0)) +
                  " but its image " + file.image + " is " + std::to_string(image.size(2)) + "x" +
                  std::to_string(image.size(1)));
      images[i] = squash(image.to(torch::kFloat), size).round().clamp(0, 255).to(torch::kUInt8);
      // Coverage of the relevant region after resizing, binarised at one half.
      const auto coverage =
          squash(relevant_pixels(mask, encoding).to(torch::kFloat).unsqueeze(0), size)[0];
      masks[i] = coverage.ge(0.5).to(torch::kUInt8) * 255;
      labels[i] = file.label;
    }
  });
  return TensorDataset(images, labels, masks, torch::ones({n}, torch::kBool));
}

}  // namespace reff::data
