// Small synthetic folders in the official layouts of ISIC2017 and Oxford-IIIT Pet (isic2017.h,
// oxford_pets.h) and in an own folder's (folder_dataset.h): what the loaders expect, file for
// file, to try the commands (and to test them) without the real data. Each image is a noisy
// background with an ellipse, which the mask (segmentation, trimap, or the own folder's masks)
// marks.
//
//   isic2017: 12 Training, 6 Validation, 6 Test_v2 images (3 classes: the ellipse's colour)
//   pets:     5 trainval and 2 test images per breed (37 breeds: the ellipse's colour)
//   waterbirds: CUB_200_2011/ in CUB's layout (four species, 12 photographs each, the ellipse's
//             colour the species' and its segmentation the ellipse), land/ and water/ scenes,
//             and waterbirds/ made from them (waterbirds_generator.h, correlation 0.95)
//   folder:   3 classes, the ellipse round, tall or wide in a random colour, while a coloured
//             corner gives the class away: `per_class` train images per class (3 with masks:
//             PNG, labelme), half as many test (masks in a COCO file) and shifted (the corner's
//             colour random; PNG masks)
#pragma once

#include <cstdint>
#include <string>

namespace reff::data {

// Writes the example into `dir` (created; must not hold files of the data set already), with
// `per_class` training images per class for folder (0: 12; other layouts take no count). Returns
// the options that train on it ("--dataset pets --data DIR"). Throws reff::Error for an unknown
// data set name, a count where none applies, or an unwritable folder.
std::string write_layout_example(const std::string& dataset, const std::string& dir,
                                 uint64_t seed = 0, int64_t per_class = 0);

}  // namespace reff::data
