#include "reff/train/run_config.h"

#include "reff/data/folder_dataset.h"
#include "reff/data/isic2017.h"
#include "reff/data/oxford_pets.h"
#include "reff/error.h"
#include "reff/models/state_dict.h"
#include "reff/names.h"
#include "reff/train/annotator.h"
#include "reff/train/checkpoint.h"
#include "reff/train/stand_in.h"

#include <iostream>

#include <filesystem>
#include <fstream>

#include <cstdlib>
#include <numeric>

namespace reff::train {
namespace {

uint64_t fnv1a(const std::string& text) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char c : text) hash = (hash ^ c) * 0x100000001b3ULL;
  return hash;
}

// The published data sets reff reads in their own layouts, one line each.
struct PublishedDataset {
  const char* name;
  int64_t classes;
  std::vector<data::LabelledImage> (*files)(const RunConfig& config, data::Split split);
  data::TensorDataset (*load)(const RunConfig& config, data::Split split);
};
const PublishedDataset kPublishedDatasets[] = {
    {"isic2017", data::kIsic2017Classes,
     [](const RunConfig& c, data::Split split) { return data::isic2017_files(c.data_dir, split); },
     [](const RunConfig& c, data::Split split) {
       return data::load_isic2017(c.data_dir, split, c.data.canvas);
     }},
    {"pets", data::kOxfordPetsClasses,
     [](const RunConfig& c, data::Split split) {
       return data::oxford_pets_files(c.data_dir, split, c.split);
     },
     [](const RunConfig& c, data::Split split) {
       return data::load_oxford_pets(c.data_dir, split, c.data.canvas, c.split);
     }},
};

// --dataset's entry in kPublishedDatasets; Error listing every data set when it is none of them.
const PublishedDataset& published_dataset(const RunConfig& config) {
  for (const auto& dataset : kPublishedDatasets)
    if (config.dataset == dataset.name) return dataset;
  throw Error("--dataset: '" + config.dataset + "' is not one of textured-mnist, " +
              names_of(kPublishedDatasets) + ", folder");
}

data::FolderListing own_listing(const RunConfig& config) {
  auto listing = data::list_folder(config.data_dir, config.split);
  require(config.class_names.empty() || listing.classes == config.class_names, config.data_dir,
          "its classes are not those the run was made with (config.json's \"classes\")");
  return listing;
}

// Images of an own folder, decoded with their masks and, where the folder has a group column,
// their groups, weighted by each group's share of the folder's training images `train` (groups
// new in a test folder have none).
NamedDataset own_set(const RunConfig& config, std::vector<data::FolderImage> images,
                     const std::vector<std::string>& group_names,
                     const std::vector<data::FolderImage>& train, const std::string& name) {
  data::MaskReader masks({config.data.mask_threshold, config.mask_values});
  NamedDataset set{
      name, data::load_folder_images(images, config.data.canvas, masks), {}, config.class_names};
  if (group_names.empty()) return set;
  std::vector<int64_t> ids;
  for (const auto& image : images) ids.push_back(image.group);
  std::vector<double> shares(group_names.size(), 0.0);
  for (const auto& image : train)
    if (image.group >= 0) shares[static_cast<size_t>(image.group)] += 1.0 / double(train.size());
  set.groups = {torch::tensor(ids, torch::kInt64), group_names, shares};
  return set;
}

template <class T>
void keep_first(std::vector<T>& items, int64_t count) {
  if (count > 0 && count < static_cast<int64_t>(items.size())) items.resize(size_t(count));
}

// A split of a real data set, or its first `count` images when count > 0.
NamedDataset real_set(const RunConfig& config, data::Split split, const std::string& name,
                      int64_t count) {
  if (is_own_folder(config)) {
    const auto listing = own_listing(config);
    auto images = listing.split(split);
    require(!images.empty(), config.data_dir, "has no " + data::split_name(split) + " images");
    keep_first(images, count);
    return own_set(config, std::move(images), config.group_names, listing.train, name);
  }
  auto set = published_dataset(config).load(config, split);
  if (count > 0 && count < set.size()) {
    std::vector<int64_t> first(static_cast<size_t>(count));
    std::iota(first.begin(), first.end(), 0);
    set = set.subset(first);
  }
  return {name, std::move(set), {}, {}};
}

NamedDataset build_set(const RunConfig& config, data::Split split, const std::string& name,
                       double p, double q, int64_t count) {
  if (!is_textured_mnist(config)) return real_set(config, split, name, count);
  const auto generator = textured_mnist(config, split, name, p, q);
  const int64_t n = count > 0 ? count : generator.digits().size();
  return {name, data::TensorDataset::from_textured_mnist(generator, n), {}, {}};
}

double parse_probability(const std::string& text, const std::string& where) {
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  require(!text.empty() && end != nullptr && *end == '\0', where, "'" + text + "' is not a number");
  require(value >= 0.0 && value <= 1.0, where, "p and q must be in [0, 1]");
  return value;
}

}  // namespace

data::TexturedMnist textured_mnist(const RunConfig& config, data::Split split,
                                   const std::string& name, double p, double q) {
  auto options = config.data;
  options.p = p;
  options.q = q;
  options.seed = config.data.seed ^ fnv1a(name);
  return data::TexturedMnist(data::load_mnist_split(config.mnist_dir, split, config.split),
                             data::open_texture_bank(config.textures), options);
}

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

