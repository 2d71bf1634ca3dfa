// What reff needs from a model it explains: the logits together with the feature maps of the
// layers to explain (LibTorch has no forward hooks, so the model returns them itself).
// Any LibTorch CNN can take part by deriving from TappedModel.
#pragma once

#include <torch/nn/module.h>
#include <torch/types.h>

#include <map>
#include <string>
#include <vector>

namespace reff::models {

struct Tapped {
  torch::Tensor logits;                 // [B, classes]
  std::vector<torch::Tensor> features;  // per explained layer: [B, K_l, H_l, W_l]
  // What a particular model returns besides, by name (the Attention Branch Network's:
  // attention_branch.h); empty for a plain classifier.
  std::map<std::string, torch::Tensor> extra;
};

class TappedModel : public torch::nn::Module {
 public:
  virtual Tapped forward(const torch::Tensor& images) = 0;
};

}  // namespace reff::models
