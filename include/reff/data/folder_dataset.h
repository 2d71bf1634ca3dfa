// A user's own images and masks (docs/own-data.md), in one of two layouts:
//
//   ImageFolder  DIR/train/<class>/<image>            .png, .jpg or .jpeg; val/ and test/ optional
//                DIR/masks/<split>/<class>/<stem>.png  or <stem>.json (labelme); optional, per
//                image DIR/masks/<split>.json                a COCO file for the split's images
//                (optional)
//   CSV          DIR/labels.csv with the columns image,label and optionally split (train, val,
//                test; empty: train), mask (empty: none) and group; paths relative to DIR
//
// Class names are the train split's folder names or labels, sorted; label k is the k-th. Without
// a val split, val is drawn from train: SplitOptions::val_share of each class, by seed. An image
// without a mask trains without the explanation penalty (or with an annotator's pseudo-mask).
#pragma once

#include "reff/data/mask_file.h"
#include "reff/data/mnist_folder.h"
#include "reff/data/tensor_dataset.h"

#include <filesystem>
#include <string>
#include <vector>

namespace reff::data {

struct FolderImage {
  std::string image;  // the file, under DIR
  std::string name;   // its path relative to DIR (what reports and COCO files name)
  std::string mask;   // the mask file; empty: none
  int64_t label = 0;
  int64_t group = -1;  // index into FolderListing::groups; -1: none
};

struct FolderListing {
  std::string layout;                // "imagefolder" | "csv"
  std::vector<std::string> classes;  // label -> name
  std::vector<std::string> groups;   // group -> name; empty without a group column
  std::vector<FolderImage> train, val, test;
  const std::vector<FolderImage>& split(Split split) const;
};

// Lists DIR without decoding any image. Throws reff::Error (naming the file or CSV line) for: no
// layout, fewer than two classes, a class in val/test that train lacks, an image listed twice,
// a path that leaves DIR (.., absolute, a symbolic link out), a missing image or mask file.
FolderListing list_folder(const std::string& dir, const SplitOptions& split = {});

// .png, .jpg or .jpeg, in any case: the images a folder's listing takes.
bool is_image_file(const std::filesystem::path& path);

// A listing without a val split gets one: val_share of each class's training images (at least
// one image in all), drawn by seed, moved from train to val.
void split_val_from_train(FolderListing& listing, const SplitOptions& options);

// A folder given as a test set: its test split when it has one, else all its images (a folder
// of <class>/<image> with masks in masks/<class>/<stem>.png|.json or a COCO file masks.json, or
// a labels.csv). Classes and groups are matched by name to `classes` and
// `groups` (a class the run does not know is an error; new groups are appended).
std::vector<FolderImage> list_test_folder(const std::string& dir,
                                          const std::vector<std::string>& classes,
                                          std::vector<std::string>& groups);
// A folder given as a validation set (--val): all its images, in the same layouts. A folder with a
// test split is an error (validation images are never test images), and so is a group column
// without any group (worst-group accuracy needs groups).
std::vector<FolderImage> list_val_folder(const std::string& dir,
                                         const std::vector<std::string>& classes,
                                         std::vector<std::string>& groups);

// Decodes the images (all cores), squashed to size x size as load_labelled_images does, with
// their masks read by `masks`; has_mask is false where an image has none.
TensorDataset load_folder_images(const std::vector<FolderImage>& images, int64_t size,
                                 MaskReader& masks);

}  // namespace reff::data
