#include "reff/train/run_config.h"

#include "reff/error.h"
#include "reff/train/stand_in.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace reff::train {
namespace {

double parse_probability(const std::string& text, const std::string& where) {
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  require(!text.empty() && end != nullptr && *end == '\0', where, "'" + text + "' is not a number");
  require(value >= 0.0 && value <= 1.0, where, "p and q must be in [0, 1]");
  return value;
}

}  // namespace

TestSetSpec parse_test_set(const std::string& text) {
  const auto first = text.find(':');
  const auto second = text.find(':', first == std::string::npos ? first : first + 1);
  require(first != std::string::npos && second != std::string::npos && first > 0, "--test",
          "'" + text + "' is not NAME:P:Q (e.g. shift:1:1)");
  return {text.substr(0, first),
          parse_probability(text.substr(first + 1, second - first - 1), "--test " + text),
          parse_probability(text.substr(second + 1), "--test " + text), ""};
}

RunConfig preset_config(const std::string& preset) {
  RunConfig config;
  config.preset = preset;
  config.mnist_dir = std::string(REFF_DATA_DIR) + "/mnist";
  config.data.p = 0.0;
  config.data.q = 1.0;
  config.tests = {{"shift", 1.0, 1.0, ""}, {"iid", 0.0, 1.0, ""}};
  if (preset == "cpu") {
    // docs/results/pretrained-cpu.md: legible digits (28 px, unscaled, lighter than any
    // background, full-contrast textures), backgrounds told apart by pattern, not colour, and a
    // pretrained start, as the paper fine-tunes an ImageNet model.
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
  } else if (preset == "paper") {
    config.data.canvas = 224;
    config.model = "resnet50";
    config.train.epochs = 50;
    config.train.lambda = 1e-6;
  } else {
    throw Error("--preset: '" + preset + "' is not one of cpu, paper");
  }
  return config;
}

bool is_textured_mnist(const RunConfig& config) { return config.dataset == "textured-mnist"; }
bool is_own_folder(const RunConfig& config) { return config.dataset == "folder"; }

TestSetSpec test_set_for(const RunConfig& config, const std::string& text) {
  if (is_textured_mnist(config)) return parse_test_set(text);
  if (text == "test") return {"test", 1.0, 1.0, ""};
  require(is_own_folder(config), "--test",
          config.dataset + " has one test set, its official test split (named test)");
  require(std::filesystem::is_directory(text), "--test",
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
      {"train",
       {{"method", method_name(train.method)},
        {"epochs", train.epochs},
        {"batch_size", train.batch_size},
        {"lr", train.lr},
        {"momentum", train.momentum},
        {"weight_decay", train.weight_decay},
        {"lambda", train.lambda},
        {"layer_weights", train.layer_weights},
        {"cam_rectifier", explain::cam_rectifier_name(train.cam.rectifier)},
        {"cam_target", explain::cam_target_name(train.cam.target)},
        {"cam_weighting", explain::cam_weighting_name(train.cam.weighting)},
        {"cam_normalise", train.normalise_maps},
        {"lambda_warmup_epochs", train.lambda_warmup_epochs},
        {"seed", train.seed},
        {"augment", train.augment},
        {"background_swap", train.swap_backgrounds},
        {"max_steps", train.max_steps},
        {"precision", precision_name(train.precision)},
        {"channels_last", train.channels_last},
        {"explain_count", train.eval.explain_count}}},
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
    require(!is_own_folder(c) || c.class_names.size() >= 2, "config.json",
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
    const auto& t = json.at("train");
    c.train.method = parse_method(t.at("method"));
    c.train.epochs = t.at("epochs");
    c.train.batch_size = t.at("batch_size");
    c.train.lr = t.at("lr");
    c.train.momentum = t.at("momentum");
    c.train.weight_decay = t.at("weight_decay");
    c.train.lambda = t.at("lambda");
    c.train.layer_weights = t.at("layer_weights").get<std::vector<double>>();
    c.train.cam.rectifier = explain::parse_cam_rectifier(t.at("cam_rectifier"));
    c.train.cam.target = explain::parse_cam_target(t.value("cam_target", "class-logit"));
    c.train.cam.weighting = explain::parse_cam_weighting(t.value("cam_weighting", "gradcam"));
    c.train.normalise_maps = t.value("cam_normalise", false);
    c.train.lambda_warmup_epochs = t.value("lambda_warmup_epochs", int64_t(0));
    c.train.seed = t.at("seed");
    c.train.augment = t.value("augment", c.train.augment);
    c.train.swap_backgrounds = t.value("background_swap", c.train.swap_backgrounds);
    c.train.max_steps = t.value("max_steps", c.train.max_steps);
    c.train.precision = parse_precision(t.value("precision", "fp32"));
    c.train.channels_last = t.value("channels_last", false);
    c.train.eval.explain_count = t.at("explain_count");
    return c;
  } catch (const nlohmann::json::exception& e) {
    throw Error(std::string("config.json: ") + e.what());
  }
}

void require_annotator_fits(const RunConfig& classifier, const AnnotatorRunConfig& annotator) {
  require(annotator.data_json() == classifier.data_json(), classifier.annotator_dir,
          "the annotator was trained on other data (its config.json's \"data\" differs)");
  require(annotator.annotated.n == classifier.annotated.n &&
              annotator.annotated.per_class == classifier.annotated.per_class &&
              annotator.annotated.seed == classifier.annotated.seed,
          classifier.annotator_dir,
          "the annotator was trained on another annotated subset (n " +
              std::to_string(annotator.annotated.n) + ")");
}

namespace {

nlohmann::json read_config_json(const std::string& dir, const std::string& made_by) {
  const auto path = std::filesystem::path(dir) / "config.json";
  require(std::filesystem::is_directory(dir), dir, "folder not found");
  std::ifstream in(path);
  require(in.good(), path.string(), "not found: is " + dir + " a folder of " + made_by + "?");
  const auto json = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  require(!json.is_discarded(), path.string(), "not valid JSON");
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
  require(json.contains("annotator"), dir, "config.json has no \"annotator\" section");
  config.annotator = json["annotator"];
  return config;
}

}  // namespace reff::train
