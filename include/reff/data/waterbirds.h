// Waterbirds (Sagawa et al., "Distributionally robust neural networks"): birds of CUB-200-2011
// pasted onto Places scenes, the scene's kind (land or water) tied to the bird's kind in most
// training images and not in val and test. Its official layout (the WILDS copy has the same
// metadata.csv):
//
//   DIR/metadata.csv   img_id,img_filename,y,split,place,place_filename (other columns ignored)
//                      y: 0 landbird, 1 waterbird; split: 0 train, 1 val, 2 test; place: 0 land,
//                      1 water
//   DIR/<img_filename> the composed image, e.g.
//   001.Black_footed_Albatross/Black_Footed_..._796111.jpg
//
// and, for the region annotations, CUB's segmentations of the same birds (soft gray maps):
//
//   CUB_DIR/segmentations/<img_filename with .png>
//
// The group of an image is (y, place): landbird/land, landbird/water, waterbird/land,
// waterbird/water.
#pragma once

#include "reff/data/folder_dataset.h"

#include <string>
#include <vector>

namespace reff::data {

constexpr const char* kWaterbirdsMetadata = "metadata.csv";
std::vector<std::string> waterbirds_classes();  // landbird, waterbird
std::vector<std::string> waterbirds_groups();   // y x place, group = 2 y + place

struct WaterbirdsListing {
  // train: split 0 less the val share held out of it (SplitOptions, as an own folder without a val
  // split: the training distribution), val: that share, test: split 2.
  FolderListing listing;
  std::vector<FolderImage> official_val;  // split 1 (the correlation broken, as in test)
};

// Lists DIR (no image decoded), each image's mask under cub_dir (empty: no masks). Throws
// reff::Error naming metadata.csv's line for a malformed row (a missing column, a value out of
// range, a path leaving DIR, an image listed twice), a missing image, or a missing segmentation.
WaterbirdsListing list_waterbirds(const std::string& dir, const std::string& cub_dir,
                                  const SplitOptions& split = {});

}  // namespace reff::data
