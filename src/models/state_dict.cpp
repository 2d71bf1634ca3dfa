#include "reff/models/state_dict.h"

#include "reff/error.h"
#include "reff/shape_text.h"

#include <algorithm>
#include <map>

namespace reff::models {

NamedTensors state_dict(const torch::nn::Module& module) {
  NamedTensors tensors;
  for (const auto& p : module.named_parameters()) tensors.emplace_back(p.key(), p.value());
  for (const auto& b : module.named_buffers()) tensors.emplace_back(b.key(), b.value());
  return tensors;
}

namespace {

bool has_prefix(const std::string& name, const std::vector<std::string>& prefixes) {
  for (const auto& prefix : prefixes)
    if (name.compare(0, prefix.size(), prefix) == 0) return true;
  return false;
}

std::string shape(const torch::Tensor& tensor) { return shape_text(tensor.sizes()); }

}  // namespace

std::vector<std::string> load_state_dict(torch::nn::Module& module, const NamedTensors& tensors,
                                         const std::string& source,
                                         const LoadStateDictOptions& options) {
  std::map<std::string, torch::Tensor> given;
  for (const auto& [name, tensor] : tensors) given.emplace(name, tensor);
  // Check everything before changing anything: a file that does not fit leaves the model as it was.
  std::vector<std::string> kept;
  auto own = state_dict(module);
  for (const auto& [name, target] : own) {
    const auto found = given.find(name);
    if (found == given.end() && has_prefix(name, options.absent)) {
      kept.push_back(name);
      continue;
    }
    REFF_REQUIRE(found != given.end(), source, "has no tensor " + name + " (the model has)");
    const auto& tensor = found->second;
    if (tensor.sizes() != target.sizes()) {
      REFF_REQUIRE(
          has_prefix(name, options.replaceable), source,
          name + " is " + shape(tensor) + " in the file but " + shape(target) + " in the model");
      kept.push_back(name);
    }
    REFF_REQUIRE(tensor.is_floating_point() == target.is_floating_point(), source,
                 name + " has type " + std::string(c10::toString(tensor.scalar_type())) +
                     ", the model " + c10::toString(target.scalar_type()));
  }
  std::map<std::string, bool> names;
  for (const auto& entry : own) names[entry.first] = true;
  for (const auto& [name, tensor] : given)
    REFF_REQUIRE(names.count(name) > 0, source,
                 "holds " + name + ", which the model does not have");
  torch::NoGradGuard no_grad;
  for (auto& [name, target] : own) {
    if (std::find(kept.begin(), kept.end(), name) != kept.end()) continue;
    target.copy_(given.at(name));  // `target` shares the module's storage
  }
  return kept;
}

}  // namespace reff::models
