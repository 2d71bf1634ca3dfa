#include "fixtures.h"
#include "reff/error.h"
#include "reff/models/resnet.h"
#include "reff/models/state_dict.h"
#include "reff/regularizers/attention_map_loss.h"
#include "reff/train/trainer.h"

#include <torch/nn/functional/loss.h>

#include <gtest/gtest.h>

namespace reff::models {
namespace {

std::shared_ptr<ResNet> tiny_abn(int64_t classes = 10) {
  torch::manual_seed(3);
  SmallResNetOptions options{4, {1, 1, 1, 1}, classes, /*attention_branch=*/true};
  return small_resnet(options);
}

TEST(AttentionBranchNetwork, GivesPerceptionAndAttentionScoresAndAMapOnLayer3) {
  auto abn = tiny_abn(7);
  const auto out = abn->forward(torch::randn({2, 3, 16, 16}));
  EXPECT_EQ(out.logits.sizes(), (std::vector<int64_t>{2, 7}));
  EXPECT_EQ(out.extra.at(models::kAttentionScores).sizes(), (std::vector<int64_t>{2, 7}));
  ASSERT_EQ(out.features.size(), 4u);
  // M(x) has layer3's resolution (16 / 4) and lies in [0, 1].
  EXPECT_EQ(out.extra.at(models::kAttentionMap).sizes(), (std::vector<int64_t>{2, 1, 4, 4}));
  EXPECT_GE(out.extra.at(models::kAttentionMap).min().item<float>(), 0.0f);
  EXPECT_LE(out.extra.at(models::kAttentionMap).max().item<float>(), 1.0f);
  EXPECT_TRUE(abn->named_parameters().contains("attention.to_map.weight"));
  // A plain ResNet has no attention outputs.
  const auto plain = small_resnet({4, {1, 1, 1, 1}, 7})->forward(torch::randn({2, 3, 16, 16}));
  EXPECT_TRUE(plain.extra.empty());
}

TEST(AttentionBranchNetwork, PerceptionBranchReadsTheAttendedFeatures) {
  // f (.) (1 + M): changing the attention branch's map changes the perception logits.
  auto abn = tiny_abn();
  abn->eval();
  const auto images = torch::randn({2, 3, 16, 16});
  const auto before = abn->forward(images).logits;
  {
    torch::NoGradGuard no_grad;
    abn->named_parameters()["attention.map_bn.bias"].fill_(5.0);  // M -> ~1 everywhere
  }
  const auto after = abn->forward(images).logits;
  EXPECT_FALSE(torch::allclose(before, after));
}

TEST(AttentionMapLoss, IsTheMeanSquaredErrorToTheAreaAveragedMask) {
  // A 4x4 mask whose top-left 2x2 block is 1 and one pixel of the top-right block is 1: on a
  // 2x2 map it becomes [[1, 0.25], [0, 0]].
  auto masks = torch::zeros({2, 4, 4});
  masks[0].slice(0, 0, 2).slice(1, 0, 2).fill_(1);
  masks[0][0][3] = 1;
  masks[1].fill_(1);
  const auto attention = torch::full({2, 1, 2, 2}, 0.5);
  // Sample 0: ((0.5-1)^2 + (0.5-0.25)^2 + 0.25 + 0.25) / 4 = (0.25 + 0.0625 + 0.5) / 4.
  const double l0 = (0.25 + 0.0625 + 0.5) / 4;
  const auto one = regularizers::attention_map_loss(attention, masks, torch::tensor({1, 0}));
  EXPECT_NEAR(one.item<double>(), l0 / 2, 1e-6);  // the unmasked sample adds zero to the mean
  const auto both = regularizers::attention_map_loss(attention, masks, torch::tensor({1, 1}));
  EXPECT_NEAR(both.item<double>(), (l0 + 0.25) / 2, 1e-6);
  test::expect_error_mentioning(
      [&] {
        regularizers::attention_map_loss(torch::zeros({2, 2, 2}), masks, torch::tensor({1, 1}));
      },
      "attention");
}

TEST(AttentionBranchNetwork, TrainingLossIsBothCrossEntropiesPlusGammaTimesTheMapLoss) {
  auto abn = tiny_abn();
  data::Batch batch;
  batch.images = torch::randn({4, 3, 16, 16});
  batch.labels = torch::tensor({0, 3, 5, 9});
  batch.masks = (torch::rand({4, 16, 16}) > 0.5).to(torch::kFloat32);
  batch.has_mask = torch::tensor({1, 1, 0, 1}).to(torch::kBool);
  train::TrainOptions options;
  options.method = "abn";
  options.lambda = 10;  // gamma
  const auto terms = train::training_loss(*abn, batch, options);
  const auto out = abn->forward(batch.images);
  namespace F = torch::nn::functional;
  const auto main = F::cross_entropy(out.logits, batch.labels) +
                    F::cross_entropy(out.extra.at(models::kAttentionScores), batch.labels);
  const auto map = regularizers::attention_map_loss(out.extra.at(models::kAttentionMap),
                                                    batch.masks, batch.has_mask);
  EXPECT_NEAR(terms.main.item<double>(), main.item<double>(), 1e-5);
  EXPECT_NEAR(terms.explanation.item<double>(), map.item<double>(), 1e-6);
  EXPECT_NEAR(terms.total.item<double>(), (main + 10 * map).item<double>(), 1e-4);
  EXPECT_GT(terms.explanation.item<double>(), 0);
  // ABN on a model without the branch is a clear error.
  auto plain = small_resnet({4, {1, 1, 1, 1}, 10});
  test::expect_error_mentioning([&] { train::training_loss(*plain, batch, options); },
                                "attention branch");
}

TEST(AttentionBranchNetwork, LoadsABackboneStateDictThatLacksTheBranch) {
  auto abn = tiny_abn();
  auto backbone = small_resnet({4, {1, 1, 1, 1}, 10});
  const auto tensors = state_dict(*backbone);
  test::expect_error_mentioning([&] { load_state_dict(*abn, tensors, "backbone.pth"); },
                                "attention.");
  const auto kept = load_state_dict(*abn, tensors, "backbone.pth", {{}, {"attention."}});
  EXPECT_FALSE(kept.empty());
  EXPECT_TRUE(torch::equal(abn->named_parameters()["conv1.weight"],
                           backbone->named_parameters()["conv1.weight"]));
}

}  // namespace
}  // namespace reff::models
