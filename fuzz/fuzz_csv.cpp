// An own folder's labels.csv, parsed and listed (the images it names need not exist: that is an
// error too).
#include "fuzz_input.h"
#include "reff/data/csv_table.h"
#include "reff/data/folder_dataset.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  reff::fuzz::expect_clean_errors([&] { reff::data::parse_csv(text, "labels.csv"); });
  const auto dir = reff::fuzz::scratch_dir();
  reff::fuzz::write_input(dir / "labels.csv", data, size);
  return reff::fuzz::expect_clean_errors([&] { reff::data::list_folder(dir.string()); });
}
