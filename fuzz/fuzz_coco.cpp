// A COCO annotation file: parsed, then every image's mask drawn at the size the file claims
// (up to 256 x 256; larger claims are drawn at 64 x 64, which is a size mismatch error).
#include "fuzz_input.h"
#include "reff/data/coco_file.h"

#include <nlohmann/json.hpp>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  return reff::fuzz::expect_clean_errors([&] {
    const auto coco = reff::data::CocoFile::parse(text, "coco.json");
    const auto json = nlohmann::json::parse(text);  // valid: parse() accepted it
    for (const auto& image : json.at("images")) {
      const int64_t height = image.at("height"), width = image.at("width");
      const bool small = height > 0 && width > 0 && height <= 256 && width <= 256;
      reff::fuzz::expect_clean_errors(
          [&] { coco.mask(image.at("file_name"), small ? height : 64, small ? width : 64); });
    }
  });
}
