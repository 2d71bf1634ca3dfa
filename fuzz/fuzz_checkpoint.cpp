// Checkpoints (header, CRC and LibTorch archive) loaded into the micro preset's small ResNet.
#include "fuzz_input.h"
#include "reff/models/resnet.h"
#include "reff/train/checkpoint.h"

#include <torch/optim/sgd.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static auto model = reff::models::small_resnet({4, {1, 1, 1, 1}, 10});
  static torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(0.1));
  const auto path = reff::fuzz::write_input(reff::fuzz::scratch_dir() / "input.pt", data, size);
  return reff::fuzz::expect_clean_errors(
      [&] { reff::train::load_checkpoint(path, *model, {&optimizer}); });
}
