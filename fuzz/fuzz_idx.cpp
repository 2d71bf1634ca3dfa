// IDX files, raw or gzip (read_idx reads both through zlib).
#include "fuzz_input.h"
#include "reff/data/idx_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = reff::fuzz::write_input(reff::fuzz::scratch_dir() / "input.idx", data, size);
  return reff::fuzz::expect_clean_errors([&] { reff::data::read_idx(path); });
}
