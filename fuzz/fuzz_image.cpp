// PNG and JPEG images through reff's decoder wrapper.
#include "fuzz_input.h"
#include "reff/data/image_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = reff::fuzz::write_input(reff::fuzz::scratch_dir() / "input.img", data, size);
  return reff::fuzz::expect_clean_errors([&] { reff::data::read_image(path); });
}
