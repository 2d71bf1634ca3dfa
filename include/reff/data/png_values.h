// A PNG's stored values, before any colour conversion: for an indexed (palette) PNG, the palette
// index of each pixel, as CVAT and Pascal VOC write class masks; for grayscale, the gray level;
// for colour, the red channel. 16-bit samples are reduced to 8. Alpha is ignored.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace reff::data {

struct PngValues {
  torch::Tensor values;  // uint8 [H, W]
  bool indexed = false;  // a palette PNG: the values are palette indices, not levels
};

// Throws reff::Error naming the file (unreadable, not a PNG, implausible size).
PngValues read_png_values(const std::string& path);
// The same from bytes in memory (labelme embeds masks as base64 PNG); `where` names them.
PngValues decode_png_values(const std::vector<uint8_t>& bytes, const std::string& where);

}  // namespace reff::data
