// The losses of the registered methods (methods.h): each computes the model's forward on `images`
// (the batch's, in the step's memory layout) and returns the logits, L_main and the method's own
// term; the trainer adds lambda times that term (trainer.h, training_loss).
#pragma once

#include "reff/train/methods.h"

namespace reff::train {

// The baseline: cross-entropy only, no term.
MethodTerms cross_entropy_only(const MethodInfo& self, models::TappedModel& model,
                               const torch::Tensor& images, const data::Batch& batch,
                               const TrainOptions& options);

// The Grad-CAM family: self.penalty on the multi-layer Grad-CAMs of the label class, built with
// create_graph (double back-propagation). Eq. (3) for reff: sum_l w_l || I'_l (.) (1 - s) ||_1.
MethodTerms grad_cam_penalty(const MethodInfo& self, models::TappedModel& model,
                             const torch::Tensor& images, const data::Batch& batch,
                             const TrainOptions& options);

// Right for the Right Reasons: the input gradients of the log-probabilities outside the mask.
MethodTerms input_gradient_penalty(const MethodInfo& self, models::TappedModel& model,
                                   const torch::Tensor& images, const data::Batch& batch,
                                   const TrainOptions& options);

// Attention Branch Network: L_main is the perception's plus the attention branch's cross-entropy;
// the term is its map loss L_map (lambda is ABN's gamma).
MethodTerms attention_branch_loss(const MethodInfo& self, models::TappedModel& model,
                                  const torch::Tensor& images, const data::Batch& batch,
                                  const TrainOptions& options);

}  // namespace reff::train
