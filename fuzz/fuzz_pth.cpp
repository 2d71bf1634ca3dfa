// PyTorch state dicts (.pth: zip archive, pickle, storages).
#include "fuzz_input.h"
#include "reff/models/pth_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = reff::fuzz::write_input(reff::fuzz::scratch_dir() / "input.pth", data, size);
  return reff::fuzz::expect_clean_errors([&] { reff::models::read_pth(path); });
}
