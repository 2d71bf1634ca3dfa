#include "reff/train/batch_loader.h"

#include "reff/data/augmentation.h"
#include "reff/data/rng.h"
#include "reff/distributed/batch_shard.h"

#include <algorithm>

namespace reff::train {

BatchLoader::BatchLoader(EpochPlan plan, bool prefetch)
    : plan_(std::move(plan)), prefetch_(prefetch), step_(plan_.first_step) {
  if (prefetch_) pending_ = std::async(std::launch::async, [this, s = step_] { return build(s); });
}

BatchLoader::~BatchLoader() {
  if (pending_.valid()) pending_.wait();
}

std::optional<LoadedBatch> BatchLoader::build(int64_t step) const {
  const int64_t n = plan_.data->size();
  const int64_t begin = step * plan_.batch_size;
  const int64_t end = std::min(n, begin + plan_.batch_size);
  // BatchNorm cannot train on one sample (per process)
  if (begin >= n || !distributed::batch_trainable(end - begin, plan_.world_size)) {
    return std::nullopt;
  }
  auto shard = distributed::batch_shard(plan_.order, begin, end, plan_.rank, plan_.world_size);
  const auto indices =
      torch::from_blob(shard.data(), {static_cast<int64_t>(shard.size())}, torch::kInt64);
  auto batch = plan_.data->batch(indices).to(plan_.device);
  if (plan_.augment) {
    data::Rng rng(plan_.seed, 0xA5C0000000ULL + static_cast<uint64_t>(plan_.epoch) * 1000003ULL +
                                  static_cast<uint64_t>(step) +
                                  (static_cast<uint64_t>(plan_.rank) << 48));
    batch = data::augment(batch, rng);
  }
  if (plan_.swap_backgrounds) batch = data::swap_backgrounds(batch);
  return LoadedBatch{std::move(batch), step, end - begin};
}

std::optional<LoadedBatch> BatchLoader::next() {
  auto loaded = prefetch_ ? pending_.get() : build(step_);
  if (!loaded) return std::nullopt;
  ++step_;
  if (prefetch_) pending_ = std::async(std::launch::async, [this, s = step_] { return build(s); });
  return loaded;
}

}  // namespace reff::train
