// reff annotate's session (annotation_session.h) and its upload decoder (mask_upload.h): the
// subset follows the annotated-subset rule, saves land in the folder layout and are read back,
// bad uploads write nothing.
#include "fixtures.h"
#include "reff/annotate/annotation_session.h"
#include "reff/annotate/mask_upload.h"
#include "reff/data/image_file.h"
#include "reff/data/png_values.h"
#include "reff/error.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

namespace reff::annotate {
namespace {
namespace fs = std::filesystem;

std::string png_body(const torch::Tensor& values) {
  const auto bytes = data::encode_png(values, "test");
  return {bytes.begin(), bytes.end()};
}

// Two classes of four 6 x 4 images each; cat c1 comes with a mask (its left 3 columns).
fs::path two_class_folder(const std::string& name) {
  const auto dir = test::fresh_dir(name);
  for (const char* cls : {"cat", "dog"}) {
    for (int k = 0; k < 4; ++k) {
      fs::create_directories(dir / "train" / cls);
      data::write_png((dir / "train" / cls / (cls + std::to_string(k) + ".png")).string(),
                      torch::full({3, 4, 6}, 40 * k, torch::kUInt8));
    }
  }
  auto mask = torch::zeros({4, 6}, torch::kUInt8);
  mask.slice(1, 0, 3).fill_(255);
  fs::create_directories(dir / "masks" / "train" / "cat");
  data::write_png((dir / "masks" / "train" / "cat" / "cat1.png").string(), mask);
  return dir;
}

TEST(MaskUpload, DecodesBlackAndWhitePngsOfTheImageSize) {
  auto values = torch::zeros({4, 6}, torch::kUInt8);
  values[1][2] = 255;
  const auto mask = decode_mask_upload(png_body(values), 4, 6);
  EXPECT_TRUE(torch::equal(mask, values == 255));
  test::expect_error_mentioning([&] { decode_mask_upload(png_body(values), 6, 4); },
                                "6 x 4 pixels, but the image has 4 x 6");
  values[0][0] = 128;
  test::expect_error_mentioning([&] { decode_mask_upload(png_body(values), 4, 6); },
                                "values other than 0 and 255");
  test::expect_error_mentioning([] { decode_mask_upload("", 4, 6); }, "empty body");
  test::expect_error_mentioning([] { decode_mask_upload("not a png", 4, 6); }, "uploaded mask");
  test::expect_error_mentioning(
      [] { decode_mask_upload(std::string(kMaxUploadBytes + 1, 'x'), 4, 6); }, "larger than");
}

TEST(AnnotationSession, PicksTheAnnotatedSubsetAndSavesInTheFolderLayout) {
  const auto dir = two_class_folder("annotate_session");
  AnnotateOptions options;
  options.data_dir = dir.string();
  options.out_dir = (dir / "masks").string();
  options.split = {0.25, 0};  // one image of each class to val
  options.subset = {2, true, 0};
  AnnotationSession session(options);
  ASSERT_EQ(session.size(), 4);  // 2 per class
  const auto listing = session.listing();
  EXPECT_EQ(listing["classes"], nlohmann::json({"cat", "dog"}));
  EXPECT_FALSE(listing["suggest"].get<bool>());
  // The same images as the annotated subset of the same listing, by the same seed.
  const auto folder = data::list_folder(dir.string(), options.split);
  std::vector<int64_t> labels;
  for (const auto& image : folder.train) labels.push_back(image.label);
  const auto chosen = data::annotated_subset(torch::tensor(labels), options.subset);
  for (size_t i = 0; i < chosen.size(); ++i)
    EXPECT_EQ(listing["items"][i]["name"], folder.train[size_t(chosen[i])].name);

  // An image without a mask starts empty; cat1 (when chosen) starts from its own mask.
  for (int64_t i = 0; i < session.size(); ++i) {
    const auto png = session.mask_png(i);
    const bool has_own = listing["items"][i]["name"] == "train/cat/cat1.png";
    EXPECT_EQ(png.has_value(), has_own);
  }
  EXPECT_EQ(session.image(0).content_type, "image/png");

  auto values = torch::zeros({4, 6}, torch::kUInt8);
  values.slice(0, 1, 3).fill_(255);
  session.save(1, png_body(values));
  const auto name = fs::path(listing["items"][1]["name"].get<std::string>());
  const auto saved =
      dir / "masks" / "train" / name.parent_path().filename() / (name.stem().string() + ".png");
  ASSERT_TRUE(fs::exists(saved));
  EXPECT_TRUE(torch::equal(data::read_png_values(saved.string()).values, values));
  EXPECT_TRUE(session.listing()["items"][1]["saved"].get<bool>());
  const auto back = session.mask_png(1);
  ASSERT_TRUE(back.has_value());
  EXPECT_TRUE(
      torch::equal(data::decode_png_values({back->begin(), back->end()}, "saved").values, values));
  // A new session over the same folder sees it (resume), and the folder's D1 now holds it.
  EXPECT_TRUE(AnnotationSession(options).listing()["items"][1]["saved"].get<bool>());
  // Another n draws another subset, and still lists the image drawn before.
  auto one = options;
  one.subset.n = 1;
  const auto items = AnnotationSession(one).listing()["items"];
  EXPECT_GE(items.size(), 2u);
  EXPECT_LE(items.size(), 3u);
  int64_t found = 0;
  for (const auto& entry : items) found += entry["name"] == listing["items"][1]["name"];
  EXPECT_EQ(found, 1);

  // Bad uploads: an error, the saved file unchanged; no index outside the subset.
  test::expect_error_mentioning(
      [&] {
        session.save(1, png_body(torch::zeros({2, 2}, torch::kUInt8)));
      },
      "but the image has");
  EXPECT_TRUE(torch::equal(data::read_png_values(saved.string()).values, values));
  test::expect_error_mentioning([&] { session.mask_png(4); }, "no such image");
  test::expect_error_mentioning([&] { session.suggestion_png(0); }, "--annotator");
  EXPECT_FALSE(fs::exists(saved.string() + ".tmp"));  // no temporary file left behind
}

TEST(AnnotationSession, ConcurrentSavesOfOneImageLeaveOneWholeFile) {
  const auto dir = two_class_folder("annotate_concurrent");
  AnnotateOptions options;
  options.data_dir = dir.string();
  options.out_dir = (dir / "drawn").string();
  options.subset = {1, true, 0};
  AnnotationSession session(options);
  const auto left = torch::zeros({4, 6}, torch::kUInt8).index_fill_(1, torch::tensor({0}), 255);
  const auto right = torch::zeros({4, 6}, torch::kUInt8).index_fill_(1, torch::tensor({5}), 255);
  const auto a = png_body(left), b = png_body(right);
  std::vector<std::thread> savers;
  for (int t = 0; t < 4; ++t)
    savers.emplace_back([&, t] {
      for (int k = 0; k < 20; ++k) session.save(0, (t + k) % 2 ? a : b);
    });
  for (auto& saver : savers) saver.join();
  const auto png = session.mask_png(0);
  ASSERT_TRUE(png.has_value());
  const auto values = data::decode_png_values({png->begin(), png->end()}, "saved").values;
  EXPECT_TRUE(torch::equal(values, left) || torch::equal(values, right));
}

TEST(AnnotationSession, RefusesToSaveBesideALabelmeMaskAndTooLargeAnN) {
  const auto dir = two_class_folder("annotate_labelme");
  AnnotateOptions options;
  options.data_dir = dir.string();
  options.out_dir = (dir / "drawn").string();
  options.subset = {0, true, 0};  // all
  AnnotationSession session(options);
  const auto name = fs::path(session.listing()["items"][0]["name"].get<std::string>());
  const auto labelme =
      dir / "drawn" / "train" / name.parent_path().filename() / (name.stem().string() + ".json");
  fs::create_directories(labelme.parent_path());
  test::write_file(labelme, "{}");
  test::expect_error_mentioning(
      [&] {
        session.save(0, png_body(torch::zeros({4, 6}, torch::kUInt8)));
      },
      "holds this image's mask already");
  options.subset = {9, true, 0};
  test::expect_error_mentioning([&] { AnnotationSession{options}; }, "");
}

}  // namespace
}  // namespace reff::annotate
