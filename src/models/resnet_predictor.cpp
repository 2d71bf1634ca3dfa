// ResNet's predictor (tapped_model.h): the forward pass in evaluation mode with every BatchNorm
// folded into the convolution before it and the activations updated in place. On the cpu
// preset's model a third of an inference forward went to BatchNorm and out-of-place ReLUs
// (docs/results/performance.md).
#include "reff/error.h"
#include "reff/models/resnet.h"
#include "resnet_blocks.h"

#include <torch/nn/functional/conv.h>

#include <optional>

namespace reff::models {
namespace {

namespace F = torch::nn::functional;

// A convolution and the BatchNorm after it, in evaluation mode, as one convolution:
//   BN(conv(x; W, b)) = conv(x; W s, (b - mu) s + beta),   s = gamma / sqrt(sigma^2 + eps)
// with BN's running statistics mu and sigma^2 (per output channel).
class FoldedConv {
 public:
  FoldedConv(const torch::nn::Conv2d& conv, const BatchNorm2d& bn) {
    const auto& o = conv->options;
    REFF_REQUIRE(torch::enumtype::get_enum_name(o.padding_mode()) == "kZeros", "ResNet",
                 "only zero-padded convolutions fold");
    options_ = F::Conv2dFuncOptions()
                   .stride(o.stride())
                   .padding(o.padding())
                   .dilation(o.dilation())
                   .groups(o.groups());
    torch::NoGradGuard no_grad;
    const auto scale = bn->weight / torch::sqrt(bn->running_var + bn->eps);
    weight_ =
        (conv->weight * scale.view({-1, 1, 1, 1})).contiguous(conv->weight.suggest_memory_format());
    const auto conv_bias = o.bias() ? conv->bias : torch::zeros_like(bn->running_mean);
    options_.bias((conv_bias - bn->running_mean) * scale + bn->bias);
  }
  torch::Tensor operator()(const torch::Tensor& x) const { return F::conv2d(x, weight_, options_); }

 private:
  torch::Tensor weight_;
  F::Conv2dFuncOptions options_;
};

// ReLU(out + shortcut) into `out`: one pass on the CPU.
torch::Tensor add_relu_(torch::Tensor& out, const torch::Tensor& shortcut) {
  return out.is_cpu() ? torch::_add_relu_(out, shortcut) : out.add_(shortcut).relu_();
}

// A residual block: ReLU after every convolution but the last, then ReLU(out + shortcut).
struct FoldedBlock {
  std::vector<FoldedConv> convs;
  std::optional<FoldedConv> downsample;

  torch::Tensor operator()(const torch::Tensor& x) const {
    auto out = x;
    for (size_t i = 0; i + 1 < convs.size(); ++i) out = convs[i](out).relu_();
    out = convs.back()(out);
    return add_relu_(out, downsample ? (*downsample)(x) : x);
  }
};

std::optional<FoldedConv> fold_downsample(const torch::nn::Sequential& downsample) {
  if (!downsample) return std::nullopt;
  return FoldedConv(
      torch::nn::Conv2d(std::dynamic_pointer_cast<torch::nn::Conv2dImpl>(downsample->ptr(0))),
      BatchNorm2d(downsample->ptr<BatchNorm2dImpl>(1)));
}

FoldedBlock fold_block(const torch::nn::Module& module) {
  if (const auto* b = module.as<detail::BasicBlock>()) {
    return {{{b->conv1, b->bn1}, {b->conv2, b->bn2}}, fold_downsample(b->downsample)};
  }
  const auto* b = module.as<detail::Bottleneck>();
  REFF_REQUIRE(b != nullptr, "ResNet", "a stage holds a block of an unknown kind");
  return {{{b->conv1, b->bn1}, {b->conv2, b->bn2}, {b->conv3, b->bn3}},
          fold_downsample(b->downsample)};
}

}  // namespace

class ResNet::FoldedPredictor : public Predictor {
 public:
  explicit FoldedPredictor(const ResNet& net)
      : stem_(net.conv1, net.bn1),
        imagenet_stem_(net.options_.imagenet_stem),
        fc_(net.fc),
        attention_(net.attention_) {
    for (size_t s = 0; s < net.stages_.size(); ++s) {
      for (const auto& block : net.stages_[s]->children()) stages_[s].push_back(fold_block(*block));
    }
  }

  torch::Tensor logits(const torch::Tensor& images) override {
    detail::require_images(images);
    auto x = stem_(images).relu_();
    if (imagenet_stem_) x = detail::stem_pool(x);
    for (size_t s = 0; s < stages_.size(); ++s) {
      for (const auto& block : stages_[s]) x = block(x);
      if (s == detail::kAttentionStage && attention_)
        x = detail::attended(x, attention_->forward(x).map);
    }
    return fc_(x.mean({2, 3}));
  }

 private:
  FoldedConv stem_;
  bool imagenet_stem_;
  std::array<std::vector<FoldedBlock>, 4> stages_;
  torch::nn::Linear fc_;
  std::shared_ptr<AttentionBranch> attention_;
};

std::unique_ptr<Predictor> ResNet::predictor() {
  REFF_REQUIRE(!is_training(), "ResNet", "a predictor folds BatchNorm: evaluation mode only");
  return std::make_unique<FoldedPredictor>(*this);
}

}  // namespace reff::models
