#include "reff/data/waterbirds.h"

#include "reff/data/csv_table.h"
#include "reff/error.h"

#include <filesystem>
#include <set>

namespace reff::data {
namespace fs = std::filesystem;
namespace {

// A 0/1/2-valued field of metadata.csv, at most `largest`.
int64_t small_number(const std::string& text, int64_t largest, const std::string& column,
                     const std::string& where) {
  REFF_REQUIRE(text.size() == 1 && text[0] >= '0' && text[0] <= char('0' + largest), where,
               column + " '" + text + "' is not one of 0.." + std::to_string(largest));
  return text[0] - '0';
}

// A path relative to the folder that stays inside it.
void require_relative(const std::string& name, const std::string& where) {
  const fs::path path(name);
  REFF_REQUIRE(!name.empty() && path.is_relative() && !path.has_root_name(), where,
               "img_filename '" + name + "' is not a path relative to the folder");
  for (const auto& part : path)
    REFF_REQUIRE(part != "..", where, "img_filename '" + name + "' leaves the folder (..)");
}

}  // namespace

std::vector<std::string> waterbirds_classes() { return {"landbird", "waterbird"}; }

std::vector<std::string> waterbirds_groups() {
  return {"landbird/land", "landbird/water", "waterbird/land", "waterbird/water"};
}

WaterbirdsListing list_waterbirds(const std::string& dir, const std::string& cub_dir,
                                  const SplitOptions& split) {
  REFF_REQUIRE(fs::is_directory(dir), dir, "folder not found");
  const auto csv = (fs::path(dir) / kWaterbirdsMetadata).string();
  REFF_REQUIRE(fs::is_regular_file(csv), csv,
               "expected Waterbirds' metadata.csv (is the folder given the waterbirds layout?)");
  REFF_REQUIRE(cub_dir.empty() || fs::is_directory(fs::path(cub_dir) / "segmentations"), cub_dir,
               "expected CUB's segmentations/ folder in it (--masks is CUB-200-2011's folder)");
  const auto table = read_csv(csv);
  const auto file = table.column("img_filename"), y = table.column("y"),
             split_column = table.column("split"), place = table.column("place");
  REFF_REQUIRE(file >= 0 && y >= 0 && split_column >= 0 && place >= 0, csv,
               "needs the columns img_filename, y, split and place");
  WaterbirdsListing result;
  auto& listing = result.listing;
  listing.layout = "waterbirds";
  listing.classes = waterbirds_classes();
  listing.groups = waterbirds_groups();
  std::set<std::string> seen;
  for (size_t r = 0; r < table.rows.size(); ++r) {
    const auto& row = table.rows[r];
    const auto where = csv + ":" + std::to_string(table.lines[r]);
    const auto& name = row[static_cast<size_t>(file)];
    require_relative(name, where);
    REFF_REQUIRE(seen.insert(fs::path(name).lexically_normal().string()).second, where,
                 "image " + name + " is listed twice");
    FolderImage image{(fs::path(dir) / name).string(), name, "", 0, 0};
    image.label = small_number(row[static_cast<size_t>(y)], 1, "y", where);
    image.group =
        2 * image.label + small_number(row[static_cast<size_t>(place)], 1, "place", where);
    const auto part = small_number(row[static_cast<size_t>(split_column)], 2, "split", where);
    REFF_REQUIRE(fs::is_regular_file(image.image), where, "image " + image.image + " not found");
    if (!cub_dir.empty()) {
      image.mask =
          (fs::path(cub_dir) / "segmentations" / fs::path(name).replace_extension(".png")).string();
      REFF_REQUIRE(fs::is_regular_file(image.mask), where,
                   "no segmentation of " + name + " in CUB's folder (" + image.mask + ")");
    }
    (part == 0   ? listing.train
     : part == 1 ? result.official_val
                 : listing.test)
        .push_back(std::move(image));
  }
  for (size_t c = 0; c < listing.classes.size(); ++c) {
    bool present = false;
    for (const auto& image : listing.train) present = present || image.label == int64_t(c);
    REFF_REQUIRE(present, csv, "no training image of " + listing.classes[c]);
  }
  split_val_from_train(listing, split);
  return result;
}

}  // namespace reff::data