void check_dataset_files(RunConfig& config) {
  if (is_textured_mnist(config)) return;
  if (is_own_folder(config)) {
    const auto listing = own_listing(config);
    config.class_names = listing.classes;
    config.group_names = listing.groups;
    config.tests.clear();  // the test split, where the folder has one
    if (!listing.test.empty()) config.tests = {{"test", 1.0, 1.0, ""}};
    return;
  }
  for (const auto split : {data::Split::train, data::Split::val, data::Split::test})
    published_dataset(config).files(config, split);
}

int64_t dataset_classes(const RunConfig& config) {
  if (is_textured_mnist(config)) return 10;
  if (is_own_folder(config)) return static_cast<int64_t>(config.class_names.size());
  return published_dataset(config).classes;
}

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

std::shared_ptr<models::ResNet> build_model(const RunConfig& config) {
  const int64_t classes = config.num_classes > 0 ? config.num_classes : dataset_classes(config);
  require(classes >= dataset_classes(config), "--num-classes",
          "the data set has " + std::to_string(dataset_classes(config)) + " classes");
  torch::manual_seed(config.model_seed);
  auto model =
      models::make_resnet(config.model, classes, config.small,
                          method_info(config.train.method).needs == MethodNeeds::attention_branch);
  if (config.sync_batchnorm) models::synchronise_batchnorm(*model);
  return model;
}

void load_pretrained(models::ResNet& model, const RunConfig& config) {
  if (config.pretrained.empty()) return;
  const bool stand_in = config.pretrained == kStandIn;
  const auto file = stand_in ? stand_in_backbone(config.preset) : config.pretrained;
  if (stand_in) require_stand_in_fits(config);
  require(std::filesystem::exists(file), file,
          "not found: build the stand-in with `reff pretrain --preset " + config.preset +
              "`, or train from scratch with --pretrained none");
  // A backbone (the stand-in's) has no head: the model keeps its initial one.
  const auto kept = models::load_state_dict(model, models::read_pth(file), file,
                                            {{"fc."}, {"fc.", "attention."}});
  if (!stand_in && !kept.empty()) {
    std::cerr << "reff: " << config.pretrained << ": a new head (fc) for "
              << model.options().num_classes << " classes, the rest pretrained\n";
  }
}

std::shared_ptr<models::ResNet> initial_model(const RunConfig& config) {
  auto model = build_model(config);
  load_pretrained(*model, config);
  return model;
}

data::TensorDataset build_train_set(const RunConfig& config) {
  return build_set(config, data::Split::train, "train", config.data.p, config.data.q,
                   config.train_count)
      .data;
}

std::vector<int64_t> annotated_indices(const RunConfig& config, const data::TensorDataset& train) {
  if (!is_own_folder(config)) return data::annotated_subset(train.labels(), config.annotated);
  return train.masked_indices();
}

data::TensorDataset build_algorithm1_train_set(const RunConfig& config) {
  auto generated = build_train_set(config);
  // n = All: every sample keeps its mask (an own folder's images: those they come with)
  if (config.annotated.n == 0 && (!is_own_folder(config) || config.annotator_dir.empty()))
    return generated;
  const auto d1 = annotated_indices(config, generated);
  if (config.annotator_dir.empty()) return generated.with_annotations(d1, {});
  const auto annotator = load_annotator_config(config.annotator_dir);
  require_annotator_fits(config, annotator);
  Pix2Pix pix2pix(config.data.canvas, AnnotatorOptions::from_json(annotator.annotator));
  load_checkpoint((std::filesystem::path(config.annotator_dir) / kAnnotatorCheckpoint).string(),
                  pix2pix);
  return generated.with_annotations(d1, pseudo_annotate(*pix2pix.generator, generated),
                                    config.pseudo_threshold);
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

NamedDataset build_val_set(const RunConfig& config) {
  return build_set(config, data::Split::val, "val", config.data.p, config.data.q, config.val_count);
}

NamedDataset build_test_set(const RunConfig& config, const TestSetSpec& spec, int64_t count) {
  if (!spec.folder.empty()) {
    require(is_own_folder(config), "--test", "a folder of test images needs --dataset folder");
    auto groups = config.group_names;
    auto images = data::list_test_folder(spec.folder, config.class_names, groups);
    keep_first(images, count > 0 ? count : config.test_count);
    // The training shares of the groups, from the run's folder, only where there are groups.
    const auto train =
        groups.empty() ? std::vector<data::FolderImage>{} : own_listing(config).train;
    return own_set(config, std::move(images), groups, train, spec.name);
  }
  if (!is_textured_mnist(config)) {
    require(spec.name == "test", "--test",
            config.dataset + " has one test set, its official test split (named test)");
    return real_set(config, data::Split::test, "test", count > 0 ? count : config.test_count);
  }
  auto set = build_set(config, data::Split::test, "test:" + spec.name, spec.p, spec.q,
                       count > 0 ? count : config.test_count);
  set.name = spec.name;
  return set;
}

}  // namespace reff::train
