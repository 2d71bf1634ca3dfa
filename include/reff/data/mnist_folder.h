// A folder in MNIST's layout, which the official MNIST files, Fashion-MNIST
// (/usr/share/datasets/fashion-mnist) and data/mnist (scripts/install-deps) all share:
//
//   DIR/train-images-idx3-ubyte[.gz]   DIR/train-labels-idx1-ubyte[.gz]
//   DIR/t10k-images-idx3-ubyte[.gz]    DIR/t10k-labels-idx1-ubyte[.gz]
//
// The paper's splits: the training file split into train/val (90/10 by default, by seed), the
// t10k file as test.
#pragma once

#include "reff/names.h"

#include <torch/types.h>

#include <cstdint>
#include <string>

namespace reff::data {

struct DigitSet {
  torch::Tensor images;  // uint8 [N, H, W]
  torch::Tensor labels;  // int64 [N], each in [0, 10)
  int64_t size() const { return labels.size(0); }
};

enum class Split { train, val, test };
inline constexpr Named<Split> kSplits[] = {
    {Split::train, "train"}, {Split::val, "val"}, {Split::test, "test"}};
inline Split parse_split(const std::string& name) { return parse_named(kSplits, "--split", name); }
inline std::string split_name(Split split) { return name_of(kSplits, split); }

struct SplitOptions {
  double val_share = 0.1;  // share of the training file held out as val
  uint64_t seed = 0;       // which samples go to val
};

// One split of the folder. Throws reff::Error for missing or inconsistent files.
DigitSet load_mnist_split(const std::string& dir, Split split, const SplitOptions& options = {});

}  // namespace reff::data
