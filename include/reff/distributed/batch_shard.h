// The distributed sampler. Every rank shuffles the whole training set with the same seed, so all
// agree on the order; the global batch at positions [begin, end) of that order is split across
// ranks by stride: rank r trains on positions begin + r, begin + r + W, ... (W ranks). Over an
// epoch the ranks' shards are disjoint and cover the set, and each step's global batch is exactly
// the batch a single process would train on with the same --batch-size and seed.
#pragma once

#include <cstdint>
#include <vector>

namespace reff::distributed {

// The sample indices (order[p] for this rank's positions p) of the global batch [begin, end).
std::vector<int64_t> batch_shard(const std::vector<int64_t>& order, int64_t begin, int64_t end,
                                 int rank, int world_size);

// Whether a global batch of `size` samples is trained on: every rank needs two samples
// (BatchNorm's batch statistics), so a last batch smaller than 2 W is skipped by all ranks alike.
inline bool batch_trainable(int64_t size, int world_size) { return size >= 2 * world_size; }

}  // namespace reff::distributed
