#include "reff/data/folder_dataset.h"

#include "reff/data/coco_file.h"
#include "reff/data/csv_table.h"
#include "reff/data/labelled_images.h"
#include "reff/data/rng.h"
#include "reff/error.h"
#include "reff/names.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

namespace reff::data {
namespace fs = std::filesystem;
namespace {

constexpr const char* kCsv = "labels.csv";

// DIR/relative, refused unless it stays inside DIR once links are followed.
std::string inside(const fs::path& dir, const std::string& relative, const std::string& where) {
  const fs::path path(relative);
  REFF_REQUIRE(!relative.empty(), where, "empty path");
  REFF_REQUIRE(path.is_relative() && !path.has_root_name(), where,
               "'" + relative + "' is absolute: paths are relative to the data folder");
  for (const auto& part : path)
    REFF_REQUIRE(part != "..", where, "'" + relative + "' leaves the data folder (..)");
  std::error_code root_error, error;
  const auto root = fs::weakly_canonical(dir, root_error);
  const auto full = fs::weakly_canonical(dir / path, error);
  REFF_REQUIRE(!root_error && !error, where,
               "'" + relative + "': " + (error ? error : root_error).message());
  const auto [end, _] = std::mismatch(root.begin(), root.end(), full.begin(), full.end());
  REFF_REQUIRE(
      end == root.end(), where,
      "'" + relative + "' leads out of the data folder (a symbolic link to " + full.string() + ")");
  return (dir / path).string();
}

std::vector<std::string> sorted_subfolders(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const auto name = entry.path().filename().string();
    if (entry.is_directory() && name[0] != '.') names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

int64_t class_index(const std::vector<std::string>& classes, const std::string& name,
                    const std::string& where) {
  const auto it = std::find(classes.begin(), classes.end(), name);
  REFF_REQUIRE(it != classes.end(), where,
               "class '" + name + "' is not among the training classes (" +
                   std::to_string(classes.size()) + ": " + classes.front() + ", ...)");
  return it - classes.begin();
}

void require_classes(const std::vector<std::string>& classes, const std::string& where) {
  REFF_REQUIRE(classes.size() >= 2, where,
               "holds " + std::to_string(classes.size()) +
                   " class: a classifier needs at least two (one folder or label per class)");
}

// Where one folder of <class>/<image> keeps its images and masks, relative to the data folder.
struct ClassFolders {
  std::string images;  // <images>/<class>/<image>
  std::string masks;   // <masks>/<class>/<stem>.png or .json
  std::string coco;    // a COCO file for all of them, if it exists
};

ClassFolders split_folders(const std::string& split) {
  return {split, "masks/" + split, "masks/" + split + ".json"};
}

// The mask of <images>/<class>/<stem>.<ext>: <masks>/<class>/<stem>.png or .json, else the COCO
// file when it holds the image.
std::string imagefolder_mask(const fs::path& dir, const ClassFolders& folders,
                             const std::string& name, const fs::path& stem_path,
                             const CocoFile* coco) {
  const auto base = fs::path(folders.masks) / stem_path;
  std::string found;
  for (const char* ext : {".png", ".json"}) {
    const auto relative = base.string() + ext;
    if (!fs::exists(dir / relative)) continue;
    REFF_REQUIRE(found.empty(), (dir / base).string(),
                 "has both a .png and a .json mask: keep one");
    found = inside(dir, relative, (dir / relative).string());
  }
  if (found.empty() && coco != nullptr && coco->holds(name)) found = (dir / folders.coco).string();
  return found;
}

std::vector<FolderImage> list_class_folders(const fs::path& dir, const ClassFolders& folders,
                                            const std::vector<std::string>& classes) {
  std::vector<FolderImage> images;
  if (!fs::is_directory(dir / folders.images)) return images;
  const auto coco_path = dir / folders.coco;
  std::unique_ptr<CocoFile> coco;
  if (fs::is_regular_file(coco_path))
    coco = std::make_unique<CocoFile>(CocoFile::read(coco_path.string()));
  std::set<std::string> stems;
  for (const auto& class_name : sorted_subfolders(dir / folders.images)) {
    if (folders.images == "." && class_name == "masks") continue;
    const auto class_dir = dir / folders.images / class_name;
    const auto label = class_index(classes, class_name, class_dir.string());
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(class_dir))
      if (is_image_file(entry.path())) files.push_back(entry.path().filename());
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
      const auto name = (fs::path(folders.images) / class_name / file).lexically_normal().string();
      const auto stem_path = fs::path(class_name) / file.stem();
      REFF_REQUIRE(stems.insert(stem_path.string()).second, (dir / name).string(),
                   "another image of " + class_name +
                       " has the same name before its extension, so "
                       "their masks would be one file");
      images.push_back({inside(dir, name, (dir / name).string()), name,
                        imagefolder_mask(dir, folders, name, stem_path, coco.get()), label, -1});
    }
  }
  return images;
}

FolderListing list_imagefolder(const fs::path& dir) {
  FolderListing listing;
  listing.layout = "imagefolder";
  REFF_REQUIRE(fs::is_directory(dir / "train"), dir.string(),
               "holds neither labels.csv nor a train/ folder of <class>/<image> (see `reff data "
               "layout-example --dataset folder`)");
  listing.classes = sorted_subfolders(dir / "train");
  require_classes(listing.classes, (dir / "train").string());
  listing.train = list_class_folders(dir, split_folders("train"), listing.classes);
  listing.val = list_class_folders(dir, split_folders("val"), listing.classes);
  listing.test = list_class_folders(dir, split_folders("test"), listing.classes);
  return listing;
}

struct CsvColumns {
  int64_t image, label, split, mask, group;
};

// The columns labels.csv may have.
constexpr Named<int> kCsvColumns[] = {
    {0, "image"}, {1, "label"}, {2, "split"}, {3, "mask"}, {4, "group"}};

CsvColumns csv_columns(const CsvTable& table, const std::string& where) {
  for (const auto& name : table.header) find_named(kCsvColumns, where + ": column", name);
  const CsvColumns columns{table.column("image"), table.column("label"), table.column("split"),
                           table.column("mask"), table.column("group")};
  REFF_REQUIRE(columns.image >= 0 && columns.label >= 0, where,
               "needs the columns image and label (header: image,label[,split][,mask][,group])");
  return columns;
}

FolderListing list_csv(const fs::path& dir) {
  const auto csv = (dir / kCsv).string();
  const auto table = read_csv(csv);
  const auto columns = csv_columns(table, csv);
  FolderListing listing;
  listing.layout = "csv";
  auto field = [&](size_t row, int64_t column) {
    return column < 0 ? std::string() : table.rows[row][static_cast<size_t>(column)];
  };
  std::set<std::string> train_classes, groups;
  for (size_t r = 0; r < table.rows.size(); ++r) {
    const auto split = field(r, columns.split);
    REFF_REQUIRE(split.empty() || split == "train" || split == "val" || split == "test",
                 csv + ":" + std::to_string(table.lines[r]),
                 "split '" + split + "' is not train, val or test");
    if (split.empty() || split == "train") train_classes.insert(field(r, columns.label));
    if (columns.group >= 0) groups.insert(field(r, columns.group));
  }
  listing.classes.assign(train_classes.begin(), train_classes.end());
  listing.groups.assign(groups.begin(), groups.end());
  require_classes(listing.classes, csv);
  std::set<fs::path> seen;
  std::map<std::string, std::unique_ptr<CocoFile>> coco_files;
  for (size_t r = 0; r < table.rows.size(); ++r) {
    const auto where = csv + ":" + std::to_string(table.lines[r]);
    const auto name = field(r, columns.image);
    FolderImage image{inside(dir, name, where), name, "",
                      class_index(listing.classes, field(r, columns.label), where), -1};
    REFF_REQUIRE(seen.insert(fs::path(name).lexically_normal()).second, where,
                 "image " + name + " is listed twice");
    REFF_REQUIRE(fs::is_regular_file(image.image), where, "image " + image.image + " not found");
    if (const auto mask = field(r, columns.mask); !mask.empty()) {
      image.mask = inside(dir, mask, where);
      REFF_REQUIRE(fs::is_regular_file(image.mask), where, "mask " + image.mask + " not found");
    }
    if (columns.group >= 0) {
      const auto g = field(r, columns.group);
      image.group =
          std::find(listing.groups.begin(), listing.groups.end(), g) - listing.groups.begin();
    }
    const auto split = field(r, columns.split);
    (split == "val"    ? listing.val
     : split == "test" ? listing.test
                       : listing.train)
        .push_back(std::move(image));
  }
  return listing;
}

// The listing of an own folder: file system failures (a name too long, no permission) are bad
// input too.
FolderListing list_any_layout(const fs::path& dir) {
  try {
    return fs::exists(dir / kCsv) ? list_csv(dir) : list_imagefolder(dir);
  } catch (const fs::filesystem_error& e) {
    throw Error(dir.string() + ": " + e.what());
  }
}

}  // namespace

