// Photographs with a class label and a region annotation on disk (ISIC2017, Oxford-IIIT Pet),
// decoded and resized to `size` x `size` into a TensorDataset, on all cores.
#pragma once

#include "reff/data/tensor_dataset.h"

#include <string>
#include <vector>

namespace reff::data {

struct LabelledImage {
  std::string image;  // JPEG or PNG
  std::string mask;   // PNG, one value per pixel (the first channel is read)
  int64_t label = 0;
};

// How a mask file marks the task-relevant pixels.
enum class MaskEncoding {
  binary,  // ISIC2017 segmentations: >= 128 relevant (the lesion), 0 not
  trimap,  // Oxford-IIIT Pet trimaps: 1 foreground (relevant); 2 background, 3 undecided not
};

// Images and masks are squashed to size x size (bilinear, antialiased); a mask of another size
// than its image is a reff::Error naming both files, as is any file that cannot be decoded.
TensorDataset load_labelled_images(const std::vector<LabelledImage>& files, int64_t size,
                                   MaskEncoding encoding);

// Throws reff::Error "<path>: expected <what> (is DIR the <data set> folder?)" unless it exists.
void require_file(const std::string& path, const std::string& what, const std::string& data_set);

}  // namespace reff::data
