#include "data/gimp_pattern_file.h"
#include "fixtures.h"
#include "reff/data/gimp_pattern.h"
#include "reff/error.h"

#include <gtest/gtest.h>

namespace reff::data {
namespace {

using test::gimp_pattern_bytes;

TEST(GimpPattern, ParsesRgbFromAFileTheTestWrites) {
  const auto dir = test::fresh_dir("pat");
  // 2x1 RGB: red, then (10, 20, 30).
  test::write_file(dir / "two.pat",
                   gimp_pattern_bytes("Two pixels", 2, 1, 3, {255, 0, 0, 10, 20, 30}));
  const auto pattern = read_gimp_pattern((dir / "two.pat").string());
  EXPECT_EQ(pattern.name, "Two pixels");
  ASSERT_EQ(pattern.pixels.sizes(), (std::vector<int64_t>{3, 1, 2}));
  EXPECT_TRUE(torch::equal(pattern.pixels.view({3, 2}),
                           torch::tensor({{255, 10}, {0, 20}, {0, 30}}, torch::kUInt8)));
}

TEST(GimpPattern, ExpandsGreyAndCompositesAlphaOnWhite) {
  const auto grey = parse_gimp_pattern(gimp_pattern_bytes("g", 1, 2, 1, {0, 200}), "grey");
  EXPECT_TRUE(torch::equal(grey.pixels[2].flatten(), torch::tensor({0, 200}, torch::kUInt8)));
  // RGBA: opaque black, fully transparent black (white), half-transparent black (~128).
  const auto rgba = parse_gimp_pattern(
      gimp_pattern_bytes("a", 3, 1, 4, {0, 0, 0, 255, 0, 0, 0, 0, 0, 0, 0, 128}), "rgba");
  EXPECT_TRUE(torch::equal(rgba.pixels[0].flatten(), torch::tensor({0, 255, 127}, torch::kUInt8)));
  const auto grey_alpha = parse_gimp_pattern(gimp_pattern_bytes("ga", 1, 1, 2, {100, 255}), "ga");
  EXPECT_EQ(grey_alpha.pixels[1][0][0].item<uint8_t>(), 100);
}

TEST(GimpPattern, RejectsCorruptFiles) {
  const std::vector<uint8_t> rgb(2 * 2 * 3, 7);
  EXPECT_THROW(parse_gimp_pattern("GPAT", "short"), Error);
  EXPECT_THROW(parse_gimp_pattern(gimp_pattern_bytes("x", 2, 2, 3, rgb, "GIMP"), "magic"), Error);
  EXPECT_THROW(parse_gimp_pattern(gimp_pattern_bytes("x", 2, 2, 5, rgb), "bpp"), Error);
  EXPECT_THROW(parse_gimp_pattern(gimp_pattern_bytes("x", 0, 2, 3, rgb), "zero width"), Error);
  auto truncated = gimp_pattern_bytes("x", 2, 2, 3, rgb);
  truncated.pop_back();
  try {
    parse_gimp_pattern(truncated, "cut.pat");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cut.pat: truncated: 12 pixel bytes expected, 11"),
              std::string::npos)
        << e.what();
  }
  auto lying_header = gimp_pattern_bytes("x", 2, 2, 3, rgb);
  lying_header[2] = 0x7F;  // header size far beyond the file
  EXPECT_THROW(parse_gimp_pattern(lying_header, "header"), Error);
  EXPECT_THROW(read_gimp_pattern("/nonexistent/x.pat"), Error);
}

TEST(GimpPattern, ReadsARealPatternOfGimpData) {
  // The default texture bank: Debian's gimp-data, installed by scripts/install-deps.
  const std::string wood = "/usr/share/gimp/2.0/patterns/Wood/wood1.pat";
  const auto pattern = read_gimp_pattern(wood);
  EXPECT_GT(pattern.pixels.size(1), 16);
  EXPECT_GT(pattern.pixels.to(torch::kFloat).std().item<float>(), 5.0f);  // a texture, not flat
}

}  // namespace
}  // namespace reff::data
