// What every libFuzzer target of reff shares: the input as a file where the parser wants a path,
// and the rule under test, that malformed input ends in reff::Error and nothing else (any other
// exception is a finding: the target aborts so that libFuzzer keeps the input).
#pragma once

#include "reff/error.h"

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>

namespace reff::fuzz {

// A folder of this process's own, emptied for each input.
inline std::filesystem::path scratch_dir() {
  static const auto dir = std::filesystem::temp_directory_path() /
                          ("reff-fuzz-" + std::to_string(static_cast<long>(getpid())));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

inline std::string write_input(const std::filesystem::path& path, const uint8_t* data,
                               size_t size) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(data), size);
  return path.string();
}

template <class Parse>
int expect_clean_errors(Parse&& parse) {
  try {
    parse();
  } catch (const reff::Error&) {
    // the expected outcome for malformed input
  } catch (const std::exception& e) {
    std::fprintf(stderr, "finding: not a reff::Error: %.2000s\n", e.what());
    std::abort();
  }
  return 0;
}

}  // namespace reff::fuzz
