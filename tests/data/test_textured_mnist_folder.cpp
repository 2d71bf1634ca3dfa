#include "fixtures.h"
#include "reff/data/image_file.h"
#include "reff/data/procedural_texture_bank.h"
#include "reff/data/textured_mnist_folder.h"
#include "reff/error.h"
#include "reff/viz/contact_sheet.h"

#include <gtest/gtest.h>

#include <fstream>

namespace reff::data {
namespace fs = std::filesystem;
namespace {

TexturedMnist generator(uint64_t seed) {
  TexturedMnistOptions options;
  options.seed = seed;
  options.canvas = 32;
  return TexturedMnist(test::bar_digits(30), std::make_shared<ProceduralTextureBank>(), options);
}

TexturedMnistFolderOptions folder_options(int64_t count) {
  TexturedMnistFolderOptions options;
  options.count = count;
  options.provenance = {{"split", "train"}};
  options.preview = [](const std::vector<TexturedDigit>& shown) {
    return viz::contact_sheet(shown);
  };
  return options;
}

std::vector<std::string> listing(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    names.push_back(fs::relative(entry.path(), dir).string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

TEST(TexturedMnistFolder, WritesImagesMasksLabelsManifestAndPreview) {
  const auto dir = test::fresh_dir("out") / "set";
  write_textured_mnist_folder(generator(1), dir.string(), folder_options(12));
  for (int64_t i = 0; i < 12; ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "%06lld.png", static_cast<long long>(i));
    const auto image = read_image((dir / "images" / name).string());
    EXPECT_EQ(image.sizes(), (std::vector<int64_t>{3, 32, 32}));
    const auto mask = read_image((dir / "masks" / name).string());
    EXPECT_TRUE(((mask == 0) | (mask == 255)).all().item<bool>());
  }
  EXPECT_EQ(std::distance(fs::directory_iterator(dir / "images"), fs::directory_iterator{}), 12);

  std::ifstream csv(dir / "labels.csv");
  std::string line;
  std::getline(csv, line);
  EXPECT_EQ(line, "index,image,mask,label,digit_texture,background_texture,source,x,y");
  int64_t rows = 0;
  while (std::getline(csv, line)) ++rows;
  EXPECT_EQ(rows, 12);

  std::ifstream manifest_file(dir / "manifest.json");
  const auto manifest = nlohmann::json::parse(manifest_file);
  EXPECT_EQ(manifest["count"], 12);
  EXPECT_EQ(manifest["options"]["seed"], 1);
  EXPECT_EQ(manifest["options"]["p"], 0.0);
  EXPECT_EQ(manifest["mapping"].size(), 10u);
  EXPECT_EQ(manifest["mapping"][3]["background_texture"],
            ProceduralTextureBank().class_names()[13]);
  EXPECT_EQ(manifest["source"]["split"], "train");
  EXPECT_EQ(read_image((dir / "preview.png").string()).size(0), 3);
}

TEST(TexturedMnistFolder, SameSeedGivesIdenticalFilesAndReplacesItsOwnSet) {
  const auto root = test::fresh_dir("out");
  write_textured_mnist_folder(generator(5), (root / "a").string(), folder_options(10));
  write_textured_mnist_folder(generator(5), (root / "b").string(), folder_options(10));
  const auto names = listing(root / "a");
  ASSERT_EQ(names, listing(root / "b"));
  for (const auto& name : names) {
    if (fs::is_regular_file(root / "a" / name)) {
      EXPECT_EQ(test::read_file(root / "a" / name), test::read_file(root / "b" / name)) << name;
    }
  }
  // Rewriting a set in place with another seed replaces it whole.
  write_textured_mnist_folder(generator(6), (root / "a").string(), folder_options(4));
  EXPECT_EQ(std::distance(fs::directory_iterator(root / "a" / "images"), fs::directory_iterator{}),
            4);
  EXPECT_NE(test::read_file(root / "a/images/000000.png"),
            test::read_file(root / "b/images/000000.png"));
  // Nothing temporary left beside the sets.
  EXPECT_EQ(listing(root).size(), listing(root / "a").size() + listing(root / "b").size() + 2);
}

TEST(TexturedMnistFolder, RefusesToOverwriteForeignFoldersAndReportsUnwritableOnes) {
  const auto root = test::fresh_dir("out");
  fs::create_directories(root / "mine");
  test::write_file(root / "mine/thesis.tex", "precious");
  EXPECT_THROW(
      write_textured_mnist_folder(generator(1), (root / "mine").string(), folder_options(3)),
      Error);
  EXPECT_EQ(test::read_file(root / "mine/thesis.tex"), "precious");

  test::write_file(root / "file", "x");
  EXPECT_THROW(
      write_textured_mnist_folder(generator(1), (root / "file/set").string(), folder_options(3)),
      Error);
  EXPECT_THROW(
      write_textured_mnist_folder(generator(1), (root / "set").string(), folder_options(0)), Error);
  EXPECT_FALSE(fs::exists(root / "set"));
}

}  // namespace
}  // namespace reff::data
