#include "fixtures.h"
#include "reff/data/layout_example.h"
#include "reff/error.h"
#include "reff/run/dataset_kind.h"
#include "reff/run/resolve.h"
#include "reff/run/run_assembly.h"
#include "reff/run/run_option_table.h"
#include "reff/run/stand_in.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <tuple>

namespace reff::run {
namespace {
namespace fs = std::filesystem;

// The data section's keys, and those every kind takes.
std::set<std::string> data_keys(bool every_kind_only) {
  std::set<std::string> keys;
  for_each_data_option([&](const RunOption& option, auto) {
    if (!every_kind_only || option.every_kind) keys.insert(option.key);
  });
  return keys;
}

// A folder of each kind that is not generated (layout examples), made once for the file.
nlohmann::json data_of(const DatasetKind& kind) {
  if (kind.generated) return nlohmann::json::object();
  static const auto root = test::fresh_dir("dataset_kinds");
  const auto dir = root / kind.name;
  if (!fs::exists(dir)) data::write_layout_example(kind.name, dir.string());
  if (std::string(kind.name) == "waterbirds")
    return {{"data_dir", (dir / "waterbirds").string()},
            {"masks_dir", (dir / "CUB_200_2011").string()}};
  return {{"data_dir", dir.string()}};
}

TEST(DatasetKinds, EachOwnsItsOptionsAndConfigJsonHoldsNoOther) {
  const auto every = data_keys(true), all = data_keys(false);
  std::set<std::string> names;
  for (const auto& kind : dataset_kinds()) {
    EXPECT_TRUE(names.insert(kind.name).second) << kind.name;
    EXPECT_NE(dataset_kind_help().find(kind.help), std::string::npos) << kind.name;
    for (const auto& key : kind.options) {
      EXPECT_TRUE(all.count(key)) << kind.name << " lists " << key << ", not an option";
      EXPECT_FALSE(every.count(key)) << kind.name << " lists " << key << ", every kind's";
    }
    for (const auto& preset : presets()) {
      const auto config = resolve(preset, kind.name, {{"data", data_of(kind)}});
      const auto json = config.to_json();
      std::set<std::string> stored;
      for (const auto& [key, value] : json.at("data").items()) stored.insert(key);
      stored.erase("tests");
      stored.erase("val");
      std::set<std::string> expected = every;
      expected.insert(kind.options.begin(), kind.options.end());
      EXPECT_EQ(stored, expected) << kind.name << " on " << preset;
      // config.json reads back to the same config
      EXPECT_EQ(RunConfig::from_json(config.to_json()).to_json(), config.to_json()) << kind.name;
      EXPECT_GE(dataset_classes(config), 2) << kind.name;
      // a real data set is tested on its test split, and fine-tuned as ImageNet models are
      if (!kind.generated) {
        ASSERT_FALSE(config.tests.empty()) << kind.name;
        EXPECT_EQ(config.tests.front().name, "test") << kind.name;
        EXPECT_EQ(config.train.augment, preset == "paper") << kind.name;
      }
    }
  }
  const auto folder = resolve("cpu", "folder", {{"data", data_of(dataset_kind("folder"))}});
  EXPECT_FALSE(folder.to_json()["data"].contains("digit_size"));
  EXPECT_EQ(folder.data.mask_threshold, 0.5);  // gray masks: from half intensity
  EXPECT_EQ(folder.class_names.size(), 3u);
}

TEST(DatasetKinds, TheHelpOfEveryDataOptionNamesTheKindsThatTakeIt) {
  for (const auto& kind : dataset_kinds()) {
    for (const auto& key : kind.options) {
      bool found = false;
      for_each_data_option([&](const RunOption& option, auto) {
        found = found || (option.key == key && kind.takes(option));
      });
      EXPECT_TRUE(found) << key;
    }
  }
  test::expect_error_mentioning([] { dataset_kind("imagenet"); }, dataset_kind_names(", "));
}

TEST(Resolve, BadInputGivesOneLineNamingTheOption) {
  const auto pets = data_of(dataset_kind("pets"));
  const std::vector<std::tuple<std::string, std::string, nlohmann::json, std::string>> cases = {
      {"cpu", "imagenet", nlohmann::json::object(), "--dataset: 'imagenet' is not one of"},
      {"laptop", "pets", nlohmann::json::object(), "--preset"},
      {"cpu", "pets", nlohmann::json::object(), "--data: the pets folder is required"},
      {"cpu",
       "pets",
       {{"data", {{"data_dir", pets["data_dir"]}, {"p", 0.5}}}},
       "--p: applies to --dataset textured-mnist, not pets"},
      {"cpu",
       "pets",
       {{"data", {{"data_dir", pets["data_dir"]}, {"mask_values", {1}}}}},
       "--mask-values: applies to --dataset folder, not pets"},
      {"cpu", "textured-mnist", {{"data", {{"data_dir", "x"}}}}, "--data: is the folder"},
      {"cpu", "textured-mnist", {{"data", {{"canvass", 3}}}}, "data.canvass: not an option"},
      {"cpu", "textured-mnist", {{"data", {{"canvas", 2}}}}, "--canvas"},
      {"cpu", "textured-mnist", {{"data", {{"tests", {"shift"}}}}}, "--test"},
      {"cpu", "textured-mnist", {{"data", {{"val", "official"}}}}, "--val"},
      {"cpu", "textured-mnist", {{"train", {{"method", "reff-l3"}}}}, "--method"},
      {"cpu",
       "folder",
       {{"data", data_of(dataset_kind("folder"))}, {"annotations", {{"n", 5}}}},
       "--annotated-n: a folder's annotated images"},
      {"cpu",
       "pets",
       {{"data", {{"data_dir", pets["data_dir"]}, {"val", "balanced:1:1"}}}},
       "--val: pets is validated on its official val split"},
  };
  for (const auto& [preset, dataset, overrides, message] : cases) {
    try {
      resolve(preset, dataset, overrides);
      ADD_FAILURE() << "no error for " << overrides.dump();
    } catch (const Error& e) {
      const std::string what = e.what();
      EXPECT_EQ(what.rfind(message, 0), 0u) << what << " (expected " << message << ")";
      EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    }
  }
}

TEST(Resolve, AMethodBringsItsDefaultsAndTheOptionsGivenBesideItWin) {
  const auto focus = resolve("cpu", "textured-mnist", {{"train", {{"method", "reff-focus"}}}});
  EXPECT_EQ(focus.train.cam.rectifier, explain::CamRectifier::abs);
  EXPECT_EQ(focus.train.lambda, 1e-3);
  const auto given = resolve("cpu", "textured-mnist",
                             {{"train", {{"method", "reff-focus"}, {"lambda", 0.5}}},
                              {"data", {{"tests", {"far:1:0.5"}}, {"val", "balanced:1:1"}}}});
  EXPECT_EQ(given.train.lambda, 0.5);
  ASSERT_EQ(given.tests.size(), 1u);
  EXPECT_EQ(given.tests[0].name, "far");
  EXPECT_EQ(given.tests[0].q, 0.5);
  EXPECT_EQ(given.val.name, "balanced");
  // a canvas smaller than the preset's digit: the digit fills it, unless its size is given
  EXPECT_EQ(resolve("cpu", "textured-mnist", {{"data", {{"canvas", 24}}}}).data.digit_size, 0);
  test::expect_error_mentioning(
      [] {
        resolve("cpu", "textured-mnist", {{"data", {{"canvas", 24}, {"digit_size", 28}}}});
      },
      "--digit-size");
  // the preset's stand-in backbone is dropped for another model, kept where given
  EXPECT_TRUE(resolve("cpu", "textured-mnist", {{"model", {{"width", 8}}}}).pretrained.empty());
  EXPECT_EQ(resolve("cpu", "textured-mnist").pretrained, kStandIn);
}

TEST(Resolve, EveryCommittedRunFolderStillLoads) {
  const auto results = fs::path(REFF_TEST_DIR).parent_path() / "docs" / "results";
  int loaded = 0;
  for (const auto& entry : fs::recursive_directory_iterator(results)) {
    if (entry.path().filename() != "config.json") continue;
    const auto config = load_run_config(entry.path().parent_path().string());
    EXPECT_EQ(RunConfig::from_json(config.to_json()).to_json(), config.to_json()) << entry.path();
    ++loaded;
  }
  EXPECT_GT(loaded, 100);
}

}  // namespace
}  // namespace reff::run
