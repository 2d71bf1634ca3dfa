// BatchNorm2d (as LibTorch's and torchvision's: the same parameters and buffers under the same
// names, the same arithmetic) that can instead normalise with the statistics of the global batch
// of a distributed run (synchronised BatchNorm), twice differentiable for ReFF's double
// back-propagation. In training on the CPU its second derivative is fused: two passes over the
// activation instead of LibTorch's composite (src/models/batch_norm_training.h).
//
// Synchronised, in training, with more than one process: N = the global count of values per
// channel,
//   mu = (1/N) sum_ranks sum x,  sigma^2 = (1/N) sum_ranks sum (x - mu)^2,
//   y = (x - mu) / sqrt(sigma^2 + eps) * weight + bias,
// the sums by an all-reduce whose backward is the all-reduce of the gradients (itself
// differentiable), and the running statistics updated with mu and the unbiased N/(N-1) sigma^2.
#pragma once

#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>

#include <ostream>

namespace reff::models {

class BatchNorm2dImpl : public torch::nn::Cloneable<BatchNorm2dImpl> {
 public:
  explicit BatchNorm2dImpl(int64_t channels, double eps = 1e-5, double momentum = 0.1);
  void reset() override;
  torch::Tensor forward(const torch::Tensor& input);
  void pretty_print(std::ostream& stream) const override;

  int64_t channels;
  double eps, momentum;
  bool synchronised = false;
  torch::Tensor weight, bias, running_mean, running_var, num_batches_tracked;
};
TORCH_MODULE(BatchNorm2d);

// torch::batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps),
// as a BatchNorm2d of one process computes it: in training on the CPU with the fused second
// derivative where that applies, else LibTorch's; the same outputs and running statistics. For
// modules that are not reff's (the Python package's reff.nn.BatchNorm2d).
torch::Tensor batch_norm(const torch::Tensor& input, const torch::Tensor& weight,
                         const torch::Tensor& bias, const torch::Tensor& running_mean,
                         const torch::Tensor& running_var, bool training, double momentum,
                         double eps);

// Makes every reff BatchNorm2d in `model` synchronised (distributed::world() gives the ranks).
void synchronise_batchnorm(torch::nn::Module& model);

}  // namespace reff::models
