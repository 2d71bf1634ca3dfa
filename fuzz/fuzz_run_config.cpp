// Run folders' config.json (classifier and annotator) and an experiment's cell records.
#include "fuzz_input.h"
#include "reff/json_file.h"
#include "reff/run/run_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto dir = reff::fuzz::scratch_dir();
  reff::fuzz::write_input(dir / "config.json", data, size);
  reff::fuzz::expect_clean_errors([&] { reff::run::load_run_config(dir.string()); });
  return reff::fuzz::expect_clean_errors([&] { reff::run::load_annotator_config(dir.string()); });
}
