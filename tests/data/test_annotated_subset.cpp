#include "reff/data/annotated_subset.h"
#include "reff/error.h"

#include <gtest/gtest.h>

#include <map>

namespace reff::data {
namespace {

TEST(AnnotatedSubset, PicksNPerClassReproduciblyBySeed) {
  const auto labels = torch::arange(200, torch::kInt64).remainder(10);
  const AnnotatedSubsetOptions options{3, true, 5};
  const auto d1 = annotated_subset(labels, options);
  EXPECT_EQ(d1, annotated_subset(labels, options));
  ASSERT_EQ(d1.size(), 30u);
  std::map<int64_t, int> per_class;
  for (int64_t i : d1) ++per_class[labels[i].item<int64_t>()];
  for (int64_t c = 0; c < 10; ++c) EXPECT_EQ(per_class[c], 3) << c;
  EXPECT_TRUE(std::is_sorted(d1.begin(), d1.end()));
  EXPECT_NE(d1, annotated_subset(labels, {3, true, 6}));
}

TEST(AnnotatedSubset, CountsInTotalOrTakesAll) {
  const auto labels = torch::arange(50, torch::kInt64).remainder(10);
  EXPECT_EQ(annotated_subset(labels, {7, false, 0}).size(), 7u);
  EXPECT_EQ(annotated_subset(labels, {0, true, 0}).size(), 50u);  // n = All
  EXPECT_THROW(annotated_subset(labels, {6, true, 0}), Error);    // 5 per class only
  EXPECT_THROW(annotated_subset(labels, {51, false, 0}), Error);
  EXPECT_EQ(parse_annotated_n("all", "--n"), 0);
  EXPECT_EQ(parse_annotated_n("20", "--n"), 20);
  EXPECT_THROW(parse_annotated_n("-1", "--n"), Error);
  EXPECT_THROW(parse_annotated_n("ten", "--n"), Error);
}

}  // namespace
}  // namespace reff::data
