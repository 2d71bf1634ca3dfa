// The training batches of one epoch, in order. Batch k holds this process's shard of the samples
// at positions [k B, (k + 1) B) of the epoch's order (distributed/batch_shard.h), indexed,
// normalised, moved to the device and, where asked, augmented and background-swapped. With
// prefetching, batch k + 1 is built on a worker thread while step k runs, so an epoch costs its
// steps; without it, each batch is built when asked for. The batches are the same either way:
// each depends on the epoch, the step and the rank only.
#pragma once

#include "reff/data/tensor_dataset.h"

#include <torch/types.h>

#include <cstdint>
#include <future>
#include <optional>
#include <vector>

namespace reff::train {

struct EpochPlan {
  const data::TensorDataset* data = nullptr;
  std::vector<int64_t> order;  // the epoch's shuffled sample indices
  int64_t batch_size = 32;     // the global batch
  int64_t first_step = 0;      // > 0: an interrupted epoch continues there
  int rank = 0, world_size = 1;
  torch::Device device = torch::kCPU;
  bool augment = false, swap_backgrounds = false;
  uint64_t seed = 0;  // of the augmentation, with the epoch, step and rank
  int64_t epoch = 1;
};

struct LoadedBatch {
  data::Batch batch;
  int64_t step = 0;         // 0-based within the epoch
  int64_t global_size = 0;  // samples in the global batch (all ranks)
};

class BatchLoader {
 public:
  BatchLoader(EpochPlan plan, bool prefetch);
  ~BatchLoader();  // waits for a batch still being built
  BatchLoader(const BatchLoader&) = delete;
  BatchLoader& operator=(const BatchLoader&) = delete;

  // The next batch, or nullopt at the end of the epoch (a last batch too small for BatchNorm on
  // every rank ends it too). An error while building a batch is thrown here.
  std::optional<LoadedBatch> next();

 private:
  std::optional<LoadedBatch> build(int64_t step) const;

  EpochPlan plan_;
  bool prefetch_;
  int64_t step_;
  std::future<std::optional<LoadedBatch>> pending_;  // batch step_, when prefetching
};

}  // namespace reff::train
