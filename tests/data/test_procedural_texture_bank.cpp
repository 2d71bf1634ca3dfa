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

}  // namespace
}  // namespace reff::data
