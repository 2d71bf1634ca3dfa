// The speed and memory of one training step, on a synthetic batch: what `reff bench` prints and
// what the GPU check compares with the same step written in PyTorch (bench/peer.py).
#pragma once

#include "reff/data/tensor_dataset.h"
#include "reff/models/tapped_model.h"
#include "reff/train/precision.h"
#include "reff/train/trainer.h"

#include <torch/optim/sgd.h>

namespace reff::train {

// `batch` standard-normal images of `size` px, labels b % `classes`, every mask the centred square
// of half the side (bench/peer.py's batch).
data::Batch synthetic_batch(int64_t batch, int64_t size, int64_t classes);

// Training steps as `reff train` takes them, for timing: the model in training mode and in the
// layout reff train chooses; each step the forward pass, loss and Grad-CAMs under the options'
// precision, backward and SGD with the options' settings.
class TrainStepper {
 public:
  TrainStepper(models::TappedModel& model, const TrainOptions& options);
  void step(const data::Batch& batch);  // the batch on the model's device

 private:
  models::TappedModel& model_;
  const TrainOptions& options_;
  torch::optim::SGD optimizer_;
  LossScaler scaler_;
};

struct StepTiming {
  double images_per_s = 0;
  double ms_per_step = 0;
  double peak_rss_mib = 0;  // the process's peak resident memory so far (getrusage)
};

// `warmup` untimed steps (cuDNN autotuning, allocator growth), then `steps` timed ones, each a
// TrainStepper's. The batch must be on the model's device.
StepTiming time_train_steps(models::TappedModel& model, const TrainOptions& options,
                            const data::Batch& batch, int64_t warmup, int64_t steps);

}  // namespace reff::train
