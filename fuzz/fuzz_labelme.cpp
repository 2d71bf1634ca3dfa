// A labelme file, drawn at the size it claims (up to 256 x 256; larger claims at 64 x 64, a size
// mismatch error), shapes and embedded PNG masks included.
#include "fuzz_input.h"
#include "reff/data/labelme_file.h"

#include <nlohmann/json.hpp>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const auto json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  int64_t height = 16, width = 16;
  if (json.is_object() && json.contains("imageHeight") && json.contains("imageWidth") &&
      json["imageHeight"].is_number_integer() && json["imageWidth"].is_number_integer()) {
    const int64_t h = json["imageHeight"], w = json["imageWidth"];
    if (h > 0 && w > 0 && h <= 256 && w <= 256) height = h, width = w;
  }
  return reff::fuzz::expect_clean_errors(
      [&] { reff::data::parse_labelme_mask(text, height, width, "labelme.json"); });
}
