// The pseudo-annotator's networks, as pix2pix (Isola et al. 2017): a U-Net generator x -> s and a
// conditional PatchGAN discriminator on (x, s).
//
// Generator: `depth` encoder steps (4x4 convolution, stride 2; BatchNorm except the first;
// LeakyReLU 0.2) and as many decoder steps (ReLU; 4x4 transposed convolution, stride 2;
// BatchNorm; dropout 0.5 in the three innermost decoder steps; skip connections by
// concatenation). pix2pix uses 8 steps for 256 px (down to 1x1); here the depth adapts to the
// image: as many halvings as the size allows (at most 8), so 40 px gets 3, 224 px 5, 256 px 8.
// The output is a sigmoid: s in [0, 1].
//
// Discriminator (the paper's 5-layer CNN): 4x4 convolutions with 64, 128, 256, 512 and 1 output
// channels, strides 2, 2, 2, 1, 1, padding 1, BatchNorm on the middle three, LeakyReLU 0.2.
// It sees the image and the mask concatenated (4 channels) and gives a map of patch logits.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/container/sequential.h>

namespace reff::models {

// How many times `size` can be halved exactly (at most 8, at least 1).
int64_t unet_depth(int64_t size);

class UNetGenerator : public torch::nn::Module {
 public:
  // `base`: channels after the first encoder step (pix2pix: 64), doubling up to 8 x base.
  UNetGenerator(int64_t image_size, int64_t base = 64);
  torch::Tensor forward(const torch::Tensor& images);  // [B, 3, H, W] -> [B, 1, H, W] in [0, 1]
  int64_t depth() const { return depth_; }

 private:
  int64_t depth_;
  torch::nn::ModuleList down_, up_;
};

class PatchDiscriminator : public torch::nn::Module {
 public:
  explicit PatchDiscriminator(int64_t base = 64);  // channels base, 2, 4, 8 x base, 1
  torch::Tensor forward(const torch::Tensor& images, const torch::Tensor& masks);

 private:
  torch::nn::Sequential layers_;
};

}  // namespace reff::models
