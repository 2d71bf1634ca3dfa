#include "reff/data/image_file.h"

#include "reff/error.h"

// Through libjpeg-turbo and libpng, both ways: images come from data sets users download, and
// Debian's stb_image snapshot reads out of bounds on some malformed JPEGs (found by
// fuzz/fuzz_image; nothings/stb#1289, #1291), while its JPEG writer shifts negative values
// (UndefinedBehaviorSanitizer).
#include <jpeglib.h>
#include <png.h>

#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <vector>

namespace reff::data {
namespace {

struct JpegErrors {
  jpeg_error_mgr manager;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

extern "C" void jpeg_fail(j_common_ptr info) {
  auto* errors = reinterpret_cast<JpegErrors*>(info->err);
  (*info->err->format_message)(info, errors->message);
  std::longjmp(errors->jump, 1);
}

// Warnings (level -1) mean corrupt data that libjpeg would paper over: an error here.
extern "C" void jpeg_warn(j_common_ptr info, int level) {
  if (level < 0) jpeg_fail(info);
}

// Only trivially destructible locals live between setjmp and the libjpeg calls (longjmp skips
// destructors); `pixels` is the caller's. Returns an error message, or nullptr.
const char* decode_jpeg(std::FILE* file, std::vector<uint8_t>& pixels, int64_t& width,
                        int64_t& height, JpegErrors& errors) {
  jpeg_decompress_struct info;
  info.err = jpeg_std_error(&errors.manager);
  errors.manager.error_exit = jpeg_fail;
  errors.manager.emit_message = jpeg_warn;
  if (setjmp(errors.jump)) {
    jpeg_destroy_decompress(&info);
    return errors.message;
  }
  jpeg_create_decompress(&info);
  jpeg_stdio_src(&info, file);
  jpeg_read_header(&info, TRUE);
  info.out_color_space = JCS_RGB;
  jpeg_calc_output_dimensions(&info);
  if (!plausible_image_size(info.output_width, info.output_height)) {
    jpeg_destroy_decompress(&info);
    return "implausible image size";
  }
  jpeg_start_decompress(&info);
  width = info.output_width;
  height = info.output_height;
  pixels.resize(static_cast<size_t>(width * height * 3));
  while (info.output_scanline < info.output_height) {
    JSAMPROW row = pixels.data() + static_cast<size_t>(info.output_scanline) * width * 3;
    jpeg_read_scanlines(&info, &row, 1);
  }
  jpeg_finish_decompress(&info);
  jpeg_destroy_decompress(&info);
  return nullptr;
}

torch::Tensor read_jpeg(const std::string& path) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"), std::fclose);
  REFF_REQUIRE(file != nullptr, path, "cannot open");
  std::vector<uint8_t> pixels;
  int64_t width = 0, height = 0;
  JpegErrors errors{};
  if (const char* failure = decode_jpeg(file.get(), pixels, width, height, errors))
    throw Error(path + ": cannot decode JPEG (" + failure + ")");
  return torch::from_blob(pixels.data(), {height, width, 3}, torch::kUInt8)
      .permute({2, 0, 1})
      .contiguous();
}

torch::Tensor read_png(const std::string& path) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&image, path.c_str()))
    throw Error(path + ": cannot decode PNG (" + image.message + ")");
  if (!plausible_image_size(image.width, image.height)) {
    png_image_free(&image);
    throw Error(path + ": cannot decode PNG (implausible image size)");
  }
  image.format = PNG_FORMAT_RGB;
  std::vector<uint8_t> pixels(PNG_IMAGE_SIZE(image));
  if (!png_image_finish_read(&image, nullptr, pixels.data(), 0, nullptr))
    throw Error(path + ": cannot decode PNG (" + image.message + ")");
  return torch::from_blob(pixels.data(), {int64_t(image.height), int64_t(image.width), 3},
                          torch::kUInt8)
      .permute({2, 0, 1})
      .contiguous();
}

}  // namespace

bool plausible_image_size(int64_t width, int64_t height) {
  constexpr int64_t kMaxSide = 1 << 15;    // pixels per side
  constexpr int64_t kMaxPixels = 1 << 28;  // 256 Mpx: larger is a corrupt header, not a photo
  return width > 0 && height > 0 && width <= kMaxSide && height <= kMaxSide &&
         width * height <= kMaxPixels;
}

torch::Tensor read_image(const std::string& path) {
  unsigned char magic[8] = {};
  {
    std::ifstream in(path, std::ios::binary);
    REFF_REQUIRE(in.good(), path, "cannot open");
    in.read(reinterpret_cast<char*>(magic), sizeof magic);
  }
  if (png_sig_cmp(magic, 0, sizeof magic) == 0) return read_png(path);
  if (magic[0] == 0xFF && magic[1] == 0xD8 && magic[2] == 0xFF) return read_jpeg(path);
  throw Error(path + ": cannot decode image (neither PNG nor JPEG)");
}

