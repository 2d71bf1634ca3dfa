#include "reff/models/batch_norm.h"

#include "batch_norm_training.h"
#include "reff/distributed/process_group.h"

#include <ATen/Context.h>
#include <torch/autograd.h>

namespace reff::models {
namespace {

// y = sum over ranks of x; dL/dx = sum over ranks of dL/dy (by this same function, so that the
// gradient's graph can be differentiated again).
struct AllReduceSum : torch::autograd::Function<AllReduceSum> {
  static torch::Tensor forward(torch::autograd::AutogradContext*, const torch::Tensor& x) {
    return distributed::world().sum(x);
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext*,
                                                 torch::autograd::variable_list grads) {
    return {AllReduceSum::apply(grads[0])};
  }
};

}  // namespace

torch::Tensor batch_norm(const torch::Tensor& input, const torch::Tensor& weight,
                         const torch::Tensor& bias, const torch::Tensor& running_mean,
                         const torch::Tensor& running_var, bool training, double momentum,
                         double eps) {
  if (training && fused_batch_norm_applies(input, weight))
    return batch_norm_training(input, weight, bias, running_mean, running_var, momentum, eps);
  return torch::batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps,
                           at::globalContext().userEnabledCuDNN());
}

BatchNorm2dImpl::BatchNorm2dImpl(int64_t channels_, double eps_, double momentum_)
    : channels(channels_), eps(eps_), momentum(momentum_) {
  reset();
}

void BatchNorm2dImpl::reset() {
  weight = register_parameter("weight", torch::ones({channels}));
  bias = register_parameter("bias", torch::zeros({channels}));
  running_mean = register_buffer("running_mean", torch::zeros({channels}));
  running_var = register_buffer("running_var", torch::ones({channels}));
  num_batches_tracked = register_buffer("num_batches_tracked", torch::zeros({}, torch::kInt64));
}

torch::Tensor BatchNorm2dImpl::forward(const torch::Tensor& input) {
  if (is_training()) {
    torch::NoGradGuard no_grad;
    num_batches_tracked += 1;
  }
  if (!synchronised || !is_training() || distributed::world().size() == 1)
    return batch_norm(input, weight, bias, running_mean, running_var, is_training(), momentum, eps);
  const std::vector<int64_t> dims = {0, 2, 3};
  const std::vector<int64_t> shape = {1, channels, 1, 1};
  // Sums and the count in one all-reduce; the count is a constant of the graph.
  const auto count = torch::full({1}, double(input.numel() / channels), input.options());
  const auto totals = AllReduceSum::apply(torch::cat({input.sum(dims), count}));
  const auto n = totals[channels].detach();
  const auto mean = totals.slice(0, 0, channels) / n;
  const auto centred = input - mean.view(shape);
  const auto variance = AllReduceSum::apply(centred.pow(2).sum(dims)) / n;
  const auto output =
      centred * torch::rsqrt(variance + eps).view(shape) * weight.view(shape) + bias.view(shape);
  torch::NoGradGuard no_grad;
  running_mean.mul_(1 - momentum).add_(mean.detach(), momentum);
  running_var.mul_(1 - momentum).add_(variance.detach() * n / (n - 1), momentum);
  return output;
}

void BatchNorm2dImpl::pretty_print(std::ostream& stream) const {
  stream << "reff::models::BatchNorm2d(" << channels << ", eps=" << eps << ", momentum=" << momentum
         << (synchronised ? ", synchronised" : "") << ")";
}

void synchronise_batchnorm(torch::nn::Module& model) {
  for (const auto& module : model.modules(/*include_self=*/false)) {
    if (auto* bn = module->as<BatchNorm2dImpl>()) bn->synchronised = true;
  }
}

}  // namespace reff::models
