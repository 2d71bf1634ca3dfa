#include "fixtures.h"
#include "reff/error.h"
#include "reff/models/resnet.h"
#include "reff/train/precision.h"
#include "reff/train/trainer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>

namespace reff::train {
namespace {

// The loss and all gradients of one ReFF step, flattened: [loss, gradients...].
std::pair<double, torch::Tensor> step(models::ResNet& model, const data::Batch& batch,
                                      Precision precision) {
  TrainOptions options;
  options.method = "reff";
  options.lambda = 1e-3;
  options.precision = precision;
  const auto terms = training_loss(model, batch, options);
  model.zero_grad();
  terms.total.backward();
  std::vector<torch::Tensor> grads;
  for (const auto& p : model.parameters()) grads.push_back(p.grad().flatten());
  return {terms.total.item<double>(), torch::cat(grads)};
}

TEST(Precision, Bf16StepAgreesWithFp32OnTheCpu) {
  torch::manual_seed(1);
  auto model = models::small_resnet({8, {1, 1, 1, 1}, 10});
  model->train();
  const auto batch = test::tiny_textured_set(16, 3).batch(torch::arange(16));
  {
    const AutocastScope autocast(Precision::bf16, torch::kCPU);
    EXPECT_EQ(model->forward(batch.images).features[0].scalar_type(), torch::kBFloat16);
  }
  EXPECT_EQ(model->forward(batch.images).features[0].scalar_type(), torch::kFloat32);  // undone
  const auto [fp32_loss, fp32_grad] = step(*model, batch, Precision::fp32);
  const auto [bf16_loss, bf16_grad] = step(*model, batch, Precision::bf16);
  EXPECT_NE(fp32_loss, bf16_loss);  // it did run in another precision
  EXPECT_NEAR(bf16_loss, fp32_loss, 0.02 * std::abs(fp32_loss));
  const double cosine =
      (fp32_grad.dot(bf16_grad) / (fp32_grad.norm() * bf16_grad.norm())).item<double>();
  // bf16 keeps 8 significant bits: on this 8-channel model the baseline's gradient agrees with
  // fp32 to a cosine of 0.966 and ReFF's (double backward) to 0.946.
  EXPECT_GT(cosine, 0.9);
  EXPECT_EQ(bf16_grad.scalar_type(), torch::kFloat32);  // fp32 weights, fp32 gradients
}

TEST(Precision, Bf16AndChannelsLastTrainAndResume) {
  const auto dir = test::fresh_dir("bf16");
  TrainOptions options;
  options.method = "reff";
  options.epochs = 2;
  options.batch_size = 8;
  options.lr = 0.05;
  options.lambda = 1e-3;
  options.precision = Precision::bf16;
  options.channels_last = true;
  options.eval.explain_count = 8;
  torch::manual_seed(1);
  auto model = models::small_resnet({4, {1, 1, 1, 1}, 10});
  const auto history =
      train(*model, options, test::tiny_textured_set(32, 1), {"val", test::tiny_textured_set(8, 2)},
            {}, dir.string(), false)["history"];
  ASSERT_EQ(history.size(), 2u);
  EXPECT_TRUE(std::isfinite(history[1]["train"]["total_loss"].get<double>()));
  EXPECT_GT(history[1]["train"]["reff_loss"].get<double>(), 0);
  options.epochs = 3;  // the checkpoint of channels-last weights loads again
  EXPECT_EQ(train(*model, options, test::tiny_textured_set(32, 1),
                  {"val", test::tiny_textured_set(8, 2)}, {}, dir.string(), true)["history"]
                .size(),
            3u);
}

// Unset: NHWC on the CPU for steps without a second derivative; a given value always wins.
TEST(Precision, TheLayoutFollowsTheMethodAndDeviceUnlessGiven) {
  TrainOptions options;
  const torch::Device cpu(torch::kCPU), cuda(torch::kCUDA, 0);
  const std::map<std::string, bool> on_cpu = {{"baseline", true},    {"abn", true},
                                              {"reff", false},       {"reff-l1", false},
                                              {"reff-focus", false}, {"rrr", false}};
  for (const auto& [method, nhwc] : on_cpu) {
    options.use_method(method);
    EXPECT_EQ(runs_channels_last(options, cpu), nhwc) << method;
    EXPECT_FALSE(runs_channels_last(options, cuda)) << method;
  }
  options.use_method("baseline");
  options.channels_last = false;
  EXPECT_FALSE(runs_channels_last(options, cpu));
  options.use_method("reff");
  options.channels_last = true;
  EXPECT_TRUE(runs_channels_last(options, cpu));
  EXPECT_TRUE(runs_channels_last(options, cuda));
}

TEST(Precision, Fp16NeedsCudaAndNamesRoundTrip) {
  test::expect_error_mentioning([] { AutocastScope scope(Precision::fp16, torch::kCPU); },
                                "--precision");
  for (const auto p : {Precision::fp32, Precision::bf16, Precision::fp16})
    EXPECT_EQ(parse_enum<Precision>("--precision", enum_name(p)), p);
  test::expect_error_mentioning([] { parse_enum<Precision>("--precision", "fp8"); },
                                "fp32, bf16, fp16");
}

TEST(LossScaler, SkipsOverflowingStepsHalvesAndRegrowsTheScale) {
  auto weight = torch::ones({2}, torch::requires_grad());
  LossScaler scaler(true, 1024.0, /*growth_interval=*/2);
  EXPECT_DOUBLE_EQ(scaler.scale(torch::tensor(3.0)).item<double>(), 3072.0);
  weight.mutable_grad() = torch::tensor({2048.0f, -1024.0f});
  EXPECT_TRUE(scaler.unscale({weight}));
  EXPECT_TRUE(torch::equal(weight.grad(), torch::tensor({2.0f, -1.0f})));
  const float inf = std::numeric_limits<float>::infinity();
  weight.mutable_grad() = torch::tensor({inf, 1.0f});
  EXPECT_FALSE(scaler.unscale({weight}));
  EXPECT_DOUBLE_EQ(scaler.current(), 512.0);
  weight.mutable_grad() = torch::ones({2});
  EXPECT_TRUE(scaler.unscale({weight}));
  EXPECT_TRUE(scaler.unscale({weight}));
  EXPECT_DOUBLE_EQ(scaler.current(), 1024.0);  // two good steps in a row: doubled
  LossScaler off(false);
  weight.mutable_grad() = torch::tensor({inf, 1.0f});
  EXPECT_TRUE(off.unscale({weight}));  // fp32 and bf16: no scaling, no skipping
}

}  // namespace
}  // namespace reff::train
