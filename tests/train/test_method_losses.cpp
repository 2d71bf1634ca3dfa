// The registered methods' losses (train/method_losses.h), checked through the registry entry as
// the trainer calls it.
#include "reff/train/method_losses.h"
#include "reff/train/trainer.h"

#include <gtest/gtest.h>

namespace reff::train {
namespace {

// One explained layer A = scale * (the images' first channel) and logits z = fc * mean_ij A: small
// enough to write its Grad-CAM by hand.
struct LinearHead : models::TappedModel {
  torch::Tensor scale, fc;
  LinearHead(double s, std::vector<double> weights) {
    scale = register_parameter("scale", torch::tensor({s}, torch::kDouble));
    fc = register_parameter("fc", torch::tensor(weights, torch::kDouble).view({-1, 1}));
  }
  models::Tapped forward(const torch::Tensor& images) override {
    const auto a = images.narrow(1, 0, 1) * scale;  // [B, 1, H, W]
    return {a.mean({2, 3}).matmul(fc.t()), {a}, {}};
  }
};

data::Batch one_image(const torch::Tensor& channel, const torch::Tensor& mask) {
  const auto images = channel.view({1, 1, 2, 2}).expand({1, 3, 2, 2}).contiguous();
  return {images, torch::tensor({int64_t(0)}), mask.view({1, 2, 2}), torch::tensor({true}), 1};
}

double term(const std::string& method, LinearHead& model, const data::Batch& batch) {
  TrainOptions options;
  options.use_method(method);
  options.explanation.layer_weights = {2.0};
  const auto& info = method_info(method);
  return info.loss(info, model, batch.images, batch, options).term.item<double>();
}

TEST(ReffFocus, ShareOfAbsMapsOfTheLogitMinusTheMeanOnAHandComputedCase) {
  // A = [[1, -2], [3, 0]], z = (2 mean A, 0) for the label 0, mask on the top-left pixel.
  LinearHead model(1.0, {2.0, 0.0});
  const auto batch = one_image(torch::tensor({1.0, -2.0, 3.0, 0.0}, torch::kDouble),
                               torch::tensor({1.0, 0.0, 0.0, 0.0}, torch::kDouble));
  // reff-focus: y = z_0 - (z_0 + z_1) / 2 = mean A, alpha = 1/4, map |A| / 4 = [.25 .5; .75 0];
  // its share outside the mask (1.25 of 1.5), times w = 2.
  EXPECT_NEAR(term("reff-focus", model, batch), 2.0 * 1.25 / (1.5 + 1e-6), 1e-12);
  // The paper's form on the same: y = z_0, alpha = 1/2, map relu(A / 2) = [.5 0; 1.5 0]; the mass
  // outside, 1.5, times w = 2.
  EXPECT_NEAR(term("reff", model, batch), 3.0, 1e-12);
  // Turning the head around silences the paper's map on the mask's complement but not the
  // focused one: a map that is switched off does not meet reff-focus's penalty.
  LinearHead reversed(1.0, {-2.0, 0.0});
  const auto positive = one_image(torch::tensor({1.0, 2.0, 3.0, 0.5}, torch::kDouble),
                                  torch::tensor({1.0, 0.0, 0.0, 0.0}, torch::kDouble));
  EXPECT_EQ(term("reff", reversed, positive), 0.0);
  // Its map |-A / 4| = [.25 .5; .75 .125]: 1.375 of 1.625 outside.
  EXPECT_NEAR(term("reff-focus", reversed, positive), 2.0 * 1.375 / (1.625 + 1e-6), 1e-12);
}

TEST(ReffFocus, GradientMatchesFiniteDifferences) {
  torch::manual_seed(3);
  LinearHead model(0.7, {1.3, -0.4, 0.2});
  const auto batch = one_image(torch::randn({4}, torch::kDouble) + 0.1,
                               torch::tensor({0.0, 1.0, 0.0, 0.0}, torch::kDouble));
  TrainOptions options;
  options.use_method("reff-focus");
  options.explanation.layer_weights = {2.0};
  const auto& info = method_info("reff-focus");
  const auto loss = info.loss(info, model, batch.images, batch, options).term;
  const auto gradients = torch::autograd::grad({loss}, model.parameters());
  const double h = 1e-6;
  for (size_t p = 0; p < model.parameters().size(); ++p) {
    auto parameter = model.parameters()[p];
    for (int64_t i = 0; i < parameter.numel(); ++i) {
      const auto at = [&](double shift) {
        torch::NoGradGuard no_grad;
        parameter.view(-1)[i] += shift;
        return shift;
      };
      at(h);
      const double up = term("reff-focus", model, batch);
      at(-2 * h);
      const double down = term("reff-focus", model, batch);
      at(h);
      EXPECT_NEAR(gradients[p].view(-1)[i].item<double>(), (up - down) / (2 * h), 1e-6)
          << "parameter " << p << ", element " << i;
    }
  }
}

}  // namespace
}  // namespace reff::train
