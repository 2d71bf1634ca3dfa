#include "reff/annotate/mask_upload.h"

#include "reff/data/png_values.h"
#include "reff/error.h"

#include <vector>

namespace reff::annotate {

torch::Tensor decode_mask_upload(const std::string& body, int64_t height, int64_t width) {
  const std::string where = "uploaded mask";
  REFF_REQUIRE(!body.empty(), where, "empty body");
  REFF_REQUIRE(body.size() <= kMaxUploadBytes, where,
               "larger than " + std::to_string(kMaxUploadBytes >> 20) + " MiB");
  const std::vector<uint8_t> bytes(body.begin(), body.end());
  const auto values = data::decode_png_values(bytes, where).values;
  REFF_REQUIRE(values.size(0) == height && values.size(1) == width, where,
               std::to_string(values.size(1)) + " x " + std::to_string(values.size(0)) +
                   " pixels, but the image has " + std::to_string(width) + " x " +
                   std::to_string(height));
  const auto relevant = values == 255;
  REFF_REQUIRE((relevant | (values == 0)).all().item<bool>(), where,
               "values other than 0 and 255 (a mask is black and white)");
  return relevant;
}

}  // namespace reff::annotate
