#include "fixtures.h"
#include "reff/data/csv_table.h"
#include "reff/data/image_file.h"
#include "reff/data/layout_example.h"
#include "reff/data/waterbirds.h"
#include "reff/data/waterbirds_generator.h"
#include "reff/error.h"
#include "reff/run/resolve.h"
#include "reff/run/run_assembly.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <set>

namespace reff::data {
namespace {
namespace fs = std::filesystem;

// A replica made by the layout example: CUB_200_2011/ with four species (an albatross and a gull,
// a chat and a nuthatch; 12 photographs each, 8 of them CUB's training images), land/ and water/
// scenes and waterbirds/ made from them at correlation 0.95.
fs::path replica(const std::string& name) {
  const auto dir = test::fresh_dir(name);
  write_layout_example("waterbirds", dir.string());
  return dir;
}

TEST(Waterbirds, WaterBirdsAreCubsSeabirdsAndWaterfowl) {
  EXPECT_TRUE(is_water_bird("001.Black_footed_Albatross"));
  EXPECT_TRUE(is_water_bird("059.California_Gull"));
  EXPECT_TRUE(is_water_bird("058.Pigeon_Guillemot"));
  EXPECT_TRUE(is_water_bird("086.Pacific_Loon"));
  EXPECT_FALSE(is_water_bird("020.Yellow_breasted_Chat"));
  EXPECT_FALSE(is_water_bird("094.White_breasted_Nuthatch"));
}

TEST(Waterbirds, TheGeneratorTiesSceneToBirdInTrainAndBalancesValAndTest) {
  const auto dir = replica("waterbirds_generator");
  const auto table = read_csv((dir / "waterbirds" / kWaterbirdsMetadata).string());
  ASSERT_EQ(table.header, (std::vector<std::string>{"img_id", "img_filename", "y", "split", "place",
                                                    "place_filename"}));
  ASSERT_EQ(table.rows.size(), 48u);
  int64_t counts[3][2][2] = {};
  std::set<std::string> scenes;
  for (const auto& row : table.rows) {
    ++counts[std::stoi(row[3])][std::stoi(row[2])][std::stoi(row[4])];
    EXPECT_EQ(std::stoi(row[2]), is_water_bird(row[1].substr(0, row[1].find('/'))));
    EXPECT_TRUE(scenes.insert(row[5]).second) << "scene used twice: " << row[5];
    EXPECT_EQ(row[5].rfind(std::stoi(row[4]) ? "water/" : "land/", 0), 0u) << row[5];
  }
  // CUB's 32 training images: 20 % to val (6), the rest train (26); its 16 test images
  for (int y = 0; y < 2; ++y) {
    const auto train = counts[0][y][0] + counts[0][y][1];
    const auto own = counts[0][y][y];
    EXPECT_EQ(own, std::lround(0.95 * double(train))) << "y " << y;  // on its own kind of scene
    for (int split = 1; split < 3; ++split) {
      const auto n = counts[split][y][0] + counts[split][y][1];
      EXPECT_EQ(counts[split][y][1], std::lround(0.5 * double(n))) << split << " " << y;
    }
  }
  EXPECT_EQ(counts[2][0][0] + counts[2][0][1] + counts[2][1][0] + counts[2][1][1], 16);
  EXPECT_EQ(counts[1][0][0] + counts[1][0][1] + counts[1][1][0] + counts[1][1][1], 6);

  // The bird is pasted where its segmentation marks it, the scene everywhere else.
  const auto& first = table.rows.front();
  const auto composed = read_image((dir / "waterbirds" / first[1]).string()).to(torch::kFloat);
  const auto bird =
      read_image((dir / "CUB_200_2011" / "images" / first[1]).string()).to(torch::kFloat);
  auto seg_path = dir / "CUB_200_2011" / "segmentations" / first[1];
  const auto inside = read_image(seg_path.replace_extension(".png").string())[0].gt(127);
  const auto difference = (composed - bird).abs().mean(0);
  EXPECT_LT(difference.masked_select(inside).mean().item<float>(), 12.0f);
  EXPECT_GT(difference.masked_select(inside.logical_not()).mean().item<float>(), 30.0f);
  // the scene's colour: green on land, blue on water
  const auto outside = composed.masked_select(inside.logical_not().unsqueeze(0)).view({3, -1});
  const auto means = outside.mean(1);
  if (first[4] == "1")
    EXPECT_GT(means[2].item<float>(), means[1].item<float>());
  else
    EXPECT_GT(means[1].item<float>(), means[2].item<float>());

  // Sources it cannot use: one line naming the problem.
  WaterbirdsSources few{
      (dir / "CUB_200_2011").string(), {(dir / "land").string()}, {(dir / "water").string()}};
  test::expect_error_mentioning([&] { write_waterbirds(few, (dir / "waterbirds").string()); },
                                "already holds a data set");
  const auto one_scene = dir / "one_scene";
  fs::create_directories(one_scene);
  fs::copy_file(dir / "water" / "scene_0.png", one_scene / "scene_0.png");
  few.water = {one_scene.string()};
  test::expect_error_mentioning([&] { write_waterbirds(few, (dir / "again").string()); },
                                "--water: 1 water scenes are too few");
  few.correlation = 0.3;
  test::expect_error_mentioning([&] { write_waterbirds(few, (dir / "again").string()); },
                                "--correlation");
}

TEST(Waterbirds, TheReaderGivesGroupsSplitsAndMasks) {
  const auto dir = replica("waterbirds_reader");
  const auto data = (dir / "waterbirds").string(), cub = (dir / "CUB_200_2011").string();
  const auto files = list_waterbirds(data, cub, {0.25, 0});
  const auto& listing = files.listing;
  EXPECT_EQ(listing.classes, (std::vector<std::string>{"landbird", "waterbird"}));
  EXPECT_EQ(listing.groups.size(), 4u);
  EXPECT_EQ(listing.train.size() + listing.val.size(), 26u);  // split 0, a quarter held out
  EXPECT_EQ(files.official_val.size(), 6u);
  EXPECT_EQ(listing.test.size(), 16u);
  const auto table = read_csv(data + "/" + kWaterbirdsMetadata);
  for (const auto& image : listing.test) {
    for (const auto& row : table.rows) {
      if (row[1] != image.name) continue;
      EXPECT_EQ(image.label, std::stoi(row[2]));
      EXPECT_EQ(image.group, 2 * std::stoi(row[2]) + std::stoi(row[4]));
    }
    EXPECT_TRUE(fs::is_regular_file(image.mask)) << image.mask;
  }
  EXPECT_TRUE(list_waterbirds(data, "").listing.test.front().mask.empty());  // no --masks

  const auto original = test::read_file(data + "/" + kWaterbirdsMetadata);
  const auto rewrite = [&](const std::string& from, const std::string& to) {
    auto text = original;
    text.replace(text.find(from), from.size(), to);
    test::write_file(data + "/" + kWaterbirdsMetadata, text);
  };
  const auto second_row = table.rows[1];
  rewrite("," + second_row[1] + "," + second_row[2] + ",",
          "," + second_row[1] + ",3,");  // y out of range
  test::expect_error_mentioning([&] { list_waterbirds(data, cub); }, "metadata.csv:3");
  rewrite(second_row[1], "missing/bird.jpg");
  test::expect_error_mentioning([&] { list_waterbirds(data, cub); }, "missing/bird.jpg not found");
  test::write_file(data + "/" + kWaterbirdsMetadata, original);
  auto segmentation = fs::path(cub) / "segmentations" / second_row[1];
  fs::remove(segmentation.replace_extension(".png"));
  test::expect_error_mentioning([&] { list_waterbirds(data, cub); },
                                "no segmentation of " + second_row[1]);
  list_waterbirds(data, "");  // without masks, none is needed
}

TEST(Waterbirds, ARunReadsItsSetsWithGroupsAndChoosesOnTheOfficialValsWorstGroup) {
  const auto dir = replica("waterbirds_run");
  const nlohmann::json data = {{"data_dir", (dir / "waterbirds").string()},
                               {"masks_dir", (dir / "CUB_200_2011").string()},
                               {"canvas", 24}};
  auto config = run::resolve("cpu", "waterbirds", {{"data", data}});
  const auto train = run::build_train_set(config);
  EXPECT_EQ(train.size() + run::build_val_set(config).data.size(), 26);
  EXPECT_EQ(train.masked_indices().size(), static_cast<size_t>(train.size()));
  const auto test = run::build_test_set(config, config.tests.front());
  EXPECT_TRUE(test.groups.defined());
  EXPECT_EQ(test.class_names, (std::vector<std::string>{"landbird", "waterbird"}));
  auto with_val = data;
  with_val["val"] = "official";
  config = run::resolve("cpu", "waterbirds", {{"data", with_val}});
  const auto val = run::build_val_set(config);
  EXPECT_EQ(val.name, "official");
  EXPECT_EQ(val.data.size(), 6);
  EXPECT_EQ(val.selects_on, "worst_group_accuracy");
  test::expect_error_mentioning(
      [&] {
        auto other = data;
        other["val"] = "balanced:1:1";
        run::resolve("cpu", "waterbirds", {{"data", other}});
      },
      "--val: waterbirds takes official");
}

}  // namespace
}  // namespace reff::data
