#include "reff/distributed/batch_shard.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>
#include <set>

namespace reff::distributed {
namespace {

std::vector<int64_t> permutation(int64_t n, unsigned seed) {
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), std::mt19937(seed));
  return order;
}

TEST(BatchShard, RanksShardsAreDisjointAndCoverTheEpoch) {
  for (const int world : {1, 2, 3, 4}) {
    for (const int64_t n : {int64_t(97), int64_t(128)}) {
      const auto order = permutation(n, 5);
      const int64_t batch = 8 * world;
      std::vector<int64_t> seen;
      for (int64_t begin = 0; begin < n; begin += batch) {
        const int64_t end = std::min(n, begin + batch);
        std::set<int64_t> step;
        for (int rank = 0; rank < world; ++rank) {
          const auto shard = batch_shard(order, begin, end, rank, world);
          EXPECT_LE(shard.size(), static_cast<size_t>((end - begin + world - 1) / world));
          for (const auto index : shard) {
            EXPECT_TRUE(step.insert(index).second) << "index " << index << " on two ranks";
            seen.push_back(index);
          }
        }
        // The step's global batch is the single process's batch at these positions.
        EXPECT_EQ(step, std::set<int64_t>(order.begin() + begin, order.begin() + end));
      }
      std::sort(seen.begin(), seen.end());
      std::vector<int64_t> all(n);
      std::iota(all.begin(), all.end(), 0);
      EXPECT_EQ(seen, all) << "world " << world << ", n " << n;
    }
  }
}

TEST(BatchShard, ALastBatchTooSmallForEveryRankIsSkippedByAll) {
  EXPECT_TRUE(batch_trainable(2, 1));
  EXPECT_FALSE(batch_trainable(1, 1));
  EXPECT_TRUE(batch_trainable(4, 2));
  EXPECT_FALSE(batch_trainable(3, 2));  // one rank would train on one sample
}

}  // namespace
}  // namespace reff::distributed
