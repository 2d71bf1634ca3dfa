// ResNets built like torchvision's (torchvision/models/resnet.py): the same modules under the
// same names (conv1, bn1, layer1..layer4 with blocks 0..n-1 holding conv1/bn1/conv2/bn2[/conv3/bn3]
// and downsample.0/.1, fc), so torchvision state dicts map one to one. The explained layers are
// the outputs of the four stages.
//
// `small_resnet` is the cpu preset's network: the same blocks, configurable width and depth, and
// a 3x3 stride-1 stem without max-pooling for small canvases.
//
// With `attention_branch`, the network is ABN's (attention_branch.h): the attention branch reads
// the layer3 features f and layer4 continues from f (.) (1 + M(x)); the logits are the perception
// branch's. The explained layer3 is f itself.
#pragma once

#include "reff/models/attention_branch.h"
#include "reff/models/tapped_model.h"
#include "reff/names.h"

#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include "reff/models/batch_norm.h"

#include <array>
#include <memory>
#include <string>

namespace reff::models {

enum class Block { basic, bottleneck };

struct ResNetOptions {
  Block block = Block::basic;
  std::array<int64_t, 4> blocks = {2, 2, 2, 2};  // blocks per stage
  int64_t width = 64;                            // channels of the first stage (x2 per stage)
  bool imagenet_stem = true;  // 7x7 stride-2 conv + 3x3 max-pool; else 3x3 stride-1, no pool
  int64_t num_classes = 1000;
  bool attention_branch = false;  // ABN
};

class ResNet : public TappedModel {
 public:
  explicit ResNet(const ResNetOptions& options);
  Tapped forward(const torch::Tensor& images) override;
  // Every BatchNorm folded into its convolution, activations in place (evaluation mode only).
  std::unique_ptr<Predictor> predictor() override;
  const ResNetOptions& options() const { return options_; }

 private:
  class FoldedPredictor;
  torch::nn::Sequential make_stage(int64_t planes, int64_t blocks, int64_t stride);

  ResNetOptions options_;
  int64_t inplanes_;
  torch::nn::Conv2d conv1{nullptr};
  BatchNorm2d bn1{nullptr};
  std::array<torch::nn::Sequential, 4> stages_ = {nullptr, nullptr, nullptr, nullptr};
  torch::nn::Linear fc{nullptr};
  std::shared_ptr<AttentionBranch> attention_;
};

std::shared_ptr<ResNet> resnet18(int64_t num_classes = 1000);
std::shared_ptr<ResNet> resnet34(int64_t num_classes = 1000);
std::shared_ptr<ResNet> resnet50(int64_t num_classes = 1000);

struct SmallResNetOptions {
  int64_t width = 16;                            // first stage channels
  std::array<int64_t, 4> blocks = {1, 1, 1, 1};  // basic blocks per stage
  int64_t num_classes = 10;
  bool attention_branch = false;  // ABN
};
std::shared_ptr<ResNet> small_resnet(const SmallResNetOptions& options);

// The networks by name (--model): reff's small ResNet, whose width and depth SmallResNetOptions
// sets, and torchvision's ImageNet ResNets.
struct Architecture {
  const char* name;
  Block block;
  std::array<int64_t, 4> blocks;  // per stage; the small one's: SmallResNetOptions
  bool small = false;
};
inline constexpr Architecture kArchitectures[] = {
    {"small", Block::basic, {}, true},
    {"resnet18", Block::basic, {2, 2, 2, 2}},
    {"resnet34", Block::basic, {3, 4, 6, 3}},
    {"resnet50", Block::bottleneck, {3, 4, 6, 3}},
};
inline std::string model_names() { return names_of(kArchitectures, " | "); }

// By name (kArchitectures). Throws reff::Error for other names.
std::shared_ptr<ResNet> make_resnet(const std::string& name, int64_t num_classes,
                                    const SmallResNetOptions& small = {},
                                    bool attention_branch = false);

}  // namespace reff::models
