#include "reff/data/augmentation.h"

#include <torch/nn/functional/pooling.h>
#include <torch/nn/functional/upsampling.h>

#include <algorithm>
#include <cmath>

namespace reff::data {
namespace F = torch::nn::functional;

CropBox random_crop_box(int64_t height, int64_t width, Rng& rng, const AugmentOptions& options) {
  const double area = static_cast<double>(height * width);
  for (int attempt = 0; attempt < 10; ++attempt) {
    const double target = area * rng.uniform(options.min_area, options.max_area);
    const double ratio =
        std::exp(rng.uniform(std::log(options.min_ratio), std::log(options.max_ratio)));
    const auto w = static_cast<int64_t>(std::lround(std::sqrt(target * ratio)));
    const auto h = static_cast<int64_t>(std::lround(std::sqrt(target / ratio)));
    if (w > 0 && h > 0 && w <= width && h <= height) {
      const auto top = static_cast<int64_t>(rng.below(static_cast<uint64_t>(height - h + 1)));
      const auto left = static_cast<int64_t>(rng.below(static_cast<uint64_t>(width - w + 1)));
      return {top, left, h, w};
    }
  }
  const double ratio = double(width) / double(height);
  int64_t w = width, h = height;
  if (ratio < options.min_ratio) {
    h = std::lround(double(w) / options.min_ratio);
  } else if (ratio > options.max_ratio) {
    w = std::lround(double(h) * options.max_ratio);
  }
  return {(height - h) / 2, (width - w) / 2, h, w};
}

Batch augment(const Batch& batch, Rng& rng, const AugmentOptions& options) {
  const int64_t height = batch.images.size(2), width = batch.images.size(3);
  // Image channels and the mask are cropped and resized as one [4, h, w] stack.
  const auto stacked = torch::cat({batch.images, batch.masks.unsqueeze(1)}, 1);
  std::vector<torch::Tensor> out;
  for (int64_t b = 0; b < batch.size(); ++b) {
    const auto box = random_crop_box(height, width, rng, options);
    auto crop = stacked[b]
                    .slice(1, box.top, box.top + box.height)
                    .slice(2, box.left, box.left + box.width)
                    .unsqueeze(0);
    crop = F::interpolate(crop, F::InterpolateFuncOptions()
                                    .size(std::vector<int64_t>{height, width})
                                    .mode(torch::kBilinear)
                                    .align_corners(false));
    if (rng.bernoulli(options.flip)) crop = crop.flip({3});
    out.push_back(crop);
  }
  const auto all = torch::cat(out, 0);
  return {all.slice(1, 0, 3).contiguous(), batch.labels, all.select(1, 3).contiguous(),
          batch.has_mask, batch.masked};
}

namespace {

// The donors' backgrounds without their own digits: each donor's mask (binarised at one half, as
// soft pseudo-annotations are never exactly 0), widened by a pixel to take in the anti-aliased
// edge, is filled from the donor mirrored left-right, top-bottom, then both, where the mirrored
// image shows background (textures look alike everywhere). Pixels that every mirror covers keep
// the donor's own.
torch::Tensor digit_free_backgrounds(const torch::Tensor& images, const torch::Tensor& masks) {
  namespace F = torch::nn::functional;
  const auto covered = F::max_pool2d(masks.unsqueeze(1).gt(0.5).to(images.dtype()),
                                     F::MaxPool2dFuncOptions(3).stride(1).padding(1))
                           .gt(0);  // [N, 1, H, W]
  auto background = images;
  auto hole = covered;
  for (const auto& dims : {std::vector<int64_t>{3}, {2}, {2, 3}}) {
    const auto fill = hole.logical_and(covered.flip(dims).logical_not());
    background = torch::where(fill, images.flip(dims), background);
    hole = hole.logical_and(fill.logical_not());
  }
  return background;
}

}  // namespace

Batch swap_backgrounds(const Batch& batch) {
  const auto annotated = batch.has_mask.nonzero().flatten();
  if (annotated.size(0) < 2) return batch;
  const auto donors = annotated.roll(1);  // sample annotated[i] takes annotated[i - 1]'s background
  const auto s = batch.masks.index_select(0, annotated).unsqueeze(1).to(batch.images.dtype());
  const auto backgrounds = digit_free_backgrounds(batch.images.index_select(0, donors),
                                                  batch.masks.index_select(0, donors));
  Batch swapped = batch;
  swapped.images = batch.images.index_put(
      {annotated}, s * batch.images.index_select(0, annotated) + (1 - s) * backgrounds);
  return swapped;
}

}  // namespace reff::data
