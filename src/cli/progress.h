// Progress of long work on standard error: a redrawn line with a rate and an ETA on a terminal,
// a plain line every few seconds otherwise (logs stay readable).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace reff::cli {

class Progress {
 public:
  Progress(std::string what, std::string unit);
  void update(int64_t done, int64_t total, const std::string& status = "");

 private:
  std::string what_, unit_;
  bool terminal_;
  std::chrono::steady_clock::time_point start_, last_print_;
};

}  // namespace reff::cli
