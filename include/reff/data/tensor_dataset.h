// A data set held in memory as tensors (uint8 images and masks, as generated), batched on demand
// into what the trainer consumes: normalised float images, labels, masks and has-mask flags.
#pragma once

#include "reff/data/textured_mnist.h"

#include <torch/types.h>

namespace reff::data {

struct Batch {
  torch::Tensor images;    // float [B, 3, H, W], normalised with kMean / kStd
  torch::Tensor labels;    // int64 [B]
  torch::Tensor masks;     // float [B, H, W], 1 on task-relevant pixels
  torch::Tensor has_mask;  // bool [B]
  int64_t size() const { return labels.size(0); }
};

// ImageNet's channel statistics (the paper fine-tunes ImageNet-pretrained ResNets).
constexpr float kMean[3] = {0.485f, 0.456f, 0.406f};
constexpr float kStd[3] = {0.229f, 0.224f, 0.225f};
torch::Tensor normalise(const torch::Tensor& images_u8);  // uint8 [B,3,H,W] -> float
torch::Tensor denormalise(const torch::Tensor& images);   // float -> uint8

class TensorDataset {
 public:
  TensorDataset() = default;
  // images uint8 [N, 3, H, W]; labels int64 [N]; masks uint8 [N, H, W]; has_mask bool [N].
  TensorDataset(torch::Tensor images, torch::Tensor labels, torch::Tensor masks,
                torch::Tensor has_mask);
  // Samples 0 .. count - 1 of a generator (all cores); every sample has its mask.
  static TensorDataset from_textured_mnist(const TexturedMnist& generator, int64_t count);

  int64_t size() const { return images_.defined() ? images_.size(0) : 0; }
  Batch batch(const torch::Tensor& indices) const;
  Batch slice(int64_t begin, int64_t end) const;
  const torch::Tensor& images() const { return images_; }
  const torch::Tensor& labels() const { return labels_; }
  const torch::Tensor& masks() const { return masks_; }

 private:
  torch::Tensor images_, labels_, masks_, has_mask_;
};

}  // namespace reff::data
