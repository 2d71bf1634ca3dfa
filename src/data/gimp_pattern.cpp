#include "reff/data/gimp_pattern.h"

#include "reff/error.h"

#include <cstring>
#include <fstream>
#include <sstream>

namespace reff::data {
namespace {

constexpr size_t kFixedHeader = 24;  // six uint32: header size, version, w, h, bpp, magic
constexpr uint32_t kMaxSide = 1 << 14;

uint32_t big_endian(const std::string& bytes, size_t offset) {
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data() + offset);
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

}  // namespace

GimpPattern parse_gimp_pattern(const std::string& bytes, const std::string& where) {
  REFF_REQUIRE(bytes.size() >= kFixedHeader, where, "too short for a GIMP pattern header");
  const uint32_t header_size = big_endian(bytes, 0);
  const uint32_t version = big_endian(bytes, 4);
  const uint32_t width = big_endian(bytes, 8);
  const uint32_t height = big_endian(bytes, 12);
  const uint32_t bpp = big_endian(bytes, 16);
  REFF_REQUIRE(bytes.compare(20, 4, "GPAT") == 0, where, "not a GIMP pattern (magic is not GPAT)");
  REFF_REQUIRE(version == 1, where, "unsupported pattern version " + std::to_string(version));
  REFF_REQUIRE(header_size >= kFixedHeader && header_size <= bytes.size(), where,
               "header size " + std::to_string(header_size) + " outside the file");
  REFF_REQUIRE(width > 0 && height > 0 && width <= kMaxSide && height <= kMaxSide, where,
               "bad size " + std::to_string(width) + "x" + std::to_string(height));
  REFF_REQUIRE(bpp >= 1 && bpp <= 4, where, "bad bytes per pixel " + std::to_string(bpp));
  const uint64_t pixel_bytes = uint64_t{width} * height * bpp;
  REFF_REQUIRE(bytes.size() - header_size >= pixel_bytes, where,
               "truncated: " + std::to_string(pixel_bytes) + " pixel bytes expected, " +
                   std::to_string(bytes.size() - header_size) + " present");

  GimpPattern pattern;
  const auto name_end = bytes.find('\0', kFixedHeader);
  pattern.name = bytes.substr(kFixedHeader, std::min<size_t>(name_end, header_size) - kFixedHeader);

  auto raw = torch::empty({int64_t(height), int64_t(width), int64_t(bpp)}, torch::kUInt8);
  std::memcpy(raw.data_ptr<uint8_t>(), bytes.data() + header_size, pixel_bytes);
  auto pixels = raw.permute({2, 0, 1}).to(torch::kFloat32);
  const bool has_alpha = bpp == 2 || bpp == 4;
  auto colour = pixels.slice(0, 0, has_alpha ? bpp - 1 : bpp);
  if (colour.size(0) == 1) colour = colour.expand({3, height, width});
  if (has_alpha) {
    const auto alpha = pixels.slice(0, bpp - 1, bpp) / 255.0;
    colour = colour * alpha + 255.0 * (1.0 - alpha);  // composited on white, as GIMP shows it
  }
  pattern.pixels = colour.round().clamp(0, 255).to(torch::kUInt8).contiguous();
  return pattern;
}

GimpPattern read_gimp_pattern(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REFF_REQUIRE(in.good(), path, std::string("cannot open (") + std::strerror(errno) + ")");
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return parse_gimp_pattern(bytes.str(), path);
}

}  // namespace reff::data
