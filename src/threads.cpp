#include "reff/threads.h"

#include "reff/error.h"

#include <ATen/Parallel.h>

#include <thread>

namespace reff {

int use_threads(int threads) {
  require(threads >= 0, "--threads", "must be 0 (all cores) or positive");
  const int count = threads > 0 ? threads : std::max(1u, std::thread::hardware_concurrency());
  if (at::get_num_threads() != count) at::set_num_threads(count);
  return at::get_num_threads();
}

}  // namespace reff
