// Differentiable Grad-CAM at several layers (docs/method.md). For layer l with feature maps A_l
// (K channels) and the target score y of each sample:
//   alpha_k = mean_{i,j} dy / dA_l[k, i, j]
//   I_l     = rectifier( sum_k alpha_k * A_l[k] )
//   I'_l    = bilinear upsampling of I_l to the input size
// HiResCAM (Draelos & Carin 2020) keeps the gradient element-wise instead of its channel mean,
//   I_l[i, j] = rectifier( sum_k dy / dA_l[k, i, j] * A_l[k, i, j] ),
// which for the last layer before global average pooling and a linear head is exactly each
// location's contribution to y, so a map cannot hide evidence in gradients that average out.
// The gradients of every layer come from ONE autograd call; with `create_graph` the maps stay
// differentiable with respect to the parameters (double back-propagation), so a loss on them
// can be minimised.
#pragma once

#include "reff/models/tapped_model.h"
#include "reff/names.h"

#include <string>
#include <vector>

namespace reff::explain {

// Which score y is explained.
enum class CamTarget {
  class_logit,       // y = z_c, the logit of the target class (the paper's form)
  logit_minus_mean,  // y = z_c - mean_j z_j: evidence for c against the other classes too
};

// What is applied to the channel-weighted sum.
enum class CamRectifier {
  relu,  // the paper's form: only positive evidence
  none,  // signed maps
  abs,   // |map|: evidence either way counts
};

// How the gradient weighs the feature maps.
enum class CamWeighting {
  gradcam,   // alpha_k, the channel mean of the gradient (the paper's form)
  hirescam,  // the gradient itself, element-wise
};

struct GradCamOptions {
  CamTarget target = CamTarget::class_logit;
  CamRectifier rectifier = CamRectifier::relu;
  CamWeighting weighting = CamWeighting::gradcam;
  bool create_graph = false;  // true in training: the maps feed a loss; false: detached maps
  bool upsample = true;       // to the input size; false keeps each layer's own size
};

// The names of --cam-target, --cam-rectifier and --cam-weighting (and config.json's).
inline constexpr Named<CamTarget> kCamTargets[] = {
    {CamTarget::class_logit, "class-logit"}, {CamTarget::logit_minus_mean, "logit-minus-mean"}};
inline constexpr Named<CamRectifier> kCamRectifiers[] = {
    {CamRectifier::relu, "relu"}, {CamRectifier::none, "none"}, {CamRectifier::abs, "abs"}};
inline constexpr Named<CamWeighting> kCamWeightings[] = {{CamWeighting::gradcam, "gradcam"},
                                                         {CamWeighting::hirescam, "hirescam"}};
inline const auto& name_table(CamTarget) { return kCamTargets; }
inline const auto& name_table(CamRectifier) { return kCamRectifiers; }
inline const auto& name_table(CamWeighting) { return kCamWeightings; }

// One map per explained layer, [B, H, W] (the input's H, W when upsampling). `classes` holds
// the target class of each sample, int64 [B]: the label in training, the top class to explain a
// prediction. The forward pass must have been run with gradients enabled.
std::vector<torch::Tensor> grad_cam(const models::Tapped& forward, const torch::Tensor& classes,
                                    torch::IntArrayRef input_size, const GradCamOptions& options);

}  // namespace reff::explain
