// Own folders (folder_dataset.h): both layouts, the split of val from train, masks of several
// formats side by side, and the errors of bad folders.
#include "fixtures.h"
#include "reff/data/folder_dataset.h"
#include "reff/data/image_file.h"
#include "reff/data/layout_example.h"
#include "reff/data/mask_check.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace reff::data {
namespace {
namespace fs = std::filesystem;

// A 6x4 image whose red channel is `value` everywhere.
void write_image(const fs::path& path, int64_t value, int64_t width = 6) {
  fs::create_directories(path.parent_path());
  auto image = torch::zeros({3, 4, width}, torch::kUInt8);
  image[0].fill_(value);
  write_png(path.string(), image);
}

// A 6x4 mask: the left `columns` columns relevant.
void write_mask(const fs::path& path, int64_t columns, int64_t width = 6) {
  fs::create_directories(path.parent_path());
  auto mask = torch::zeros({4, width}, torch::kUInt8);
  mask.slice(1, 0, columns).fill_(255);
  write_png(path.string(), mask);
}

std::vector<std::string> names(const std::vector<FolderImage>& images) {
  std::vector<std::string> all;
  for (const auto& image : images) all.push_back(image.name);
  return all;
}

TEST(OwnFolder, ImageFolderLayoutWithValDrawnFromTrain) {
  const auto dir = test::fresh_dir("own_imagefolder");
  for (int k = 0; k < 10; ++k) {
    write_image(dir / "train" / "cat" / ("c" + std::to_string(k) + ".png"), k);
    write_image(dir / "train" / "dog" / ("d" + std::to_string(k) + ".png"), 100 + k);
  }
  write_image(dir / "test" / "dog" / "t.png", 7);
  fs::create_directories(dir / "train" / "cat" / "notes");  // subfolders and other files: skipped
  test::write_file(dir / "train" / "cat" / "readme.txt", "x");
  write_mask(dir / "masks" / "train" / "cat" / "c1.png", 3);
  const auto listing = list_folder(dir.string(), {0.2, 0});
  EXPECT_EQ(listing.layout, "imagefolder");
  EXPECT_EQ(listing.classes, (std::vector<std::string>{"cat", "dog"}));
  EXPECT_EQ(listing.train.size(), 16u);  // 20 % of each class to val
  EXPECT_EQ(listing.val.size(), 4u);
  EXPECT_EQ(names(listing.test), (std::vector<std::string>{"test/dog/t.png"}));
  EXPECT_EQ(listing.test[0].label, 1);
  // The same seed, the same split; another seed, another.
  EXPECT_EQ(names(list_folder(dir.string(), {0.2, 0}).val), names(listing.val));
  EXPECT_NE(names(list_folder(dir.string(), {0.2, 9}).val), names(listing.val));

  // Loading: the one mask, at 8 px, its left half; the others have none.
  std::vector<FolderImage> all = listing.train;
  all.insert(all.end(), listing.val.begin(), listing.val.end());
  MaskReader masks({0.5, {}});
  const auto set = load_folder_images(all, 8, masks);
  EXPECT_EQ(set.has_mask().sum().item<int64_t>(), 1);
  const auto with_mask = set.has_mask().nonzero().item<int64_t>();
  EXPECT_EQ(all[size_t(with_mask)].name, "train/cat/c1.png");
  EXPECT_EQ(set.masks()[with_mask].gt(0).sum().item<int64_t>(), 32);  // 4 of 8 columns
  EXPECT_EQ(set.images()[with_mask][0][0][0].item<int64_t>(), 1);     // c1's red value
}

TEST(OwnFolder, CsvLayoutWithSplitsMasksOfEveryKindAndGroups) {
  const auto dir = test::fresh_dir("own_csv");
  write_image(dir / "img" / "a.png", 1);
  write_image(dir / "img" / "b.png", 2);
  write_image(dir / "img" / "c.png", 3, 4);  // 4x3: the size of coco.json's a.png
  write_image(dir / "img" / "d.png", 4);
  write_mask(dir / "m" / "a.png", 2);
  fs::copy_file(std::string(REFF_TEST_DIR) + "/data/masks/coco.json", dir / "coco.json");
  test::write_file(dir / "labels.csv",
                   "image,label,split,mask,group\n"
                   "img/a.png,bird,train,m/a.png,water\n"
                   "img/b.png,fish,,,land\n"
                   "img/c.png,fish,val,coco.json,water\n"
                   "img/d.png,bird,test,,land\n");
  const auto listing = list_folder(dir.string());
  EXPECT_EQ(listing.layout, "csv");
  EXPECT_EQ(listing.classes, (std::vector<std::string>{"bird", "fish"}));
  EXPECT_EQ(listing.groups, (std::vector<std::string>{"land", "water"}));
  EXPECT_EQ(names(listing.train), (std::vector<std::string>{"img/a.png", "img/b.png"}));
  EXPECT_EQ(names(listing.val), (std::vector<std::string>{"img/c.png"}));
  EXPECT_EQ(listing.test[0].group, 0);
  EXPECT_EQ(listing.train[0].group, 1);
  EXPECT_EQ(listing.train[1].mask, "");
  MaskReader masks({0.5, {}});
  EXPECT_TRUE(
      load_folder_images(listing.train, 8, masks).has_mask().equal(torch::tensor({true, false})));
  // The COCO file holds no c.png: a clear error, naming it.
  test::expect_error_mentioning([&] { load_folder_images(listing.val, 8, masks); },
                                "holds no image with file_name img/c.png");
  const auto checks = check_masks(listing, masks);
  ASSERT_EQ(checks.size(), 2u);
  EXPECT_DOUBLE_EQ(checks[0].coverage, 2.0 / 6.0);
  EXPECT_NE(checks[1].problem.find("holds no image"), std::string::npos);
}

TEST(OwnFolder, ATestFolderMapsItsClassesOntoTheRunsAndAppendsNewGroups) {
  const auto dir = test::fresh_dir("own_test_folder");
  write_image(dir / "dog" / "x.png", 1);
  write_image(dir / "cat" / "y.png", 2);
  write_mask(dir / "masks" / "dog" / "x.png", 1);  // a masks/ folder is not a class
  std::vector<std::string> groups{"g"};
  const auto images = list_test_folder(dir.string() + "/", {"ant", "cat", "dog"}, groups);
  ASSERT_EQ(images.size(), 2u);
  EXPECT_EQ(images[0].label, 1);  // cat
  EXPECT_EQ(images[1].label, 2);  // dog
  test::expect_error_mentioning(
      [&] {
        list_test_folder(dir.string(), {"cat", "eel"}, groups);
      },
      "class 'dog' is not among the training classes");
}

TEST(OwnFolder, BadFoldersAreClearErrors) {
  const auto dir = test::fresh_dir("own_bad");
  test::expect_error_mentioning([&] { list_folder(dir.string()); }, "neither labels.csv nor");
  write_image(dir / "train" / "only" / "a.png", 1);
  test::expect_error_mentioning([&] { list_folder(dir.string()); }, "at least two");
  write_image(dir / "train" / "other" / "b.png", 1);
  write_image(dir / "test" / "unknown" / "c.png", 1);
  test::expect_error_mentioning([&] { list_folder(dir.string()); },
                                "class 'unknown' is not among the training classes");
  fs::remove_all(dir / "test");
  write_jpeg((dir / "train" / "other" / "b.jpg").string(), torch::zeros({3, 4, 6}, torch::kUInt8));
  test::expect_error_mentioning([&] { list_folder(dir.string()); },
                                "same name before its extension");
  fs::remove(dir / "train" / "other" / "b.jpg");
  write_mask(dir / "masks" / "train" / "other" / "b.png", 1);
  test::write_file(dir / "masks" / "train" / "other" / "b.json", "{}");
  test::expect_error_mentioning([&] { list_folder(dir.string()); }, "both a .png and a .json");
  fs::remove(dir / "masks" / "train" / "other" / "b.json");
  write_mask(dir / "masks" / "train" / "other" / "b.png", 1, 5);  // 5x4 for a 6x4 image
  MaskReader masks({0.5, {}});
  test::expect_error_mentioning(
      [&] { load_folder_images(list_folder(dir.string()).train, 8, masks); }, "is 5x4 but");

  // CSV: paths that leave the folder, repeated images, unknown columns, classes and splits.
  const auto csv = [&](const std::string& rows) {
    test::write_file(dir / "labels.csv", "image,label,split\n" + rows);
  };
  const std::string two = "train/only/a.png,x,\ntrain/other/b.png,y,\n";
  csv(two + "../outside.png,x,test\n");
  test::expect_error_mentioning([&] { list_folder(dir.string()); }, "leaves the data folder");
  csv(two + "/etc/passwd,x,test\n");
  test::expect_error_mentioning([&] { list_folder(dir.string()); }, "is absolute");
  fs::create_directory_symlink("/tmp", dir / "link");
  csv(two + "link/x.png,x,test\n");
  test::expect_error_mentioning([&] { list_folder(dir.string()); }, "leads out of the data folder");
  csv(two + "train/only/a.png,x,test\n");
  test::expect_error_mentioning([&] { list_folder(dir.string()); }, "listed twice");
  csv(two + "train/only/a.png,z,test\n");
  test::expect_error_mentioning([&] { list_folder(dir.string()); }, "class 'z' is not among");
  csv(two + "train/only/a.png,x,holdout\n");
  test::expect_error_mentioning([&] { list_folder(dir.string()); }, "labels.csv:4");
  csv("train/only/a.png,x,\ntrain/other/b.png,x,\n");
  test::expect_error_mentioning([&] { list_folder(dir.string()); }, "at least two");
  test::write_file(dir / "labels.csv", "image,class\na.png,x\n");
  test::expect_error_mentioning([&] { list_folder(dir.string()); }, "'class' is not one of");
  csv(two + "missing.png,x,test\n");
  test::expect_error_mentioning([&] { list_folder(dir.string()); }, "missing.png not found");
}

TEST(OwnFolder, TheLayoutExampleListsAndReadsInFull) {
  const auto dir = test::fresh_dir("own_example");
  write_layout_example("folder", dir.string());
  const auto listing = list_folder(dir.string());
  EXPECT_EQ(listing.classes, (std::vector<std::string>{"round", "tall", "wide"}));
  EXPECT_EQ(listing.train.size() + listing.val.size(), 36u);
  EXPECT_EQ(listing.test.size(), 18u);
  MaskReader masks({0.5, {}});
  const auto checks = check_masks(listing, masks);
  EXPECT_EQ(checks.size(), 9u + 18u);  // 3 per class in train, every test image (COCO)
  for (const auto& check : checks) {
    EXPECT_EQ(check.problem, "") << check.image;
    EXPECT_GT(check.coverage, 0.05) << check.image;
    EXPECT_LT(check.coverage, 0.8) << check.image;
  }
  std::vector<std::string> groups;
  EXPECT_EQ(list_test_folder((dir / "shifted").string(), listing.classes, groups).size(), 18u);
  // convert: one PNG per mask, the tree of the ImageFolder layout; never over a folder.
  const auto out = dir / "converted";
  EXPECT_EQ(convert_masks(listing, masks, out.string()), 27);
  EXPECT_TRUE(fs::exists(out / "test" / "tall" / "tall_0.png"));
  EXPECT_FALSE(fs::exists(dir / "converted.partial"));
  test::expect_error_mentioning([&] { convert_masks(listing, masks, out.string()); },
                                "already exists");
}

}  // namespace
}  // namespace reff::data
