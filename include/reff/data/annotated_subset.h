// Which training samples keep their regional annotation (D1) and which do not (D2), as in the
// seed's Algorithm 1: n annotated images per class (default) or n in total, chosen by seed.
#pragma once

#include <torch/types.h>

#include <string>
#include <vector>

namespace reff::data {

struct AnnotatedSubsetOptions {
  int64_t n = 10;         // 0: all samples are annotated ("n = All")
  bool per_class = true;  // n per class, else n in total
  uint64_t seed = 0;
};

// "all" -> 0, otherwise a positive integer. Throws reff::Error naming `option`.
int64_t parse_annotated_n(const std::string& text, const std::string& option);

// Sorted indices of D1 among `labels` (int64 [N]). Throws reff::Error when a class has fewer
// than n samples (per class) or N < n (in total).
std::vector<int64_t> annotated_subset(const torch::Tensor& labels,
                                      const AnnotatedSubsetOptions& options);

}  // namespace reff::data
