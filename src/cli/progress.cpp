#include "progress.h"

#include <unistd.h>
#include <cstdio>

namespace reff::cli {

Progress::Progress(std::string what, std::string unit)
    : what_(std::move(what)),
      unit_(std::move(unit)),
      terminal_(::isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()),
      last_print_(start_) {}

void Progress::update(int64_t done, int64_t total, const std::string& status) {
  const auto now = std::chrono::steady_clock::now();
  const bool finished = done >= total;
  const auto interval = terminal_ ? std::chrono::milliseconds(100) : std::chrono::seconds(5);
  if (!finished && now - last_print_ < interval) return;
  last_print_ = now;
  const double seconds = std::chrono::duration<double>(now - start_).count();
  const double rate = seconds > 0 ? done / seconds : 0.0;
  const double eta = rate > 0 ? (total - done) / rate : 0.0;
  constexpr int kWidth = 30;
  const int filled = total > 0 ? static_cast<int>(kWidth * done / total) : kWidth;
  std::fprintf(stderr, "%s%s [%s%s] %lld/%lld  %.1f %s/s  %s %.0fs  %s%s",
               terminal_ ? "\r\033[K" : "", what_.c_str(), std::string(filled, '#').c_str(),
               std::string(kWidth - filled, '.').c_str(), static_cast<long long>(done),
               static_cast<long long>(total), rate, unit_.c_str(), finished ? "took" : "eta",
               finished ? seconds : eta, status.c_str(), (terminal_ && !finished) ? "" : "\n");
  std::fflush(stderr);
}

}  // namespace reff::cli
