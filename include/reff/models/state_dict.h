// A module's weights as a state dict: the names torchvision uses (reff's ResNets register their
// children under torchvision's names, so `model.state_dict()` of torchvision's ResNet-18/34/50
// maps one to one), read from and written to `.pth` files (pth_file.h).
#pragma once

#include "reff/models/pth_file.h"

#include <torch/nn/module.h>

#include <string>
#include <vector>

namespace reff::models {

// Every parameter and buffer by its full name ("layer1.0.conv1.weight", ...).
NamedTensors state_dict(const torch::nn::Module& module);

struct LoadStateDictOptions {
  // Prefixes of tensors (e.g. "fc.") that keep the module's initial values when their shape in
  // the file differs: a new head for another class count on a pretrained backbone.
  std::vector<std::string> replaceable;
  // Prefixes of the module's tensors the file may lack (they keep their initial values): a part
  // torchvision's networks do not have, such as ABN's attention branch.
  std::vector<std::string> absent;
};

// Copies each tensor into the module's parameter or buffer of the same name. The names must be
// the same on both sides and the shapes equal (except `replaceable` ones); a reff::Error names
// `source` and the first name that does not fit. Returns the names kept at their initial values.
std::vector<std::string> load_state_dict(torch::nn::Module& module, const NamedTensors& tensors,
                                         const std::string& source,
                                         const LoadStateDictOptions& options = {});

}  // namespace reff::models
