// Builds the bytes of a GIMP .pat file (see reff/data/gimp_pattern.h for the layout).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace reff::test {

inline std::string gimp_pattern_bytes(const std::string& name, uint32_t width, uint32_t height,
                                      uint32_t bpp, const std::vector<uint8_t>& pixels,
                                      const std::string& magic = "GPAT") {
  std::string bytes;
  auto put = [&](uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(char(v >> shift));
  };
  put(static_cast<uint32_t>(24 + name.size() + 1));
  put(1);
  put(width);
  put(height);
  put(bpp);
  bytes += magic + name + '\0';
  bytes.append(pixels.begin(), pixels.end());
  return bytes;
}

}  // namespace reff::test
