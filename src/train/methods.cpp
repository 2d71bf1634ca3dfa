#include "reff/train/methods.h"

#include "reff/error.h"
#include "reff/names.h"

namespace reff::train {

const std::vector<MethodInfo>& methods() {
  using regularizers::l1_to_mask;
  using regularizers::l2_to_mask;
  using regularizers::outside_mask;
  static const std::vector<MethodInfo> registry = {
      {Method::baseline, "baseline", "Baseline", "cross-entropy only", MethodNeeds::nothing},
      {Method::reff, "reff", "ReFF", "Grad-CAM mass outside the mask (Eq. 3)",
       MethodNeeds::grad_cam, outside_mask},
      {Method::reff_l1, "reff-l1", "ReFF (L1)", "L1 distance of the Grad-CAMs to the mask",
       MethodNeeds::grad_cam, l1_to_mask},
      {Method::reff_l2, "reff-l2", "ReFF (L2)", "squared L2 distance of the Grad-CAMs to the mask",
       MethodNeeds::grad_cam, l2_to_mask},
      {Method::rrr, "rrr", "RRR",
       "input-gradient penalty outside the mask (Right for the Right "
       "Reasons)",
       MethodNeeds::input_gradients},
      // lambda is ABN's gamma; the seed's value.
      {Method::abn, "abn", "ABN", "Attention Branch Network with its map loss",
       MethodNeeds::attention_branch, nullptr, 10.0},
  };
  return registry;
}

const MethodInfo& method_info(Method method) {
  for (const auto& info : methods())
    if (info.method == method) return info;
  throw Error("method_info: a method missing from the registry");
}

std::string method_names(const char* separator) { return names_of(methods(), separator); }

std::string method_help() {
  std::string help;
  for (const auto& info : methods())
    help += (help.empty() ? "" : "; ") + std::string(info.name) + ": " + info.help;
  return help;
}

Method parse_method(const std::string& name) {
  return find_named(methods(), "--method", name).method;
}

std::string method_name(Method method) { return method_info(method).name; }

}  // namespace reff::train
