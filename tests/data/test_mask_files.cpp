// The mask formats of own folders against hand-made files (tests/data/masks: the JSON written by
// hand, the PNGs by make_fixtures.py) and hand-computed pixels.
#include "fixtures.h"
#include "reff/data/base64.h"
#include "reff/data/coco_file.h"
#include "reff/data/csv_table.h"
#include "reff/data/image_file.h"
#include "reff/data/labelme_file.h"
#include "reff/data/mask_file.h"
#include "reff/data/png_values.h"
#include "reff/data/region_shapes.h"

#include <gtest/gtest.h>

namespace reff::data {
namespace {

const std::string kMasks = std::string(REFF_TEST_DIR) + "/data/masks/";

// The pixels (y, x) where `mask` is true, row by row.
std::vector<std::pair<int64_t, int64_t>> on(const torch::Tensor& mask) {
  std::vector<std::pair<int64_t, int64_t>> pixels;
  const auto a = mask.accessor<bool, 2>();
  for (int64_t y = 0; y < mask.size(0); ++y)
    for (int64_t x = 0; x < mask.size(1); ++x)
      if (a[y][x]) pixels.emplace_back(y, x);
  return pixels;
}

using Pixels = std::vector<std::pair<int64_t, int64_t>>;

TEST(RegionShapes, PolygonRectangleAndCircleCoverThePixelCentresInside) {
  auto mask = torch::zeros({4, 5}, torch::kBool);
  fill_polygon(mask, {{1, 1}, {3, 1}, {3, 3}}, "t");      // triangle: centres (1.5,1.5), (2.5,1.5),
  EXPECT_EQ(on(mask), (Pixels{{1, 1}, {1, 2}, {2, 2}}));  // (2.5, 2.5)
  mask.zero_();
  fill_rectangle(mask, {4, 0}, {2, 2}, "t");  // corners in any order
  EXPECT_EQ(on(mask), (Pixels{{0, 2}, {0, 3}, {1, 2}, {1, 3}}));
  mask.zero_();
  fill_circle(mask, {1, 1}, {1, 2}, "t");  // r = 1: the four pixels around (1, 1)
  EXPECT_EQ(on(mask), (Pixels{{0, 0}, {0, 1}, {1, 0}, {1, 1}}));
}

TEST(RegionShapes, BadShapesAreErrors) {
  auto mask = torch::zeros({4, 5}, torch::kBool);
  test::expect_error_mentioning(
      [&] {
        fill_polygon(mask, {{0, 0}, {1, 1}}, "t");
      },
      "at least 3 points");
  test::expect_error_mentioning(
      [&] {
        fill_polygon(mask, {{0, 0}, {6, 0}, {0, 1}}, "t");
      },
      "outside the 5x4 image");
  test::expect_error_mentioning(
      [&] {
        fill_polygon(mask, {{0, 0}, {1, -1}, {0, 1}}, "t");
      },
      "outside");
  test::expect_error_mentioning([&] { fill_circle(mask, {0, 0}, {NAN, 1}, "t"); }, "outside");
}

TEST(RegionShapes, RunLengthsAreColumnMajor) {
  // 3 x 3, runs 3 zeros, 3 ones, 3 zeros: the middle column.
  EXPECT_EQ(on(decode_rle({3, 3, 3}, 3, 3, "t")), (Pixels{{0, 1}, {1, 1}, {2, 1}}));
  EXPECT_EQ(on(decode_rle({0, 2}, 1, 2, "t")), (Pixels{{0, 0}, {0, 1}}));  // starts with ones
  test::expect_error_mentioning([] { decode_rle({3, 3, 2}, 3, 3, "t"); }, "sum to 8");
  test::expect_error_mentioning([] { decode_rle({3, 7}, 3, 3, "t"); }, "do not sum");
  test::expect_error_mentioning([] { decode_rle({-1, 10}, 3, 3, "t"); }, "do not sum");
}

TEST(RegionShapes, CompressedRunLengthsDecodeAsCocoWritesThem) {
  // Hand-encoded: 1, 4, 2 as themselves ('1', '4', '2'); the 4th count is stored as its
  // difference to the 2nd, 2 - 4 = -2: low 5 bits 11110 with the sign bit, 30 + '0' = 'N'.
  EXPECT_EQ(parse_rle_string("142N", "t"), (std::vector<int64_t>{1, 4, 2, 2}));
  // 40 = 01000 + 1 << 5: low group 8 | 0x20 (more) = 40 -> 'X', then 1 -> '1'.
  EXPECT_EQ(parse_rle_string("X1", "t"), (std::vector<int64_t>{40}));
  test::expect_error_mentioning([] { parse_rle_string("X", "t"); }, "ends inside a count");
  test::expect_error_mentioning([] { parse_rle_string("1 2", "t"); }, "outside");
}

TEST(PngValues, IndexedPngsGivePaletteIndicesAndGrayPngsLevels) {
  const auto indexed = read_png_values(kMasks + "indexed.png").values;
  EXPECT_TRUE(read_png_values(kMasks + "indexed.png").indexed);
  EXPECT_FALSE(read_png_values(kMasks + "gray.png").indexed);
  EXPECT_TRUE(indexed.equal(
      torch::tensor({{0, 0, 15, 15}, {0, 15, 15, 255}, {2, 2, 0, 0}}, torch::kUInt8)));
  MaskReader voc({0.5, {15}});
  EXPECT_EQ(on(voc.read(kMasks + "indexed.png", "x.png", 3, 4)),
            (Pixels{{0, 2}, {0, 3}, {1, 1}, {1, 2}}));
  MaskReader gray({0.5, {}});  // >= 127.5
  EXPECT_EQ(on(gray.read(kMasks + "gray.png", "x.png", 3, 4)),
            (Pixels{{0, 2}, {0, 3}, {1, 1}, {2, 0}, {2, 1}, {2, 2}, {2, 3}}));
  test::expect_error_mentioning([&] { gray.read(kMasks + "gray.png", "x.png", 4, 4); },
                                "is 4x3 but its image x.png is 4x4");
}

TEST(MaskReader, PalettePngsWithoutValuesMarkEveryIndexButBackground) {
  MaskReader reader({0.5, {}});
  // CVAT: index 1 the object. VOC: class 15, and 255 (void, the band around it) counts as well.
  EXPECT_EQ(on(reader.read(kMasks + "palette01.png", "x.png", 3, 4)),
            (Pixels{{0, 2}, {0, 3}, {1, 1}, {1, 2}}));
  EXPECT_EQ(on(reader.read(kMasks + "voc.png", "x.png", 3, 4)),
            (Pixels{{0, 2}, {0, 3}, {1, 1}, {1, 2}, {1, 3}}));
  // --mask-values still names exactly the relevant indices.
  MaskReader object({0.5, {15}});
  EXPECT_EQ(on(object.read(kMasks + "voc.png", "x.png", 3, 4)), (Pixels{{0, 2}, {0, 3}, {1, 1}}));
  MaskReader ones({0.5, {1}});
  EXPECT_EQ(on(ones.read(kMasks + "palette01.png", "x.png", 3, 4)),
            (Pixels{{0, 2}, {0, 3}, {1, 1}, {1, 2}}));
  // Gray levels keep the threshold: 0 and 1 read empty.
  EXPECT_EQ(reader.read(kMasks + "levels01.png", "x.png", 3, 4).sum().item<int64_t>(), 0);
}

TEST(MaskReader, AnEmptyReadingSaysWhichValuesItDropped) {
  MaskReader gray({0.5, {}});
  EXPECT_EQ(gray.empty_hint(kMasks + "levels01.png"),
            "gray levels {1} present, below --mask-threshold 0.5 x 255; pass --mask-values 1");
  MaskReader wrong({0.5, {7}});
  EXPECT_EQ(wrong.empty_hint(kMasks + "voc.png"),
            "palette indices {15, 255} present, none of them among --mask-values; pass "
            "--mask-values 15 --mask-values 255");
  EXPECT_EQ(gray.empty_hint(kMasks + "labelme.json"), "");  // no values to name
  const auto zeros = ::testing::TempDir() + "zeros.png";
  write_png(zeros, torch::zeros({3, 4}, torch::kUInt8));
  EXPECT_EQ(gray.empty_hint(zeros), "");
  const auto many = ::testing::TempDir() + "many.png";
  write_png(many, torch::arange(12, torch::kUInt8).view({3, 4}));
  EXPECT_EQ(gray.empty_hint(many),
            "gray levels {1, 2, 3, 4, ...} present, below --mask-threshold 0.5 x 255; pass "
            "--mask-values 1 --mask-values 2 --mask-values 3 --mask-values 4");
}

TEST(LabelmeFile, EveryRegionShapeKindIsDrawn) {
  MaskReader reader({0.5, {}});
  // polygon: x, y in 0..1; rectangle: y 0, x 4..5; circle r 1 at (6, 4): x 5..6, y 3..4;
  // mask tile [[1, 0], [1, 1]] at (0, 4).
  EXPECT_EQ(on(reader.read(kMasks + "labelme.json", "image.png", 6, 8)), (Pixels{{0, 0},
                                                                                 {0, 1},
                                                                                 {0, 4},
                                                                                 {0, 5},
                                                                                 {1, 0},
                                                                                 {1, 1},
                                                                                 {3, 5},
                                                                                 {3, 6},
                                                                                 {4, 0},
                                                                                 {4, 5},
                                                                                 {4, 6},
                                                                                 {5, 0},
                                                                                 {5, 1}}));
  test::expect_error_mentioning([&] { reader.read(kMasks + "labelme.json", "image.png", 6, 9); },
                                "made for a 8x6 image");
}

TEST(LabelmeFile, ShapesThatEncloseNothingOrLeaveTheImageAreErrors) {
  const auto file = [](const std::string& shape) {
    return R"({"imageHeight": 4, "imageWidth": 4, "shapes": [)" + shape + "]}";
  };
  test::expect_error_mentioning(
      [&] {
        parse_labelme_mask(file(R"({"points": [[0, 0], [1, 1]], "shape_type": "line"})"), 4, 4,
                           "f");
      },
      "encloses no region");
  test::expect_error_mentioning(
      [&] { parse_labelme_mask(file(R"({"points": [[0, 0], [9, 1], [0, 2]]})"), 4, 4, "f"); },
      "outside");
  test::expect_error_mentioning(
      [&] { parse_labelme_mask(file(R"({"points": [[0, 0], [1, 1]]})"), 4, 4, "f"); },
      "at least 3 points");
  test::expect_error_mentioning(
      [&] {
        parse_labelme_mask(
            file(R"({"points": [[3, 3], [4, 4]], "shape_type": "mask", "mask": "AAAA"})"), 4, 4,
            "f");
      },
      "not a PNG");
  test::expect_error_mentioning([&] { parse_labelme_mask("{\"shapes\": 3}", 4, 4, "f"); },
                                "not a labelme file");
  test::expect_error_mentioning([&] { parse_labelme_mask(file("7"), 4, 4, "f"); },
                                "not a labelme file");
}

TEST(CocoFile, PolygonsAndBothRunLengthFormsAreUnited) {
  MaskReader reader({0.5, {}});
  // a.png: the polygon x 1..2, y 0..1, and RLE [3, 3, 6]: column 1.
  EXPECT_EQ(on(reader.read(kMasks + "coco.json", "a.png", 3, 4)),
            (Pixels{{0, 1}, {0, 2}, {1, 1}, {1, 2}, {2, 1}}));
  // sub/b.png, by base name: "142N" = [1, 4, 2, 2] down the columns.
  EXPECT_EQ(on(reader.read(kMasks + "coco.json", "images/b.png", 3, 3)),
            (Pixels{{0, 1}, {1, 0}, {1, 1}, {1, 2}, {2, 0}, {2, 2}}));
  test::expect_error_mentioning([&] { reader.read(kMasks + "coco.json", "c.png", 3, 3); },
                                "holds no image with file_name c.png");
  test::expect_error_mentioning([&] { reader.read(kMasks + "coco.json", "a.png", 3, 3); },
                                "is 4x3 in the COCO file but 3x3 on disk");
}

TEST(CocoFile, MalformedFilesAreErrors) {
  const std::string image = R"({"id": 1, "file_name": "a.png", "height": 2, "width": 2})";
  const auto file = [&](const std::string& segmentation) {
    return R"({"images": [)" + image + R"(], "annotations": [{"image_id": 1, "segmentation": )" +
           segmentation + "}]}";
  };
  const auto mask_of = [&](const std::string& segmentation) {
    CocoFile::parse(file(segmentation), "c").mask("a.png", 2, 2);
  };
  test::expect_error_mentioning([&] { mask_of(R"({"counts": [1, 2], "size": [2, 2]})"); },
                                "sum to 3");
  test::expect_error_mentioning([&] { mask_of(R"({"counts": [4], "size": [3, 2]})"); },
                                "RLE size differs");
  test::expect_error_mentioning([&] { mask_of("[[0, 0, 1, 1]]"); }, "at least 3 points");
  test::expect_error_mentioning([&] { mask_of("[[0, 0, 1]]"); }, "flat list");
  test::expect_error_mentioning([&] { mask_of("\"x\""); }, "neither polygons nor RLE");
  test::expect_error_mentioning(
      [&] {
        CocoFile::parse(R"({"images": [], "annotations": [{"image_id": 3, "segmentation": []}]})",
                        "c");
      },
      "image id 3, which is not listed");
  test::expect_error_mentioning(
      [&] {
        CocoFile::parse(R"({"images": [)" + image + "," + image + R"(], "annotations": []})", "c");
      },
      "listed twice");
  test::expect_error_mentioning([&] { CocoFile::parse("[]", "c"); }, "not a COCO file");
}

TEST(Base64, DecodesWithAndWithoutPadding) {
  const auto bytes = decode_base64("aGk=\n", "t");
  EXPECT_EQ(std::string(bytes.begin(), bytes.end()), "hi");
  const auto unpadded = decode_base64("aGk", "t");
  EXPECT_EQ(std::string(unpadded.begin(), unpadded.end()), "hi");
  test::expect_error_mentioning([] { decode_base64("a*", "t"); }, "not base64");
  test::expect_error_mentioning([] { decode_base64("a", "t"); }, "middle of a byte");
}

TEST(CsvTable, QuotesLineEndingsAndErrors) {
  const auto table =
      parse_csv("\xEF\xBB\xBFimage,label\r\n\"a, b.png\",\"say \"\"hi\"\"\"\r\n\nc.png,x\n", "t");
  EXPECT_EQ(table.header, (std::vector<std::string>{"image", "label"}));
  ASSERT_EQ(table.rows.size(), 2u);
  EXPECT_EQ(table.rows[0], (std::vector<std::string>{"a, b.png", "say \"hi\""}));
  EXPECT_EQ(table.rows[1], (std::vector<std::string>{"c.png", "x"}));
  EXPECT_EQ(table.lines, (std::vector<int64_t>{2, 4}));
  EXPECT_EQ(table.column("label"), 1);
  EXPECT_EQ(table.column("group"), -1);
  test::expect_error_mentioning([] { parse_csv("a,b\n1\n", "t"); }, "line 2: 1 fields");
  test::expect_error_mentioning([] { parse_csv("a,b\n\"1,2\n", "t"); }, "quote not closed");
  test::expect_error_mentioning([] { parse_csv("a,a\n", "t"); }, "appears twice");
  test::expect_error_mentioning([] { parse_csv("", "t"); }, "empty");
  test::expect_error_mentioning([] { parse_csv(std::string("a\n\0", 3), "t"); }, "NUL");
}

}  // namespace
}  // namespace reff::data
