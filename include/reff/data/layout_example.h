// Small synthetic folders in the official layouts of ISIC2017 and Oxford-IIIT Pet (isic2017.h,
// oxford_pets.h) and in an own folder's (folder_dataset.h): what the loaders expect, file for
// file, to try the commands (and to test them) without the real data. Each image is a noisy
// background with an ellipse whose colour depends on the class; its mask (segmentation or trimap)
// is the ellipse.
//
//   isic2017: 12 Training, 6 Validation, 6 Test_v2 images (3 classes)
//   pets:     5 trainval and 2 test images per breed (37 breeds)
//   folder:   3 classes where a coloured corner gives the
//             class away: 12 train (3 with masks: PNG, labelme), 6 test (a COCO file) and 6
//             shifted (the corner's colour random; PNG masks) images per class
#pragma once

#include <cstdint>
#include <string>

namespace reff::data {

// Writes the example into `dir` (created; must not hold files of the data set already).
// Throws reff::Error for an unknown data set name or an unwritable folder.
void write_layout_example(const std::string& dataset, const std::string& dir, uint64_t seed = 0);

}  // namespace reff::data
