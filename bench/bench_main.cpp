// Google Benchmark's main, with LibTorch on every core (as reff's command line runs).
#include "reff/threads.h"

#include <benchmark/benchmark.h>

int main(int argc, char** argv) {
  reff::use_threads();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
