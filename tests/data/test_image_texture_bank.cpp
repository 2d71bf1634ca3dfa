#include "data/gimp_pattern_file.h"
#include "fixtures.h"
#include "reff/data/image_file.h"
#include "reff/data/image_texture_bank.h"
#include "reff/error.h"

#include <gtest/gtest.h>

namespace reff::data {
namespace {

// A 48x40 RGB image: a colour ramp, different for each `tone`.
torch::Tensor ramp(int64_t tone) {
  auto x = torch::arange(48, torch::kFloat).view({1, 1, 48}).expand({3, 40, 48});
  auto y = torch::arange(40, torch::kFloat).view({1, 40, 1}).expand({3, 40, 48});
  auto c = torch::tensor({1.0f, 2.0f, 3.0f}).view({3, 1, 1});
  return (x * 2 + y * c + tone * 37).remainder(256).to(torch::kUInt8).contiguous();
}

std::filesystem::path write_dtd_folder(const std::filesystem::path& root) {
  for (const char* cls : {"banded", "zigzagged", "dotted"}) {
    std::filesystem::create_directories(root / "images" / cls);
  }
  write_png((root / "images/banded/banded_0001.png").string(), ramp(1));
  write_png((root / "images/banded/banded_0002.png").string(), ramp(2));
  write_jpeg((root / "images/zigzagged/zigzagged_0001.jpg").string(), ramp(3));
  write_png((root / "images/dotted/dotted_0001.png").string(), ramp(4));
  test::write_file(root / "images/dotted/notes.txt", "not an image");
  return root;
}

TEST(DtdFolder, LoadsClassesInNameOrderFromPngAndJpeg) {
  const auto root = write_dtd_folder(test::fresh_dir("dtd"));
  const auto bank = load_dtd_folder(root.string());
  EXPECT_EQ(bank->class_names(), (std::vector<std::string>{"banded", "dotted", "zigzagged"}));
  Rng rng(1);
  for (int64_t c = 0; c < 3; ++c) {
    const auto patch = bank->sample(c, 24, rng);
    ASSERT_EQ(patch.sizes(), (std::vector<int64_t>{3, 24, 24}));
    EXPECT_GE(patch.min().item<float>(), 0.0f);
    EXPECT_LE(patch.max().item<float>(), 1.0f);
  }
}

TEST(DtdFolder, PatchesDifferButRepeatForTheSameGeneratorState) {
  const auto bank = load_dtd_folder(write_dtd_folder(test::fresh_dir("dtd")).string());
  Rng a(7), b(7), c(8);
  const auto first = bank->sample(0, 16, a);
  EXPECT_TRUE(torch::equal(first, bank->sample(0, 16, b)));
  EXPECT_FALSE(torch::equal(first, bank->sample(0, 16, a)));
  EXPECT_FALSE(torch::equal(first, bank->sample(0, 16, c)));
}

TEST(DtdFolder, RejectsMissingAndEmptyFolders) {
  const auto root = test::fresh_dir("dtd");
  EXPECT_THROW(load_dtd_folder(root.string()), Error);  // no images/
  std::filesystem::create_directories(root / "images");
  EXPECT_THROW(load_dtd_folder(root.string()), Error);  // no classes
  std::filesystem::create_directories(root / "images/empty");
  try {
    load_dtd_folder(root.string());
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("empty: texture class folder has no .jpg/.png images"),
              std::string::npos)
        << e.what();
  }
  test::write_file(root / "images/empty/broken.png", "not a png");
  EXPECT_THROW(load_dtd_folder(root.string()), Error);
}

TEST(GimpPatterns, PutsTheDigitTexturesFirst) {
  const auto dir = test::fresh_dir("patterns");
  std::vector<uint8_t> pixels(4 * 4 * 3);
  for (size_t k = 0; k < pixels.size(); ++k) pixels[k] = uint8_t(k * 5);
  std::filesystem::create_directories(dir / "Wood");
  std::filesystem::create_directories(dir / "Aaa");
  for (const char* name : {"Aaa/first", "Wood/wood1", "Wood/zzz"}) {
    test::write_file(dir / (std::string(name) + ".pat"),
                     test::gimp_pattern_bytes(name, 4, 4, 3, pixels));
  }
  const auto bank = load_gimp_patterns(dir.string());
  EXPECT_EQ(bank->class_names(), (std::vector<std::string>{"Wood/wood1", "Aaa/first", "Wood/zzz"}));
  Rng rng(0);
  // Tileable: a 4x4 pattern gives a 32 px patch by wrapping around, not by blowing it up.
  const auto patch = bank->sample(0, 32, rng);
  EXPECT_EQ(patch.size(1), 32);
}

TEST(GimpPatterns, LoadsDebiansGimpData) {
  const auto bank = load_gimp_patterns("/usr/share/gimp/2.0/patterns");
  ASSERT_GE(bank->num_classes(), 47);  // 10 digit + 37 background textures
  for (size_t k = 0; k < kGimpDigitTextures.size(); ++k) {
    EXPECT_EQ(bank->class_names()[k], kGimpDigitTextures[k]);
  }
}

}  // namespace
}  // namespace reff::data
