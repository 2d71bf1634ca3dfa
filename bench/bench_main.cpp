// Google Benchmark's main, with LibTorch on every core and freed memory kept (as reff's command
// line runs).
#include "reff/allocator.h"
#include "reff/threads.h"

#include <benchmark/benchmark.h>

int main(int argc, char** argv) {
  reff::use_threads();
  reff::keep_freed_memory();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
