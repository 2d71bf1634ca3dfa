// Waterbirds made from its sources, as its authors made it (docs/datasets.md): every bird of
// CUB-200-2011, cut out with its segmentation and pasted onto a land or a water scene, written in
// the official layout (waterbirds.h), so that a user can make the published set (correlation 0.95,
// Places' bamboo and broadleaf forests as land, ocean and natural lakes as water), the fully
// correlated variant that GALS trains on (1.0) and their own.
//
// - Water birds: CUB's seabirds and waterfowl, the species whose name holds one of Albatross,
//   Auklet, Cormorant, Frigatebird, Fulmar, Gull, Jaeger, Kittiwake, Pelican, Puffin, Tern,
//   Gadwall, Grebe, Mallard, Merganser, Guillemot, Pacific_Loon; every other species is a land
//   bird.
// - Splits: CUB's test images are the test split; val_share of its training images (drawn by seed)
//   the val split, the rest the training split.
// - Scenes: in the training split a share `correlation` of each kind's birds sits on its own kind
//   of scene, the rest on the other; in val and test half of each kind on each. Every image gets a
//   scene of its own, cropped to the bird photograph's shape and resized to its size.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace reff::data {

struct WaterbirdsSources {
  // CUB_200_2011: images.txt, train_test_split.txt, images/<species>/<file>.jpg and
  // segmentations/<species>/<file>.png
  std::string cub_dir;
  std::vector<std::string> land, water;  // folders of scene photographs (.jpg, .jpeg, .png)
  double correlation = 0.95;             // in [0.5, 1]
  double val_share = 0.2;                // in [0, 1)
  uint64_t seed = 0;
};

// Images per split (train, val, test), kind of bird (y) and kind of scene (place).
using WaterbirdsCounts = std::array<std::array<std::array<int64_t, 2>, 2>, 3>;

// Whether CUB's species folder name ("001.Black_footed_Albatross") is a water bird's.
bool is_water_bird(const std::string& species);

// Writes DIR/metadata.csv and DIR/<species>/<file>.jpg, reporting progress(done, total). Throws
// reff::Error for a missing or malformed source file, fewer scenes of a kind than images that need
// one, or a DIR that holds a data set already.
WaterbirdsCounts write_waterbirds(const WaterbirdsSources& sources, const std::string& dir,
                                  const std::function<void(int64_t, int64_t)>& progress = {});

}  // namespace reff::data
