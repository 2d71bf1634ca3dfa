#include "reff/train/methods.h"

#include "reff/error.h"
#include "reff/names.h"
#include "reff/train/method_losses.h"

namespace reff::train {

const std::vector<MethodInfo>& methods() {
  using explain::CamRectifier;
  using explain::CamTarget;
  using regularizers::l1_to_mask;
  using regularizers::l2_to_mask;
  using regularizers::outside_mask;
  static const std::vector<MethodInfo> registry = {
      {"baseline", "Baseline", "cross-entropy only", nullptr, MethodNeeds::nothing,
       cross_entropy_only},
      {"reff", "ReFF", "Grad-CAM mass outside the mask (Eq. 3)", "reff_loss", MethodNeeds::grad_cam,
       grad_cam_penalty, outside_mask},
      {"reff-l1", "ReFF (L1)", "L1 distance of the Grad-CAMs to the mask", "reff_l1_loss",
       MethodNeeds::grad_cam, grad_cam_penalty, l1_to_mask},
      {"reff-l2", "ReFF (L2)", "squared L2 distance of the Grad-CAMs to the mask", "reff_l2_loss",
       MethodNeeds::grad_cam, grad_cam_penalty, l2_to_mask},
      {"rrr", "RRR", "input-gradient penalty outside the mask (Right for the Right Reasons)",
       "rrr_loss", MethodNeeds::input_gradients, input_gradient_penalty},
      // lambda is ABN's gamma; the paper's value.
      {"abn",
       "ABN",
       "Attention Branch Network with its map loss",
       "abn_map_loss",
       MethodNeeds::attention_branch,
       attention_branch_loss,
       nullptr,
       {10.0}},
      // Eq. (3) on each map's share outside the mask (docs/method.md, "The focused form"): maps of
      // |Grad-CAM| of z_c - mean_j z_j, which a network cannot switch off and still classify, so
      // the penalty is met by moving them onto the object. Its scale does not grow with the image,
      // hence its own lambda.
      {"reff-focus",
       "ReFF (focus)",
       "share of |Grad-CAM| (of the logit minus the mean logit) outside the mask: maps that "
       "move onto the object instead of going silent",
       "reff_focus_loss",
       MethodNeeds::grad_cam,
       grad_cam_penalty,
       outside_mask,
       {1e-3, CamRectifier::abs, CamTarget::logit_minus_mean, true}},
  };
  return registry;
}

const MethodInfo& method_info(const std::string& name) {
  return find_named(methods(), "--method", name);
}

std::string method_names(const char* separator) { return names_of(methods(), separator); }

std::string method_help() {
  std::string help;
  for (const auto& info : methods())
    help += (help.empty() ? "" : "; ") + std::string(info.name) + ": " + info.help;
  return help;
}

}  // namespace reff::train
