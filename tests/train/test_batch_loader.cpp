// The prefetching loader gives the batches the plain loop gives: the same order, the same
// content (augmented and background-swapped included), from any first step and on every rank.
#include "fixtures.h"
#include "reff/train/batch_loader.h"

#include <gtest/gtest.h>

namespace reff::train {
namespace {

std::vector<LoadedBatch> all_batches(const EpochPlan& plan, bool prefetch) {
  BatchLoader loader(plan, prefetch);
  std::vector<LoadedBatch> batches;
  while (auto loaded = loader.next()) batches.push_back(std::move(*loaded));
  return batches;
}

void expect_same(const std::vector<LoadedBatch>& a, const std::vector<LoadedBatch>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t k = 0; k < a.size(); ++k) {
    EXPECT_EQ(a[k].step, b[k].step);
    EXPECT_EQ(a[k].global_size, b[k].global_size);
    EXPECT_TRUE(a[k].batch.images.equal(b[k].batch.images)) << "batch " << k;
    EXPECT_TRUE(a[k].batch.labels.equal(b[k].batch.labels)) << "batch " << k;
    EXPECT_TRUE(a[k].batch.masks.equal(b[k].batch.masks)) << "batch " << k;
    EXPECT_TRUE(a[k].batch.has_mask.equal(b[k].batch.has_mask)) << "batch " << k;
  }
}

TEST(BatchLoader, PrefetchingGivesTheSameBatchesInTheSameOrder) {
  const auto data = test::tiny_textured_set(23, 4);
  EpochPlan plan;
  plan.data = &data;
  for (int64_t i = 22; i >= 0; --i) plan.order.push_back((i * 7) % 23);
  plan.batch_size = 5;
  plan.augment = plan.swap_backgrounds = true;
  plan.seed = 3;
  plan.epoch = 2;
  const auto plain = all_batches(plan, false);
  // 23 samples in batches of 5: 4 full batches and a last one of 3.
  ASSERT_EQ(plain.size(), 5u);
  EXPECT_EQ(plain.back().batch.size(), 3);
  EXPECT_TRUE(plain[0].batch.labels.equal(data.labels().index_select(
      0, torch::tensor(std::vector<int64_t>(plan.order.begin(), plan.order.begin() + 5)))));
  expect_same(all_batches(plan, true), plain);

  plan.first_step = 3;  // a resumed epoch
  const auto resumed = all_batches(plan, true);
  ASSERT_EQ(resumed.size(), 2u);
  EXPECT_EQ(resumed[0].step, 3);
  expect_same(resumed, {plain[3], plain[4]});

  plan.first_step = 0;  // rank 1 of 2: its half of each global batch; the last (3 < 4) skipped
  plan.rank = 1;
  plan.world_size = 2;
  const auto shard = all_batches(plan, true);
  ASSERT_EQ(shard.size(), 4u);
  EXPECT_EQ(shard[0].global_size, 5);
  EXPECT_EQ(shard[0].batch.size(), 2);
  expect_same(shard, all_batches(plan, false));
}

TEST(BatchLoader, AnErrorWhileBuildingReachesTheCaller) {
  const auto data = test::tiny_textured_set(4, 1);
  EpochPlan plan;
  plan.data = &data;
  plan.order = {0, 1, 99, 3};  // no sample 99
  plan.batch_size = 4;
  BatchLoader loader(plan, true);
  EXPECT_ANY_THROW(loader.next());
}

}  // namespace
}  // namespace reff::train
