#include "reff/error.h"
#include "reff/models/resnet.h"

#include <gtest/gtest.h>

namespace reff::models {
namespace {

int64_t parameter_count(torch::nn::Module& module) {
  int64_t count = 0;
  for (const auto& p : module.parameters()) count += p.numel();
  return count;
}

TEST(ResNet, HasTorchvisionsParameterCountsAndNames) {
  // torchvision's ResNet-18 / -50 with 1000 classes: 11,689,512 and 25,557,032 parameters.
  auto r18 = resnet18();
  auto r50 = resnet50();
  EXPECT_EQ(parameter_count(*r18), 11689512);
  EXPECT_EQ(parameter_count(*r50), 25557032);
  EXPECT_EQ(parameter_count(*resnet34()), 21797672);
  const auto params = r50->named_parameters();
  for (const char* name :
       {"conv1.weight", "bn1.bias", "layer1.0.conv3.weight", "layer1.0.downsample.0.weight",
        "layer1.0.downsample.1.weight", "layer3.5.bn2.weight", "layer4.2.conv3.weight", "fc.weight",
        "fc.bias"}) {
    EXPECT_TRUE(params.contains(name)) << name;
  }
  const auto buffers = r18->named_buffers();
  EXPECT_TRUE(buffers.contains("layer2.0.downsample.1.running_mean"));
  EXPECT_TRUE(buffers.contains("bn1.num_batches_tracked"));
  EXPECT_FALSE(r18->named_parameters().contains("layer1.0.downsample.0.weight"));
}

TEST(ResNet, TapsTheFourStageOutputs) {
  auto r18 = resnet18(7);
  const auto out = r18->forward(torch::randn({2, 3, 64, 64}));
  EXPECT_EQ(out.logits.sizes(), (std::vector<int64_t>{2, 7}));
  ASSERT_EQ(out.features.size(), 4u);
  EXPECT_EQ(out.features[0].sizes(), (std::vector<int64_t>{2, 64, 16, 16}));
  EXPECT_EQ(out.features[3].sizes(), (std::vector<int64_t>{2, 512, 2, 2}));
}

TEST(SmallResNet, KeepsTheCanvasResolutionInItsFirstStage) {
  auto small = small_resnet({8, {1, 2, 1, 1}, 10});
  const auto out = small->forward(torch::randn({3, 3, 40, 40}));
  ASSERT_EQ(out.features.size(), 4u);
  EXPECT_EQ(out.features[0].sizes(), (std::vector<int64_t>{3, 8, 40, 40}));
  EXPECT_EQ(out.features[1].sizes(), (std::vector<int64_t>{3, 16, 20, 20}));
  EXPECT_EQ(out.features[3].sizes(), (std::vector<int64_t>{3, 64, 5, 5}));
  EXPECT_TRUE(small->named_parameters().contains("layer2.1.conv2.weight"));
  EXPECT_THROW(make_resnet("vgg16", 10), Error);
  EXPECT_EQ(model_names(), "small | resnet18 | resnet34 | resnet50");  // --model's help
}

}  // namespace
}  // namespace reff::models
