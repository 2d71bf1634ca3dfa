// GIMP pattern files (.pat), as shipped by Debian's gimp-data under
// /usr/share/gimp/2.0/patterns/. Layout (all integers big-endian uint32):
//   header_size, version (1), width, height, bytes_per_pixel (1..4), magic "GPAT",
//   name (UTF-8, NUL-terminated, fills the header), then width*height*bpp raw pixels.
#pragma once

#include <torch/types.h>

#include <string>

namespace reff::data {

struct GimpPattern {
  std::string name;
  torch::Tensor pixels;  // uint8 [3, H, W]: grey expanded to RGB, alpha composited on white
};

GimpPattern parse_gimp_pattern(const std::string& bytes, const std::string& where);
GimpPattern read_gimp_pattern(const std::string& path);

}  // namespace reff::data
