#include "reff/distributed/batch_shard.h"

namespace reff::distributed {

std::vector<int64_t> batch_shard(const std::vector<int64_t>& order, int64_t begin, int64_t end,
                                 int rank, int world_size) {
  std::vector<int64_t> shard;
  shard.reserve(static_cast<size_t>((end - begin) / world_size + 1));
  for (int64_t p = begin + rank; p < end; p += world_size) shard.push_back(order[p]);
  return shard;
}

}  // namespace reff::distributed
