// The ISIC2017 Part 3 ground-truth CSV (the images it names need not exist: that is an error too).
#include "fuzz_input.h"
#include "reff/data/isic2017.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto dir = reff::fuzz::scratch_dir();
  reff::fuzz::write_input(dir / "ISIC-2017_Training_Part3_GroundTruth.csv", data, size);
  return reff::fuzz::expect_clean_errors(
      [&] { reff::data::isic2017_files(dir.string(), reff::data::Split::train); });
}
