#include "reff/data/procedural_texture_bank.h"

#include <gtest/gtest.h>

#include <set>

namespace reff::data {
namespace {

TEST(ProceduralTextures, HasEnoughNamedClassesForTexturedMnist) {
  const ProceduralTextureBank bank;
  EXPECT_EQ(bank.num_classes(), 48);
  const std::set<std::string> unique(bank.class_names().begin(), bank.class_names().end());
  EXPECT_EQ(unique.size(), 48u);
  EXPECT_EQ(bank.class_names().front(), "stripes-red");
}

TEST(ProceduralTextures, PatchesAreTexturedDeterministicAndVaried) {
  const ProceduralTextureBank bank;
  for (int64_t c = 0; c < bank.num_classes(); ++c) {
    Rng a(c), b(c);
    const auto patch = bank.sample(c, 40, a);
    ASSERT_EQ(patch.sizes(), (std::vector<int64_t>{3, 40, 40}));
    EXPECT_GE(patch.min().item<float>(), 0.0f);
    EXPECT_LE(patch.max().item<float>(), 1.0f);
    EXPECT_GT(patch.std().item<float>(), 0.02f) << bank.class_names()[c] << " is flat";
    EXPECT_TRUE(torch::equal(patch, bank.sample(c, 40, b)));
    EXPECT_FALSE(torch::equal(patch, bank.sample(c, 40, a))) << bank.class_names()[c];
  }
}

TEST(ProceduralTextures, TheTwentyClassBankIsTenPatternsInTwoPalettes) {
  const ProceduralTextureBank bank(ProceduralTextureBank::Colouring::varied);
  ASSERT_EQ(bank.num_classes(), 20);
  EXPECT_EQ(bank.class_names()[0], "stripes-warm");
  EXPECT_EQ(bank.class_names()[10], "stripes-cool");
  EXPECT_EQ(bank.class_names()[19], "bricks-cool");
  for (int64_t c = 0; c < bank.num_classes(); ++c) {
    Rng a(c), b(c);
    const auto patch = bank.sample(c, 40, a);
    EXPECT_GT(patch.std().item<float>(), 0.02f) << bank.class_names()[c] << " is flat";
    EXPECT_TRUE(torch::equal(patch, bank.sample(c, 40, b)));
    EXPECT_FALSE(torch::equal(patch, bank.sample(c, 40, a))) << bank.class_names()[c];
    // warm: more red than blue on average; cool: the other way round
    const auto mean = patch.mean({1, 2});
    const bool warm = c < 10;
    EXPECT_EQ(mean[0].item<float>() > mean[2].item<float>(), warm) << bank.class_names()[c];
  }
  // The colours are drawn per patch: a class is a pattern, not a colour.
  Rng rng(7);
  const auto first = bank.sample(12, 40, rng).mean({1, 2});
  const auto second = bank.sample(12, 40, rng).mean({1, 2});
  EXPECT_GT((first - second).abs().max().item<float>(), 0.05f);
}

}  // namespace
}  // namespace reff::data
