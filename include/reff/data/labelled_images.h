// Photographs with a class label and a region annotation on disk (ISIC2017, Oxford-IIIT Pet),
// decoded and resized to `size` x `size` into a TensorDataset, on all cores.
#pragma once

#include "reff/data/tensor_dataset.h"

#include <functional>
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

// The relevant pixels of image i, bool [height, width] (its decoded size); undefined: no mask.
// Called from several threads at once.
using RelevantPixels = std::function<torch::Tensor(size_t i, int64_t height, int64_t width)>;
// The same with masks from `relevant` (`files[i].mask` is not read); has_mask is false where it
// returns an undefined tensor.
TensorDataset load_labelled_images(const std::vector<LabelledImage>& files, int64_t size,
                                   const RelevantPixels& relevant);

// Throws reff::Error "<path>: expected <what> (is DIR the <data set> folder?)" unless it exists.
void require_file(const std::string& path, const std::string& what, const std::string& data_set);

}  // namespace reff::data
