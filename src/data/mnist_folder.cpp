#include "reff/data/mnist_folder.h"

#include "reff/data/idx_file.h"
#include "reff/data/rng.h"
#include "reff/error.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numeric>

namespace reff::data {
namespace {

std::string find_file(const std::string& dir, const std::string& stem) {
  for (const auto& name : {stem + ".gz", stem}) {
    const auto path = std::filesystem::path(dir) / name;
    if (std::filesystem::exists(path)) return path.string();
  }
  throw Error((std::filesystem::path(dir) / (stem + ".gz")).string() +
              ": not found (nor without .gz); run scripts/install-deps or pass --mnist DIR");
}

DigitSet load_file_pair(const std::string& dir, const std::string& prefix) {
  const auto images_path = find_file(dir, prefix + "-images-idx3-ubyte");
  const auto labels_path = find_file(dir, prefix + "-labels-idx1-ubyte");
  auto images = read_idx(images_path);
  auto labels = read_idx(labels_path);
  REFF_REQUIRE(images.dim() == 3, images_path, "expected 3 dimensions (count, rows, columns)");
  REFF_REQUIRE(labels.dim() == 1, labels_path, "expected 1 dimension (count)");
  REFF_REQUIRE(
      images.size(0) == labels.size(0), labels_path,
      std::to_string(labels.size(0)) + " labels for " + std::to_string(images.size(0)) + " images");
  REFF_REQUIRE(labels.max().item<uint8_t>() < 10, labels_path, "label outside 0..9");
  return {images, labels.to(torch::kInt64)};
}

DigitSet subset(const DigitSet& set, const std::vector<int64_t>& indices) {
  const auto index = torch::tensor(indices, torch::kInt64);
  return {set.images.index_select(0, index), set.labels.index_select(0, index)};
}

}  // namespace

DigitSet load_mnist_split(const std::string& dir, Split split, const SplitOptions& options) {
  REFF_REQUIRE(options.val_share >= 0.0 && options.val_share < 1.0, "--val-share",
               "must be in [0, 1)");
  if (split == Split::test) return load_file_pair(dir, "t10k");

  const auto pool = load_file_pair(dir, "train");
  // A seeded Fisher-Yates shuffle; the first val_share of it is val. Both keep file order.
  std::vector<int64_t> order(pool.size());
  std::iota(order.begin(), order.end(), 0);
  Rng rng(options.seed, /*stream=*/0x5b117);
  for (size_t i = order.size() - 1; i > 0; --i) std::swap(order[i], order[rng.below(i + 1)]);
  const auto val_count = static_cast<size_t>(std::llround(options.val_share * pool.size()));
  std::vector<int64_t> chosen(split == Split::val ? order.begin() : order.begin() + val_count,
                              split == Split::val ? order.begin() + val_count : order.end());
  std::sort(chosen.begin(), chosen.end());
  REFF_REQUIRE(!chosen.empty(), dir, "the " + split_name(split) + " split is empty");
  return subset(pool, chosen);
}

}  // namespace reff::data
