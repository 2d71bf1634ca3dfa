#include "fixtures.h"
#include "reff/data/augmentation.h"
#include "reff/data/image_file.h"
#include "reff/data/isic2017.h"
#include "reff/data/layout_example.h"
#include "reff/data/oxford_pets.h"
#include "reff/device.h"
#include "reff/error.h"

#include <gtest/gtest.h>
#include <torch/cuda.h>

#include <filesystem>
#include <map>

namespace reff::data {
namespace {
namespace fs = std::filesystem;

std::map<int64_t, int> label_counts(const std::vector<LabelledImage>& files) {
  std::map<int64_t, int> counts;
  for (const auto& f : files) ++counts[f.label];
  return counts;
}

TEST(OxfordPets, ReadsTheOfficialLayoutWithASeededPerClassSplit) {
  const auto dir = test::fresh_dir("pets").string();
  write_layout_example("pets", dir);
  const auto train = oxford_pets_files(dir, Split::train);
  const auto val = oxford_pets_files(dir, Split::val);
  const auto test = oxford_pets_files(dir, Split::test);
  EXPECT_EQ(train.size(), 148u);  // 5 trainval per breed: 4 train, 1 val (10 %, rounded)
  EXPECT_EQ(val.size(), 37u);
  EXPECT_EQ(test.size(), 74u);
  EXPECT_EQ(label_counts(val).size(), 37u);
  EXPECT_EQ(test.front().image, dir + "/images/Breed1_6.jpg");
  EXPECT_EQ(test.front().mask, dir + "/annotations/trimaps/Breed1_6.png");
  EXPECT_EQ(test.back().label, 36);
  // Another seed, another split; the same seed, the same split.
  const auto images = [](const std::vector<LabelledImage>& files) {
    std::vector<std::string> all;
    for (const auto& f : files) all.push_back(f.image);
    return all;
  };
  EXPECT_NE(images(oxford_pets_files(dir, Split::val, {0.1, 5})), images(val));
  EXPECT_EQ(images(oxford_pets_files(dir, Split::val)), images(val));

  const auto set = load_oxford_pets(dir, Split::test, 32);
  ASSERT_EQ(set.images().sizes(), (std::vector<int64_t>{74, 3, 32, 32}));
  ASSERT_EQ(set.masks().sizes(), (std::vector<int64_t>{74, 32, 32}));
  EXPECT_TRUE(set.has_mask().all().item<bool>());
  // The foreground (trimap 1) is the ellipse: some pixels, never all; its colour is the class's.
  const auto fraction = set.masks().to(torch::kFloat).div(255).mean({1, 2});
  EXPECT_GT(fraction.min().item<double>(), 0.05);
  EXPECT_LT(fraction.max().item<double>(), 0.9);
  const auto inside = set.images()[0]
                          .to(torch::kFloat)
                          .masked_select(set.masks()[0].gt(0).unsqueeze(0).expand({3, 32, 32}));
  EXPECT_GT(inside.view({3, -1}).mean(1)[1].item<double>(), 200);  // class 0: (0, 255, 128)
}

TEST(OxfordPets, NamesWhatIsMissingOrMalformed) {
  const auto dir = test::fresh_dir("pets_bad");
  test::expect_error_mentioning([&] { oxford_pets_files(dir.string(), Split::train); },
                                "annotations/trainval.txt");
  write_layout_example("pets", dir.string());
  fs::remove(dir / "images" / "Breed3_2.jpg");
  test::expect_error_mentioning([&] { oxford_pets_files(dir.string(), Split::train); },
                                "images/Breed3_2.jpg");
  test::write_file(dir / "annotations" / "test.txt", "Breed1_6 38 1 1\n");
  test::expect_error_mentioning([&] { oxford_pets_files(dir.string(), Split::test); },
                                "test.txt:1");
  test::write_file(dir / "annotations" / "test.txt", "Breed1_6 1\n");
  test::expect_error_mentioning([&] { oxford_pets_files(dir.string(), Split::test); },
                                "NAME CLASS-ID");
  test::write_file(dir / "annotations" / "test.txt", "../../etc/passwd 1 1 1\n");
  test::expect_error_mentioning([&] { oxford_pets_files(dir.string(), Split::test); },
                                "not an image");
  // A trimap of another size than its image.
  test::write_file(dir / "annotations" / "test.txt", "Breed1_6 1 1 1\n");
  write_png((dir / "annotations" / "trimaps" / "Breed1_6.png").string(),
            torch::ones({10, 10}, torch::kUInt8));
  test::expect_error_mentioning([&] { load_oxford_pets(dir.string(), Split::test, 16); },
                                "Breed1_6.png: is 10x10 but its image");
  test::write_file(dir / "images" / "Breed1_6.jpg", "not a jpeg");
  test::expect_error_mentioning([&] { load_oxford_pets(dir.string(), Split::test, 16); },
                                "Breed1_6.jpg: cannot decode");
}

TEST(Isic2017, ReadsTheChallengeLayoutAndItsThreeClasses) {
  const auto dir = test::fresh_dir("isic").string();
  write_layout_example("isic2017", dir);
  const auto train = isic2017_files(dir, Split::train);
  ASSERT_EQ(train.size(), 12u);
  EXPECT_EQ(isic2017_files(dir, Split::val).size(), 6u);
  EXPECT_EQ(isic2017_files(dir, Split::test).size(), 6u);
  EXPECT_EQ(train[1].label, 1);  // melanoma
  EXPECT_EQ(train[2].label, 2);  // seborrheic keratosis
  EXPECT_EQ(train[3].label, 0);  // nevus
  EXPECT_EQ(train[0].image, dir + "/ISIC-2017_Training_Data/ISIC_0000000.jpg");
  EXPECT_EQ(train[0].mask,
            dir + "/ISIC-2017_Training_Part1_GroundTruth/ISIC_0000000_segmentation.png");
  const auto set = load_isic2017(dir, Split::val, 24);
  EXPECT_EQ(set.images().sizes(), (std::vector<int64_t>{6, 3, 24, 24}));
  EXPECT_TRUE(torch::equal(set.labels(), torch::tensor({0, 1, 2, 0, 1, 2}, torch::kInt64)));
  EXPECT_GT(set.masks().gt(0).sum().item<int64_t>(), 0);
}

TEST(Isic2017, NamesWhatIsMissingOrMalformed) {
  const auto dir = test::fresh_dir("isic_bad");
  test::expect_error_mentioning([&] { isic2017_files(dir.string(), Split::val); },
                                "ISIC-2017_Validation_Part3_GroundTruth.csv");
  write_layout_example("isic2017", dir.string());
  const auto csv = dir / "ISIC-2017_Test_v2_Part3_GroundTruth.csv";
  test::write_file(csv, "image,melanoma\n");
  test::expect_error_mentioning([&] { isic2017_files(dir.string(), Split::test); }, "header");
  test::write_file(csv, "image_id,melanoma,seborrheic_keratosis\nISIC_0000018,1.0,1.0\n");
  test::expect_error_mentioning([&] { isic2017_files(dir.string(), Split::test); }, "csv:2");
  test::write_file(csv, "image_id,melanoma,seborrheic_keratosis\nISIC_0000018,0.5,0.0\n");
  test::expect_error_mentioning([&] { isic2017_files(dir.string(), Split::test); }, "'0.5'");
  test::write_file(csv, "image_id,melanoma,seborrheic_keratosis\nISIC_0000099,0.0,0.0\n");
  test::expect_error_mentioning([&] { isic2017_files(dir.string(), Split::test); },
                                "ISIC-2017_Test_v2_Data/ISIC_0000099.jpg");
  fs::remove(dir / "ISIC-2017_Training_Part1_GroundTruth" / "ISIC_0000004_segmentation.png");
  test::expect_error_mentioning([&] { isic2017_files(dir.string(), Split::train); },
                                "ISIC_0000004_segmentation.png");
}

TEST(LayoutExample, RefusesAFolderThatHoldsADataSetAndUnknownNames) {
  const auto dir = test::fresh_dir("example").string();
  write_layout_example("pets", dir);
  EXPECT_THROW(write_layout_example("pets", dir), Error);
  EXPECT_THROW(write_layout_example("imagenet", dir + "/x"), Error);
}

TEST(Augmentation, CropBoxesFitAndFollowTheirRanges) {
  Rng rng(3);
  AugmentOptions options;
  for (int k = 0; k < 500; ++k) {
    const auto box = random_crop_box(30, 50, rng, options);
    ASSERT_GE(box.top, 0);
    ASSERT_GE(box.left, 0);
    ASSERT_GT(box.height, 0);
    ASSERT_GT(box.width, 0);
    ASSERT_LE(box.top + box.height, 30);
    ASSERT_LE(box.left + box.width, 50);
  }
  // An area range no box can meet falls back to the centred box of the widest allowed ratio.
  options.min_area = options.max_area = 1.0;
  options.min_ratio = options.max_ratio = 1.0;
  const auto box = random_crop_box(30, 50, rng, options);
  EXPECT_EQ(box.height, 30);
  EXPECT_EQ(box.width, 30);
  EXPECT_EQ(box.left, 10);
}

TEST(Augmentation, MovesImageAndMaskTogether) {
  // Channel 0 of each image equals its mask: after any crop and flip it still must.
  torch::manual_seed(0);
  const auto masks = torch::rand({6, 20, 28});
  const auto images = torch::cat({masks.unsqueeze(1), torch::randn({6, 2, 20, 28})}, 1);
  const Batch batch{images, torch::arange(6), masks, torch::ones({6}, torch::kBool)};
  Rng rng(1);
  const auto out = augment(batch, rng);
  EXPECT_EQ(out.images.sizes(), images.sizes());
  EXPECT_TRUE(torch::allclose(out.images.select(1, 0), out.masks));
  EXPECT_FALSE(torch::allclose(out.masks, masks));
  // The whole image and a sure flip: the mirror image.
  AugmentOptions mirror;
  mirror.min_area = mirror.max_area = 1.0;
  mirror.min_ratio = mirror.max_ratio = 28.0 / 20.0;
  mirror.flip = 1.0;
  const auto flipped = augment(batch, rng, mirror);
  EXPECT_TRUE(torch::allclose(flipped.masks, masks.flip({2}), 1e-5, 1e-6));
  EXPECT_TRUE(torch::equal(flipped.labels, batch.labels));
}

TEST(Augmentation, BackgroundSwapPastesForegroundsOnAnotherDigitFreeBackground) {
  // 1x1x4 images with values 10b + column; sample 2 has no mask.
  Batch batch;
  batch.images = (torch::arange(4).view({4, 1, 1, 1}) * 10 + torch::arange(4).view({1, 1, 1, 4}))
                     .to(torch::kFloat);
  batch.masks = torch::tensor({{1.0f, 0.0f, 0.0f, 0.0f},
                               {0.0f, 0.0f, 0.0f, 1.0f},
                               {1.0f, 1.0f, 0.0f, 0.0f},
                               {0.0f, 1.0f, 0.0f, 0.0f}})
                    .view({4, 1, 4});
  batch.has_mask = torch::tensor({true, true, false, true});
  batch.labels = torch::arange(4);
  const auto out = swap_backgrounds(batch);
  // Annotated 0, 1, 3 take the backgrounds of 3, 0, 1, each donor's widened digit filled from its
  // mirror image where that shows background. Donor 0 (digit at column 0, widened to 0..1) gives
  // (3, 2, 2, 3); donor 1 (digit at 3, widened to 2..3) gives (10, 11, 11, 10); donor 3 (digit
  // at 1, widened to 0..2) fills only column 0 (mirror 33): columns 1 and 2 mirror onto its
  // widened digit too and keep their own pixels (31, 32), the one case where a donor's digit shows.
  const auto expected = torch::tensor({{0.0f, 31.0f, 32.0f, 33.0f},
                                       {3.0f, 2.0f, 2.0f, 13.0f},
                                       {20.0f, 21.0f, 22.0f, 23.0f},
                                       {10.0f, 31.0f, 11.0f, 10.0f}});
  EXPECT_TRUE(torch::equal(out.images.view({4, 4}), expected)) << out.images.view({4, 4});
  EXPECT_TRUE(torch::equal(out.labels, batch.labels));
  EXPECT_TRUE(torch::equal(out.masks, batch.masks));
  // With fewer than two annotated samples there is no other background to take.
  batch.has_mask = torch::tensor({false, false, true, false});
  EXPECT_TRUE(torch::equal(swap_backgrounds(batch).images, batch.images));
}

TEST(Device, ParsesNamesAndRefusesCudaWithoutAGpu) {
  EXPECT_EQ(parse_device("cpu"), torch::Device(torch::kCPU));
  EXPECT_THROW(parse_device("gpu"), Error);
  if (!torch::cuda::is_available()) {
    EXPECT_EQ(parse_device("auto"), torch::Device(torch::kCPU));
    EXPECT_THROW(parse_device("cuda"), Error);
    EXPECT_THROW(parse_device("cuda:0"), Error);
  } else {
    EXPECT_EQ(parse_device("auto"), torch::Device(torch::kCUDA));
  }
}

}  // namespace
}  // namespace reff::data
