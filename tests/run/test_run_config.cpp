#include "fixtures.h"
#include "reff/error.h"
#include "reff/run/run_config.h"
#include "reff/train/annotator.h"
#include "reff/train/train_option_table.h"

#include <gtest/gtest.h>

#include <functional>

namespace reff::run {
using namespace reff::train;
namespace {

// Every option of the table away from its default.
RunConfig config_with_every_train_option_set() {
  auto config = preset_config("cpu");
  auto& t = config.train;
  t.use_method("reff-l1");
  t.epochs = 7;
  t.batch_size = 5;
  t.lr = 0.3;
  t.momentum = 0.5;
  t.weight_decay = 0.1;
  t.lambda = 0.2;
  t.explanation.layer_weights = {1, 2, 3, 4};
  t.explanation.normalise = true;
  t.cam.rectifier = explain::CamRectifier::abs;
  t.cam.target = explain::CamTarget::logit_minus_mean;
  t.cam.weighting = explain::CamWeighting::hirescam;
  t.lambda_warmup_epochs = 3;
  t.seed = 9;
  t.augment = true;
  t.swap_backgrounds = true;
  t.max_steps = 11;
  t.precision = Precision::bf16;
  t.channels_last = true;
  t.eval.explain_count = 5;
  return config;
}

TEST(RunConfig, EveryTrainOptionRoundTripsThroughConfigJsonUnderTheTablesKey) {
  const auto config = config_with_every_train_option_set();
  const auto json = config.to_json();
  for_each_train_option([&](const TrainOption& option, auto) {
    EXPECT_TRUE(json.at("train").contains(option.key)) << option.key;
  });
  EXPECT_EQ(json.at("train").at("cam_weighting"), "hirescam");
  EXPECT_EQ(json.at("train").at("precision"), "bf16");
  EXPECT_EQ(json.at("train").at("method"), "reff-l1");
  const auto back = RunConfig::from_json(json);
  EXPECT_EQ(back.to_json(), json);
  EXPECT_EQ(back.train.method, "reff-l1");
  EXPECT_EQ(back.train.explanation.layer_weights, (std::vector<double>{1, 2, 3, 4}));
  EXPECT_TRUE(back.train.explanation.normalise);
  EXPECT_EQ(back.train.cam.target, explain::CamTarget::logit_minus_mean);
  EXPECT_EQ(back.train.eval.explain_count, 5);
  EXPECT_EQ(back.train.max_steps, 11);
}

// Unset (the default) is stored as null and read back unset; older run folders hold a bool.
TEST(RunConfig, TheLayoutRoundTripsUnsetOrGiven) {
  auto config = preset_config("cpu");
  EXPECT_TRUE(config.to_json().at("train").at("channels_last").is_null());
  EXPECT_FALSE(RunConfig::from_json(config.to_json()).train.channels_last.has_value());
  for (const bool given : {false, true}) {
    config.train.channels_last = given;
    EXPECT_EQ(config.to_json().at("train").at("channels_last"), given);
    EXPECT_EQ(RunConfig::from_json(config.to_json()).train.channels_last, given);
  }
}

TEST(RunConfig, TheValidationSplitRoundTripsAndIsAbsentFromConfigJsonByDefault) {
  auto config = preset_config("cpu");
  EXPECT_FALSE(config.to_json().at("data").contains("val"));  // older runs' config.json as it was
  EXPECT_TRUE(RunConfig::from_json(config.to_json()).val.name.empty());
  config.val = val_set_for(config, "balanced:1:0.5");
  EXPECT_EQ(config.to_json().at("data").at("val"),
            (nlohmann::json{{"name", "balanced"}, {"p", 1.0}, {"q", 0.5}}));
  const auto back = RunConfig::from_json(config.to_json());
  EXPECT_EQ(back.val.name, "balanced");
  EXPECT_EQ(back.val.q, 0.5);
  EXPECT_EQ(back.to_json(), config.to_json());
  test::expect_error_mentioning([&] { val_set_for(config, "balanced"); }, "--val");
  auto pets = preset_config("cpu");
  use_dataset(pets, "pets");
  test::expect_error_mentioning([&] { val_set_for(pets, "x"); }, "official val split");
}

TEST(RunConfig, OlderConfigJsonKeepsTheDefaultsOfLaterKeysAndADamagedOneIsAnError) {
  auto json = config_with_every_train_option_set().to_json();
  for_each_train_option([&](const TrainOption& option, auto) {
    if (!option.required) json["train"].erase(option.key);
  });
  const auto older = RunConfig::from_json(json);
  const TrainOptions defaults;
  EXPECT_EQ(older.train.cam.target, defaults.cam.target);
  EXPECT_EQ(older.train.explanation.normalise, defaults.explanation.normalise);
  EXPECT_EQ(older.train.precision, defaults.precision);
  EXPECT_EQ(older.train.lr, 0.3);  // a key of the first release, kept
  json["train"].erase("lr");
  test::expect_error_mentioning([&] { RunConfig::from_json(json); }, "config.json");
  json["train"]["lr"] = 0.3;
  json["train"]["cam_rectifier"] = "square";
  test::expect_error_mentioning([&] { RunConfig::from_json(json); }, "relu, none, abs");
}

TEST(RunConfig, PresetsComeFromTheirTableAndDataSetsBringTheirDefaults) {
  EXPECT_EQ(preset_config("cpu").model, "small");
  EXPECT_EQ(preset_config("paper").model, "resnet50");
  test::expect_error_mentioning([] { preset_config("laptop"); }, "cpu, paper");
  EXPECT_EQ(preset_names(), "cpu | paper");

  auto paper = preset_config("paper");
  use_dataset(paper, "pets");
  EXPECT_TRUE(paper.train.augment);  // ImageNet fine-tuning's crops and flips
  ASSERT_EQ(paper.tests.size(), 1u);
  EXPECT_EQ(paper.tests[0].name, "test");
  auto own = preset_config("cpu");
  use_dataset(own, "folder");
  EXPECT_FALSE(own.train.augment);
  EXPECT_EQ(own.data.mask_threshold, 0.5);
  auto generated = preset_config("cpu");
  use_dataset(generated, "textured-mnist");
  EXPECT_EQ(generated.to_json(), preset_config("cpu").to_json());
}

TEST(RunConfig, AnAnnotatorFitsAClassifierOfItsTrainingDataWhateverItsTestSets) {
  auto classifier = preset_config("cpu");
  classifier.annotated = {5, true, 0};
  classifier.annotator_dir = "annotator";
  AnnotatorRunConfig annotator;
  static_cast<RunConfig&>(annotator) = classifier;
  classifier.tests.push_back({"shifted", 1.0, 1.0, "/data/letters/shifted"});  // --test
  classifier.test_count = 123;
  classifier.val = {"balanced", 1.0, 1.0, ""};  // --val
  EXPECT_NO_THROW(require_annotator_fits(classifier, annotator));
  auto other_subset = classifier;
  other_subset.annotated.n = 10;
  EXPECT_THROW(require_annotator_fits(other_subset, annotator), Error);
  auto other_images = classifier;
  other_images.data.p = 0.5;
  EXPECT_THROW(require_annotator_fits(other_images, annotator), Error);
  auto other_split = classifier;
  other_split.split.seed = 7;
  EXPECT_THROW(require_annotator_fits(other_split, annotator), Error);
}

TEST(Methods, EveryRegisteredMethodParsesByItsNameAndHasItsLineInTheHelp) {
  const auto help = method_help();
  for (const auto& info : methods()) {
    EXPECT_EQ(&method_info(info.name), &info);
    EXPECT_NE(help.find(std::string(info.name) + ": " + info.help), std::string::npos) << help;
  }
  test::expect_error_mentioning([] { method_info("reff-l3"); }, method_names(", "));
}

TEST(RunConfig, ValidateHoldsTheRulesOfTheCommandLine) {
  for (const auto& preset : presets()) preset_config(preset).validate();
  const std::vector<std::pair<std::function<void(RunConfig&)>, std::string>> broken = {
      {[](RunConfig& c) {
         c.train.explanation.layer_weights = {1, 2, 3};
       },
       "--layer-weights"},
      {[](RunConfig& c) { c.small.width = 0; }, "--width"},
      {[](RunConfig& c) { c.pseudo_threshold = 1.5; }, "--pseudo-threshold"},
      {[](RunConfig& c) { c.split.val_share = 1.0; }, "--val-share"},
      {[](RunConfig& c) { c.val_count = -1; }, "--val-count"},
      {[](RunConfig& c) { c.data.p = 2.0; }, "--p"},
      {[](RunConfig& c) { c.train.lr = 0.0; }, "--lr"},
      {[](RunConfig& c) { c.train.method = "reff-l3"; }, "--method"},
      {[](RunConfig& c) {
         c.val = {"balanced", 1.5, 1.0, ""};
       },
       "--val"},
      {[](RunConfig& c) {
         c.val = {"letters", 1.0, 1.0, "/data/letters"};
       },
       "--val"},
  };
  for (const auto& [breaking, flag] : broken) {
    auto config = preset_config("cpu");
    breaking(config);
    test::expect_error_mentioning([&] { config.validate(); }, flag);
  }
  AnnotatorRunConfig annotator;
  static_cast<RunConfig&>(annotator) = preset_config("cpu");
  annotator.annotator = AnnotatorOptions{}.to_json();
  test::expect_error_mentioning([&] { annotator.validate(); }, "--annotated-n");
  annotator.annotated.n = 5;
  annotator.validate();
}

TEST(Methods, ChoosingAMethodBringsItsDefaultsAndExplicitOptionsStillOverrideThem) {
  TrainOptions options;
  options.use_method("reff-focus");
  EXPECT_EQ(options.cam.rectifier, explain::CamRectifier::abs);
  EXPECT_EQ(options.cam.target, explain::CamTarget::logit_minus_mean);
  EXPECT_TRUE(options.explanation.normalise);
  EXPECT_EQ(options.lambda, 1e-3);
  options.validate();
  // Written to config.json and read back, the run is the same run.
  auto config = preset_config("paper");
  config.train = options;
  const auto back = RunConfig::from_json(config.to_json());
  EXPECT_EQ(back.train.method, "reff-focus");
  EXPECT_EQ(back.train.cam.rectifier, explain::CamRectifier::abs);
  EXPECT_EQ(back.train.cam.target, explain::CamTarget::logit_minus_mean);
  EXPECT_TRUE(back.train.explanation.normalise);
}

}  // namespace
}  // namespace reff::run
