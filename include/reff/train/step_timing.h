// The speed and memory of one training step, on a synthetic batch: what `reff bench` prints and
// what the GPU check compares with the same step written in PyTorch (bench/peer.py).
#pragma once

#include "reff/data/tensor_dataset.h"
#include "reff/models/tapped_model.h"
#include "reff/train/trainer.h"

namespace reff::train {

// `batch` standard-normal images of `size` px, labels b % `classes`, every mask the centred square
// of half the side (bench/peer.py's batch).
data::Batch synthetic_batch(int64_t batch, int64_t size, int64_t classes);

struct StepTiming {
  double images_per_s = 0;
  double ms_per_step = 0;
  double peak_rss_mib = 0;  // the process's peak resident memory so far (getrusage)
};

// `warmup` untimed steps (cuDNN autotuning, allocator growth), then `steps` timed ones: forward,
// loss and Grad-CAMs under the options' precision, backward, SGD with the options' settings.
// The batch must be on the model's device.
StepTiming time_train_steps(models::TappedModel& model, const TrainOptions& options,
                            const data::Batch& batch, int64_t warmup, int64_t steps);

}  // namespace reff::train
