// Mixed precision for the training step. `--precision bf16|fp16` runs the forward pass, the
// Grad-CAMs and the explanation loss under autocast (convolutions and matrix products in 16 bits,
// reductions and losses in 32); the backward pass and the SGD update stay in fp32 on fp32 weights.
// fp16 has too few exponent bits for small gradients, so its loss is scaled (LossScaler); bf16
// keeps fp32's range and needs no scaling. fp32 (the default) changes nothing.
#pragma once

#include "reff/names.h"

#include <torch/nn/module.h>
#include <torch/types.h>

#include <string>
#include <vector>

namespace reff::train {

enum class Precision { fp32, bf16, fp16 };
inline constexpr Named<Precision> kPrecisions[] = {
    {Precision::fp32, "fp32"}, {Precision::bf16, "bf16"}, {Precision::fp16, "fp16"}};
inline const auto& name_table(Precision) { return kPrecisions; }

// Autocast on `device` for the lifetime of the object (nothing for fp32).
class AutocastScope {
 public:
  AutocastScope(Precision precision, torch::DeviceType device);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool active_ = false;
  torch::DeviceType device_;
  bool was_enabled_ = false;
  torch::ScalarType previous_dtype_ = torch::kFloat32;
};

// Sets up the kernels a run of training steps uses, for the trainer and the benchmark alike: cuDNN
// autotuning when the model is on a CUDA device (the shapes are fixed), and with `channels_last`
// the convolution weights converted to channels-last (NHWC) memory layout, in place.
void prepare_step_kernels(torch::nn::Module& model, bool channels_last);

// Dynamic loss scaling for fp16: the loss is multiplied by `scale` before backward; the gradients
// are divided by it again before the update. A step whose gradients overflowed (inf or NaN) is
// skipped and the scale halved; after `growth_interval` good steps in a row it doubles.
class LossScaler {
 public:
  explicit LossScaler(bool enabled, double scale = 65536.0, int64_t growth_interval = 2000);
  torch::Tensor scale(const torch::Tensor& loss) const;  // loss * scale (the loss when disabled)
  // Unscales the gradients in place; false when one of them is not finite (skip the step).
  bool unscale(const std::vector<torch::Tensor>& parameters);
  double current() const { return scale_; }
  int64_t good_steps() const { return good_steps_; }
  void restore(double scale, int64_t good_steps);  // from a checkpoint

 private:
  bool enabled_;
  double scale_;
  int64_t growth_interval_;
  int64_t good_steps_ = 0;
};

}  // namespace reff::train
