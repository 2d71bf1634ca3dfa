// The residual blocks of resnet.h (torchvision's BasicBlock and Bottleneck, the same module
// names), shared by the network (resnet.cpp) and its inference predictor (resnet_predictor.cpp).
#pragma once

#include "reff/error.h"
#include "reff/models/batch_norm.h"

#include <torch/nn/functional/conv.h>
#include <torch/nn/functional/pooling.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>

namespace reff::models::detail {

inline void require_images(const torch::Tensor& images) {
  REFF_REQUIRE(images.dim() == 4 && images.size(1) == 3, "ResNet", "expects images [B, 3, H, W]");
}

// The ImageNet stem's 3x3 stride-2 max-pool.
inline torch::Tensor stem_pool(const torch::Tensor& x) {
  namespace F = torch::nn::functional;
  return F::max_pool2d(x, F::MaxPool2dFuncOptions(3).stride(2).padding(1));
}

// ABN: the perception branch reads the features f of the stage after index kAttentionStage
// (layer3) as f (.) (1 + M(x)), M the attention branch's map.
constexpr size_t kAttentionStage = 2;
inline torch::Tensor attended(const torch::Tensor& features, const torch::Tensor& map) {
  return features * (1 + map);
}

inline torch::nn::Conv2d conv(int64_t in, int64_t out, int64_t kernel, int64_t stride) {
  return torch::nn::Conv2d(
      torch::nn::Conv2dOptions(in, out, kernel).stride(stride).padding(kernel / 2).bias(false));
}

// A downsampling shortcut's 1x1 convolution of stride s, computed in channels-last on the CPU as
// the stride-1 convolution of every s-th pixel: the same numbers, bit for bit, but off oneDNN
// 2.6's strided 1x1 weight gradient (LibTorch 1.13), which writes out of bounds with two threads
// and an odd batch of few channels (e.g. 3 x 4 x 24 x 24) and corrupts the heap.
struct PointwiseConvImpl : torch::nn::Conv2dImpl {
  PointwiseConvImpl(int64_t in, int64_t out, int64_t stride)
      : torch::nn::Conv2dImpl(torch::nn::Conv2dOptions(in, out, 1).stride(stride).bias(false)) {}
  torch::Tensor forward(const torch::Tensor& x) {
    const int64_t stride = options.stride()->at(0);
    if (stride == 1 || !x.is_cpu() || x.is_contiguous() ||
        !x.is_contiguous(at::MemoryFormat::ChannelsLast))
      return torch::nn::Conv2dImpl::forward(x);
    return torch::nn::functional::conv2d(
        x.slice(2, 0, c10::nullopt, stride).slice(3, 0, c10::nullopt, stride), weight);
  }
};
TORCH_MODULE(PointwiseConv);

// ReLUs are never in place: in-place activations break double back-propagation.
struct BasicBlock : torch::nn::Module {
  static constexpr int64_t kExpansion = 1;
  BasicBlock(int64_t inplanes, int64_t planes, int64_t stride, torch::nn::Sequential downsample_)
      : conv1(register_module("conv1", conv(inplanes, planes, 3, stride))),
        bn1(register_module("bn1", BatchNorm2d(planes))),
        conv2(register_module("conv2", conv(planes, planes, 3, 1))),
        bn2(register_module("bn2", BatchNorm2d(planes))),
        downsample(downsample_) {
    if (downsample) register_module("downsample", downsample);
  }
  torch::Tensor forward(const torch::Tensor& x) {
    auto out = torch::relu(bn1(conv1(x)));
    out = bn2(conv2(out));
    return torch::relu(out + (downsample ? downsample->forward(x) : x));
  }
  torch::nn::Conv2d conv1;
  BatchNorm2d bn1;
  torch::nn::Conv2d conv2;
  BatchNorm2d bn2;
  torch::nn::Sequential downsample;
};

struct Bottleneck : torch::nn::Module {
  static constexpr int64_t kExpansion = 4;
  Bottleneck(int64_t inplanes, int64_t planes, int64_t stride, torch::nn::Sequential downsample_)
      : conv1(register_module("conv1", conv(inplanes, planes, 1, 1))),
        bn1(register_module("bn1", BatchNorm2d(planes))),
        conv2(register_module("conv2", conv(planes, planes, 3, stride))),
        bn2(register_module("bn2", BatchNorm2d(planes))),
        conv3(register_module("conv3", conv(planes, planes * kExpansion, 1, 1))),
        bn3(register_module("bn3", BatchNorm2d(planes * kExpansion))),
        downsample(downsample_) {
    if (downsample) register_module("downsample", downsample);
  }
  torch::Tensor forward(const torch::Tensor& x) {
    auto out = torch::relu(bn1(conv1(x)));
    out = torch::relu(bn2(conv2(out)));
    out = bn3(conv3(out));
    return torch::relu(out + (downsample ? downsample->forward(x) : x));
  }
  torch::nn::Conv2d conv1;
  BatchNorm2d bn1;
  torch::nn::Conv2d conv2;
  BatchNorm2d bn2;
  torch::nn::Conv2d conv3;
  BatchNorm2d bn3;
  torch::nn::Sequential downsample;
};

}  // namespace reff::models::detail
