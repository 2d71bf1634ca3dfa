// A data set held in memory as tensors (uint8 images and masks, as generated), batched on demand
// into what the trainer consumes: normalised float images, labels, masks and has-mask flags.
#pragma once

#include "reff/data/textured_mnist.h"

#include <torch/types.h>

#include <vector>

namespace reff::data {

struct Batch {
  torch::Tensor images;    // float [B, 3, H, W], normalised with kMean / kStd
  torch::Tensor labels;    // int64 [B]
  torch::Tensor masks;     // float [B, H, W] in [0, 1], 1 on task-relevant pixels
  torch::Tensor has_mask;  // bool [B]
  // How many samples have a mask, counted on the host when the batch was made (-1: not counted),
  // so that a step can skip a mask-free batch without waiting for the GPU.
  int64_t masked = -1;
  int64_t size() const { return labels.size(0); }
  Batch to(torch::Device device) const;  // itself when already there
};

// ImageNet's channel statistics (the paper fine-tunes ImageNet-pretrained ResNets).
constexpr float kMean[3] = {0.485f, 0.456f, 0.406f};
constexpr float kStd[3] = {0.229f, 0.224f, 0.225f};
torch::Tensor normalise(const torch::Tensor& images_u8);  // uint8 [B,3,H,W] -> float

class TensorDataset {
 public:
  TensorDataset() = default;
  // images uint8 [N, 3, H, W]; labels int64 [N]; masks uint8 [N, H, W] (0..255 for 0..1, so
  // soft pseudo-annotations fit too); has_mask bool [N].
  TensorDataset(torch::Tensor images, torch::Tensor labels, torch::Tensor masks,
                torch::Tensor has_mask);
  // Samples 0 .. count - 1 of a generator (all cores); every sample has its mask.
  static TensorDataset from_textured_mnist(const TexturedMnist& generator, int64_t count);

  int64_t size() const { return images_.defined() ? images_.size(0) : 0; }
  Batch batch(const torch::Tensor& indices) const;
  TensorDataset subset(const std::vector<int64_t>& indices) const;
  // Indices of the samples that have a mask, ascending.
  std::vector<int64_t> masked_indices() const;
  // Indices of the samples whose mask marks no pixel relevant, ascending.
  std::vector<int64_t> empty_mask_indices() const;
  // Algorithm 1's training set: samples in `annotated` (D1) keep their masks; the others (D2)
  // take `pseudo` (float [N, H, W] in [0, 1]; binarised at `threshold` when it is in (0, 1)), or
  // no mask at all when `pseudo` is undefined.
  TensorDataset with_annotations(const std::vector<int64_t>& annotated, const torch::Tensor& pseudo,
                                 double threshold = -1) const;
  Batch slice(int64_t begin, int64_t end) const;
  const torch::Tensor& images() const { return images_; }
  const torch::Tensor& labels() const { return labels_; }
  const torch::Tensor& masks() const { return masks_; }
  const torch::Tensor& has_mask() const { return has_mask_; }

 private:
  torch::Tensor images_, labels_, masks_, has_mask_;
};

}  // namespace reff::data
