// GIMP .pat textures.
#include "fuzz_input.h"
#include "reff/data/gimp_pattern.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  return reff::fuzz::expect_clean_errors(
      [&] { reff::data::parse_gimp_pattern(bytes, "input.pat"); });
}
