#include "reff/train/step_timing.h"

#include "reff/device.h"
#include "reff/error.h"

#include <torch/cuda.h>

#include <chrono>

#include <sys/resource.h>

namespace reff::train {

data::Batch synthetic_batch(int64_t batch, int64_t size, int64_t classes) {
  auto masks = torch::zeros({batch, size, size});
  masks.slice(1, size / 4, 3 * size / 4).slice(2, size / 4, 3 * size / 4).fill_(1);
  return {torch::randn({batch, 3, size, size}), torch::arange(batch) % classes, masks,
          torch::ones({batch}, torch::kBool), batch};
}

TrainStepper::TrainStepper(models::TappedModel& model, const TrainOptions& options)
    : model_(model),
      options_(options),
      optimizer_(model.parameters(), torch::optim::SGDOptions(options.lr)
                                         .momentum(options.momentum)
                                         .weight_decay(options.weight_decay)),
      scaler_(options.precision == Precision::fp16) {
  model.train();
  prepare_step_kernels(model, runs_channels_last(options, device_of(model)));
}

void TrainStepper::step(const data::Batch& batch) {
  const auto terms = training_loss(model_, batch, options_);
  optimizer_.zero_grad();
  scaler_.scale(terms.total).backward();
  if (scaler_.unscale(model_.parameters())) optimizer_.step();
}

StepTiming time_train_steps(models::TappedModel& model, const TrainOptions& options,
                            const data::Batch& batch, int64_t warmup, int64_t steps) {
  REFF_REQUIRE(steps >= 1 && warmup >= 0, "steps", "needs at least one timed step, warmup >= 0");
  const auto device = device_of(model);
  const auto sync = [&] {
    if (device.is_cuda()) torch::cuda::synchronize(device.index());
  };
  TrainStepper stepper(model, options);
  for (int64_t i = 0; i < warmup; ++i) stepper.step(batch);
  sync();
  const auto start = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < steps; ++i) stepper.step(batch);
  sync();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return {double(steps * batch.size()) / seconds, 1000 * seconds / double(steps),
          double(usage.ru_maxrss) / 1024.0};  // ru_maxrss is in KiB on Linux
}

}  // namespace reff::train
