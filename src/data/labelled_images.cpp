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
  REFF_REQUIRE(std::filesystem::is_regular_file(path), path,
               "expected " + what + " (is the folder given the " + data_set + " layout?)");
}

TensorDataset load_labelled_images(const std::vector<LabelledImage>& files, int64_t size,
                                   MaskEncoding encoding) {
  return load_labelled_images(files, size, [&](size_t i, int64_t height, int64_t width) {
    const auto& file = files[i];
    const auto mask = read_image(file.mask)[0];
    REFF_REQUIRE(mask.size(0) == height && mask.size(1) == width, file.mask,
                 "is " + std::to_string(mask.size(1)) + "x" + std::to_string(mask.size(0)) +
                     " but its image " + file.image + " is " + std::to_string(width) + "x" +
                     std::to_string(height));
    return relevant_pixels(mask, encoding);
  });
}

TensorDataset load_labelled_images(const std::vector<LabelledImage>& files, int64_t size,
                                   const RelevantPixels& relevant) {
  REFF_REQUIRE(size >= 8 && size <= 4096, "--image-size", "must be in [8, 4096]");
  const auto n = static_cast<int64_t>(files.size());
  REFF_REQUIRE(n > 0, "data set", "no images listed");
  auto images = torch::empty({n, 3, size, size}, torch::kUInt8);
  auto masks = torch::zeros({n, size, size}, torch::kUInt8);
  auto labels = torch::empty({n}, torch::kInt64);
  auto has_mask = torch::zeros({n}, torch::kBool);
  at::parallel_for(0, n, /*grain_size=*/1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const auto& file = files[static_cast<size_t>(i)];
      const auto image = read_image(file.image);
      const auto mask = relevant(static_cast<size_t>(i), image.size(1), image.size(2));
      images[i] = squash(image.to(torch::kFloat), size).round().clamp(0, 255).to(torch::kUInt8);
      labels[i] = file.label;
      if (!mask.defined()) continue;
      // Coverage of the relevant region after resizing, binarised at one half.
      const auto coverage = squash(mask.to(torch::kFloat).unsqueeze(0), size)[0];
      masks[i] = coverage.ge(0.5).to(torch::kUInt8) * 255;
      has_mask[i] = true;
    }
  });
  return TensorDataset(images, labels, masks, has_mask);
}

}  // namespace reff::data
