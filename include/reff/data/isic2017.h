// ISIC 2017 (Skin Lesion Analysis Towards Melanoma Detection), in the challenge's own layout:
//
//   DIR/ISIC-2017_Training_Data/ISIC_0000000.jpg                 (2,000 images)
//   DIR/ISIC-2017_Training_Part1_GroundTruth/ISIC_0000000_segmentation.png
//   DIR/ISIC-2017_Training_Part3_GroundTruth.csv
//   ... the same with Validation (150 images) and Test_v2 (600 images) for Training.
//
// The Part 3 CSV has the header "image_id,melanoma,seborrheic_keratosis" and one row per image
// with 0/1 (written 0.0/1.0) in the two columns. Classes: 0 nevus (neither), 1 melanoma,
// 2 seborrheic keratosis. The lesion segmentation is the annotation: the lesion is relevant.
#pragma once

#include "reff/data/labelled_images.h"
#include "reff/data/mnist_folder.h"

namespace reff::data {

constexpr int64_t kIsic2017Classes = 3;

// The files of one split (train: Training, val: Validation, test: Test_v2), in CSV order.
// Throws reff::Error naming the missing file or the malformed CSV line.
std::vector<LabelledImage> isic2017_files(const std::string& dir, Split split);

TensorDataset load_isic2017(const std::string& dir, Split split, int64_t size);

}  // namespace reff::data
