#include "reff/train/precision.h"

#include "reff/device.h"
#include "reff/error.h"

#include <ATen/Context.h>
#include <ATen/autocast_mode.h>
#include <torch/version.h>

namespace reff::train {
namespace {

// LibTorch 2.4 replaced the per-device autocast switches by functions of the device type.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
bool autocast_enabled(torch::DeviceType device) {
  return at::autocast::is_autocast_enabled(device);
}
void set_autocast(torch::DeviceType device, bool enabled) {
  at::autocast::set_autocast_enabled(device, enabled);
}
torch::ScalarType autocast_dtype(torch::DeviceType device) {
  return at::autocast::get_autocast_dtype(device);
}
void set_autocast_dtype(torch::DeviceType device, torch::ScalarType dtype) {
  at::autocast::set_autocast_dtype(device, dtype);
}
#else
bool autocast_enabled(torch::DeviceType device) {
  return device == torch::kCUDA ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
}
void set_autocast(torch::DeviceType device, bool enabled) {
  device == torch::kCUDA ? at::autocast::set_enabled(enabled)
                         : at::autocast::set_cpu_enabled(enabled);
}
torch::ScalarType autocast_dtype(torch::DeviceType device) {
  return device == torch::kCUDA ? at::autocast::get_autocast_gpu_dtype()
                                : at::autocast::get_autocast_cpu_dtype();
}
void set_autocast_dtype(torch::DeviceType device, torch::ScalarType dtype) {
  device == torch::kCUDA ? at::autocast::set_autocast_gpu_dtype(dtype)
                         : at::autocast::set_autocast_cpu_dtype(dtype);
}
#endif

}  // namespace

AutocastScope::AutocastScope(Precision precision, torch::DeviceType device) : device_(device) {
  if (precision == Precision::fp32) return;
  REFF_REQUIRE(device == torch::kCUDA || precision == Precision::bf16, "--precision",
               "fp16 needs a CUDA device (bf16 runs on the CPU)");
  active_ = true;
  was_enabled_ = autocast_enabled(device);
  previous_dtype_ = autocast_dtype(device);
  set_autocast(device, true);
  set_autocast_dtype(device, precision == Precision::bf16 ? torch::kBFloat16 : torch::kFloat16);
  at::autocast::increment_nesting();
}

AutocastScope::~AutocastScope() {
  if (!active_) return;
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();  // cached weight casts
  set_autocast(device_, was_enabled_);
  set_autocast_dtype(device_, previous_dtype_);
}

void prepare_step_kernels(torch::nn::Module& model, bool channels_last) {
  if (device_of(model).is_cuda()) at::globalContext().setBenchmarkCuDNN(true);
  if (!channels_last) return;
  for (auto& p : model.parameters())
    if (p.dim() == 4) p.set_data(p.data().contiguous(torch::MemoryFormat::ChannelsLast));
}

LossScaler::LossScaler(bool enabled, double scale, int64_t growth_interval)
    : enabled_(enabled), scale_(scale), growth_interval_(growth_interval) {}

torch::Tensor LossScaler::scale(const torch::Tensor& loss) const {
  return enabled_ ? loss * scale_ : loss;
}

bool LossScaler::unscale(const std::vector<torch::Tensor>& parameters) {
  if (!enabled_) return true;
  std::vector<torch::Tensor> finite_each;
  for (const auto& p : parameters) {
    if (!p.grad().defined()) continue;
    p.grad().div_(scale_);
    finite_each.push_back(torch::isfinite(p.grad()).all());
  }
  const bool finite = finite_each.empty() || torch::stack(finite_each).all().item<bool>();
  if (!finite) {
    scale_ /= 2;
    good_steps_ = 0;
  } else if (++good_steps_ == growth_interval_) {
    scale_ *= 2;
    good_steps_ = 0;
  }
  return finite;
}

void LossScaler::restore(double scale, int64_t good_steps) {
  scale_ = scale;
  good_steps_ = good_steps;
}

}  // namespace reff::train
