#include "reff/eval/evaluation.h"

#include <gtest/gtest.h>

namespace reff::eval {
namespace {

TEST(ExplanationMetrics, MassInsideAndPointingOnHandMadeMaps) {
  const auto maps = torch::tensor({{{1.0, 3.0}, {0.0, 0.0}},   // peak at (0,1): outside
                                   {{0.0, 0.0}, {2.0, 2.0}},   // all inside
                                   {{0.0, 0.0}, {0.0, 0.0}}},  // nothing explained
                                  torch::kDouble);
  const auto masks =
      torch::tensor({{{1.0, 0.0}, {0.0, 0.0}}, {{0.0, 0.0}, {1.0, 1.0}}, {{1.0, 1.0}, {1.0, 1.0}}},
                    torch::kDouble);
  const auto mass = mass_inside(maps, masks);
  EXPECT_DOUBLE_EQ(mass[0].item<double>(), 0.25);
  EXPECT_DOUBLE_EQ(mass[1].item<double>(), 1.0);
  EXPECT_TRUE(std::isnan(mass[2].item<double>()));
  const auto hits = pointing_hits(maps, masks);
  EXPECT_DOUBLE_EQ(hits[0].item<double>(), 0.0);
  EXPECT_DOUBLE_EQ(hits[1].item<double>(), 1.0);
  EXPECT_TRUE(std::isnan(hits[2].item<double>()));
}

TEST(ExplanationMetrics, EnergyAndIouOnHandMadeMaps) {
  const auto maps = torch::tensor({{{1.0, 3.0}, {0.0, 0.0}},
                                   {{-2.0, 2.0}, {1.0, 0.0}},   // negative evidence ignored
                                   {{-1.0, -1.0}, {0.0, 0.0}},  // no positive value
                                   {{4.0, 2.0}, {2.0, 1.0}}},
                                  torch::kDouble);
  const auto masks = torch::tensor({{{1.0, 0.0}, {0.0, 0.0}},
                                    {{0.0, 1.0}, {1.0, 0.0}},
                                    {{1.0, 1.0}, {1.0, 1.0}},
                                    {{1.0, 1.0}, {0.0, 0.0}}},
                                   torch::kDouble);
  const auto energy = energy_inside(maps, masks);
  EXPECT_DOUBLE_EQ(energy[0].item<double>(), 0.25);  // 1 of 1 + 3
  EXPECT_DOUBLE_EQ(energy[1].item<double>(), 1.0);   // 2 + 1 of 2 + 1
  EXPECT_TRUE(std::isnan(energy[2].item<double>()));
  EXPECT_DOUBLE_EQ(energy[3].item<double>(), 6.0 / 9.0);  // 4 + 2 of 9
  const auto iou = iou_at_half_max(maps, masks);
  EXPECT_DOUBLE_EQ(iou[0].item<double>(), 0.0);  // {(0,1)} against {(0,0)}
  EXPECT_DOUBLE_EQ(iou[1].item<double>(), 1.0);  // >= 1: exactly the mask
  EXPECT_TRUE(std::isnan(iou[2].item<double>()));
  EXPECT_DOUBLE_EQ(iou[3].item<double>(), 2.0 / 3.0);  // >= 2: 3 pixels, 2 of them the mask's
}

TEST(GroupMetrics, PerGroupWorstMeanAndTrainWeightedOnHandMadeOutcomes) {
  const auto correct = torch::tensor({true, false, true, true, false, true});
  const auto group = torch::tensor({0, 0, 1, -1, 1, 1}, torch::kInt64);  // -1: in no group
  const auto by = accuracy_by(correct, group, 3);
  EXPECT_EQ(by.count, (std::vector<int64_t>{2, 3, 0}));
  EXPECT_DOUBLE_EQ(by.accuracy[0], 0.5);
  EXPECT_DOUBLE_EQ(by.accuracy[1], 2.0 / 3.0);
  EXPECT_TRUE(std::isnan(by.accuracy[2]));
  EXPECT_DOUBLE_EQ(by.worst(), 0.5);
  EXPECT_DOUBLE_EQ(by.weighted(), (0.5 + 2.0 / 3.0) / 2);  // mean-group: groups count alike
  // Group-weighted: the training shares 0.8 and 0.2 (group 2, absent here, drops out).
  EXPECT_DOUBLE_EQ(by.weighted({0.8, 0.2, 0.5}), 0.8 * 0.5 + 0.2 * 2.0 / 3.0);
  EXPECT_TRUE(std::isnan(accuracy_by(correct, torch::full({6}, -1, torch::kInt64), 2).worst()));
}

}  // namespace
}  // namespace reff::eval
