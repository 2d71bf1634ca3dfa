// The one place that decides where tensors live. Code takes the device of the model it is given
// (`device_of`) and moves batches there; nothing else assumes CPU or CUDA.
#pragma once

#include <torch/nn/module.h>

#include <string>

namespace reff {

// "auto" (CUDA when this LibTorch sees a GPU, else CPU), "cpu", "cuda" or "cuda:N". Throws
// reff::Error naming --device for other names and for CUDA where none is available.
// In a distributed run, "auto" and "cuda" mean this process's GPU: cuda:LOCAL_RANK (modulo the
// count).
torch::Device parse_device(const std::string& name);

// The device of the module's first parameter (CPU for a module without parameters).
torch::Device device_of(const torch::nn::Module& module);

}  // namespace reff
