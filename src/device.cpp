#include "reff/device.h"

#include "reff/distributed/process_group.h"
#include "reff/error.h"

#include <torch/cuda.h>

namespace reff {
namespace {

// "cuda" without an index: this process's GPU, one per process on a machine (LOCAL_RANK).
torch::Device local_gpu() {
  const auto count = static_cast<int>(torch::cuda::device_count());
  return torch::Device(torch::kCUDA,
                       static_cast<c10::DeviceIndex>(distributed::world().local_rank() % count));
}

}  // namespace

torch::Device parse_device(const std::string& name) {
  if (name == "auto") return torch::cuda::is_available() ? local_gpu() : torch::kCPU;
  if (name == "cpu") return torch::kCPU;
  REFF_REQUIRE(name == "cuda" || name.rfind("cuda:", 0) == 0, "--device",
               "'" + name + "' is not one of auto, cpu, cuda, cuda:N");
  REFF_REQUIRE(torch::cuda::is_available(), "--device",
               name +
                   " asked for, but this LibTorch build sees no CUDA device (build against a CUDA "
                   "LibTorch on a GPU machine: README, GPU builds)");
  try {
    const torch::Device device = name == "cuda" ? local_gpu() : torch::Device(name);
    REFF_REQUIRE(
        !device.has_index() || device.index() < static_cast<int>(torch::cuda::device_count()),
        "--device",
        name + ": only " + std::to_string(torch::cuda::device_count()) + " CUDA device(s) here");
    return device;
  } catch (const c10::Error&) {
    throw Error("--device: '" + name + "' is not a device name (cuda or cuda:N)");
  }
}

torch::Device device_of(const torch::nn::Module& module) {
  const auto parameters = module.parameters();
  return parameters.empty() ? torch::Device(torch::kCPU) : parameters.front().device();
}

}  // namespace reff
