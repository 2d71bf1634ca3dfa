#include "reff/run/run_config.h"

#include "reff/error.h"
#include "reff/names.h"
#include "reff/run/stand_in.h"
#include "reff/train/train_option_table.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <type_traits>

namespace reff::run {
using namespace reff::train;  // the loop, the methods and the annotator this layer runs
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
nlohmann::json train_json(const TrainOptions& options) {
  nlohmann::json json = {{"method", method_name(options.method)}};
  for_each_train_option([&](const TrainOption& option, auto field) {
    const auto& value = field(options);
    if constexpr (std::is_enum_v<std::decay_t<decltype(value)>>) {
      json[option.key] = enum_name(value);
    } else {
      json[option.key] = value;
    }
  });
  return json;
}

TrainOptions train_from_json(const nlohmann::json& json) {
  TrainOptions options;
  options.method = parse_method(json.at("method"));
  for_each_train_option([&](const TrainOption& option, auto field) {
    auto& value = field(options);
    using Value = std::decay_t<decltype(value)>;
    if (!option.required && !json.contains(option.key)) return;  // the default
    const auto& stored = json.at(option.key);
    if constexpr (std::is_enum_v<Value>) {
      value = parse_enum<Value>(option.flag, stored.get<std::string>());
    } else {
      value = stored.get<Value>();
    }
  });
  return options;
}

}  // namespace

TestSetSpec parse_test_set(const std::string& text) {
  const auto first = text.find(':');
  const auto second = text.find(':', first == std::string::npos ? first : first + 1);
  REFF_REQUIRE(first != std::string::npos && second != std::string::npos && first > 0, "--test",
               "'" + text + "' is not NAME:P:Q (e.g. shift:1:1)");
  return {text.substr(0, first),
          parse_probability(text.substr(first + 1, second - first - 1), "--test " + text),
          parse_probability(text.substr(second + 1), "--test " + text), ""};
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
  config.dataset = dataset;
  if (is_textured_mnist(config)) return;
  config.tests = {{"test", 1.0, 1.0, ""}};          // the official test split
  config.train.augment = config.preset == "paper";  // ImageNet fine-tuning's crops and flips
  if (is_own_folder(config)) config.data.mask_threshold = 0.5;  // gray masks: from half intensity
}

bool is_textured_mnist(const RunConfig& config) { return config.dataset == "textured-mnist"; }
bool is_own_folder(const RunConfig& config) { return config.dataset == "folder"; }

TestSetSpec test_set_for(const RunConfig& config, const std::string& text) {
  if (is_textured_mnist(config)) return parse_test_set(text);
  if (text == "test") return {"test", 1.0, 1.0, ""};
  REFF_REQUIRE(is_own_folder(config), "--test",
               config.dataset + " has one test set, its official test split (named test)");
  REFF_REQUIRE(
      std::filesystem::is_directory(text), "--test",
      "'" + text + "' is neither test (the folder's test split) nor a folder of test images");
  auto folder = std::filesystem::absolute(text).lexically_normal();
  if (folder.filename().empty()) folder = folder.parent_path();
  return {folder.filename().string(), 1.0, 1.0, folder.string()};
}

nlohmann::json RunConfig::data_json() const {
  nlohmann::json tests_json = nlohmann::json::array();
  for (const auto& t : tests) {
    tests_json.push_back({{"name", t.name}, {"p", t.p}, {"q", t.q}});
    if (!t.folder.empty()) tests_json.back()["folder"] = t.folder;
  }
  nlohmann::json json = {{"dataset", dataset},
                         {"data_dir", data_dir},
                         {"mnist_dir", mnist_dir},
                         {"textures", textures.kind},
                         {"texture_dir", textures.path},
                         {"canvas", data.canvas},
                         {"digit_size", data.digit_size},
                         {"luminance_offset", data.luminance_offset},
                         {"stretch_textures", data.stretch_textures},
                         {"mask_threshold", data.mask_threshold},
                         {"p", data.p},
                         {"q", data.q},
                         {"seed", data.seed},
                         {"val_share", split.val_share},
                         {"split_seed", split.seed},
                         {"train_count", train_count},
                         {"val_count", val_count},
                         {"test_count", test_count},
                         {"tests", tests_json}};
  if (is_own_folder(*this)) {  // only then, so other runs' config.json stays as it was
    json["classes"] = class_names;
    json["groups"] = group_names;
    json["mask_values"] = mask_values;
  }
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
      {"model",
       {{"name", model},
        {"width", small.width},
        {"blocks", small.blocks},
        {"seed", model_seed},
        {"num_classes", num_classes},
        {"pretrained", pretrained},
        {"sync_batchnorm", sync_batchnorm}}},
      {"device", device},
      {"train", train_json(train)},
  };
}

RunConfig RunConfig::from_json(const nlohmann::json& json) {
  try {
    RunConfig c;
    c.preset = json.at("preset");
    const auto& d = json.at("data");
    // Fields added after the first release have defaults, so older run folders still load.
    c.dataset = d.value("dataset", c.dataset);
    c.data_dir = d.value("data_dir", c.data_dir);
    c.mnist_dir = d.at("mnist_dir");
    c.textures = {d.at("textures"), d.at("texture_dir")};
    c.data.canvas = d.at("canvas");
    c.data.digit_size = d.at("digit_size");
    c.data.luminance_offset = d.at("luminance_offset");
    c.data.stretch_textures = d.value("stretch_textures", c.data.stretch_textures);
    c.data.mask_threshold = d.value("mask_threshold", c.data.mask_threshold);
    c.data.p = d.at("p");
    c.data.q = d.at("q");
    c.data.seed = d.at("seed");
    c.split.val_share = d.at("val_share");
    c.split.seed = d.at("split_seed");
    c.train_count = d.at("train_count");
    c.val_count = d.at("val_count");
    c.test_count = d.at("test_count");
    for (const auto& t : d.at("tests"))
      c.tests.push_back({t.at("name"), t.at("p"), t.at("q"), t.value("folder", "")});
    c.class_names = d.value("classes", c.class_names);
    c.group_names = d.value("groups", c.group_names);
    c.mask_values = d.value("mask_values", c.mask_values);
    REFF_REQUIRE(!is_own_folder(c) || c.class_names.size() >= 2, "config.json",
                 "a folder run lists its classes");
    if (json.contains("annotations")) {  // absent in runs made before the pseudo-annotator
      const auto& a = json.at("annotations");
      c.annotated = {a.at("n"), a.at("per_class"), a.at("seed")};
      c.annotator_dir = a.at("annotator_dir");
      c.pseudo_threshold = a.at("pseudo_threshold");
    }
    const auto& m = json.at("model");
    c.model = m.at("name");
    c.small.width = m.at("width");
    c.small.blocks = m.at("blocks");
    c.model_seed = m.at("seed");
    c.num_classes = m.value("num_classes", c.num_classes);
    c.pretrained = m.value("pretrained", c.pretrained);
    c.sync_batchnorm = m.value("sync_batchnorm", c.sync_batchnorm);
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
  for (const char* key : {"tests", "test_count", "val_count"}) json.erase(key);
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
  return RunConfig::from_json(read_config_json(dir, "reff train"));
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
