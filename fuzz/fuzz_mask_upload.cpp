// The body of a mask that reff annotate's page uploads (annotate/mask_upload.h), decoded against
// an image of 32 x 24 pixels: any bytes must end in a mask or a reff::Error.
#include "fuzz_input.h"
#include "reff/annotate/mask_upload.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string body(reinterpret_cast<const char*>(data), size);
  return reff::fuzz::expect_clean_errors([&] { reff::annotate::decode_mask_upload(body, 24, 32); });
}
