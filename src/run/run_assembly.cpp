#include "reff/run/run_assembly.h"

#include "reff/data/folder_dataset.h"
#include "reff/data/image_file.h"
#include "reff/data/isic2017.h"
#include "reff/data/oxford_pets.h"
#include "reff/error.h"
#include "reff/models/state_dict.h"
#include "reff/names.h"
#include "reff/notice.h"
#include "reff/run/stand_in.h"
#include "reff/train/annotator.h"
#include "reff/train/checkpoint.h"

#include <filesystem>
#include <numeric>

namespace reff::run {
using namespace reff::train;  // the loop, the methods and the annotator this layer runs
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

data::MaskReader mask_reader(const RunConfig& config) {
  return data::MaskReader({config.data.mask_threshold, config.mask_values});
}

data::FolderListing own_listing(const RunConfig& config) {
  auto listing = data::list_folder(config.data_dir, config.split);
  REFF_REQUIRE(config.class_names.empty() || listing.classes == config.class_names, config.data_dir,
               "its classes are not those the run was made with (config.json's \"classes\")");
  return listing;
}

// Why an image's mask is empty in the training set although no value of its file was dropped:
// its region, marked at full size, vanishes at the canvas; else only validate can tell.
std::string vanishing_hint(const RunConfig& config, const data::FolderImage& image,
                           data::MaskReader& masks) {
  const auto pixels = data::read_image(image.image);
  if (!masks.read(image.mask, image.name, pixels.size(1), pixels.size(2)).any().item<bool>())
    return "check them with `reff masks validate`";
  return "their regions vanish when the images are squashed to --canvas " +
         std::to_string(config.data.canvas) + " px; pass a larger --canvas";
}

// Refuses an own folder's training set where more than kMaxEmptyMaskShare of the masked images
// have an empty mask (unless allowed), and notes any below that share: ReFF reads an empty mask
// as "nothing here is relevant" and pushes those images' explanations to zero.
void check_empty_masks(const RunConfig& config, const std::vector<data::FolderImage>& images,
                       const data::TensorDataset& set) {
  const auto empty = set.empty_mask_indices();
  if (empty.empty()) return;
  const auto masked = static_cast<int64_t>(set.masked_indices().size());
  const auto count = static_cast<int64_t>(empty.size());
  const auto share = static_cast<double>(count) / static_cast<double>(masked);
  char counted[128];
  std::snprintf(counted, sizeof counted, "%lld of %lld masked training images (%.1f %%)",
                static_cast<long long>(count), static_cast<long long>(masked), 100 * share);
  if (share <= kMaxEmptyMaskShare || config.allow_empty_masks) {
    notice(config.data_dir + ": " + counted +
           " have an empty mask; their explanations are pushed out of the whole image");
    return;
  }
  constexpr size_t kNamed = 3;
  auto masks = mask_reader(config);
  std::string named, hint;
  for (size_t i = 0; i < std::min(kNamed, empty.size()); ++i) {
    const auto& image = images[static_cast<size_t>(empty[i])];
    const auto mask = std::filesystem::path(image.mask);
    named += (i ? ", " : "") + mask.lexically_relative(config.data_dir).string();
    if (mask.extension() == ".json") named += " for " + image.name;  // labelme or COCO
    if (hint.empty()) hint = masks.empty_hint(image.mask);
  }
  if (hint.empty())
    hint = vanishing_hint(config, images[static_cast<size_t>(empty.front())], masks);
  throw Error(config.data_dir + ": " + counted + " have an empty mask (" + named +
              (count > static_cast<int64_t>(kNamed) ? ", ..." : "") + "): " + hint +
              ", or pass --allow-empty-masks if they are meant to be empty");
}

// Images of an own folder, decoded with their masks and, where the folder has a group column,
// their groups, weighted by each group's share of the folder's training images `train` (groups
// new in a test folder have none).
NamedDataset own_set(const RunConfig& config, std::vector<data::FolderImage> images,
                     const std::vector<std::string>& group_names,
                     const std::vector<data::FolderImage>& train, const std::string& name) {
  auto masks = mask_reader(config);
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
    REFF_REQUIRE(!images.empty(), config.data_dir, "has no " + data::split_name(split) + " images");
    keep_first(images, count);
    auto set = own_set(config, images, config.group_names, listing.train, name);
    if (split == data::Split::train) check_empty_masks(config, images, set.data);
    return set;
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

}  // namespace

std::string published_dataset_names(const char* separator) {
  return names_of(kPublishedDatasets, separator);
}

data::TexturedMnist textured_mnist(const RunConfig& config, data::Split split,
                                   const std::string& name, double p, double q) {
  auto options = config.data;
  options.p = p;
  options.q = q;
  options.seed = config.data.seed ^ fnv1a(name);
  return data::TexturedMnist(data::load_mnist_split(config.mnist_dir, split, config.split),
                             data::open_texture_bank(config.textures), options);
}

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

std::shared_ptr<models::ResNet> build_model(const RunConfig& config) {
  const int64_t classes = config.num_classes > 0 ? config.num_classes : dataset_classes(config);
  REFF_REQUIRE(classes >= dataset_classes(config), "--num-classes",
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
  REFF_REQUIRE(std::filesystem::exists(file), file,
               "not found: build the stand-in with `reff pretrain --preset " + config.preset +
                   "`, or train from scratch with --pretrained none");
  // A backbone (the stand-in's) has no head: the model keeps its initial one.
  const auto kept = models::load_state_dict(model, models::read_pth(file), file,
                                            {{"fc."}, {"fc.", "attention."}});
  if (!stand_in && !kept.empty()) {
    notice(config.pretrained + ": a new head (fc) for " +
           std::to_string(model.options().num_classes) + " classes, the rest pretrained");
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

NamedDataset build_val_set(const RunConfig& config) {
  const auto& spec = config.val;
  if (spec.name.empty())
    return build_set(config, data::Split::val, "val", config.data.p, config.data.q,
                     config.val_count);
  NamedDataset set;
  if (spec.folder.empty()) {  // Textured MNIST at (p, q), from the validation share of the digits
    set = build_set(config, data::Split::val, "val:" + spec.name, spec.p, spec.q, config.val_count);
  } else {
    auto groups = config.group_names;
    auto images = data::list_val_folder(spec.folder, config.class_names, groups);
    keep_first(images, config.val_count);
    const auto train =
        groups.empty() ? std::vector<data::FolderImage>{} : own_listing(config).train;
    set = own_set(config, std::move(images), groups, train, spec.name);
    if (set.groups.defined()) set.selects_on = "worst_group_accuracy";
  }
  set.name = spec.name;
  return set;
}

NamedDataset build_test_set(const RunConfig& config, const TestSetSpec& spec, int64_t count) {
  if (!spec.folder.empty()) {
    REFF_REQUIRE(is_own_folder(config), "--test", "a folder of test images needs --dataset folder");
    auto groups = config.group_names;
    auto images = data::list_test_folder(spec.folder, config.class_names, groups);
    keep_first(images, count > 0 ? count : config.test_count);
    // The training shares of the groups, from the run's folder, only where there are groups.
    const auto train =
        groups.empty() ? std::vector<data::FolderImage>{} : own_listing(config).train;
    return own_set(config, std::move(images), groups, train, spec.name);
  }
  if (!is_textured_mnist(config)) {
    REFF_REQUIRE(spec.name == "test", "--test",
                 config.dataset + " has one test set, its official test split (named test)");
    return real_set(config, data::Split::test, "test", count > 0 ? count : config.test_count);
  }
  auto set = build_set(config, data::Split::test, "test:" + spec.name, spec.p, spec.q,
                       count > 0 ? count : config.test_count);
  set.name = spec.name;
  return set;
}

}  // namespace reff::run
