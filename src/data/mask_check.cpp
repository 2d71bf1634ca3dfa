#include "reff/data/mask_check.h"

#include "reff/data/image_file.h"
#include "reff/error.h"

#include <ATen/Parallel.h>

#include <atomic>
#include <filesystem>
#include <set>

namespace reff::data {
namespace fs = std::filesystem;
namespace {

struct Masked {
  Split split;
  const FolderImage* image;
};

std::vector<Masked> masked_images(const FolderListing& listing) {
  std::vector<Masked> masked;
  for (const auto split : {Split::train, Split::val, Split::test})
    for (const auto& image : listing.split(split))
      if (!image.mask.empty()) masked.push_back({split, &image});
  return masked;
}

// The relevant pixels of one masked image, read against its decoded size.
torch::Tensor read_relevant(const FolderImage& image, MaskReader& masks) {
  const auto pixels = read_image(image.image);
  return masks.read(image.mask, image.name, pixels.size(1), pixels.size(2));
}

}  // namespace

std::vector<MaskCheck> check_masks(const FolderListing& listing, MaskReader& masks,
                                   const MaskProgress& progress) {
  const auto masked = masked_images(listing);
  std::vector<MaskCheck> checks(masked.size());
  std::atomic<int64_t> done{0};
  const auto total = static_cast<int64_t>(masked.size());
  at::parallel_for(0, total, /*grain_size=*/1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const auto& [split, image] = masked[static_cast<size_t>(i)];
      auto& check = checks[static_cast<size_t>(i)];
      check.split = split_name(split);
      check.image = image->name;
      check.mask = image->mask;
      try {
        const auto relevant = read_relevant(*image, masks);
        check.height = relevant.size(0);
        check.width = relevant.size(1);
        check.coverage = relevant.to(torch::kDouble).mean().item<double>();
        if (check.coverage == 0) check.hint = masks.empty_hint(image->mask);
      } catch (const Error& e) {
        check.problem = e.what();
      }
      ++done;
    }
  });
  if (progress) progress(done, total);
  return checks;
}

int64_t convert_masks(const FolderListing& listing, MaskReader& masks, const std::string& out,
                      const MaskProgress& progress) {
  REFF_REQUIRE(!fs::exists(out), out,
               "already exists; choose a new folder for the converted masks");
  const auto masked = masked_images(listing);
  std::set<fs::path> targets;
  std::vector<fs::path> paths;
  for (const auto& [split, image] : masked) {
    const auto target = fs::path(split_name(split)) /
                        listing.classes[static_cast<size_t>(image->label)] /
                        (fs::path(image->name).stem().string() + ".png");
    REFF_REQUIRE(targets.insert(target).second, image->image,
                 "another image of its class and split has the stem " + target.stem().string() +
                     ": their masks would be one file");
    paths.push_back(target);
  }
  const auto partial = fs::path(out + ".partial");
  fs::remove_all(partial);
  const auto total = static_cast<int64_t>(masked.size());
  try {
    for (int64_t i = 0; i < total; ++i) {
      const auto& target = partial / paths[static_cast<size_t>(i)];
      fs::create_directories(target.parent_path());
      const auto relevant = read_relevant(*masked[static_cast<size_t>(i)].image, masks);
      write_png(target.string(), relevant.to(torch::kUInt8) * 255);
      if (progress) progress(i + 1, total);
    }
  } catch (...) {
    std::error_code ignored;
    fs::remove_all(partial, ignored);
    try {
      throw;
    } catch (const fs::filesystem_error& e) {  // no permission, disk full: bad output, exit 2
      throw Error(out + ": " + e.what());
    }
  }
  fs::rename(partial, out);
  return total;
}

}  // namespace reff::data
