#include "reff/train/last_layer.h"

#include "reff/data/rng.h"
#include "reff/error.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace reff::train {
namespace {

// lambda_max(X^T X / N) by power iteration.
double largest_eigenvalue(const torch::Tensor& x) {
  auto v = torch::ones({x.size(1)}, x.options()) / std::sqrt(double(x.size(1)));
  double lambda = 0;
  for (int i = 0; i < 50; ++i) {
    const auto w = x.t().mv(x.mv(v)) / double(x.size(0));
    lambda = w.norm().item<double>();
    if (lambda == 0) return 0;
    v = w / lambda;
  }
  return lambda;
}

torch::Tensor soft_threshold(const torch::Tensor& w, double threshold) {
  return w.sign() * (w.abs() - threshold).clamp_min(0);
}

// Indices of `members` (subset of rows) taking the same count, the smallest group's, from each
// group present, drawn by rng.
std::vector<int64_t> balanced_subsample(const std::vector<int64_t>& members,
                                        const torch::Tensor& groups, data::Rng& rng) {
  const auto ids = groups.accessor<int64_t, 1>();
  std::vector<std::vector<int64_t>> by_group;
  for (const auto i : members) {
    const auto g = static_cast<size_t>(ids[i]);
    if (g >= by_group.size()) by_group.resize(g + 1);
    by_group[g].push_back(i);
  }
  size_t smallest = members.size();
  for (const auto& group : by_group)
    if (!group.empty()) smallest = std::min(smallest, group.size());
  std::vector<int64_t> chosen;
  for (auto& group : by_group) {
    if (group.empty()) continue;             // a group without images here
    for (size_t k = 0; k < smallest; ++k) {  // a partial Fisher-Yates shuffle
      std::swap(group[k], group[k + rng.below(group.size() - k)]);
      chosen.push_back(group[k]);
    }
  }
  std::sort(chosen.begin(), chosen.end());
  return chosen;
}

torch::Tensor rows(const std::vector<int64_t>& indices) {
  return torch::tensor(indices, torch::kInt64);
}

double worst_group_accuracy(const LinearHead& head, const torch::Tensor& x, const torch::Tensor& y,
                            const torch::Tensor& groups) {
  const auto correct = head.logits(x).argmax(1).eq(y).to(torch::kDouble);
  double worst = 1.0;
  for (int64_t g = 0; g <= groups.max().item<int64_t>(); ++g) {
    const auto in = groups.eq(g);
    if (in.any().item<bool>())
      worst = std::min(worst, correct.masked_select(in).mean().item<double>());
  }
  return worst;
}

}  // namespace

torch::Tensor LinearHead::logits(const torch::Tensor& features) const {
  return torch::addmm(bias, features, weight.t());
}

LinearHead fit_logistic_l1(const torch::Tensor& features, const torch::Tensor& labels,
                           int64_t classes, double c, int64_t iterations) {
  const auto x = features.to(torch::kDouble);
  const double n = double(x.size(0));
  const auto target = torch::one_hot(labels, classes).to(torch::kDouble);
  const double step = 2.0 / (largest_eigenvalue(x) + 1.0);
  const double threshold = step / (c * n);
  auto w = torch::zeros({classes, x.size(1)}, x.options());
  auto b = torch::zeros({classes}, x.options());
  auto w_ahead = w, b_ahead = b;
  double t = 1;
  for (int64_t it = 0; it < iterations; ++it) {
    // gradient of the mean cross-entropy at the look-ahead point
    const auto g = (torch::softmax(torch::addmm(b_ahead, x, w_ahead.t()), 1) - target) / n;
    const auto w_next = soft_threshold(w_ahead - step * g.t().mm(x), threshold);
    const auto b_next = b_ahead - step * g.sum(0);
    const double t_next = (1 + std::sqrt(1 + 4 * t * t)) / 2;
    w_ahead = w_next + (t - 1) / t_next * (w_next - w);
    b_ahead = b_next + (t - 1) / t_next * (b_next - b);
    w = w_next;
    b = b_next;
    t = t_next;
  }
  return {w, b};
}

void DfrOptions::validate() const {
  REFF_REQUIRE(!c_grid.empty(), "--c", "give at least one value");
  for (const double c : c_grid) REFF_REQUIRE(c > 0, "--c", "must be positive");
  REFF_REQUIRE(ensembles >= 1, "--ensembles", "must be >= 1");
  REFF_REQUIRE(iterations >= 1, "--iterations", "must be >= 1");
}

DfrFit fit_dfr(const torch::Tensor& features, const torch::Tensor& labels,
               const torch::Tensor& groups, int64_t classes, const DfrOptions& options) {
  options.validate();
  torch::NoGradGuard no_grad;
  const auto x_raw = features.to(torch::kDouble).cpu();
  const auto y = labels.to(torch::kInt64).cpu();
  const auto g = groups.to(torch::kInt64).cpu();
  REFF_REQUIRE(x_raw.dim() == 2 && y.size(0) == x_raw.size(0) && g.size(0) == x_raw.size(0), "DFR",
               "features [N, D], labels [N] and groups [N] disagree");
  REFF_REQUIRE(y.min().item<int64_t>() >= 0 && y.max().item<int64_t>() < classes, "DFR",
               "labels must be in [0, " + std::to_string(classes) + ")");
  REFF_REQUIRE(g.min().item<int64_t>() >= 0, "DFR", "every image needs a group");
  // Standardised features; a constant feature (a channel that never fires) stays 0.
  const auto mean = x_raw.mean(0);
  auto scale = x_raw.std(0, /*unbiased=*/false);
  scale = torch::where(scale > 0, scale, torch::ones_like(scale));
  const auto x = (x_raw - mean) / scale;

  data::Rng rng(options.seed, 0xdf5);
  std::vector<int64_t> all(static_cast<size_t>(x.size(0)));
  std::iota(all.begin(), all.end(), int64_t(0));
  auto order = all;
  for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng.below(i)]);
  const auto half = order.begin() + std::ptrdiff_t(order.size() / 2);
  const std::vector<int64_t> tune(order.begin(), half), held_out(half, order.end());
  const auto fit_on = [&](const std::vector<int64_t>& members, double c) {
    const auto chosen = rows(balanced_subsample(members, g, rng));
    return fit_logistic_l1(x.index_select(0, chosen), y.index_select(0, chosen), classes, c,
                           options.iterations);
  };

  DfrFit fit;
  double best = -1;
  const auto held = rows(held_out);
  for (const double c : options.c_grid) {
    const auto accuracy = worst_group_accuracy(fit_on(tune, c), x.index_select(0, held),
                                               y.index_select(0, held), g.index_select(0, held));
    fit.tuning.emplace_back(c, accuracy);
    if (accuracy > best) {  // ties keep the earlier C of the grid
      best = accuracy;
      fit.c = c;
    }
  }
  auto weight = torch::zeros({classes, x.size(1)}, x.options());
  auto bias = torch::zeros({classes}, x.options());
  for (int64_t e = 0; e < options.ensembles; ++e) {
    const auto head = fit_on(all, fit.c);
    weight += head.weight / double(options.ensembles);
    bias += head.bias / double(options.ensembles);
  }
  // On raw features: W (x - mean) / scale + b = (W / scale) x + (b - (W / scale) mean).
  fit.head.weight = weight / scale;
  fit.head.bias = bias - fit.head.weight.mv(mean);
  return fit;
}

}  // namespace reff::train
