// The Oxford-IIIT Pet split list (annotations/trainval.txt).
#include "fuzz_input.h"
#include "reff/data/oxford_pets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto dir = reff::fuzz::scratch_dir();
  reff::fuzz::write_input(dir / "annotations" / "trainval.txt", data, size);
  return reff::fuzz::expect_clean_errors(
      [&] { reff::data::oxford_pets_files(dir.string(), reff::data::Split::train); });
}
