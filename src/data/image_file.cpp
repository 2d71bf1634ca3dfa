#include "reff/data/image_file.h"

#include "reff/error.h"

#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STBI_FAILURE_USERMSG
#include <stb_image.h>
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb_image_write.h>

#include <cstring>
#include <fstream>
#include <memory>

namespace reff::data {

torch::Tensor read_image(const std::string& path) {
  int width = 0, height = 0, channels = 0;
  std::unique_ptr<stbi_uc, void (*)(void*)> pixels(
      stbi_load(path.c_str(), &width, &height, &channels, 3), stbi_image_free);
  if (pixels == nullptr) {
    const char* reason = stbi_failure_reason();
    throw Error(path + ": cannot decode image (" + (reason ? reason : "unknown reason") + ")");
  }
  auto hwc = torch::from_blob(pixels.get(), {height, width, 3}, torch::kUInt8);
  return hwc.permute({2, 0, 1}).contiguous();
}

namespace {

void write_bytes(const std::string& path, const void* bytes, size_t length) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  require(out.good(), path, std::string("cannot write (") + std::strerror(errno) + ")");
  out.write(static_cast<const char*>(bytes), static_cast<std::streamsize>(length));
  out.close();
  require(out.good(), path, "write failed (disk full?)");
}

}  // namespace

void write_png(const std::string& path, const torch::Tensor& image) {
  require(image.scalar_type() == torch::kUInt8, path, "PNG writer takes uint8 images");
  torch::Tensor chw = image.dim() == 2 ? image.unsqueeze(0) : image;
  require(chw.dim() == 3 && (chw.size(0) == 1 || chw.size(0) == 3), path,
          "PNG writer takes [H, W], [1, H, W] or [3, H, W]");
  const auto hwc = chw.permute({1, 2, 0}).contiguous();
  const int height = static_cast<int>(hwc.size(0)), width = static_cast<int>(hwc.size(1));
  const int channels = static_cast<int>(hwc.size(2));
  int length = 0;
  std::unique_ptr<unsigned char, void (*)(void*)> png(
      stbi_write_png_to_mem(hwc.data_ptr<uint8_t>(), width * channels, width, height, channels,
                            &length),
      free);
  require(png != nullptr, path, "PNG encoding failed");
  write_bytes(path, png.get(), static_cast<size_t>(length));
}

void write_jpeg(const std::string& path, const torch::Tensor& image) {
  require(image.scalar_type() == torch::kUInt8 && image.dim() == 3 && image.size(0) == 3, path,
          "JPEG writer takes uint8 [3, H, W]");
  const auto hwc = image.permute({1, 2, 0}).contiguous();
  std::string jpeg;
  const auto append = [](void* context, void* data, int size) {
    static_cast<std::string*>(context)->append(static_cast<const char*>(data),
                                               static_cast<size_t>(size));
  };
  const int ok = stbi_write_jpg_to_func(append, &jpeg, static_cast<int>(hwc.size(1)),
                                        static_cast<int>(hwc.size(0)), 3, hwc.data_ptr<uint8_t>(),
                                        /*quality=*/95);
  require(ok != 0, path, "JPEG encoding failed");
  write_bytes(path, jpeg.data(), jpeg.size());
}

}  // namespace reff::data
