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

}  // namespace
}  // namespace reff::eval
