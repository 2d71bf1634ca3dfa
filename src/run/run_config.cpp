#include "reff/run/run_config.h"

#include "reff/error.h"
#include "reff/names.h"
#include "reff/run/dataset_kind.h"
#include "reff/run/run_option_table.h"
#include "reff/run/stand_in.h"
#include "reff/train/annotator.h"
#include "reff/train/train_option_table.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <type_traits>

namespace reff::run {
namespace {

double parse_probability(const std::string& text, const std::string& where) {
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  REFF_REQUIRE(!text.empty() && end != nullptr && *end == '\0', where,
               "'" + text + "' is not a number");
  REFF_REQUIRE(value >= 0.0 && value <= 1.0, where, "p and q must be in [0, 1]");
  return value;
}

// config.json's "train": the method and every option of the table (train_option_table.h).
nlohmann::json train_json(const train::TrainOptions& options) {
  nlohmann::json json = {{"method", options.method}};
  train::for_each_train_option([&](const train::TrainOption& option, auto field) {
    const auto& value = field(options);
    using Value = std::decay_t<decltype(value)>;
    if constexpr (std::is_enum_v<Value>) {
      json[option.key] = enum_name(value);
    } else if constexpr (std::is_same_v<Value, std::optional<bool>>) {
      json[option.key] = value ? nlohmann::json(*value) : nlohmann::json(nullptr);  // null: unset
    } else {
      json[option.key] = value;
    }
  });
  return json;
}

train::TrainOptions train_from_json(const nlohmann::json& json) {
  train::TrainOptions options;
  options.method = train::method_info(json.at("method")).name;  // a known name
  train::for_each_train_option([&](const train::TrainOption& option, auto field) {
    auto& value = field(options);
    using Value = std::decay_t<decltype(value)>;
    if (!option.required && !json.contains(option.key)) return;  // the default
    const auto& stored = json.at(option.key);
    if constexpr (std::is_enum_v<Value>) {
      value = parse_enum<Value>(option.flag, stored.get<std::string>());
    } else if constexpr (std::is_same_v<Value, std::optional<bool>>) {
      value = stored.is_null() ? std::nullopt : std::optional<bool>(stored.get<bool>());
    } else {
      value = stored.get<Value>();
    }
  });
  return options;
}

}  // namespace

TestSetSpec parse_test_set(const std::string& text, const std::string& flag) {
  const auto first = text.find(':');
  const auto second = text.find(':', first == std::string::npos ? first : first + 1);
  REFF_REQUIRE(first != std::string::npos && second != std::string::npos && first > 0, flag,
               "'" + text + "' is not NAME:P:Q (e.g. " +
                   (flag == "--val" ? "balanced:1:1" : "shift:1:1") + ")");
  return {text.substr(0, first),
          parse_probability(text.substr(first + 1, second - first - 1), flag + " " + text),
          parse_probability(text.substr(second + 1), flag + " " + text), ""};
}

nlohmann::json set_json(const TestSetSpec& set) {
  nlohmann::json json = {{"name", set.name}, {"p", set.p}, {"q", set.q}};
  if (!set.folder.empty()) json["folder"] = set.folder;
  return json;
}

std::string set_text(const TestSetSpec& set) {
  if (!set.folder.empty()) return set.folder;
  char text[64];
  std::snprintf(text, sizeof text, ":%g:%g", set.p, set.q);
  return set.name + text;
}

namespace {

// docs/results/pretrained-cpu.md: legible digits (28 px, unscaled, lighter than any background,
// full-contrast textures), backgrounds told apart by pattern, not colour, and a pretrained start,
// as the paper fine-tunes an ImageNet model.
void cpu_preset(RunConfig& config) {
  config.data.canvas = 40;
  config.data.digit_size = 28;
  config.data.luminance_offset = 0.5;
  config.data.stretch_textures = true;
  config.data.mask_threshold = 0.2;
  config.textures = {"varied", ""};
  config.pretrained = kStandIn;
  config.model = "small";
  config.train.epochs = 10;
  config.train.lambda = 1e-3;
}

void paper_preset(RunConfig& config) {  // seed Table 4
  config.data.canvas = 224;
  config.model = "resnet50";
  config.train.epochs = 50;
  config.train.lambda = 1e-6;
}

constexpr Named<void (*)(RunConfig&)> kPresets[] = {{cpu_preset, "cpu"}, {paper_preset, "paper"}};

}  // namespace

std::string preset_names() { return names_of(kPresets, " | "); }

std::vector<std::string> presets() {
  std::vector<std::string> names;
  for (const auto& preset : kPresets) names.push_back(preset.name);
  return names;
}

void RunConfig::validate() const {
  const auto& kind = dataset_kind(*this);
  train.validate();
  data.validate();
  if (!kind.generated) data::MaskOptions{data.mask_threshold, mask_values}.validate();
  REFF_REQUIRE(split.val_share > 0 && split.val_share < 1, "--val-share", "must be in (0, 1)");
  for (const auto& count : {train_count, val_count, test_count}) {
    REFF_REQUIRE(count >= 0, "--train-count/--val-count/--test-count", "must be >= 0 (0: all)");
  }
  REFF_REQUIRE(small.width > 0, "--width", "must be positive");
  REFF_REQUIRE(train.explanation.layer_weights.size() == 4, "--layer-weights",
               "needs one weight per explained layer (layer1..layer4), not " +
                   std::to_string(train.explanation.layer_weights.size()));
  const bool val_fits = kind.val_form == ValForm::folder ? !val.folder.empty()
                        : kind.val_form == ValForm::none ? false
                                                         : val.folder.empty();
  REFF_REQUIRE(val.name.empty() || val_fits, "--val",
               "textured-mnist takes NAME:P:Q, a folder data set a folder of images, waterbirds "
               "official");
  REFF_REQUIRE(val.p >= 0 && val.p <= 1 && val.q >= 0 && val.q <= 1, "--val",
               "p and q must be in [0, 1]");
  REFF_REQUIRE(
      std::find(std::begin(kValParts), std::end(kValParts), val_part) != std::end(kValParts),
      "--val-part", "must be all, fit or select, not '" + val_part + "'");
  REFF_REQUIRE(pseudo_threshold == -1 || (pseudo_threshold > 0 && pseudo_threshold < 1),
               "--pseudo-threshold", "must be in (0, 1)");
}

void AnnotatorRunConfig::validate() const {
  RunConfig::validate();
  REFF_REQUIRE(annotated.n > 0 || dataset_kind(*this).own_masks, "--annotated-n",
               "the annotator learns from a few annotated images: give a count");
  train::AnnotatorOptions::from_json(annotator).validate();
}

RunConfig preset_config(const std::string& preset) {
  RunConfig config;
  config.preset = preset;
  config.mnist_dir = std::string(REFF_DATA_DIR) + "/mnist";
  config.data.p = 0.0;
  config.data.q = 1.0;
  config.tests = {{"shift", 1.0, 1.0, ""}, {"iid", 0.0, 1.0, ""}};
  parse_named(kPresets, "--preset", preset)(config);
  return config;
}

void use_dataset(RunConfig& config, const std::string& dataset) {
  const auto& kind = dataset_kind(dataset);
  config.dataset = kind.name;
  kind.defaults(config);
}

TestSetSpec test_set_for(const RunConfig& config, const std::string& text) {
  return dataset_kind(config).test_set(config, text);
}

TestSetSpec val_set_for(const RunConfig& config, const std::string& text) {
  return dataset_kind(config).val_set(config, text);
}

namespace {

// The options of the table in one section of config.json: those of the config's data set kind.
nlohmann::json section_json(const RunConfig& config, const std::string& section) {
  const auto& kind = dataset_kind(config);
  nlohmann::json json = nlohmann::json::object();
  for_each_run_option([&](const RunOption& option, auto field) {
    if (option.section == section && kind.takes(option)) json[option.key] = field(config);
  });
  return json;
}

TestSetSpec set_from_json(const nlohmann::json& json) {
  return {json.at("name"), json.at("p"), json.at("q"), json.value("folder", "")};
}

// An option its kind does not take keeps its default (older folder runs stored Textured MNIST's).
void read_section(RunConfig& config, const std::string& section, const nlohmann::json& json) {
  const auto& kind = dataset_kind(config);
  for_each_run_option([&](const RunOption& option, auto field) {
    if (option.section != section || !kind.takes(option)) return;
    if (!option.required && !json.contains(option.key)) return;
    auto& value = field(config);
    value = json.at(option.key).get<std::decay_t<decltype(value)>>();
  });
}

}  // namespace

nlohmann::json RunConfig::data_json() const {
  nlohmann::json tests_json = nlohmann::json::array();
  for (const auto& t : tests) tests_json.push_back(set_json(t));
  auto json = section_json(*this, "data");
  json["tests"] = tests_json;
  if (!val.name.empty()) json["val"] = set_json(val);  // absent: the training distribution's
  return json;
}

nlohmann::json RunConfig::to_json() const {
  return {
      {"preset", preset},
      {"data", data_json()},
      {"annotations",
       {{"n", annotated.n},
        {"per_class", annotated.per_class},
        {"seed", annotated.seed},
        {"annotator_dir", annotator_dir},
        {"pseudo_threshold", pseudo_threshold}}},
      {"model", section_json(*this, "model")},
      {"device", device},
      {"train", train_json(train)},
  };
}

RunConfig RunConfig::from_json(const nlohmann::json& json) {
  try {
    RunConfig c;
    c.preset = json.at("preset");
    const auto& d = json.at("data");
    c.dataset = d.value("dataset", c.dataset);
    dataset_kind(c);  // a known kind, whose options are read
    read_section(c, "data", d);
    for (const auto& t : d.at("tests")) c.tests.push_back(set_from_json(t));
    if (d.contains("val")) c.val = set_from_json(d.at("val"));
    if (json.contains("annotations")) {  // absent in runs made before the pseudo-annotator
      const auto& a = json.at("annotations");
      c.annotated = {a.at("n"), a.at("per_class"), a.at("seed")};
      c.annotator_dir = a.at("annotator_dir");
      c.pseudo_threshold = a.at("pseudo_threshold");
    }
    read_section(c, "model", json.at("model"));
    c.device = json.value("device", c.device);
    c.train = train_from_json(json.at("train"));
    return c;
  } catch (const nlohmann::json::exception& e) {
    throw Error(std::string("config.json: ") + e.what());
  }
}

namespace {

// What an annotator learns from: the training images and masks and how they are split off; not
// the sets a classifier is validated and tested on.
nlohmann::json annotator_training_data(const RunConfig& config) {
  auto json = config.data_json();
  for (const char* key :
       {"tests", "test_count", "val_count", "val", "val_part", "allow_empty_masks"})
    json.erase(key);
  return json;
}

}  // namespace

void require_annotator_fits(const RunConfig& classifier, const AnnotatorRunConfig& annotator) {
  REFF_REQUIRE(annotator_training_data(annotator) == annotator_training_data(classifier),
               classifier.annotator_dir,
               "the annotator was trained on other data (its config.json's \"data\" differs "
               "in the training images, masks or split)");
  REFF_REQUIRE(annotator.annotated.n == classifier.annotated.n &&
                   annotator.annotated.per_class == classifier.annotated.per_class &&
                   annotator.annotated.seed == classifier.annotated.seed,
               classifier.annotator_dir,
               "the annotator was trained on another annotated subset (n " +
                   std::to_string(annotator.annotated.n) + ")");
}

namespace {

nlohmann::json read_config_json(const std::string& dir, const std::string& made_by) {
  const auto path = std::filesystem::path(dir) / "config.json";
  REFF_REQUIRE(std::filesystem::is_directory(dir), dir, "folder not found");
  std::ifstream in(path);
  REFF_REQUIRE(in.good(), path.string(), "not found: is " + dir + " a folder of " + made_by + "?");
  const auto json = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  REFF_REQUIRE(!json.is_discarded(), path.string(), "not valid JSON");
  return json;
}

}  // namespace

RunConfig load_run_config(const std::string& dir) {
  auto config = RunConfig::from_json(read_config_json(dir, "reff train"));
  REFF_REQUIRE(dataset_kind(config).classes(config) >= 2, dir + "/config.json",
               "lists fewer than two classes");
  return config;
}

AnnotatorRunConfig load_annotator_config(const std::string& dir) {
  const auto json = read_config_json(dir, "reff annotator train");
  AnnotatorRunConfig config;
  static_cast<RunConfig&>(config) = RunConfig::from_json(json);
  REFF_REQUIRE(json.contains("annotator"), dir, "config.json has no \"annotator\" section");
  config.annotator = json["annotator"];
  return config;
}

}  // namespace reff::run
