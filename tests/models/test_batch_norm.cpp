#include "reff/models/batch_norm.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace reff::models {
namespace {

// In one process (synchronised or not) reff's BatchNorm2d is LibTorch's, step for step.
TEST(BatchNorm2d, MatchesLibTorchsInTrainingAndEvaluation) {
  torch::manual_seed(3);
  BatchNorm2d ours(5);
  synchronise_batchnorm(*ours.ptr());  // one process: no effect
  torch::nn::BatchNorm2d theirs(5);
  ours->weight.data().uniform_(0.5, 1.5);
  theirs->weight.data().copy_(ours->weight.data());
  for (int step = 0; step < 3; ++step) {
    const auto x = torch::randn({4, 5, 6, 7}) * 3 + 1;
    EXPECT_TRUE(torch::allclose(ours(x), theirs(x), 1e-6, 1e-6));
  }
  EXPECT_TRUE(torch::allclose(ours->running_mean, theirs->running_mean));
  EXPECT_TRUE(torch::allclose(ours->running_var, theirs->running_var));
  EXPECT_EQ(ours->num_batches_tracked.item<int64_t>(), 3);
  ours->eval();
  theirs->eval();
  const auto x = torch::randn({2, 5, 3, 3});
  EXPECT_TRUE(torch::allclose(ours(x), theirs(x), 1e-6, 1e-6));
  // The same state dict names as LibTorch's (and torchvision's).
  std::vector<std::string> ours_names, theirs_names;
  for (const auto& item : ours->named_parameters()) ours_names.push_back(item.key());
  for (const auto& item : ours->named_buffers()) ours_names.push_back(item.key());
  for (const auto& item : theirs->named_parameters()) theirs_names.push_back(item.key());
  for (const auto& item : theirs->named_buffers()) theirs_names.push_back(item.key());
  EXPECT_EQ(ours_names, theirs_names);
}

// On the CPU in training, the fused path: LibTorch's forward and first derivative, bit for bit.
TEST(BatchNorm2d, FusedPathKeepsLibTorchsForwardAndGradientsExactly) {
  torch::manual_seed(4);
  BatchNorm2d ours(6);
  torch::nn::BatchNorm2d theirs(6);
  ours->weight.data().uniform_(0.5, 1.5);
  theirs->weight.data().copy_(ours->weight.data());
  for (int step = 0; step < 2; ++step) {
    const auto x = (torch::randn({5, 6, 7, 9}) * 2 + 1).requires_grad_();
    const auto x_theirs = x.detach().clone().requires_grad_();
    const auto y = ours(x), y_theirs = theirs(x_theirs);
    EXPECT_TRUE(torch::equal(y, y_theirs));
    const auto g = torch::randn_like(y);
    y.backward(g);
    y_theirs.backward(g);
    EXPECT_TRUE(torch::equal(x.grad(), x_theirs.grad()));
  }
  EXPECT_TRUE(torch::equal(ours->weight.grad(), theirs->weight.grad()));
  EXPECT_TRUE(torch::equal(ours->bias.grad(), theirs->bias.grad()));
  EXPECT_TRUE(torch::equal(ours->running_mean, theirs->running_mean));
  EXPECT_TRUE(torch::equal(ours->running_var, theirs->running_var));
  // An empty batch leaves the running statistics as they were, as LibTorch's does.
  const auto empty = torch::zeros({0, 6, 7, 9});
  EXPECT_EQ(ours(empty).sizes(), theirs(empty).sizes());
  EXPECT_TRUE(torch::equal(ours->running_mean, theirs->running_mean));
  EXPECT_TRUE(torch::equal(ours->running_var, theirs->running_var));
}

// The derivatives of the first derivative (x, gamma, dL/dy), from the gradients arriving at
// dL/dx, dL/dgamma and dL/dbeta: reff's fused second derivative against LibTorch's composite.
std::vector<torch::Tensor> second_derivatives(torch::nn::AnyModule bn, const torch::Tensor& x0,
                                              const torch::Tensor& gamma, bool only_input) {
  const auto x = x0.clone().requires_grad_();
  const auto y = bn.forward(x);
  const auto g = (torch::randn_like(y) * 0.5 + 0.1).requires_grad_();
  std::vector<torch::Tensor> inputs = {x};
  if (!only_input) inputs.push_back(gamma);
  const auto first = torch::autograd::grad({y}, inputs, {g}, true, true);
  auto total = (first[0] * torch::randn_like(x)).sum();
  if (!only_input) total = total + (first[1] * torch::randn_like(gamma)).sum();
  return torch::autograd::grad({total}, {x, gamma, g});
}

TEST(BatchNorm2d, FusedSecondDerivativeMatchesLibTorchs) {
  for (const bool only_input : {true, false}) {  // ReFF's Grad-CAM needs dL/dx only
    for (const auto layout : {at::MemoryFormat::Contiguous, at::MemoryFormat::ChannelsLast}) {
      for (const auto type : {torch::kDouble, torch::kFloat}) {
        BatchNorm2d ours(5);
        torch::nn::BatchNorm2d theirs(5);
        ours->to(type);
        theirs->to(type);
        ours->weight.data().uniform_(0.5, 1.5);
        theirs->weight.data().copy_(ours->weight.data());
        const auto x = (torch::randn({4, 5, 6, 11}, type) * 3 - 1).contiguous(layout);
        torch::manual_seed(7);
        const auto expected =
            second_derivatives(torch::nn::AnyModule(theirs), x, theirs->weight, only_input);
        torch::manual_seed(7);
        const auto got =
            second_derivatives(torch::nn::AnyModule(ours), x, ours->weight, only_input);
        const double tolerance = type == torch::kDouble ? 1e-10 : 2e-4;
        for (size_t i = 0; i < got.size(); ++i) {
          EXPECT_TRUE(torch::allclose(got[i], expected[i], tolerance, tolerance))
              << "derivative " << i << (only_input ? ", dL/dx only" : "") << ", " << type << ", "
              << layout << ": largest difference "
              << (got[i] - expected[i]).abs().max().item<double>();
        }
      }
    }
  }
}

TEST(BatchNorm2d, RefusesAThirdDerivative) {
  BatchNorm2d bn(3);
  const auto x = torch::randn({4, 3, 5, 5}, torch::kDouble).requires_grad_();
  bn->to(torch::kDouble);
  const auto y = bn(x);
  const auto first = torch::autograd::grad({(y * y).sum()}, {x}, {}, true, true)[0];
  const auto twice = (first * first).sum();
  EXPECT_THROW(torch::autograd::grad({twice}, {x}, {}, true, /*create_graph=*/true),
               std::exception);
  EXPECT_NO_THROW(torch::autograd::grad({twice}, {x}));
}

}  // namespace
}  // namespace reff::models
