#include "reff/error.h"
#include "reff/explain/grad_cam.h"
#include "reff/models/resnet.h"
#include "reff/regularizers/explanation_loss.h"
#include "reff/regularizers/input_gradient_loss.h"

#include <gtest/gtest.h>

namespace reff::regularizers {
namespace {

// Two samples, one 2x2 layer: maps m, masks s.
const auto kMaps = [] {
  return std::vector<torch::Tensor>{
      torch::tensor({{{0.5, 2.0}, {0.0, 1.0}}, {{3.0, 0.0}, {1.0, 1.0}}}, torch::kDouble)};
};
const auto kMasks = [] {
  return torch::tensor({{{1.0, 0.0}, {0.0, 1.0}}, {{0.0, 0.0}, {1.0, 1.0}}}, torch::kDouble);
};

TEST(ExplanationLoss, ValuesOnHandMadeMapsAndMasks) {
  const auto both = torch::tensor({true, true});
  const ExplanationLossOptions options{{10.0}};
  // Eq. (3): mass outside the mask. Sample 0: 2 + 0 = 2; sample 1: 3 + 0 = 3.
  auto l = explanation_loss_per_sample(kMaps(), kMasks(), both, outside_mask, options);
  EXPECT_TRUE(torch::allclose(l, torch::tensor({20.0, 30.0}, torch::kDouble))) << l;
  EXPECT_DOUBLE_EQ(explanation_loss(kMaps(), kMasks(), both, outside_mask, options).item<double>(),
                   25.0);
  // L1: |0.5-1| + 2 + 0 + 0 = 2.5; 3 + 0 + 0 + 0 = 3.
  l = explanation_loss_per_sample(kMaps(), kMasks(), both, l1_to_mask, options);
  EXPECT_TRUE(torch::allclose(l, torch::tensor({25.0, 30.0}, torch::kDouble))) << l;
  // L2: 0.25 + 4 = 4.25; 9.
  l = explanation_loss_per_sample(kMaps(), kMasks(), both, l2_to_mask, options);
  EXPECT_TRUE(torch::allclose(l, torch::tensor({42.5, 90.0}, torch::kDouble))) << l;
}

TEST(ExplanationLoss, NormalisedMapsGiveTheShareOutsideTheMask) {
  const auto both = torch::tensor({true, true});
  const ExplanationLossOptions options{{10.0}, /*normalise=*/true};
  // Sample 0: 2 of 3.5 outside; sample 1: 3 of 5. Scaling a map changes nothing.
  const auto l = explanation_loss_per_sample(kMaps(), kMasks(), both, outside_mask, options);
  EXPECT_TRUE(torch::allclose(l, torch::tensor({10 * 2 / 3.5, 10 * 0.6}, torch::kDouble), 1e-5))
      << l;
  const auto scaled =
      explanation_loss_per_sample({kMaps()[0] * 100}, kMasks(), both, outside_mask, options);
  EXPECT_TRUE(torch::allclose(scaled, l, 1e-5));
  // An all-zero map costs nothing; normalising is for Eq. (3) only.
  EXPECT_DOUBLE_EQ(explanation_loss({torch::zeros({2, 2, 2}, torch::kDouble)}, kMasks(), both,
                                    outside_mask, options)
                       .item<double>(),
                   0.0);
  EXPECT_THROW(explanation_loss(kMaps(), kMasks(), both, l1_to_mask, options), Error);
}

TEST(ExplanationLoss, SamplesWithoutMaskAddNothingButCountInTheMean) {
  const ExplanationLossOptions options{{1.0}};
  const auto only_first = torch::tensor({true, false});
  EXPECT_DOUBLE_EQ(
      explanation_loss(kMaps(), kMasks(), only_first, outside_mask, options).item<double>(), 1.0);
}

TEST(ExplanationLoss, WeightsEachLayer) {
  auto maps = kMaps();
  maps.push_back(kMaps()[0] * 2);
  const ExplanationLossOptions options{{1.0, 100.0}};
  const auto l = explanation_loss_per_sample(maps, kMasks(), torch::tensor({true, true}),
                                             outside_mask, options);
  EXPECT_TRUE(torch::allclose(l, torch::tensor({2.0 + 400.0, 3.0 + 600.0}, torch::kDouble)));
}

TEST(ExplanationLoss, RejectsMasksOfAnotherSizeAndWrongWeightCounts) {
  ExplanationLossOptions options{{1.0}};
  const auto both = torch::tensor({true, true});
  EXPECT_THROW(explanation_loss(kMaps(), torch::zeros({2, 3, 3}, torch::kDouble), both,
                                outside_mask, options),
               Error);
  options.layer_weights = {1.0, 2.0};
  EXPECT_THROW(explanation_loss(kMaps(), kMasks(), both, outside_mask, options), Error);
}

TEST(InputGradientLoss, IsTheSquaredInputGradientOutsideTheMask) {
  // logits = W x (one pixel, two channels): d/dx sum_k log p_k = W^T (1 - K p), by hand.
  const auto w = torch::tensor({{1.0, -2.0}, {0.5, 3.0}, {0.0, 1.0}}, torch::kDouble);
  auto x = torch::tensor({{0.3, -0.7}}, torch::kDouble).requires_grad_(true);  // [1, 2]
  const auto images = x.view({1, 2, 1, 1});
  const auto logits = images.flatten(1).matmul(w.t());
  const auto p = torch::softmax(logits.detach(), 1);
  const auto expected_gradient = (1 - 3 * p).matmul(w);  // [1, 2]
  const auto outside = input_gradient_loss(logits, images, torch::zeros({1, 1, 1}, torch::kDouble),
                                           torch::tensor({true}));
  EXPECT_NEAR(outside.item<double>(), expected_gradient.pow(2).sum().item<double>(), 1e-12);
  const auto inside = input_gradient_loss(logits, images, torch::ones({1, 1, 1}, torch::kDouble),
                                          torch::tensor({true}));
  EXPECT_DOUBLE_EQ(inside.item<double>(), 0.0);
  const auto unmasked = input_gradient_loss(logits, images, torch::zeros({1, 1, 1}, torch::kDouble),
                                            torch::tensor({false}));
  EXPECT_DOUBLE_EQ(unmasked.item<double>(), 0.0);
  // Differentiable: its gradient with respect to x against central differences.
  const auto analytic = torch::autograd::grad({outside}, {x})[0];
  for (int64_t k = 0; k < 2; ++k) {
    auto at = [&](double delta) {
      auto moved = x.detach().clone();
      moved[0][k] += delta;
      moved.requires_grad_(true);
      const auto moved_images = moved.view({1, 2, 1, 1});
      return input_gradient_loss(moved_images.flatten(1).matmul(w.t()), moved_images,
                                 torch::zeros({1, 1, 1}, torch::kDouble), torch::tensor({true}))
          .item<double>();
    };
    EXPECT_NEAR(analytic[0][k].item<double>(), (at(1e-6) - at(-1e-6)) / 2e-6, 1e-6);
  }
}

// The gradient of the regulariser with respect to the parameters, through Grad-CAM (double
// back-propagation), against central finite differences in double precision.
struct GradientCase {
  const char* name;  // the penalty's
  PixelPenalty penalty;
  bool normalise;
  explain::CamTarget target;
  explain::CamRectifier rectifier;
  explain::CamWeighting weighting = explain::CamWeighting::gradcam;
};
class ExplanationLossGradient : public ::testing::TestWithParam<GradientCase> {};

TEST_P(ExplanationLossGradient, MatchesCentralFiniteDifferences) {
  torch::manual_seed(3);
  auto model = models::small_resnet({/*width=*/2, {1, 1, 1, 1}, /*num_classes=*/3});
  model->to(torch::kDouble);
  model->eval();  // fixed BatchNorm statistics: the loss is a smooth function of the weights
  const auto images = torch::randn({2, 3, 8, 8}, torch::kDouble);
  const auto labels = torch::tensor({0, 2});
  auto masks = torch::zeros({2, 8, 8}, torch::kDouble);
  masks.narrow(1, 2, 4).narrow(2, 2, 4).fill_(1.0);
  const auto has_mask = torch::tensor({true, true});
  const ExplanationLossOptions options{{15, 60, 250, 1000}, GetParam().normalise};
  explain::GradCamOptions cam;
  cam.create_graph = true;
  cam.target = GetParam().target;
  cam.rectifier = GetParam().rectifier;
  cam.weighting = GetParam().weighting;
  auto loss = [&] {
    const auto maps = explain::grad_cam(model->forward(images), labels, {8, 8}, cam);
    return explanation_loss(maps, masks, has_mask, GetParam().penalty, options);
  };

  auto parameters = model->named_parameters();
  const std::vector<std::string> checked = {"conv1.weight", "layer1.0.conv2.weight",
                                            "layer3.0.bn1.weight", "layer4.0.conv1.weight"};
  std::vector<torch::Tensor> tensors;
  for (const auto& name : checked) tensors.push_back(parameters[name]);
  const auto analytic = torch::autograd::grad({loss()}, tensors);

  double largest = 0;
  for (size_t t = 0; t < tensors.size(); ++t) {
    largest = std::max(largest, analytic[t].abs().max().item<double>());
    ASSERT_TRUE(tensors[t].is_contiguous());
    auto flat = tensors[t].data().view({-1});
    for (int64_t k : {int64_t{0}, flat.numel() / 2, flat.numel() - 1}) {
      const double eps = 1e-6, original = flat[k].item<double>();
      flat[k] = original + eps;
      const double up = loss().item<double>();
      flat[k] = original - eps;
      const double down = loss().item<double>();
      flat[k] = original;
      const double numeric = (up - down) / (2 * eps);
      const double exact = analytic[t].reshape({-1})[k].item<double>();
      EXPECT_NEAR(exact, numeric, 1e-5 * std::max(1.0, std::abs(numeric)))
          << checked[t] << "[" << k << "]";
    }
  }
  EXPECT_GT(largest, 0.0) << "the penalty sends no gradient to the weights";
}

using explain::CamRectifier;
using explain::CamTarget;
using explain::CamWeighting;
INSTANTIATE_TEST_SUITE_P(
    EachForm, ExplanationLossGradient,
    ::testing::Values(
        GradientCase{"reff", outside_mask, false, CamTarget::class_logit, CamRectifier::relu},
        GradientCase{"l1", l1_to_mask, false, CamTarget::class_logit, CamRectifier::relu},
        GradientCase{"l2", l2_to_mask, false, CamTarget::class_logit, CamRectifier::relu},
        GradientCase{"reff", outside_mask, true, CamTarget::logit_minus_mean, CamRectifier::abs},
        GradientCase{"reff", outside_mask, true, CamTarget::logit_minus_mean, CamRectifier::abs,
                     CamWeighting::hirescam}),
    [](const auto& info) {
      const auto& c = info.param;
      std::string name = c.name + std::string(c.normalise ? "_normalised" : "") + "_" +
                         enum_name(c.target) + "_" + enum_name(c.rectifier) + "_" +
                         enum_name(c.weighting);
      for (auto& ch : name)
        if (ch == '-') ch = '_';
      return name;
    });

}  // namespace
}  // namespace reff::regularizers
