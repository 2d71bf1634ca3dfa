// Deep Feature Reweighting (docs/method.md, "DFR"): a trained network's penultimate features,
// frozen, and a new last layer fitted on a small validation set in which the shortcut is broken.
// The fit is multinomial logistic regression with an L1 penalty on the weights (not the bias):
//   min_{W, b}  (1 / N) sum_i CE(W x_i + b, y_i) + 1 / (C N) ||W||_1
// (liblinear's ||W||_1 + C sum_i CE, divided by C N), on standardised features, by FISTA
// (accelerated proximal gradient) with the step 1 / L, L = (lambda_max(X^T X / N) + 1) / 2 (the
// softmax cross-entropy's Hessian bound; + 1 for the bias).
//
// fit_dfr follows DFR's recipe: C is chosen from a grid on two halves of the set (fit on one half
// balanced by group, worst-group accuracy on the other); then `ensembles` heads, each fitted with
// that C on another group-balanced subsample of the whole set, are averaged. Groups are the set's
// groups where it has them, else its classes. A class without images in the set is never
// predicted by the new head (its bias is driven down), as in DFR's own code. Everything is float64
// and seeded: the same inputs give the same head.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <vector>

namespace reff::train {

struct LinearHead {
  torch::Tensor weight;                                       // [K, D]
  torch::Tensor bias;                                         // [K]
  torch::Tensor logits(const torch::Tensor& features) const;  // [N, K]
};

// One L1-penalised logistic regression (above) on features [N, D] and labels [N] in [0, classes).
LinearHead fit_logistic_l1(const torch::Tensor& features, const torch::Tensor& labels,
                           int64_t classes, double c, int64_t iterations = 1000);

struct DfrOptions {
  std::vector<double> c_grid = {1.0, 0.7, 0.3, 0.1, 0.07, 0.03, 0.01};
  int64_t ensembles = 20;
  int64_t iterations = 1000;  // FISTA steps per fit
  uint64_t seed = 0;
  void validate() const;  // throws reff::Error naming the option
};

struct DfrFit {
  LinearHead head;  // on the raw features: the standardisation is folded in
  double c = 0;     // the chosen C
  std::vector<std::pair<double, double>> tuning;  // C -> held-out worst-group accuracy
};

// features [N, D], labels [N], groups [N] (ids >= 0; pass the labels where there are no groups).
DfrFit fit_dfr(const torch::Tensor& features, const torch::Tensor& labels,
               const torch::Tensor& groups, int64_t classes, const DfrOptions& options);

}  // namespace reff::train
