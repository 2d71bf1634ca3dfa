#include "reff/models/pix2pix.h"

#include "reff/error.h"

#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/dropout.h>

namespace reff::models {
namespace nn = torch::nn;

namespace {

nn::Conv2d down_conv(int64_t in, int64_t out) {
  return nn::Conv2d(nn::Conv2dOptions(in, out, 4).stride(2).padding(1).bias(false));
}

// Never in place: the explanation losses elsewhere need double back-propagation, and these
// networks share the conventions.
nn::LeakyReLU leaky() { return nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(0.2)); }

// pix2pix's initialisation: N(0, 0.02) for convolutions, N(1, 0.02) for BatchNorm scales.
void init_pix2pix(nn::Module& module) {
  torch::NoGradGuard no_grad;
  for (auto& child : module.modules(/*include_self=*/false)) {
    if (auto* c = child->as<nn::Conv2d>()) {
      c->weight.normal_(0.0, 0.02);
      if (c->bias.defined()) c->bias.zero_();
    } else if (auto* t = child->as<nn::ConvTranspose2d>()) {
      t->weight.normal_(0.0, 0.02);
      if (t->bias.defined()) t->bias.zero_();
    } else if (auto* bn = child->as<nn::BatchNorm2d>()) {
      bn->weight.normal_(1.0, 0.02);
      bn->bias.zero_();
    }
  }
}

}  // namespace

int64_t unet_depth(int64_t size) {
  int64_t depth = 0;
  while (depth < 8 && size % 2 == 0 && size >= 2) {
    size /= 2;
    ++depth;
  }
  return std::max<int64_t>(depth, 1);
}

UNetGenerator::UNetGenerator(int64_t image_size, int64_t base) : depth_(unet_depth(image_size)) {
  REFF_REQUIRE(image_size >= 2 && image_size % 2 == 0, "annotator",
               "image size must be even, got " + std::to_string(image_size));
  REFF_REQUIRE(base > 0, "annotator", "base channels must be positive");
  auto channels = [&](int64_t step) { return base * std::min<int64_t>(int64_t{1} << step, 8); };
  // Encoder step k: channels(k-1) -> channels(k); the first reads the 3 image channels.
  for (int64_t k = 0; k < depth_; ++k) {
    nn::Sequential step;
    if (k > 0) step->push_back(leaky());
    step->push_back(down_conv(k == 0 ? 3 : channels(k - 1), channels(k)));
    if (k > 0 && k < depth_ - 1) step->push_back(nn::BatchNorm2d(channels(k)));
    down_->push_back(step);
  }
  // Decoder step k (innermost first) mirrors encoder step depth-1-k; all but the innermost read
  // the previous decoder output concatenated with the encoder's skip.
  for (int64_t k = 0; k < depth_; ++k) {
    const int64_t level = depth_ - 1 - k;
    const int64_t in = k == 0 ? channels(level) : 2 * channels(level);
    const bool outermost = level == 0;
    const int64_t out = outermost ? 1 : channels(level - 1);
    nn::Sequential step;
    step->push_back(nn::ReLU());
    step->push_back(nn::ConvTranspose2d(
        nn::ConvTranspose2dOptions(in, out, 4).stride(2).padding(1).bias(outermost)));
    if (!outermost) step->push_back(nn::BatchNorm2d(out));
    if (!outermost && k >= 1 && k <= 3 && level >= 1) step->push_back(nn::Dropout(0.5));
    up_->push_back(step);
  }
  register_module("down", down_);
  register_module("up", up_);
  init_pix2pix(*this);
}

torch::Tensor UNetGenerator::forward(const torch::Tensor& images) {
  REFF_REQUIRE(images.dim() == 4 && images.size(1) == 3, "the annotator", "expects [B, 3, H, W]");
  std::vector<torch::Tensor> skips;
  auto x = images;
  for (const auto& step : *down_) {
    x = step->as<nn::Sequential>()->forward(x);
    skips.push_back(x);
  }
  for (int64_t k = 0; k < depth_; ++k) {
    if (k > 0) x = torch::cat({x, skips[depth_ - 1 - k]}, 1);
    x = up_[k]->as<nn::Sequential>()->forward(x);
  }
  return torch::sigmoid(x);
}

PatchDiscriminator::PatchDiscriminator(int64_t base) {
  REFF_REQUIRE(base > 0, "annotator", "base channels must be positive");
  auto conv = [](int64_t in, int64_t out, int64_t stride, bool bias) {
    return nn::Conv2d(nn::Conv2dOptions(in, out, 4).stride(stride).padding(1).bias(bias));
  };
  layers_ = nn::Sequential(conv(4, base, 2, true), leaky(),  //
                           conv(base, 2 * base, 2, false), nn::BatchNorm2d(2 * base), leaky(),
                           conv(2 * base, 4 * base, 2, false), nn::BatchNorm2d(4 * base), leaky(),
                           conv(4 * base, 8 * base, 1, false), nn::BatchNorm2d(8 * base), leaky(),
                           conv(8 * base, 1, 1, true));
  register_module("model", layers_);
  init_pix2pix(*this);
}

torch::Tensor PatchDiscriminator::forward(const torch::Tensor& images, const torch::Tensor& masks) {
  return layers_->forward(torch::cat({images, masks}, 1));
}

}  // namespace reff::models
