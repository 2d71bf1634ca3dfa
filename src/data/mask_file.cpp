#include "reff/data/mask_file.h"

#include "reff/data/labelme_file.h"
#include "reff/data/png_values.h"
#include "reff/error.h"

#include <filesystem>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace reff::data {
namespace {

std::string extension(const std::string& path) {
  auto ext = std::filesystem::path(path).extension().string();
  for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext;
}

// How many of a PNG's values a hint names.
constexpr int64_t kHintValues = 4;

std::string format_threshold(double threshold) {
  std::ostringstream text;
  text << threshold;
  return text.str();
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REFF_REQUIRE(in.good(), path, "mask file not found");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

void MaskOptions::validate() const {
  REFF_REQUIRE(threshold > 0 && threshold <= 1, "--mask-threshold", "must be in (0, 1]");
  for (const auto v : values)
    REFF_REQUIRE(v >= 0 && v <= 255, "--mask-values", "must be in [0, 255]");
}

std::shared_ptr<const CocoFile> MaskReader::coco(const std::string& path) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto known = coco_files_.find(path);
  return known == coco_files_.end() ? nullptr : known->second;
}

std::shared_ptr<const CocoFile> MaskReader::keep_coco(const std::string& path,
                                                      const nlohmann::json& json) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto& file = coco_files_[path];
  if (!file) file = std::make_shared<const CocoFile>(CocoFile::from_json(json, path));
  return file;
}

torch::Tensor MaskReader::read(const std::string& mask_path, const std::string& image,
                               int64_t height, int64_t width) {
  const auto ext = extension(mask_path);
  if (ext == ".json") {
    if (const auto known = coco(mask_path)) return known->mask(image, height, width);
    // Parsed once: a COCO file is kept for the next image, a labelme file drawn.
    const auto json =
        nlohmann::json::parse(read_text(mask_path), nullptr, /*allow_exceptions=*/false);
    return CocoFile::is_coco(json) ? keep_coco(mask_path, json)->mask(image, height, width)
                                   : labelme_mask(json, height, width, mask_path);
  }
  REFF_REQUIRE(ext == ".png", mask_path,
               "a mask is a .png (binary, grayscale or indexed) or a .json "
               "(labelme or COCO)");
  const auto [values, indexed] = read_png_values(mask_path);
  REFF_REQUIRE(values.size(0) == height && values.size(1) == width, mask_path,
               "is " + std::to_string(values.size(1)) + "x" + std::to_string(values.size(0)) +
                   " but its image " + image + " is " + std::to_string(width) + "x" +
                   std::to_string(height));
  if (options_.values.empty())
    return indexed ? values.ne(0) : values.ge(options_.threshold * 255.0);
  auto relevant = torch::zeros_like(values, torch::kBool);
  for (const auto v : options_.values) relevant.logical_or_(values.eq(v));
  return relevant;
}

std::string MaskReader::empty_hint(const std::string& mask_path) const {
  if (extension(mask_path) != ".png") return "";
  const auto png = read_png_values(mask_path);
  const auto counts = torch::bincount(png.values.flatten().to(torch::kInt64), {}, 256);
  std::string listed, flags;
  int64_t shown = 0;
  const auto dropped_by_rule = [&](int64_t v) {  // as read() reads the PNG
    if (!options_.values.empty())
      return std::find(options_.values.begin(), options_.values.end(), v) == options_.values.end();
    return !png.indexed && double(v) < options_.threshold * 255.0;
  };
  for (int64_t v = 1; v < 256 && shown <= kHintValues; ++v) {
    if (counts[v].item<int64_t>() == 0 || !dropped_by_rule(v)) continue;
    listed += (listed.empty() ? "" : ", ") + (shown++ == kHintValues ? "..." : std::to_string(v));
    if (shown <= kHintValues) flags += " --mask-values " + std::to_string(v);
  }
  if (listed.empty()) return "";
  const auto dropped = options_.values.empty() ? "below --mask-threshold " +
                                                     format_threshold(options_.threshold) + " x 255"
                                               : std::string("none of them among --mask-values");
  return (png.indexed ? "palette indices {" : "gray levels {") + listed + "} present, " + dropped +
         "; pass" + flags;
}

}  // namespace reff::data
