#include "reff/run/resolve.h"

#include "reff/error.h"
#include "reff/run/dataset_kind.h"
#include "reff/run/run_assembly.h"
#include "reff/run/run_option_table.h"
#include "reff/run/stand_in.h"

#include <filesystem>

namespace reff::run {
namespace fs = std::filesystem;
namespace {

bool has(const nlohmann::json& json, const char* section, const char* key) {
  return json.contains(section) && json.at(section).is_object() && json.at(section).contains(key);
}

// "--canvas" of "--canvas,--image-size"; config.json's data.KEY for an option without a flag.
std::string option_name(const RunOption& option) {
  if (option.flag == nullptr) return std::string(option.section) + "." + option.key;
  const std::string names = option.flag;
  return names.substr(0, names.find(','));
}

// A data option given for a kind that does not take it: an error naming the kinds that do.
void require_data_options_apply(const DatasetKind& kind, const nlohmann::json& overrides) {
  if (!overrides.contains("data") || !overrides.at("data").is_object()) return;
  const auto& given = overrides.at("data");
  for_each_data_option([&](const RunOption& option, auto) {
    if (!given.contains(option.key) || kind.takes(option)) return;
    std::string takers;
    for (const auto& other : dataset_kinds())
      if (other.takes(option)) takers += (takers.empty() ? "" : ", ") + std::string(other.name);
    throw Error(option_name(option) + ": applies to --dataset " + takers + ", not " + kind.name);
  });
  if (kind.generated && given.contains("data_dir")) {
    throw Error(std::string("--data: is the folder of a data set that is not generated ") +
                "(--dataset " + dataset_kind_names(", ") + "); " + kind.name +
                " reads MNIST from --mnist");
  }
}

// Every key of `patch` (nested objects too) must already be in `json`: a misspelt option is an
// error, never silently ignored.
void require_known_keys(const nlohmann::json& json, const nlohmann::json& patch,
                        const std::string& where) {
  REFF_REQUIRE(patch.is_object(), where.empty() ? "config" : where, "expected an object");
  for (const auto& [key, value] : patch.items()) {
    const auto name = where.empty() ? key : where + "." + key;
    REFF_REQUIRE(json.contains(key), name, "not an option of config.json");
    if (json.at(key).is_object()) require_known_keys(json.at(key), value, name);
  }
}

// Moves data.KEY out of the patch when it holds command-line text (a string, or a list of them).
std::vector<std::string> take_texts(nlohmann::json& patch, const char* key) {
  std::vector<std::string> texts;
  if (!has(patch, "data", key)) return texts;
  auto& value = patch["data"][key];
  if (value.is_string()) {
    texts.push_back(value.get<std::string>());
  } else if (value.is_array() && !value.empty() && value.front().is_string()) {
    for (const auto& text : value) {
      REFF_REQUIRE(text.is_string(), std::string("data.") + key, "mixes strings and objects");
      texts.push_back(text.get<std::string>());
    }
  } else {
    return texts;
  }
  patch["data"].erase(key);
  return texts;
}

void resolve_folders(const DatasetKind& kind, RunConfig& config) {
  if (kind.generated) return;
  REFF_REQUIRE(!config.data_dir.empty(), "--data", "the " + config.dataset + " folder is required");
  REFF_REQUIRE(fs::is_directory(config.data_dir), "--data", config.data_dir + ": folder not found");
  // kept absolute, so eval and explain find them from anywhere
  config.data_dir = fs::absolute(config.data_dir).lexically_normal().string();
  if (!config.masks_dir.empty()) {
    REFF_REQUIRE(fs::is_directory(config.masks_dir), "--masks",
                 config.masks_dir + ": folder not found");
    config.masks_dir = fs::absolute(config.masks_dir).lexically_normal().string();
  }
}

void adopt_annotator(RunConfig& config, const nlohmann::json& overrides) {
  if (config.annotator_dir.empty() || !has(overrides, "annotations", "annotator_dir")) return;
  const auto made_for = load_annotator_config(config.annotator_dir);
  REFF_REQUIRE(!has(overrides, "annotations", "n") || made_for.annotated.n == config.annotated.n,
               "--annotated-n",
               "differs from the annotator's n (" + std::to_string(made_for.annotated.n) + ")");
  config.annotated = made_for.annotated;
  require_annotator_fits(config, made_for);
}

}  // namespace

RunConfig resolve(const std::string& preset, const std::string& dataset,
                  const nlohmann::json& overrides) {
  REFF_REQUIRE(overrides.is_object(), "config", "expected an object in config.json's shape");
  auto config = preset_config(preset);
  use_dataset(config, dataset);
  const auto& kind = dataset_kind(config);
  require_data_options_apply(kind, overrides);
  REFF_REQUIRE(!kind.own_masks || !has(overrides, "annotations", "n"), "--annotated-n",
               "a folder's annotated images are those that come with a mask");
  if (has(overrides, "train", "method")) {
    const auto& method = overrides.at("train").at("method");
    REFF_REQUIRE(method.is_string(), "--method", "expected a method's name");
    config.train.use_method(method.get<std::string>());
  }
  auto patch = overrides;
  const auto tests = take_texts(patch, "tests");
  const auto val = take_texts(patch, "val");
  REFF_REQUIRE(val.size() <= 1, "--val", "one validation split, not " + std::to_string(val.size()));
  auto json = config.to_json();
  auto known = json;
  known["data"]["val"] = {{"name", ""}, {"p", 1.0}, {"q", 1.0}, {"folder", ""}};
  require_known_keys(known, patch, "");
  if (has(patch, "data", "val")) {
    const auto& set = patch["data"]["val"];
    REFF_REQUIRE(set.is_object(), "data.val", "expected NAME:P:Q text or {name, p, q[, folder]}");
  }
  json.merge_patch(patch);
  config = RunConfig::from_json(json);
  resolve_folders(kind, config);
  const bool tests_given = has(overrides, "data", "tests");
  const auto given_tests = config.tests;
  kind.check_files(config);
  if (tests_given) config.tests = given_tests;
  if (!tests.empty()) {
    config.tests.clear();
    for (const auto& text : tests) config.tests.push_back(kind.test_set(config, text));
  }
  if (!val.empty()) config.val = kind.val_set(config, val.front());
  if (!has(overrides, "data", "digit_size") && config.data.digit_size > config.data.canvas)
    config.data.digit_size = 0;  // the whole canvas
  // The preset's stand-in is a backbone of the preset's model only.
  if (!has(overrides, "model", "pretrained") && config.pretrained == kStandIn &&
      !stand_in_fits(config))
    config.pretrained.clear();
  adopt_annotator(config, overrides);
  config.validate();
  return config;
}

}  // namespace reff::run
