// Checkpoints: the model's parameters and buffers, the optimiser's state and a JSON state (epoch,
// history, ...), in one LibTorch archive behind a header with its length and CRC-32. Written to a
// temporary file and renamed into place; the checkpoint it replaces is kept as PATH.prev, so a
// crash at any moment leaves a complete one, and a truncated or altered file is detected.
#pragma once

#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace reff::train {

std::string previous_checkpoint(const std::string& path);  // PATH.prev
// Whether PATH or PATH.prev exists.
bool has_checkpoint(const std::string& path);
// Throws reff::Error("<dir>: already holds <what>; pass --resume or choose another --out") when
// has_checkpoint(path): a new run there would overwrite it.
void require_no_checkpoint(const std::string& path, const std::string& dir,
                           const std::string& what);

// `optimizers` may be empty (a model-only checkpoint) or hold several (a GAN's two).
void save_checkpoint(const std::string& path, const torch::nn::Module& model,
                     const std::vector<const torch::optim::Optimizer*>& optimizers,
                     const nlohmann::json& state);

// Loads into `model` (and the optimizers when given) and returns the JSON state. A missing,
// truncated or damaged file falls back to PATH.prev, saying so on stderr. Throws reff::Error naming
// the file when neither can be read or it does not fit the model (a parameter of another shape;
// the model's contents are then unspecified).
nlohmann::json load_checkpoint(const std::string& path, torch::nn::Module& model,
                               const std::vector<torch::optim::Optimizer*>& optimizers = {});

}  // namespace reff::train
