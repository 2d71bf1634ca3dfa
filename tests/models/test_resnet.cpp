#include "reff/error.h"
#include "reff/models/resnet.h"

#include <ATen/Parallel.h>

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

TEST(ResNet, DownsamplesInChannelsLastAsAStridedConvolutionWould) {
  // The shortcut's 1x1 stride-2 convolution, channels-last on the CPU: the same output and
  // gradients, bit for bit, as LibTorch's strided convolution on an even batch (where that is
  // sound), and no heap corruption on the odd batches of few channels where it is not (on oneDNN
  // 2.6 with two threads, channels-last images aborted this within a few steps).
  torch::manual_seed(0);
  auto small = small_resnet({4, {1, 1, 1, 1}, 3});
  auto shortcut = small->named_modules()["layer2.0.downsample"]->as<torch::nn::Sequential>();
  ASSERT_NE(shortcut, nullptr);
  const auto weight = small->named_parameters()["layer2.0.downsample.0.weight"];
  auto& norm = *shortcut->ptr<BatchNorm2dImpl>(1);
  const auto x = torch::randn({8, 4, 24, 24}).contiguous(at::MemoryFormat::ChannelsLast);
  const auto g = torch::randn({8, 8, 12, 12});
  namespace F = torch::nn::functional;
  const auto ours = shortcut->forward(x);
  const auto theirs = norm.forward(F::conv2d(x, weight, F::Conv2dFuncOptions().stride(2)));
  EXPECT_TRUE(torch::equal(ours, theirs));
  EXPECT_TRUE(torch::equal(torch::autograd::grad({ours}, {weight}, {g})[0],
                           torch::autograd::grad({theirs}, {weight}, {g})[0]));

  const auto threads = at::get_num_threads();
  at::set_num_threads(2);
  for (int step = 0; step < 20; ++step) {
    const auto images = torch::randn({3, 3, 24, 24}).contiguous(at::MemoryFormat::ChannelsLast);
    small->zero_grad();
    small->forward(images).logits.sum().backward();
  }
  at::set_num_threads(threads);
  EXPECT_TRUE(small->named_parameters()["layer2.0.downsample.0.weight"].grad().defined());
}

// Statistics and affine parameters away from BatchNorm's identity, so that folding them matters.
void randomise_batchnorm(torch::nn::Module& model) {
  torch::NoGradGuard no_grad;
  for (const auto& module : model.modules()) {
    if (auto* bn = module->as<BatchNorm2dImpl>()) {
      bn->running_mean.normal_(0, 0.5);
      bn->running_var.uniform_(0.2, 3);
      bn->weight.uniform_(0.5, 1.5);
      bn->bias.normal_(0, 0.5);
    }
  }
}

TEST(ResNet, ItsPredictorGivesForwardsLogitsWithBatchNormFolded) {
  torch::manual_seed(3);
  struct Case {
    std::shared_ptr<ResNet> model;
    int64_t size;
  };
  for (auto& c : {Case{small_resnet({8, {1, 2, 1, 1}, 5}), 24},
                  Case{small_resnet({8, {1, 1, 1, 1}, 5, /*attention_branch=*/true}), 24},
                  Case{make_resnet("resnet50", 5), 64}}) {
    randomise_batchnorm(*c.model);
    c.model->eval();
    for (const bool channels_last : {false, true}) {
      auto images = torch::randn({3, 3, c.size, c.size});
      if (channels_last) {  // NHWC weights and images, as the CPU baseline runs
        torch::NoGradGuard no_grad;
        for (auto& p : c.model->parameters()) {
          if (p.dim() == 4) p.set_data(p.data().contiguous(torch::MemoryFormat::ChannelsLast));
        }
        images = images.contiguous(torch::MemoryFormat::ChannelsLast);
      }
      torch::InferenceMode inference;
      const auto expected = c.model->forward(images).logits;
      const auto logits = c.model->predictor()->logits(images);
      EXPECT_TRUE(torch::allclose(logits, expected, 1e-4, 1e-4))
          << (logits - expected).abs().max().item<float>();
      EXPECT_TRUE(logits.argmax(1).equal(expected.argmax(1)));
    }
  }
}

TEST(ResNet, FoldsBatchNormOnlyInEvaluationMode) {
  auto model = small_resnet({4, {1, 1, 1, 1}, 3});
  model->train();
  EXPECT_THROW(model->predictor(), Error);
}

}  // namespace
}  // namespace reff::models
