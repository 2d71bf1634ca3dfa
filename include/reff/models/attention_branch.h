// The attention branch of the Attention Branch Network (ABN, Fukui et al. CVPR 2019;
// docs/method.md, the competing method): from the layer3 features f it gives
//   h = ReLU(conv1x1_{C->K}(ReLU(BN(conv3x3_{C->C}(f)))))
//   class scores = GAP(conv1x1_{K->K}(h))           (trained with their own cross-entropy)
//   M(x) = sigmoid(BN(conv1x1_{K->1}(h)))  in [0, 1] (the attention map, [B, 1, h, w])
// The perception branch then continues from f (.) (1 + M(x)) (resnet.h).
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include "reff/models/batch_norm.h"

namespace reff::models {

// Their names among a TappedModel's extra outputs (tapped_model.h).
constexpr const char* kAttentionScores = "attention_scores";
constexpr const char* kAttentionMap = "attention";

struct Attention {
  torch::Tensor scores;  // [B, K]
  torch::Tensor map;     // M(x), [B, 1, h, w]
};

class AttentionBranch : public torch::nn::Module {
 public:
  AttentionBranch(int64_t channels, int64_t classes);
  Attention forward(const torch::Tensor& features);

 private:
  torch::nn::Conv2d conv1{nullptr};
  BatchNorm2d bn1{nullptr};
  torch::nn::Conv2d to_classes{nullptr};
  torch::nn::Conv2d scores{nullptr};
  torch::nn::Conv2d to_map{nullptr};
  BatchNorm2d map_bn{nullptr};
};

}  // namespace reff::models