namespace {

void write_bytes(const std::string& path, const void* bytes, size_t length) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  REFF_REQUIRE(out.good(), path, std::string("cannot write (") + std::strerror(errno) + ")");
  out.write(static_cast<const char*>(bytes), static_cast<std::streamsize>(length));
  out.close();
  REFF_REQUIRE(out.good(), path, "write failed (disk full?)");
}

}  // namespace

std::vector<uint8_t> encode_png(const torch::Tensor& image, const std::string& where) {
  REFF_REQUIRE(image.scalar_type() == torch::kUInt8, where, "PNG writer takes uint8 images");
  torch::Tensor chw = image.dim() == 2 ? image.unsqueeze(0) : image;
  REFF_REQUIRE(chw.dim() == 3 && (chw.size(0) == 1 || chw.size(0) == 3), where,
               "PNG writer takes [H, W], [1, H, W] or [3, H, W]");
  const auto hwc = chw.permute({1, 2, 0}).contiguous();
  png_image png{};
  png.version = PNG_IMAGE_VERSION;
  png.width = static_cast<png_uint_32>(hwc.size(1));
  png.height = static_cast<png_uint_32>(hwc.size(0));
  png.format = hwc.size(2) == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
  png_alloc_size_t length = 0;  // first the size, then the bytes
  REFF_REQUIRE(png_image_write_to_memory(&png, nullptr, &length, 0, hwc.data_ptr<uint8_t>(), 0,
                                         nullptr) != 0,
               where, std::string("PNG encoding failed (") + png.message + ")");
  std::vector<uint8_t> bytes(length);
  REFF_REQUIRE(png_image_write_to_memory(&png, bytes.data(), &length, 0, hwc.data_ptr<uint8_t>(), 0,
                                         nullptr) != 0,
               where, std::string("PNG encoding failed (") + png.message + ")");
  bytes.resize(length);
  return bytes;
}

void write_png(const std::string& path, const torch::Tensor& image) {
  const auto bytes = encode_png(image, path);
  write_bytes(path, bytes.data(), bytes.size());
}

namespace {

// As decode_jpeg: only trivially destructible locals between setjmp and libjpeg. `out` is
// malloc'ed by libjpeg (free it, also after an error).
const char* encode_jpeg(const uint8_t* rgb, int64_t width, int64_t height, unsigned char** out,
                        unsigned long* length, JpegErrors& errors) {
  jpeg_compress_struct info;
  info.err = jpeg_std_error(&errors.manager);
  errors.manager.error_exit = jpeg_fail;
  if (setjmp(errors.jump)) {
    jpeg_destroy_compress(&info);
    return errors.message;
  }
  jpeg_create_compress(&info);
  jpeg_mem_dest(&info, out, length);
  info.image_width = static_cast<JDIMENSION>(width);
  info.image_height = static_cast<JDIMENSION>(height);
  info.input_components = 3;
  info.in_color_space = JCS_RGB;
  jpeg_set_defaults(&info);
  jpeg_set_quality(&info, 95, TRUE);
  jpeg_start_compress(&info, TRUE);
  while (info.next_scanline < info.image_height) {
    JSAMPROW row = const_cast<uint8_t*>(rgb) + static_cast<size_t>(info.next_scanline) * width * 3;
    jpeg_write_scanlines(&info, &row, 1);
  }
  jpeg_finish_compress(&info);
  jpeg_destroy_compress(&info);
  return nullptr;
}

}  // namespace

void write_jpeg(const std::string& path, const torch::Tensor& image) {
  REFF_REQUIRE(image.scalar_type() == torch::kUInt8 && image.dim() == 3 && image.size(0) == 3, path,
               "JPEG writer takes uint8 [3, H, W]");
  const auto hwc = image.permute({1, 2, 0}).contiguous();
  unsigned char* bytes = nullptr;
  unsigned long length = 0;
  JpegErrors errors{};
  const char* failure =
      encode_jpeg(hwc.data_ptr<uint8_t>(), hwc.size(1), hwc.size(0), &bytes, &length, errors);
  std::unique_ptr<unsigned char, void (*)(void*)> owned(bytes, std::free);
  REFF_REQUIRE(failure == nullptr, path,
               std::string("JPEG encoding failed (") + (failure ? failure : "") + ")");
  write_bytes(path, owned.get(), length);
}

}  // namespace reff::data
