#include "reff/error.h"
#include "reff/models/pix2pix.h"

#include <gtest/gtest.h>

namespace reff::models {
namespace {

TEST(Pix2Pix, UNetDepthAdaptsToTheImageSize) {
  EXPECT_EQ(unet_depth(40), 3);
  EXPECT_EQ(unet_depth(224), 5);
  EXPECT_EQ(unet_depth(256), 8);
  EXPECT_EQ(unet_depth(1024), 8);
  EXPECT_THROW(UNetGenerator(41), Error);
}

TEST(Pix2Pix, GeneratorGivesOneChannelInZeroOneAtEverySize) {
  for (int64_t size : {32, 40, 64, 256}) {
    UNetGenerator g(size, /*base=*/8);
    const auto out = g.forward(torch::randn({2, 3, size, size}));
    EXPECT_EQ(out.sizes(), (std::vector<int64_t>{2, 1, size, size})) << size;
    EXPECT_GE(out.min().item<float>(), 0.0f);
    EXPECT_LE(out.max().item<float>(), 1.0f);
  }
}

TEST(Pix2Pix, DiscriminatorGivesPatchLogits) {
  PatchDiscriminator d(/*base=*/8);
  // pix2pix's 70x70 PatchGAN gives 30x30 logits on 256 px; 40 px gives 3x3.
  EXPECT_EQ(d.forward(torch::randn({1, 3, 256, 256}), torch::rand({1, 1, 256, 256})).sizes(),
            (std::vector<int64_t>{1, 1, 30, 30}));
  EXPECT_EQ(d.forward(torch::randn({2, 3, 40, 40}), torch::rand({2, 1, 40, 40})).sizes(),
            (std::vector<int64_t>{2, 1, 3, 3}));
  // The paper's five layers: 64, 128, 256, 512 and 1 output channels at base 64.
  PatchDiscriminator seed;
  std::vector<int64_t> channels;
  for (const auto& p : seed.named_parameters()) {
    if (p.key().find("weight") != std::string::npos && p.value().dim() == 4) {
      channels.push_back(p.value().size(0));
    }
  }
  EXPECT_EQ(channels, (std::vector<int64_t>{64, 128, 256, 512, 1}));
}

}  // namespace
}  // namespace reff::models