void split_val_from_train(FolderListing& listing, const SplitOptions& options) {
  std::vector<std::vector<size_t>> by_class(listing.classes.size());
  for (size_t i = 0; i < listing.train.size(); ++i)
    by_class[static_cast<size_t>(listing.train[i].label)].push_back(i);
  std::vector<bool> to_val(listing.train.size(), false);
  Rng rng(options.seed, 0x7a1);
  size_t taken = 0;
  for (auto& members : by_class) {
    for (size_t i = members.size(); i > 1; --i) std::swap(members[i - 1], members[rng.below(i)]);
    auto count = static_cast<size_t>(std::lround(options.val_share * double(members.size())));
    count = std::min(count, members.size() > 0 ? members.size() - 1 : 0);  // keep one to train
    for (size_t k = 0; k < count; ++k) to_val[members[k]] = true;
    taken += count;
  }
  if (taken == 0 && options.val_share > 0) {  // tiny folders: one image of the largest class
    const auto& largest = *std::max_element(by_class.begin(), by_class.end(),
                                            [](auto& a, auto& b) { return a.size() < b.size(); });
    if (largest.size() > 1) to_val[largest.front()] = true;
  }
  std::vector<FolderImage> train;
  for (size_t i = 0; i < listing.train.size(); ++i)
    (to_val[i] ? listing.val : train).push_back(listing.train[i]);
  listing.train = std::move(train);
}

