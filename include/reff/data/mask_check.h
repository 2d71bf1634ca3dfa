// What `reff masks validate` and `reff masks convert` do with an own folder's masks
// (folder_dataset.h): read each mask against its image, and write them all as one PNG tree.
#pragma once

#include "reff/data/folder_dataset.h"

#include <functional>
#include <string>
#include <vector>

namespace reff::data {

struct MaskCheck {
  std::string split, image, mask;  // image: its path relative to DIR
  int64_t width = 0, height = 0;   // the image's
  double coverage = 0;             // share of relevant pixels
  std::string problem;             // empty: the mask reads and fits its image
  std::string hint;                // an empty mask that looks misread: why (MaskReader::empty_hint)
  bool empty() const { return problem.empty() && coverage == 0; }
  bool full() const { return problem.empty() && coverage == 1; }
};

using MaskProgress = std::function<void(int64_t done, int64_t total)>;

// One check per image that has a mask, in listing order (train, val, test), on all cores. Bad
// masks are reported in `problem`, not thrown.
std::vector<MaskCheck> check_masks(const FolderListing& listing, MaskReader& masks,
                                   const MaskProgress& progress = {});

// Writes every mask as a 0/255 PNG of its image's size into OUT/<split>/<class>/<stem>.png (the
// masks/ tree of the ImageFolder layout). OUT must not exist; it appears only when all masks were
// read (the work happens in OUT.partial). Throws reff::Error for the first bad mask or two
// images of one class and split with the same stem. Returns the count written.
int64_t convert_masks(const FolderListing& listing, MaskReader& masks, const std::string& out,
                      const MaskProgress& progress = {});

}  // namespace reff::data
