#include "reff/models/resnet.h"

#include "reff/error.h"
#include "resnet_blocks.h"

#include <torch/nn/functional/activation.h>
#include <torch/nn/init.h>

namespace reff::models {
namespace {

namespace nn = torch::nn;

using detail::BasicBlock;
using detail::Bottleneck;
using detail::conv;
using detail::PointwiseConv;

int64_t expansion(Block block) {
  return block == Block::basic ? BasicBlock::kExpansion : Bottleneck::kExpansion;
}

}  // namespace

ResNet::ResNet(const ResNetOptions& options) : options_(options), inplanes_(options.width) {
  REFF_REQUIRE(options.width > 0 && options.num_classes > 0, "model",
               "width and classes must be > 0");
  for (int64_t b : options.blocks) REFF_REQUIRE(b > 0, "model", "every stage needs a block");
  conv1 = register_module(
      "conv1", options.imagenet_stem ? conv(3, inplanes_, 7, 2) : conv(3, inplanes_, 3, 1));
  bn1 = register_module("bn1", BatchNorm2d(inplanes_));
  for (size_t s = 0; s < 4; ++s) {
    stages_[s] = register_module("layer" + std::to_string(s + 1),
                                 make_stage(options.width << s, options.blocks[s], s == 0 ? 1 : 2));
  }
  fc = register_module("fc", nn::Linear(inplanes_, options.num_classes));
  if (options.attention_branch) {
    const int64_t layer3_channels = (options.width << 2) * expansion(options.block);
    attention_ = register_module(
        "attention", std::make_shared<AttentionBranch>(layer3_channels, options.num_classes));
  }

  // torchvision's initialisation: He (fan-out) for convolutions, BatchNorm at identity.
  for (auto& module : modules(/*include_self=*/false)) {
    if (auto* c = module->as<nn::Conv2d>()) {
      nn::init::kaiming_normal_(c->weight, 0.0, torch::kFanOut, torch::kReLU);
    } else if (auto* bn = module->as<BatchNorm2d>()) {
      nn::init::ones_(bn->weight);
      nn::init::zeros_(bn->bias);
    }
  }
}

nn::Sequential ResNet::make_stage(int64_t planes, int64_t blocks, int64_t stride) {
  const int64_t out = planes * expansion(options_.block);
  nn::Sequential stage;
  for (int64_t b = 0; b < blocks; ++b) {
    nn::Sequential downsample{nullptr};
    const int64_t block_stride = b == 0 ? stride : 1;
    if (b == 0 && (stride != 1 || inplanes_ != out)) {
      downsample = nn::Sequential(PointwiseConv(inplanes_, out, stride), BatchNorm2d(out));
    }
    if (options_.block == Block::basic) {
      stage->push_back(std::make_shared<BasicBlock>(inplanes_, planes, block_stride, downsample));
    } else {
      stage->push_back(std::make_shared<Bottleneck>(inplanes_, planes, block_stride, downsample));
    }
    inplanes_ = out;
  }
  return stage;
}

Tapped ResNet::forward(const torch::Tensor& images) {
  detail::require_images(images);
  auto x = torch::relu(bn1(conv1(images)));
  if (options_.imagenet_stem) {
    x = detail::stem_pool(x);
  }
  Tapped out;
  for (size_t s = 0; s < stages_.size(); ++s) {
    x = stages_[s]->forward(x);
    out.features.push_back(x);
    if (s == detail::kAttentionStage && attention_) {
      auto attention = attention_->forward(x);
      out.extra[kAttentionScores] = attention.scores;
      out.extra[kAttentionMap] = attention.map;
      x = detail::attended(x, attention.map);
    }
  }
  out.logits = fc(x.mean({2, 3}));
  return out;
}

std::shared_ptr<ResNet> resnet18(int64_t num_classes) {
  return make_resnet("resnet18", num_classes);
}
std::shared_ptr<ResNet> resnet34(int64_t num_classes) {
  return make_resnet("resnet34", num_classes);
}
std::shared_ptr<ResNet> resnet50(int64_t num_classes) {
  return make_resnet("resnet50", num_classes);
}
std::shared_ptr<ResNet> small_resnet(const SmallResNetOptions& options) {
  return std::make_shared<ResNet>(ResNetOptions{Block::basic, options.blocks, options.width, false,
                                                options.num_classes, options.attention_branch});
}

std::shared_ptr<ResNet> make_resnet(const std::string& name, int64_t num_classes,
                                    const SmallResNetOptions& small, bool attention_branch) {
  const auto& architecture = find_named(kArchitectures, "--model", name);
  if (architecture.small) {
    auto small_options = small;
    small_options.num_classes = num_classes;
    small_options.attention_branch = attention_branch;
    return small_resnet(small_options);
  }
  return std::make_shared<ResNet>(ResNetOptions{architecture.block, architecture.blocks, 64, true,
                                                num_classes, attention_branch});
}

}  // namespace reff::models
