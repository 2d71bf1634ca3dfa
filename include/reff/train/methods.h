// The training methods, one registry. Each entry is a method's name, help line and column label,
// what its training step computes, the explanation penalty it minimises and its own default
// lambda. Parsing --method, its help, the trainer's loss, the experiments' columns and the smoke
// tests' list all come from here: a new explanation-loss variant is its penalty (its own file,
// regularizers/explanation_loss.h), one enum value and one registry line, and its test.
#pragma once

#include "reff/regularizers/explanation_loss.h"

#include <optional>
#include <string>
#include <vector>

namespace reff::train {

enum class Method { baseline, reff, reff_l1, reff_l2, rrr, abn };

// What a method's training step computes besides the classification loss.
enum class MethodNeeds {
  nothing,           // the baseline
  grad_cam,          // multi-layer Grad-CAMs with create_graph, penalised by `penalty`
  input_gradients,   // d(log-softmax)/d(input), Right for the Right Reasons
  attention_branch,  // ABN: a model built with an attention branch, and its map loss
};

struct MethodInfo {
  Method method;
  const char* name;   // --method, config.json, experiment folders
  const char* label;  // its column in the experiments' tables
  const char* help;
  MethodNeeds needs;
  regularizers::PixelPenalty penalty = nullptr;  // grad_cam: the penalty on the maps
  std::optional<double> lambda;                  // its own default lambda; else the preset's
};

const std::vector<MethodInfo>& methods();  // the registry, in --method's order
const MethodInfo& method_info(Method method);
Method parse_method(const std::string& name);  // Error naming --method and the known names
std::string method_name(Method method);
std::string method_names(const char* separator = " | ");
std::string method_help();  // --method's help: each name with its help line

}  // namespace reff::train
