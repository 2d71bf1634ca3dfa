// PNG and JPEG images through reff's decoder wrapper, and PNG masks' stored values (palette
// indices, gray levels) through its own libpng reader.
#include "fuzz_input.h"
#include "reff/data/image_file.h"
#include "reff/data/png_values.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = reff::fuzz::write_input(reff::fuzz::scratch_dir() / "input.img", data, size);
  reff::fuzz::expect_clean_errors([&] { reff::data::read_png_values(path); });
  return reff::fuzz::expect_clean_errors([&] { reff::data::read_image(path); });
}
