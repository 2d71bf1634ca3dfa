#include "reff/models/attention_branch.h"

namespace reff::models {
namespace nn = torch::nn;

namespace {
nn::Conv2d conv(int64_t in, int64_t out, int64_t kernel) {
  return nn::Conv2d(nn::Conv2dOptions(in, out, kernel).padding(kernel / 2).bias(false));
}
}  // namespace

AttentionBranch::AttentionBranch(int64_t channels, int64_t classes)
    : conv1(register_module("conv1", conv(channels, channels, 3))),
      bn1(register_module("bn1", BatchNorm2d(channels))),
      to_classes(register_module("to_classes", conv(channels, classes, 1))),
      scores(register_module("scores", conv(classes, classes, 1))),
      to_map(register_module("to_map", conv(classes, 1, 1))),
      map_bn(register_module("map_bn", BatchNorm2d(1))) {}

Attention AttentionBranch::forward(const torch::Tensor& features) {
  const auto h = torch::relu(to_classes(torch::relu(bn1(conv1(features)))));
  return {scores(h).mean({2, 3}), torch::sigmoid(map_bn(to_map(h)))};
}

}  // namespace reff::models
