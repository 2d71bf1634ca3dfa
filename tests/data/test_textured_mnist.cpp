#include "fixtures.h"
#include "reff/data/procedural_texture_bank.h"
#include "reff/data/textured_mnist.h"
#include "reff/error.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>

namespace reff::data {
namespace {

TexturedMnist make(TexturedMnistOptions options, int64_t digits = 100,
                   std::shared_ptr<const TextureBank> bank = nullptr) {
  if (!bank) bank = std::make_shared<ProceduralTextureBank>();
  return TexturedMnist(test::bar_digits(digits), bank, options);
}

TEST(TexturedMnist, SameSeedSameBytesOtherSeedOtherBytes) {
  TexturedMnistOptions options;
  options.seed = 11;
  const auto a = make(options).generate(0, 24);
  const auto b = make(options).generate(0, 24);
  options.seed = 12;
  const auto c = make(options).generate(0, 24);
  int64_t differing = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_TRUE(torch::equal(a[i].image, b[i].image));
    EXPECT_TRUE(torch::equal(a[i].mask, b[i].mask));
    differing += !torch::equal(a[i].image, c[i].image);
  }
  EXPECT_EQ(differing, 24);
}

TEST(TexturedMnist, ParallelGenerationEqualsOneByOne) {
  TexturedMnistOptions options;
  options.digit_size = 24;
  const auto generator = make(options);
  const auto batch = generator.generate(5, 40);
  for (int64_t k = 0; k < 40; ++k) {
    const auto single = generator.get(5 + k);
    EXPECT_TRUE(torch::equal(batch[k].image, single.image)) << k;
    EXPECT_EQ(batch[k].label, single.label);
  }
}

TEST(TexturedMnist, MaskIsTheDigitsShape) {
  // Canvas = digit = 28 px: no resampling, so the mask is exactly the strokes at >= half intensity.
  TexturedMnistOptions options;
  options.canvas = 28;
  const auto generator = make(options);
  for (int64_t i = 0; i < 20; ++i) {
    const auto sample = generator.get(i);
    const auto strokes = generator.digits().images[sample.source_index];
    EXPECT_TRUE(torch::equal(sample.mask, (strokes >= 128).to(torch::kUInt8))) << i;
    EXPECT_EQ(sample.label, generator.digits().labels[sample.source_index].item<int64_t>());
  }
}

TEST(TexturedMnist, MaskMarksThePixelsThatShowTheDigitTexture) {
  // Flat textures: every pixel is a blend of the digit's colour and the background's; the mask
  // is 1 exactly where the digit's colour dominates. Independent of how the mask is computed.
  TexturedMnistOptions options;
  options.canvas = 40;
  options.digit_size = 30;
  options.p = 1.0;
  const auto bank = std::make_shared<test::FlatTextureBank>(30);
  const auto generator = make(options, 50, bank);
  const double c = options.luminance_offset;
  for (int64_t i = 0; i < 30; ++i) {
    const auto s = generator.get(i);
    const auto digit = (c + (1 - c) * test::FlatTextureBank::colour_of(s.digit_texture)) * 255;
    const auto background = (1 - c) * test::FlatTextureBank::colour_of(s.background_texture) * 255;
    const auto pixels = s.image.to(torch::kFloat).view({3, -1});
    const auto to_digit = (pixels - digit.view({3, 1})).pow(2).sum(0);
    const auto to_background = (pixels - background.view({3, 1})).pow(2).sum(0);
    const auto closer_to_digit = (to_digit < to_background).to(torch::kUInt8);
    const auto disagreements = (closer_to_digit != s.mask.view({-1})).sum().item<int64_t>();
    EXPECT_LE(disagreements, 2) << "sample " << i;  // ties at exactly half coverage
    EXPECT_GT(s.mask.sum().item<int64_t>(), 20);
  }
}

TEST(TexturedMnist, DigitsStayInsideTheCanvas) {
  TexturedMnistOptions options;
  options.canvas = 40;
  options.digit_size = 17;
  const auto generator = make(options);
  std::set<int64_t> xs;
  for (int64_t i = 0; i < 200; ++i) {
    const auto s = generator.get(i);
    ASSERT_GE(s.x, 0);
    ASSERT_LE(s.x + 17, 40);
    ASSERT_GE(s.y, 0);
    ASSERT_LE(s.y + 17, 40);
    xs.insert(s.x);
    // Nothing of the digit outside its square.
    auto outside = s.mask.clone();
    outside.narrow(0, s.y, 17).narrow(1, s.x, 17).zero_();
    EXPECT_EQ(outside.sum().item<int64_t>(), 0);
    EXPECT_GT(s.mask.sum().item<int64_t>(), 0);
  }
  EXPECT_GT(xs.size(), 15u);  // positions vary
}

TEST(TexturedMnist, PZeroMakesTheBackgroundTheLabelsClass) {
  TexturedMnistOptions options;
  options.p = 0.0;
  options.q = 0.0;
  const auto generator = make(options);
  for (int64_t i = 0; i < 300; ++i) {
    const auto s = generator.get(i);
    EXPECT_EQ(s.background_texture, generator.background_class(s.label));
    EXPECT_EQ(s.background_texture, 10 + s.label);
    EXPECT_EQ(s.digit_texture, s.label);
  }
}

// Counts of each class within `sigmas` standard deviations of a uniform draw.
void expect_uniform(const std::vector<int64_t>& counts, int64_t draws, double sigmas) {
  const double k = counts.size(), mean = draws / k;
  const double sd = std::sqrt(draws * (1 / k) * (1 - 1 / k));
  for (size_t c = 0; c < counts.size(); ++c) {
    EXPECT_NEAR(counts[c], mean, sigmas * sd) << "class " << c;
  }
}

TEST(TexturedMnist, POneAndQOneDrawClassesUniformly) {
  TexturedMnistOptions options;
  options.p = 1.0;
  options.q = 1.0;
  const auto generator = make(options);
  ASSERT_EQ(generator.num_backgrounds(), 37);
  constexpr int64_t kDraws = 3700;
  std::vector<int64_t> backgrounds(37), digits(10);
  for (int64_t i = 0; i < kDraws; ++i) {
    const auto s = generator.get(i);
    ASSERT_GE(s.background_texture, 10);
    ASSERT_LT(s.background_texture, 47);
    ++backgrounds[s.background_texture - 10];
    ++digits[s.digit_texture];
  }
  // 4.5 sd: the chance that any of 47 cells fails by luck is below 1e-3.
  expect_uniform(backgrounds, kDraws, 4.5);
  expect_uniform(digits, kDraws, 4.5);
}

// The cpu preset's look: 28-px digits on a 40-px canvas, c = 0.5, stretched patches, p = 1.
TexturedMnistOptions stretched_options() {
  TexturedMnistOptions options;
  options.digit_size = 28;
  options.luminance_offset = 0.5;
  options.stretch_textures = true;
  options.p = 1.0;
  return options;
}

TEST(TexturedMnist, StretchedTexturesMakeEveryDigitPixelBrighterThanTheBackground) {
  // c = 0.5 and patches stretched to [0, 1]: the digit's full-coverage pixels are >= 0.5 * 255,
  // the pixels outside its square (pure background) <= 0.5 * 255, on every texture pair.
  const auto options = stretched_options();
  const auto generator = make(options, 60);
  for (int64_t i = 0; i < 60; ++i) {
    const auto s = generator.get(i);
    const auto strokes = generator.digits().images[s.source_index];
    const auto full = (strokes == 255).unsqueeze(0).expand({3, 28, 28});
    const auto square = s.image.narrow(1, s.y, 28).narrow(2, s.x, 28);
    ASSERT_GT(full.sum().item<int64_t>(), 0);
    EXPECT_GE(square.masked_select(full).min().item<int64_t>(), 127) << i;
    auto outside = torch::ones({3, 40, 40}, torch::kBool);
    outside.narrow(1, s.y, 28).narrow(2, s.x, 28).fill_(false);
    EXPECT_LE(s.image.masked_select(outside).max().item<int64_t>(), 128) << i;
  }
}

TEST(TexturedMnist, StretchingUsesEachRegionsWholeRange) {
  // Flat colours with distinct channels: stretched over the patch, the darkest channel becomes 0
  // and the brightest 1, so the background spans [0, 0.5] and the digit [0.5, 1] exactly.
  const auto options = stretched_options();
  const auto generator = make(options, 30, std::make_shared<test::FlatTextureBank>(30));
  int64_t checked = 0;
  for (int64_t i = 0; i < 30; ++i) {
    const auto s = generator.get(i);
    const auto spread = [](const torch::Tensor& colour) {
      return (colour.max() - colour.min()).item<float>() > 0;
    };
    if (!spread(test::FlatTextureBank::colour_of(s.digit_texture)) ||
        !spread(test::FlatTextureBank::colour_of(s.background_texture))) {
      continue;  // a grey one stretches to mid-grey
    }
    const auto strokes = generator.digits().images[s.source_index];
    const auto square = s.image.narrow(1, s.y, 28).narrow(2, s.x, 28);
    const auto full = square.masked_select((strokes == 255).unsqueeze(0).expand({3, 28, 28}));
    auto outside = torch::ones({3, 40, 40}, torch::kBool);
    outside.narrow(1, s.y, 28).narrow(2, s.x, 28).fill_(false);
    const auto background = s.image.masked_select(outside);
    EXPECT_EQ(background.min().item<int64_t>(), 0) << i;
    EXPECT_EQ(background.max().item<int64_t>(), 128) << i;
    EXPECT_EQ(full.min().item<int64_t>(), 128) << i;
    EXPECT_EQ(full.max().item<int64_t>(), 255) << i;
    ++checked;
  }
  EXPECT_GT(checked, 20);
}

TEST(TexturedMnist, ColourJitterTurnsEachPatchsColoursAndKeepsTheRest) {
  TexturedMnistOptions options;
  options.digit_size = 24;
  const auto plain = make(options).generate(0, 16);
  options.colour_jitter = true;
  const auto jittered = make(options).generate(0, 16);
  const auto again = make(options).generate(0, 16);
  // The dominant channel of each background, by its texture class: jittered, one class shows
  // several (deterministic for this seed; without jitter each class has one colour).
  std::map<int64_t, std::set<int64_t>> dominant;
  for (size_t i = 0; i < plain.size(); ++i) {
    EXPECT_TRUE(torch::equal(jittered[i].image, again[i].image));  // still (seed, i) alone
    EXPECT_TRUE(torch::equal(jittered[i].mask, plain[i].mask));
    EXPECT_EQ(jittered[i].background_texture, plain[i].background_texture);
    EXPECT_FALSE(torch::equal(jittered[i].image, plain[i].image)) << i;
    const auto background = jittered[i].image.to(torch::kFloat32).mul(1 - jittered[i].mask);
    dominant[jittered[i].background_texture].insert(
        background.sum({1, 2}).argmax().item<int64_t>());
  }
  size_t most = 0;
  for (const auto& [cls, channels] : dominant) most = std::max(most, channels.size());
  EXPECT_GT(most, 1u);
}

// Vertical stripes 4 px wide at the bank's own scale, whatever the patch size.
class StripeBank : public TextureBank {
 public:
  StripeBank() : names_(20, "stripes") {}
  const std::vector<std::string>& class_names() const override { return names_; }
  torch::Tensor sample(int64_t, int64_t size, Rng&) const override {
    const auto row = torch::arange(size).div(4, "floor").remainder(2).to(torch::kFloat32);
    return row.expand({3, size, size}).contiguous();
  }

