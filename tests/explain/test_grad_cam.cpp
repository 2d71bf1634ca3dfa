#include "reff/error.h"
#include "reff/explain/grad_cam.h"

#include <gtest/gtest.h>

#include <utility>

namespace reff::explain {
namespace {

// A network small enough to compute by hand. Input x: [B, 2, 2, 2].
//   A1 = x * w (w = (1, 2) per channel)                     layer 1, 2x2
//   A2 = sum_ij P[i,j] A1[:, i, j] (P = 1/4: the mean)     layer 2, 1x1
//   logits = V A2, V = [[1, 1], [1, -1]]
// So dy_c/dA2[k] = V[c,k] and dy_c/dA1[k,i,j] = V[c,k] P[i,j].
struct HandNet : models::TappedModel {
  explicit HandNet(torch::Tensor pixel_weights = torch::full({2, 2}, 0.25, torch::kDouble))
      : p(std::move(pixel_weights)) {
    w = register_parameter("w", torch::tensor({1.0, 2.0}, torch::kDouble));
    v = register_parameter("v", torch::tensor({{1.0, 1.0}, {1.0, -1.0}}, torch::kDouble));
  }
  models::Tapped forward(const torch::Tensor& x) override {
    const auto a1 = x * w.view({1, 2, 1, 1});
    const auto a2 = (a1 * p).sum({2, 3}, /*keepdim=*/true);
    return {a2.flatten(1).matmul(v.t()), {a1, a2}};
  }
  torch::Tensor p, w, v;
};

torch::Tensor input() {
  // Channel 0 [[1, 2], [3, 4]], channel 1 [[-1, 0], [2, -2]]; the same image twice.
  const auto one =
      torch::tensor({{{1.0, 2.0}, {3.0, 4.0}}, {{-1.0, 0.0}, {2.0, -2.0}}}, torch::kDouble);
  return torch::stack({one, one});
}

TEST(GradCam, MatchesTheHandComputedMapsAtEveryLayer) {
  HandNet net;
  const auto x = input();
  const auto classes = torch::tensor({0, 1}, torch::kInt64);
  const auto maps = grad_cam(net.forward(x), classes, {2, 2}, {});
  ASSERT_EQ(maps.size(), 2u);
  // A1[0] = [[1,2],[3,4]], A1[1] = [[-2,0],[4,-4]].
  // Class 0: ReLU((A1[0] + A1[1]) / 4) = ReLU([[-1,2],[7,0]] / 4).
  // Class 1: ReLU((A1[0] - A1[1]) / 4) = ReLU([[3,2],[-1,8]] / 4).
  const auto layer1 =
      torch::tensor({{{0.0, 0.5}, {1.75, 0.0}}, {{0.75, 0.5}, {0.0, 2.0}}}, torch::kDouble);
  EXPECT_TRUE(torch::allclose(maps[0], layer1)) << maps[0];
  // A2 = (2.5, -0.5): class 0 gives 2.5 - 0.5 = 2, class 1 gives 2.5 + 0.5 = 3, upsampled from
  // 1x1 to 2x2 (a constant).
  const auto layer2 = torch::stack(
      {torch::full({2, 2}, 2.0, torch::kDouble), torch::full({2, 2}, 3.0, torch::kDouble)});
  EXPECT_TRUE(torch::allclose(maps[1], layer2)) << maps[1];
}

TEST(GradCam, LogitMinusMeanTargetAndAbsoluteRectifier) {
  HandNet net;
  const auto x = input();
  const auto classes = torch::tensor({0, 1}, torch::kInt64);
  GradCamOptions options;
  options.target = CamTarget::logit_minus_mean;
  // The mean logit has weights (1, 0): y_0 = z_0 - mean has dy/dA2 = (0, 1), y_1 has (0, -1).
  // Class 0: ReLU(A1[1] / 4) = ReLU([[-2,0],[4,-4]] / 4); class 1: ReLU(-A1[1] / 4).
  auto maps = grad_cam(net.forward(x), classes, {2, 2}, options);
  EXPECT_TRUE(torch::allclose(
      maps[0], torch::tensor({{{0.0, 0.0}, {1.0, 0.0}}, {{0.5, 0.0}, {0.0, 1.0}}}, torch::kDouble)))
      << maps[0];
  // |.| keeps the evidence against the class: class 0 of the paper's target gives
  // |[[-1,2],[7,0]] / 4|.
  options = {};
  options.rectifier = CamRectifier::abs;
  maps = grad_cam(net.forward(x), classes, {2, 2}, options);
  EXPECT_TRUE(
      torch::allclose(maps[0][0], torch::tensor({{0.25, 0.5}, {1.75, 0.0}}, torch::kDouble)))
      << maps[0][0];
  EXPECT_EQ(parse_enum<CamTarget>("--cam-target", enum_name(CamTarget::logit_minus_mean)),
            CamTarget::logit_minus_mean);
  EXPECT_EQ(parse_enum<CamRectifier>("--cam-rectifier", enum_name(CamRectifier::abs)),
            CamRectifier::abs);
  EXPECT_THROW(parse_enum<CamTarget>("--cam-target", "all"), Error);
}

TEST(GradCam, HiResCamKeepsTheGradientElementWise) {
  // P = [[1, 1], [0, 2]]: dy_c/dA1[k,i,j] = V[c,k] P[i,j] varies over the map.
  HandNet net(torch::tensor({{1.0, 1.0}, {0.0, 2.0}}, torch::kDouble));
  const auto classes = torch::tensor({0, 1}, torch::kInt64);
  // Grad-CAM: alpha = V[c] mean(P) = V[c]: class 0 ReLU([[-1,2],[7,0]]), class 1
  // ReLU([[3,2],[-1,8]]).
  auto maps = grad_cam(net.forward(input()), classes, {2, 2}, {});
  EXPECT_TRUE(torch::allclose(
      maps[0], torch::tensor({{{0.0, 2.0}, {7.0, 0.0}}, {{3.0, 2.0}, {0.0, 8.0}}}, torch::kDouble)))
      << maps[0];
  // HiResCAM: the same sums times P element-wise; the 7 at (1, 0) has no gradient and vanishes.
  GradCamOptions options;
  options.weighting = CamWeighting::hirescam;
  maps = grad_cam(net.forward(input()), classes, {2, 2}, options);
  EXPECT_TRUE(torch::allclose(
      maps[0],
      torch::tensor({{{0.0, 2.0}, {0.0, 0.0}}, {{3.0, 2.0}, {0.0, 16.0}}}, torch::kDouble)))
      << maps[0];
  // Summed over the map, the signed HiResCAM is the logit itself (no bias, linear in A1).
  options.rectifier = CamRectifier::none;
  const auto forward = net.forward(input());
  maps = grad_cam(forward, classes, {2, 2}, options);
  EXPECT_TRUE(torch::allclose(maps[0].sum({1, 2}),
                              forward.logits.gather(1, classes.view({-1, 1})).squeeze(1)));
  EXPECT_EQ(parse_enum<CamWeighting>("--cam-weighting", enum_name(CamWeighting::hirescam)),
            CamWeighting::hirescam);
  EXPECT_THROW(parse_enum<CamWeighting>("--cam-weighting", "element"), Error);
}

TEST(GradCam, SignedMapsKeepNegativeEvidenceAndLayersKeepTheirSize) {
  HandNet net;
  GradCamOptions options;
  options.rectifier = CamRectifier::none;
  options.upsample = false;
  const auto maps = grad_cam(net.forward(input()), torch::tensor({0, 1}), {2, 2}, options);
  EXPECT_DOUBLE_EQ(maps[0][0][0][0].item<double>(), -0.25);
  EXPECT_DOUBLE_EQ(maps[0][1][1][0].item<double>(), -0.25);
  EXPECT_EQ(maps[1].sizes(), (std::vector<int64_t>{2, 1, 1}));
}

TEST(GradCam, StaysDifferentiableOnlyWithCreateGraph) {
  HandNet net;
  GradCamOptions options;
  EXPECT_FALSE(
      grad_cam(net.forward(input()), torch::tensor({0, 1}), {2, 2}, options)[0].requires_grad());
  options.create_graph = true;
  const auto maps = grad_cam(net.forward(input()), torch::tensor({0, 1}), {2, 2}, options);
  ASSERT_TRUE(maps[0].requires_grad());
  // d/dw of sum(CAM1 of class 0) is non-zero: the penalty reaches the weights.
  const auto grad = torch::autograd::grad({maps[0].sum()}, {net.w})[0];
  EXPECT_GT(grad.abs().sum().item<double>(), 0.0);
}

// Channels-last features whose gradient depends on them (logits from their squares), so that
// the map's gradient flows to A both directly and through the Grad-CAM weights alpha.
struct SquaringNet : models::TappedModel {
  SquaringNet() {
    w = register_parameter("w", torch::tensor({1.0, -2.0, 0.5}, torch::kDouble).view({1, 3, 1, 1}));
    v = register_parameter("v", torch::randn({4, 3}, torch::kDouble));
  }
  models::Tapped forward(const torch::Tensor& x) override {
    const auto a = x * w;  // x's layout
    return {(a * a).mean({2, 3}).matmul(v.t()), {a}};
  }
  torch::Tensor w, v;
};

TEST(GradCam, TheMapsGradientKeepsTheFeaturesLayoutAndAutogradsValues) {
  torch::manual_seed(0);
  SquaringNet net;
  const auto x =
      torch::randn({2, 3, 5, 6}, torch::kDouble).contiguous(torch::MemoryFormat::ChannelsLast);
  const auto classes = torch::tensor({1, 3}, torch::kInt64);
  const auto outside = torch::rand({2, 5, 6}, torch::kDouble);
  GradCamOptions options;
  options.create_graph = true;
  options.upsample = false;
  const auto forward = net.forward(x);
  const auto& a = forward.features[0];
  ASSERT_TRUE(a.is_contiguous(torch::MemoryFormat::ChannelsLast) && !a.is_contiguous());
  const auto maps = grad_cam(forward, classes, {5, 6}, options);
  // With create_graph the gradient can itself be differentiated.
  const auto again = torch::autograd::grad({(maps[0] * outside).sum()}, {a}, {}, true, true)[0];
  const auto d_a = torch::autograd::grad({(maps[0] * outside).sum()}, {a})[0];
  EXPECT_TRUE(again.requires_grad() && torch::allclose(again, d_a, 1e-12, 1e-12));
  EXPECT_TRUE(d_a.is_contiguous(torch::MemoryFormat::ChannelsLast) && !d_a.is_contiguous());
  // The same map written as plain tensor operations, differentiated by autograd.
  const auto score = forward.logits.gather(1, classes.view({-1, 1})).sum();
  const auto g = torch::autograd::grad({score}, {a}, {}, true, true)[0];
  const auto map = torch::relu((g.mean({2, 3}, true) * a).sum(1));
  const auto expected = torch::autograd::grad({(map * outside).sum()}, {a})[0];
  EXPECT_TRUE(torch::allclose(d_a, expected, 1e-12, 1e-12)) << (d_a - expected).abs().max();
}

TEST(GradCam, RejectsForwardPassesWithoutGradientsAndBadTargets) {
  HandNet net;
  {
    torch::NoGradGuard no_grad;
    const auto forward = net.forward(input());
    EXPECT_THROW(grad_cam(forward, torch::tensor({0, 1}), {2, 2}, {}), Error);
  }
  EXPECT_THROW(grad_cam(net.forward(input()), torch::tensor({0}), {2, 2}, {}), Error);
  EXPECT_THROW(parse_enum<CamRectifier>("--cam-rectifier", "square"), Error);
}

}  // namespace
}  // namespace reff::explain
