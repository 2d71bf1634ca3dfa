// Explanation regularisers on multi-layer Grad-CAMs I'_l ([B, H, W]) and regional annotations
// s ([B, H, W], 1 on task-relevant pixels). Norms are sums over pixels, per sample; the batch
// loss is the mean over the batch (Algorithm 1), where samples without a mask add zero.
//   ReFF (Eq. 3):  l = sum_l w_l || I'_l (.) (1 - s) ||_1
//   ReFF (L1):     l = sum_l w_l || I'_l - s ||_1
//   ReFF (L2):     l = sum_l w_l || I'_l - s ||_2^2
// With `normalise` (ReFF only), each map is first divided by its own mass, I'_l / ||I'_l||_1, so
// the penalty is the share of the explanation outside the mask: a network cannot lower it by
// shrinking its maps, only by moving them.
#pragma once

#include <torch/types.h>

#include <vector>

namespace reff::regularizers {

// The per-pixel penalty of one layer's map I'_l against the masks s, both [B, H, W]; summed over
// pixels it is that layer's norm above. A new form of the loss is one more such function, in a
// file of its own, and its line in the method registry (train/methods.h).
using PixelPenalty = torch::Tensor (*)(const torch::Tensor& map, const torch::Tensor& s);
torch::Tensor outside_mask(const torch::Tensor& map, const torch::Tensor& s);  // ReFF, Eq. (3)
torch::Tensor l1_to_mask(const torch::Tensor& map, const torch::Tensor& s);    // ReFF (L1)
torch::Tensor l2_to_mask(const torch::Tensor& map, const torch::Tensor& s);    // ReFF (L2)

// The settings of the loss that a user chooses; the penalty is the method's (train/methods.h).
struct ExplanationLossOptions {
  std::vector<double> layer_weights = {15, 60, 250, 1000};  // w_l, the paper's values for ResNet
  bool normalise = false;                                   // with outside_mask only
};

// Per-sample loss l, [B] (zero where has_mask is false). `has_mask`: bool [B].
torch::Tensor explanation_loss_per_sample(const std::vector<torch::Tensor>& maps,
                                          const torch::Tensor& masks, const torch::Tensor& has_mask,
                                          PixelPenalty penalty,
                                          const ExplanationLossOptions& options);

// L_ReFF = (1 / |B|) sum_b l_b: the term that Algorithm 1 multiplies by lambda.
torch::Tensor explanation_loss(const std::vector<torch::Tensor>& maps, const torch::Tensor& masks,
                               const torch::Tensor& has_mask, PixelPenalty penalty,
                               const ExplanationLossOptions& options);

}  // namespace reff::regularizers
