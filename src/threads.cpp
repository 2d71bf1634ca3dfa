#include "reff/threads.h"

#include "reff/error.h"

#include <ATen/Parallel.h>

#include <dlfcn.h>

#include <thread>

namespace reff {
namespace {

// OpenBLAS's pthread build runs its own worker threads, which spin against LibTorch's OpenMP
// threads on a small machine (measured here: a pix2pix step took twice as long). LibTorch already
// parallelises around its BLAS calls, so OpenBLAS gets one thread. Looked up at run time: a build
// against another BLAS simply has no such function.
void single_threaded_blas() {
  using SetThreads = void (*)(int);
  if (auto set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) {
    set(1);
  }
}

}  // namespace

int use_threads(int threads, int processes) {
  REFF_REQUIRE(threads >= 0, "--threads", "must be 0 (all cores) or positive");
  single_threaded_blas();
  const int cores = static_cast<int>(std::thread::hardware_concurrency());
  const int count = threads > 0 ? threads : std::max(1, cores / std::max(1, processes));
  if (at::get_num_threads() != count) at::set_num_threads(count);
  return at::get_num_threads();
}

}  // namespace reff
