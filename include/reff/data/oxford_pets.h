// The Oxford-IIIT Pet data set (37 breeds), in its own layout:
//
//   DIR/images/Abyssinian_1.jpg
//   DIR/annotations/trimaps/Abyssinian_1.png       1 foreground, 2 background, 3 undecided
//   DIR/annotations/trainval.txt                    "Abyssinian_1 1 1 1" per line:
//   DIR/annotations/test.txt                        name, class id 1..37, species, breed id
//
// Lines starting with '#' are comments. Class = class id - 1. The mask is the foreground (the
// animal). trainval.txt is split 90/10 into train and val by seed (per class); test.txt is test.
#pragma once

#include "reff/data/labelled_images.h"
#include "reff/data/mnist_folder.h"

namespace reff::data {

constexpr int64_t kOxfordPetsClasses = 37;

// The files of one split. Throws reff::Error naming the missing file or the malformed line.
std::vector<LabelledImage> oxford_pets_files(const std::string& dir, Split split,
                                             const SplitOptions& options = {});

TensorDataset load_oxford_pets(const std::string& dir, Split split, int64_t size,
                               const SplitOptions& options = {});

}  // namespace reff::data
