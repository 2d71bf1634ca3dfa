// What reff needs from a model it explains: the logits together with the feature maps of the
// layers to explain (LibTorch has no forward hooks, so the model returns them itself).
// Any LibTorch CNN can take part by deriving from TappedModel.
#pragma once

#include <torch/nn/module.h>
#include <torch/types.h>

#include <map>
#include <memory>
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

// Logits for a run of batches while the weights stay as they are (evaluation's inference loop):
// made with the model in evaluation mode and used under torch::InferenceMode. A model may prepare
// a faster equivalent of its forward pass once for the run (ResNet folds each BatchNorm into the
// convolution before it); the logits agree with forward()'s up to float rounding.
class Predictor {
 public:
  virtual ~Predictor() = default;
  virtual torch::Tensor logits(const torch::Tensor& images) = 0;
};

class TappedModel : public torch::nn::Module {
 public:
  virtual Tapped forward(const torch::Tensor& images) = 0;
  // The default runs forward() itself.
  virtual std::unique_ptr<Predictor> predictor();
};

inline std::unique_ptr<Predictor> TappedModel::predictor() {
  struct Forward : Predictor {
    explicit Forward(TappedModel& model) : model(model) {}
    torch::Tensor logits(const torch::Tensor& images) override {
      return model.forward(images).logits;
    }
    TappedModel& model;
  };
  return std::make_unique<Forward>(*this);
}

}  // namespace reff::models
