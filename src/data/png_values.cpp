#include "reff/data/png_values.h"

#include "reff/data/image_file.h"
#include "reff/error.h"

#include <png.h>

#include <csetjmp>
#include <cstring>
#include <fstream>
#include <iterator>

namespace reff::data {
namespace {

struct MemoryInput {
  const uint8_t* bytes;
  size_t size, at;
  char message[200];  // libpng's error
};

extern "C" void read_from_memory(png_structp png, png_bytep out, png_size_t length) {
  auto* input = static_cast<MemoryInput*>(png_get_io_ptr(png));
  if (length > input->size - input->at) png_error(png, "unexpected end of data");
  std::memcpy(out, input->bytes + input->at, length);
  input->at += length;
}

extern "C" void png_fail(png_structp png, png_const_charp message) {
  std::strncpy(static_cast<MemoryInput*>(png_get_error_ptr(png))->message, message, 199);
  png_longjmp(png, 1);
}

extern "C" void png_ignore_warning(png_structp, png_const_charp) {}

// Only trivially destructible locals between setjmp and libpng (longjmp skips destructors);
// `rows` and `pixels` are the caller's. Returns an error message (in `input`), or nullptr.
const char* decode(MemoryInput& input, std::vector<uint8_t>& rows, std::vector<uint8_t>& pixels,
                   int64_t& width, int64_t& height, bool& indexed) {
  png_structp png =
      png_create_read_struct(PNG_LIBPNG_VER_STRING, &input, png_fail, png_ignore_warning);
  if (png == nullptr) return "out of memory";
  png_infop info = png_create_info_struct(png);
  if (info == nullptr || setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, &info, nullptr);
    return input.message;
  }
  png_set_read_fn(png, &input, read_from_memory);
  png_read_info(png, info);
  const auto w = png_get_image_width(png, info), h = png_get_image_height(png, info);
  if (!plausible_image_size(w, h)) png_error(png, "implausible image size");
  const int type = png_get_color_type(png, info);
  indexed = type == PNG_COLOR_TYPE_PALETTE;
  const int depth = png_get_bit_depth(png, info);
  if (depth == 16) png_set_strip_16(png);
  if (depth < 8) png_set_packing(png);  // indices and gray levels as they are, one per byte
  if (type == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  png_read_update_info(png, info);
  const size_t channels = png_get_channels(png, info);
  const size_t row_bytes = png_get_rowbytes(png, info);
  width = w;
  height = h;
  pixels.resize(static_cast<size_t>(w) * h);
  const int passes = png_set_interlace_handling(png);
  rows.resize(row_bytes * h);
  for (int pass = 0; pass < passes; ++pass)
    for (png_uint_32 y = 0; y < h; ++y) png_read_row(png, rows.data() + y * row_bytes, nullptr);
  for (png_uint_32 y = 0; y < h; ++y)
    for (png_uint_32 x = 0; x < w; ++x) pixels[y * w + x] = rows[y * row_bytes + x * channels];
  png_destroy_read_struct(&png, &info, nullptr);
  return nullptr;
}

}  // namespace

PngValues decode_png_values(const std::vector<uint8_t>& bytes, const std::string& where) {
  REFF_REQUIRE(bytes.size() >= 8 && png_sig_cmp(bytes.data(), 0, 8) == 0, where, "not a PNG");
  MemoryInput input{bytes.data(), bytes.size(), 0, {}};
  std::vector<uint8_t> rows, pixels;
  int64_t width = 0, height = 0;
  bool indexed = false;
  if (const char* failure = decode(input, rows, pixels, width, height, indexed))
    throw Error(where + ": cannot decode PNG (" + failure + ")");
  return {torch::from_blob(pixels.data(), {height, width}, torch::kUInt8).clone(), indexed};
}

PngValues read_png_values(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REFF_REQUIRE(in.good(), path, "cannot open");
  const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                   std::istreambuf_iterator<char>());
  return decode_png_values(bytes, path);
}

}  // namespace reff::data
