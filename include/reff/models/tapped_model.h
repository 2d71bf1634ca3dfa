// What reff needs from a model it explains: the logits together with the feature maps of the
// layers to explain (LibTorch has no forward hooks, so the model returns them itself).
// Any LibTorch CNN can take part by deriving from TappedModel.
#pragma once

#include <torch/nn/module.h>
#include <torch/types.h>

#include <vector>

namespace reff::models {

struct Tapped {
  torch::Tensor logits;                 // [B, classes]
  std::vector<torch::Tensor> features;  // per explained layer: [B, K_l, H_l, W_l]
  // Attention Branch Network only (undefined otherwise): the attention branch's class scores
  // [B, classes] and its attention map M(x) [B, 1, h, w] in [0, 1].
  torch::Tensor attention_scores;
  torch::Tensor attention;
};

class TappedModel : public torch::nn::Module {
 public:
  virtual Tapped forward(const torch::Tensor& images) = 0;
};

}  // namespace reff::models
