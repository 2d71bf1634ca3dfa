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

}  // namespace
}  // namespace reff::models