 private:
  std::vector<std::string> names_;
};

// Mean |difference| between horizontal neighbours on the background, over the first images.
double background_edges(const TexturedMnistOptions& options) {
  const auto generator = make(options, 100, std::make_shared<StripeBank>());
  double sum = 0.0;
  for (const auto& sample : generator.generate(0, 8)) {
    const auto image = sample.image[0].to(torch::kFloat32).div(255.0);
    const auto background = sample.mask.eq(0);
    const auto both = background.narrow(1, 0, image.size(1) - 1)
                          .logical_and(background.narrow(1, 1, image.size(1) - 1));
    const auto step =
        (image.narrow(1, 1, image.size(1) - 1) - image.narrow(1, 0, image.size(1) - 1)).abs();
    sum += step.masked_select(both).mean().item<double>();
  }
  return sum / 8;
}

TEST(TexturedMnist, TextureShrinkShowsThePatternSmaller) {
  TexturedMnistOptions options;
  options.digit_size = 12;
  options.luminance_offset = 0.0;
  const double native = background_edges(options);
  options.texture_shrink = 2.0;
  const double halved = background_edges(options);
  // 4-px stripes change every 4 px (mean step 0.25); shrunk twice they change every 2 px.
  EXPECT_NEAR(native, 0.25, 0.03);
  EXPECT_GT(halved, 1.6 * native);
  for (const double bad : {0.5, 17.0, std::nan("")}) {
    options.texture_shrink = bad;
    EXPECT_THROW(options.validate(), Error) << bad;
  }
}

TEST(TexturedMnist, MaskThresholdWidensTheMaskOverTheDigitsEdges) {
  TexturedMnistOptions options;
  options.canvas = 28;
  options.mask_threshold = 0.2;
  const auto generator = make(options);
  for (int64_t i = 0; i < 10; ++i) {
    const auto sample = generator.get(i);
    const auto strokes = generator.digits().images[sample.source_index];
    // 0.2 * 255 = 51: the bars' half-intensity edges (128) are now inside.
    EXPECT_TRUE(torch::equal(sample.mask, (strokes >= 51).to(torch::kUInt8))) << i;
  }
}

TEST(TexturedMnist, RejectsBadOptions) {
  auto expect_bad = [](TexturedMnistOptions options, const std::string& option) {
    try {
      make(options);
      FAIL() << "no error for " << option;
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()).rfind(option, 0), 0u) << e.what();
    }
  };
  TexturedMnistOptions o;
  o.p = 1.5;
  expect_bad(o, "--p");
  o = {};
  o.q = -0.1;
  expect_bad(o, "--q");
  o = {};
  o.digit_size = 41;
  expect_bad(o, "--digit-size");
  o = {};
  o.canvas = 2;
  expect_bad(o, "--canvas");
  o = {};
  o.luminance_offset = 1.0;
  expect_bad(o, "--luminance-offset");
  o = {};
  o.mask_threshold = 0.0;
  expect_bad(o, "--mask-threshold");
  EXPECT_THROW(make({}, 10, std::make_shared<test::FlatTextureBank>(15)),
               Error);  // too few classes
}

}  // namespace
}  // namespace reff::data
