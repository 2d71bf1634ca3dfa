// The registry of data set kinds (dataset_kind.h): one entry each, with the sets it builds.
#include "reff/run/dataset_kind.h"

#include "reff/data/folder_dataset.h"
#include "reff/data/image_file.h"
#include "reff/data/isic2017.h"
#include "reff/data/oxford_pets.h"
#include "reff/data/waterbirds.h"
#include "reff/error.h"
#include "reff/names.h"
#include "reff/notice.h"
#include "reff/run/run_assembly.h"
#include "reff/run/run_option_table.h"

#include <algorithm>
#include <filesystem>
#include <numeric>

namespace reff::run {
namespace fs = std::filesystem;
using train::NamedDataset;
namespace {

template <class T>
void keep_first(std::vector<T>& items, int64_t count) {
  if (count > 0 && count < static_cast<int64_t>(items.size())) items.resize(size_t(count));
}

int64_t count_or(int64_t count, int64_t otherwise) { return count > 0 ? count : otherwise; }

// ---- Every kind that is not generated: a test split named test, ImageNet's crops and flips on
// the paper preset.

void real_defaults(RunConfig& config) {
  config.tests = {{"test", 1.0, 1.0, ""}};          // the official test split
  config.train.augment = config.preset == "paper";  // ImageNet fine-tuning's crops and flips
}

TestSetSpec official_test_set(const RunConfig& config, const std::string& text) {
  REFF_REQUIRE(text == "test", "--test",
               config.dataset + " has one test set, its official test split (named test)");
  return {"test", 1.0, 1.0, ""};
}

TestSetSpec no_val_set(const RunConfig& config, const std::string&) {
  throw Error("--val: " + config.dataset + " is validated on its official val split");
}

// ---- textured-mnist: generated from MNIST's digits and a texture bank at (p, q).

NamedDataset generated_set(const RunConfig& config, data::Split split, const std::string& name,
                           double p, double q, int64_t count) {
  const auto generator = textured_mnist(config, split, name, p, q);
  const int64_t n = count > 0 ? count : generator.digits().size();
  return {name, data::TensorDataset::from_textured_mnist(generator, n), {}, {}};
}

NamedDataset generated_val(const RunConfig& config) {
  const auto& spec = config.val;
  if (spec.name.empty())
    return generated_set(config, data::Split::val, "val", config.data.p, config.data.q,
                         config.val_count);
  // from the validation share of the digits, at the split's own (p, q)
  auto set =
      generated_set(config, data::Split::val, "val:" + spec.name, spec.p, spec.q, config.val_count);
  set.name = spec.name;
  return set;
}

NamedDataset generated_test(const RunConfig& config, const TestSetSpec& spec, int64_t count) {
  auto set = generated_set(config, data::Split::test, "test:" + spec.name, spec.p, spec.q,
                           count_or(count, config.test_count));
  set.name = spec.name;
  return set;
}

// ---- isic2017 and pets: folders in their official layouts, read by their loaders.

template <std::vector<data::LabelledImage> (*files)(const RunConfig&, data::Split)>
void check_published(RunConfig& config) {
  for (const auto split : {data::Split::train, data::Split::val, data::Split::test})
    files(config, split);
}

std::vector<data::LabelledImage> isic_files(const RunConfig& c, data::Split split) {
  return data::isic2017_files(c.data_dir, split);
}
data::TensorDataset isic_load(const RunConfig& c, data::Split split) {
  return data::load_isic2017(c.data_dir, split, c.data.canvas);
}
std::vector<data::LabelledImage> pets_files(const RunConfig& c, data::Split split) {
  return data::oxford_pets_files(c.data_dir, split, c.split);
}
data::TensorDataset pets_load(const RunConfig& c, data::Split split) {
  return data::load_oxford_pets(c.data_dir, split, c.data.canvas, c.split);
}

// A split of a published data set, or its first `count` images when count > 0.
template <data::TensorDataset (*load)(const RunConfig&, data::Split)>
NamedDataset published_set(const RunConfig& config, data::Split split, const std::string& name,
                           int64_t count) {
  auto set = load(config, split);
  if (count > 0 && count < set.size()) {
    std::vector<int64_t> first(static_cast<size_t>(count));
    std::iota(first.begin(), first.end(), 0);
    set = set.subset(first);
  }
  return {name, std::move(set), {}, {}};
}

template <data::TensorDataset (*load)(const RunConfig&, data::Split)>
NamedDataset published_train(const RunConfig& config) {
  return published_set<load>(config, data::Split::train, "train", config.train_count);
}
template <data::TensorDataset (*load)(const RunConfig&, data::Split)>
NamedDataset published_val(const RunConfig& config) {
  return published_set<load>(config, data::Split::val, "val", config.val_count);
}
template <data::TensorDataset (*load)(const RunConfig&, data::Split)>
NamedDataset published_test(const RunConfig& config, const TestSetSpec&, int64_t count) {
  return published_set<load>(config, data::Split::test, "test", count_or(count, config.test_count));
}

// ---- Listed images with masks and groups: an own folder and Waterbirds.

data::MaskReader mask_reader(const RunConfig& config) {
  return data::MaskReader({config.data.mask_threshold, config.mask_values});
}

// Images decoded with their masks and, where there are groups, their groups, weighted by each
// group's share of the training images `train` (groups new in a test folder have none).
NamedDataset listed_set(const RunConfig& config, const std::vector<data::FolderImage>& images,
                        const std::vector<std::string>& classes,
                        const std::vector<std::string>& group_names,
                        const std::vector<data::FolderImage>& train, const std::string& name) {
  auto masks = mask_reader(config);
  NamedDataset set{name, data::load_folder_images(images, config.data.canvas, masks), {}, classes};
  if (group_names.empty()) return set;
  std::vector<int64_t> ids;
  for (const auto& image : images) ids.push_back(image.group);
  std::vector<double> shares(group_names.size(), 0.0);
  for (const auto& image : train)
    if (image.group >= 0) shares[static_cast<size_t>(image.group)] += 1.0 / double(train.size());
  set.groups = {torch::tensor(ids, torch::kInt64), group_names, shares};
  return set;
}

// The images of one split of a listing, its first `count` when count > 0.
std::vector<data::FolderImage> split_images(const RunConfig& config,
                                            const data::FolderListing& listing, data::Split split,
                                            int64_t count) {
  auto images = listing.split(split);
  REFF_REQUIRE(!images.empty(), config.data_dir, "has no " + data::split_name(split) + " images");
  keep_first(images, count);
  return images;
}

NamedDataset listing_split(const RunConfig& config, const data::FolderListing& listing,
                           data::Split split, const std::string& name, int64_t count) {
  return listed_set(config, split_images(config, listing, split, count), listing.classes,
                    listing.groups, listing.train, name);
}

// ---- folder: the user's own images and masks (folder_dataset.h).

data::FolderListing own_listing(const RunConfig& config) {
  auto listing = data::list_folder(config.data_dir, config.split);
  REFF_REQUIRE(config.class_names.empty() || listing.classes == config.class_names, config.data_dir,
               "its classes are not those the run was made with (config.json's \"classes\")");
  listing.groups = config.group_names.empty() ? listing.groups : config.group_names;
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
    const auto mask = fs::path(image.mask);
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

void own_defaults(RunConfig& config) {
  real_defaults(config);
  config.data.mask_threshold = 0.5;  // gray masks: from half intensity
}

void check_own_files(RunConfig& config) {
  const auto listing = own_listing(config);
  config.class_names = listing.classes;
  config.group_names = listing.groups;
  config.tests.clear();  // the test split, where the folder has one
  if (!listing.test.empty()) config.tests = {{"test", 1.0, 1.0, ""}};
}

// A folder given as a set, named by its last path component, its path absolute.
TestSetSpec folder_set(const std::string& text) {
  auto folder = fs::absolute(text).lexically_normal();
  if (folder.filename().empty()) folder = folder.parent_path();
  return {folder.filename().string(), 1.0, 1.0, folder.string()};
}

TestSetSpec own_test_set(const RunConfig&, const std::string& text) {
  if (text == "test") return {"test", 1.0, 1.0, ""};
  REFF_REQUIRE(
      fs::is_directory(text), "--test",
      "'" + text + "' is neither test (the folder's test split) nor a folder of test images");
  return folder_set(text);
}

TestSetSpec own_val_set(const RunConfig& config, const std::string& text) {
  REFF_REQUIRE(fs::is_directory(text), "--val",
               "'" + text + "' is not a folder of validation images");
  auto spec = folder_set(text);
  const auto data = fs::path(config.data_dir);
  const auto inside = [](const fs::path& path, const fs::path& folder) {
    const auto relative = path.lexically_relative(folder);
    return !relative.empty() && *relative.begin() != "..";
  };
  REFF_REQUIRE(!inside(spec.folder, data / "test"), "--val",
               spec.folder +
                   " holds the data set's test images; validation images must not be "
                   "test images");
  for (const auto& test : config.tests) {
    REFF_REQUIRE(test.folder.empty() || !inside(spec.folder, test.folder), "--val",
                 spec.folder +
                     " is a test set of this run (--test); validation images must not "
                     "be test images");
  }
  return spec;
}

NamedDataset own_train(const RunConfig& config) {
  const auto listing = own_listing(config);
  const auto images = split_images(config, listing, data::Split::train, config.train_count);
  auto set = listed_set(config, images, listing.classes, listing.groups, listing.train, "train");
  check_empty_masks(config, images, set.data);
  return set;
}

// Images of a --val or --test folder, with the groups of the run's folder (training shares from
// it, only where there are groups).
NamedDataset extra_folder_set(const RunConfig& config, std::vector<data::FolderImage> images,
                              const std::vector<std::string>& groups, int64_t count,
                              const std::string& name) {
  keep_first(images, count);
  const auto train = groups.empty() ? std::vector<data::FolderImage>{} : own_listing(config).train;
  return listed_set(config, images, config.class_names, groups, train, name);
}

NamedDataset own_val(const RunConfig& config) {
  const auto& spec = config.val;
  if (spec.name.empty())
    return listing_split(config, own_listing(config), data::Split::val, "val", config.val_count);
  auto groups = config.group_names;
  auto images = data::list_val_folder(spec.folder, config.class_names, groups);
  auto set = extra_folder_set(config, std::move(images), groups, config.val_count, spec.name);
  if (set.groups.defined()) set.selects_on = "worst_group_accuracy";
  return set;
}

NamedDataset own_test(const RunConfig& config, const TestSetSpec& spec, int64_t count) {
  const auto n = count_or(count, config.test_count);
  if (spec.folder.empty())
    return listing_split(config, own_listing(config), data::Split::test, "test", n);
  auto groups = config.group_names;
  auto images = data::list_test_folder(spec.folder, config.class_names, groups);
  return extra_folder_set(config, std::move(images), groups, n, spec.name);
}

// ---- waterbirds: Waterbirds' official layout, masks from CUB's segmentations (waterbirds.h).

data::WaterbirdsListing waterbirds_listing(const RunConfig& config) {
  return data::list_waterbirds(config.data_dir, config.masks_dir, config.split);
}

TestSetSpec waterbirds_val_set(const RunConfig&, const std::string& text) {
  REFF_REQUIRE(text == "official", "--val",
               "waterbirds takes official (its val split, chosen on worst-group accuracy); "
               "without --val, val is held out of train");
  return {"official", 1.0, 1.0, ""};
}

NamedDataset waterbirds_train(const RunConfig& config) {
  return listing_split(config, waterbirds_listing(config).listing, data::Split::train, "train",
                       config.train_count);
}

NamedDataset waterbirds_val(const RunConfig& config) {
  const auto files = waterbirds_listing(config);
  if (config.val.name.empty())
    return listing_split(config, files.listing, data::Split::val, "val", config.val_count);
  auto images = files.official_val;
  REFF_REQUIRE(!images.empty(), config.data_dir, "metadata.csv has no val split (split 1)");
  keep_first(images, config.val_count);
  auto set = listed_set(config, images, files.listing.classes, files.listing.groups,
                        files.listing.train, config.val.name);
  set.selects_on = "worst_group_accuracy";
  return set;
}

NamedDataset waterbirds_test(const RunConfig& config, const TestSetSpec&, int64_t count) {
  return listing_split(config, waterbirds_listing(config).listing, data::Split::test, "test",
                       count_or(count, config.test_count));
}

// Every image: the official val split with the val share held out of train.
data::FolderListing every_waterbird(const RunConfig& config) {
  auto files = waterbirds_listing(config);
  auto& val = files.listing.val;
  val.insert(val.end(), files.official_val.begin(), files.official_val.end());
  return files.listing;
}

// ---- The registry.

const std::vector<DatasetKind> kKinds = {
    {"textured-mnist",
     "textured-mnist (generated)",
     {"mnist_dir", "textures", "texture_dir", "digit_size", "luminance_offset", "stretch_textures",
      "colour_jitter", "texture_shrink", "mask_threshold", "p", "q", "seed"},
     /*generated=*/true,
     /*own_masks=*/false,
     ValForm::distribution,
     [](RunConfig&) {},
     [](RunConfig&) {},
     [](const RunConfig&) -> int64_t { return 10; },
     [](const RunConfig&, const std::string& text) { return parse_test_set(text); },
     [](const RunConfig&, const std::string& text) { return parse_test_set(text, "--val"); },
     [](const RunConfig& c) {
       return generated_set(c, data::Split::train, "train", c.data.p, c.data.q, c.train_count);
     },
     generated_val,
     generated_test,
     nullptr},
    {"isic2017",
     "isic2017 (ISIC 2017's official layout)",
     {},
     false,
     false,
     ValForm::none,
     real_defaults,
     check_published<isic_files>,
     [](const RunConfig&) -> int64_t { return data::kIsic2017Classes; },
     official_test_set,
     no_val_set,
     published_train<isic_load>,
     published_val<isic_load>,
     published_test<isic_load>,
     nullptr},
    {"pets",
     "pets (Oxford-IIIT Pet's official layout)",
     {},
     false,
     false,
     ValForm::none,
     real_defaults,
     check_published<pets_files>,
     [](const RunConfig&) -> int64_t { return data::kOxfordPetsClasses; },
     official_test_set,
     no_val_set,
     published_train<pets_load>,
     published_val<pets_load>,
     published_test<pets_load>,
     nullptr},
    {"waterbirds",
     "waterbirds (Waterbirds' official layout, --masks CUB's folder: docs/datasets.md)",
     {"mask_threshold", "masks_dir"},
     false,
     false,
     ValForm::official,
     own_defaults,
     [](RunConfig& c) { waterbirds_listing(c); },
     [](const RunConfig&) -> int64_t { return 2; },
     official_test_set,
     waterbirds_val_set,
     waterbirds_train,
     waterbirds_val,
     waterbirds_test,
     every_waterbird},
    {"folder",
     "folder (your own images: docs/own-data.md)",
     {"mask_threshold", "mask_values", "allow_empty_masks", "classes", "groups"},
     false,
     /*own_masks=*/true,
     ValForm::folder,
     own_defaults,
     check_own_files,
     [](const RunConfig& c) { return static_cast<int64_t>(c.class_names.size()); },
     own_test_set,
     own_val_set,
     own_train,
     own_val,
     own_test,
     own_listing},
};

}  // namespace

bool DatasetKind::takes(const RunOption& option) const {
  return option.every_kind ||
         std::find(options.begin(), options.end(), option.key) != options.end();
}

const std::vector<DatasetKind>& dataset_kinds() { return kKinds; }

const DatasetKind& dataset_kind(const std::string& name) {
  return find_named(kKinds, "--dataset", name);
}

const DatasetKind& dataset_kind(const RunConfig& config) { return dataset_kind(config.dataset); }

std::string dataset_kind_names(const char* separator) { return names_of(kKinds, separator); }

std::string dataset_kind_help() {
  std::string help;
  for (const auto& kind : kKinds) help += (help.empty() ? "" : " | ") + std::string(kind.help);
  return help;
}

}  // namespace reff::run
