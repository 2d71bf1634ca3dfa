// The usual train-time augmentation of ImageNet fine-tuning (torchvision's RandomResizedCrop and
// RandomHorizontalFlip), applied to each image and its mask together: the same box, the same flip.
#pragma once

#include "reff/data/rng.h"
#include "reff/data/tensor_dataset.h"

namespace reff::data {

struct AugmentOptions {
  double min_area = 0.08, max_area = 1.0;           // crop area as a share of the image
  double min_ratio = 3.0 / 4, max_ratio = 4.0 / 3;  // crop aspect ratio (width / height)
  double flip = 0.5;                                // probability of a horizontal flip
};

struct CropBox {
  int64_t top = 0, left = 0, height = 0, width = 0;
};
// torchvision's rule: up to ten tries of a random area and log-uniform ratio that fit in the
// image, else the largest centred box of a ratio within the range.
CropBox random_crop_box(int64_t height, int64_t width, Rng& rng, const AugmentOptions& options);

// Each sample cropped by its own box and resized back to the batch's H x W (bilinear), flipped
// with probability `flip`. Labels and has-mask flags are unchanged.
Batch augment(const Batch& batch, Rng& rng, const AugmentOptions& options = {});

// Background swapping, the competitor that needs the same masks as ReFF (docs/method.md): each
// annotated sample's foreground is pasted onto the background of the previous annotated sample in
// the batch, x'_b = s_b (.) x_b + (1 - s_b) (.) bg_prev(b), so the background stops predicting
// the label. bg is the donor with its own digit removed (its widened mask filled from its mirror
// images), so no second digit shows. Labels, masks and samples without a mask are unchanged.
Batch swap_backgrounds(const Batch& batch);

}  // namespace reff::data