bool is_image_file(const std::filesystem::path& path) {
  auto ext = path.extension().string();
  for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg";
}

const std::vector<FolderImage>& FolderListing::split(Split split) const {
  return split == Split::train ? train : split == Split::val ? val : test;
}

FolderListing list_folder(const std::string& dir, const SplitOptions& split) {
  REFF_REQUIRE(fs::is_directory(dir), dir, "folder not found");
  auto listing = list_any_layout(dir);
  std::vector<int64_t> per_class(listing.classes.size(), 0);
  for (const auto& image : listing.train) ++per_class[static_cast<size_t>(image.label)];
  for (size_t c = 0; c < per_class.size(); ++c) {
    REFF_REQUIRE(per_class[c] > 0, dir, "class '" + listing.classes[c] + "' has no training image");
  }
  if (listing.val.empty()) split_val_from_train(listing, split);
  return listing;
}

namespace {

// A folder given as an extra set (--test, --val): `wanted`'s images if it is split, else all.
// Classes and groups are matched by name to the run's.
std::vector<FolderImage> list_extra_folder(const std::string& dir, Split wanted,
                                           const std::vector<std::string>& classes,
                                           std::vector<std::string>& groups) {
  const auto role = split_name(wanted);
  REFF_REQUIRE(fs::is_directory(dir), dir, role + " folder not found");
  const fs::path root(dir);
  FolderListing listing;
  if (fs::exists(root / kCsv) || fs::is_directory(root / "test")) {
    listing = list_any_layout(root);
    REFF_REQUIRE(wanted == Split::test || listing.test.empty(), dir,
                 "has a test split: validation images must not be test images");
    if (!listing.test.empty()) {
      listing.train = std::move(listing.test);
    } else {  // no split: every image is one of the set
      for (auto* split : {&listing.val, &listing.test})
        listing.train.insert(listing.train.end(), split->begin(), split->end());
    }
  } else {  // DIR/<class>/<image>, masks in DIR/masks/<class>/ or DIR/masks.json
    listing.classes = sorted_subfolders(root);
    listing.classes.erase(std::remove(listing.classes.begin(), listing.classes.end(), "masks"),
                          listing.classes.end());
    listing.train = list_class_folders(root, {".", "masks", "masks.json"}, listing.classes);
  }
  REFF_REQUIRE(!listing.train.empty(), dir, "holds no .png or .jpg images");
  REFF_REQUIRE(listing.groups != std::vector<std::string>{""}, dir,
               "labels.csv has a group column without any group");
  for (auto& image : listing.train) {
    image.label =
        class_index(classes, listing.classes[static_cast<size_t>(image.label)], image.image);
    if (image.group < 0) continue;
    const auto& name = listing.groups[static_cast<size_t>(image.group)];
    auto it = std::find(groups.begin(), groups.end(), name);
    if (it == groups.end()) it = groups.insert(groups.end(), name);
    image.group = it - groups.begin();
  }
  return listing.train;
}

}  // namespace

std::vector<FolderImage> list_test_folder(const std::string& dir,
                                          const std::vector<std::string>& classes,
                                          std::vector<std::string>& groups) {
  return list_extra_folder(dir, Split::test, classes, groups);
}

std::vector<FolderImage> list_val_folder(const std::string& dir,
                                         const std::vector<std::string>& classes,
                                         std::vector<std::string>& groups) {
  return list_extra_folder(dir, Split::val, classes, groups);
}

TensorDataset load_folder_images(const std::vector<FolderImage>& images, int64_t size,
                                 MaskReader& masks) {
  std::vector<LabelledImage> files;
  for (const auto& image : images) files.push_back({image.image, image.mask, image.label});
  return load_labelled_images(files, size, [&](size_t i, int64_t height, int64_t width) {
    const auto& image = images[i];
    return image.mask.empty() ? torch::Tensor() : masks.read(image.mask, image.name, height, width);
  });
}

}  // namespace reff::data
