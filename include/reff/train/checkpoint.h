// Checkpoints: the model's parameters and buffers, the optimiser's state and a JSON state (epoch,
// history, ...), in one LibTorch archive. Written to a temporary file and renamed into place, so
// a checkpoint on disk is always complete.
#pragma once

#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace reff::train {

// `optimizers` may be empty (a model-only checkpoint) or hold several (a GAN's two).
void save_checkpoint(const std::string& path, const torch::nn::Module& model,
                     const std::vector<const torch::optim::Optimizer*>& optimizers,
                     const nlohmann::json& state);

// Loads into `model` (and the optimizers when given) and returns the JSON state. Throws reff::Error
// naming the file when it is missing, unreadable or does not fit the model (a parameter of
// another shape; the model's contents are then unspecified).
nlohmann::json load_checkpoint(const std::string& path, torch::nn::Module& model,
                               const std::vector<torch::optim::Optimizer*>& optimizers = {});

}  // namespace reff::train
